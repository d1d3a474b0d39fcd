"""Export as code: a self-contained NumPy script that trains the same network exactly as the lab does.

The script holds the network's sizes, activations, weights and biases, the
training data and the settings, and a plain training loop written for
reading: one function per step (activations, forward pass, loss, backward
pass, update, the batch order, the loop).  It reproduces the lab's batches —
shuffled ones too, with the engine's generator seeded by ``(seed, epoch)`` —
and its update rules (:mod:`backprop_lab.core.optimizer`,
:mod:`backprop_lab.core.regularization`), written operation for operation in
the engine's order, so its parameters agree with the engine's to rounding
(1e-12 relative).  Options (momentum, Adam, L2/L1, schedules, fixed biases, the
classic hidden-delta mistake) generate code only when they are switched on.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..network import Network
from ..simulation import Simulation
from . import script_loop as loop
from . import script_parts as parts
from .iteration import ExportError, check_iteration

#: Above this many numbers the data is embedded as one JSON string (a huge list literal parses slowly).
LITERAL_LIMIT = 20_000


@dataclass
class ScriptSpec:
    """Everything the generated script needs; :func:`spec_from_simulation` fills it from a simulation."""

    sizes: list[int]
    activations: list[str]
    weights: list[list]
    biases: list[list]
    inputs: list[list[float]]
    targets: list[list[float]]
    last_iteration: int
    name: str = ""
    loss: str = "mse"
    learning_rate: float = 0.5
    batch_size: int = 1
    momentum: float = 0.0
    update_biases: bool = True
    shuffle: bool = False
    seed: int = 0
    optimizer: str = "sgd"
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    l2: float = 0.0
    l1: float = 0.0
    schedule: str = "constant"
    decay_rate: float = 0.5
    decay_every: int = 1000
    hidden_delta_weights: str = "original"
    start_iteration: int = 0
    start_epoch: int = 0
    start_position: int = 0
    velocity: list[float] | None = None  # flat, in the state file's parameter order
    adam_m: list[float] | None = None
    adam_v: list[float] | None = None
    adam_t: int = 0
    extra: dict = field(default_factory=dict)


_OPTIONS = ("optimizer", "beta1", "beta2", "epsilon", "l2", "l1", "schedule", "decay_rate", "decay_every",
            "hidden_delta_weights")


def spec_from_simulation(sim: Simulation, iteration: int | None = None) -> ScriptSpec:
    """The script for *sim*'s current state, training up to and including iteration *iteration*
    (default: the next one).

    Everything is read from the simulation itself (its committed parameters, every
    training setting and the optimizer's state: the momentum velocity, Adam's m, v and t),
    not from its state-file form.
    """
    start = sim.iteration
    last = start + 1 if iteration is None else check_iteration(iteration)
    if last <= start:
        raise ExportError(f"the state is already at iteration {start}; the script starts there, so choose an "
                          f"iteration after {start}")
    s = sim.settings
    # Mid-iteration (after some Step into) the script starts from the state before that iteration.
    net = Network(sim.network.sizes, sim.network.activation_names, sim.committed_theta())
    spec = ScriptSpec(
        sizes=list(net.sizes), activations=list(net.activation_names),
        weights=[W.tolist() for W in net.weights], biases=[b.tolist() for b in net.biases],
        inputs=sim.inputs.tolist(), targets=sim.targets.tolist(), last_iteration=last, name=sim.name,
        loss=s.loss, learning_rate=float(s.learning_rate), batch_size=int(s.batch_size),
        momentum=float(s.momentum), update_biases=bool(s.update_biases), shuffle=bool(s.shuffle),
        seed=int(s.seed), start_iteration=start, start_epoch=sim.epoch, start_position=sim.position)
    for name in _OPTIONS:
        setattr(spec, name, getattr(s, name))
    opt = sim.optimizer_state()
    if opt.get("velocity") is not None:
        spec.velocity = opt["velocity"].tolist()
    if opt.get("m") is not None:
        spec.adam_m, spec.adam_v, spec.adam_t = opt["m"].tolist(), opt["v"].tolist(), int(opt["t"])
    return spec


def _array(rows: list, indent: str = "    ") -> str:
    """A 2-D list of floats as a readable (or, when huge, compact) ``np.array`` expression."""
    n = sum(len(r) for r in rows)
    if n > LITERAL_LIMIT:
        return f"np.array(json.loads({json.dumps(json.dumps(rows))}))"
    body = f",\n{indent}".join("[" + ", ".join(repr(float(v)) for v in r) + "]" for r in rows)
    return f"np.array([\n{indent}{body},\n{indent[:-4]}])"


def _flat_to_layers(spec: ScriptSpec, flat: list[float]) -> tuple[list, list]:
    """Split a flat parameter vector (per layer: weights row by row, then biases) into per-layer lists."""
    Ws, bs, pos = [], [], 0
    for n_in, n_out in zip(spec.sizes[:-1], spec.sizes[1:], strict=True):
        Ws.append([flat[pos + j * n_in:pos + (j + 1) * n_in] for j in range(n_out)])
        pos += n_in * n_out
        bs.append(flat[pos:pos + n_out])
        pos += n_out
    return Ws, bs


def _param_lists(name: str, Ws: list, bs: list, comment: str) -> str:
    lines = [f"# {comment}", f"{name}_W = ["]
    lines += [f"    {_array(W, '        ')}," for W in Ws]
    lines += ["]", f"{name}_b = ["]
    lines += [f"    np.array([{', '.join(repr(float(v)) for v in b)}])," for b in bs]
    lines.append("]")
    return "\n".join(lines)


def _names(net: Network, layer: int) -> str:
    n = net.sizes[layer]
    names = [net.neuron_name(layer, j) for j in range(n)]
    return ", ".join(names) if n <= 4 else f"{names[0]}, …, {names[-1]}"


def network_section(spec: ScriptSpec) -> str:
    """The constants: network, data, settings, where training starts."""
    out = [parts.NETWORK_HEADER,
           f"SIZES = {spec.sizes!r}",
           f"ACTIVATIONS = {spec.activations!r}", "",
           "# WEIGHTS[l][j, i] is the weight from neuron i of layer l to neuron j of layer l + 1; the lab",
           "# numbers them w1, w2, ... layer by layer, row by row. BIASES[l][j] is the bias of neuron j",
           "# of layer l + 1.", "WEIGHTS = ["]
    net = Network(spec.sizes, spec.activations)  # for the lab's names of neurons and weights
    for l, W in enumerate(spec.weights):
        n_in, n_out = net.sizes[l], net.sizes[l + 1]
        out.append(f"    # {net.weight_name(l, 0, 0)} … {net.weight_name(l, n_out - 1, n_in - 1)}: "
                   f"{_names(net, l)} → {_names(net, l + 1)}")
        out.append(f"    {_array(W, '        ')},")
    out.append("]")
    out.append("BIASES = [")
    out += [f"    np.array([{', '.join(repr(float(v)) for v in b)}])," for b in spec.biases]
    out += ["]", "", parts.DATA_HEADER, f"INPUTS = {_array(spec.inputs)}", f"TARGETS = {_array(spec.targets)}",
            "", parts.settings_block(spec)]
    if spec.momentum and spec.velocity is not None and any(spec.velocity):
        out += ["", _param_lists("VELOCITY", *_flat_to_layers(spec, spec.velocity),
                                 "The momentum velocity the lab had reached (v, per parameter).")]
    if spec.optimizer == "adam" and spec.adam_m is not None and spec.adam_t:
        out += ["", _param_lists("ADAM_M", *_flat_to_layers(spec, spec.adam_m), "Adam's first moments m."),
                _param_lists("ADAM_V", *_flat_to_layers(spec, spec.adam_v or []), "Adam's second moments v."),
                f"ADAM_T = {int(spec.adam_t)}  # updates Adam has made"]
    return "\n".join(out)


def render_script(spec: ScriptSpec) -> str:
    """The complete Python source of the script for *spec*."""
    if spec.optimizer not in ("sgd", "adam"):
        raise ExportError(f"cannot write code for the optimizer {spec.optimizer!r}")
    if spec.schedule not in ("constant", "step", "exponential"):
        raise ExportError(f"cannot write code for the learning-rate schedule {spec.schedule!r}")
    if spec.hidden_delta_weights not in ("original", "updated"):
        raise ExportError(f"unknown hidden_delta_weights {spec.hidden_delta_weights!r}")
    sections = [parts.header(spec), network_section(spec), parts.activation_functions(spec),
                parts.forward_and_loss(spec), parts.backward(spec), loop.update(spec), loop.batches(spec),
                loop.main(spec)]
    return "\n\n\n".join(s.strip("\n") for s in sections) + "\n"


def numpy_script(sim: Simulation, iteration: int | None = None) -> str:
    """A self-contained NumPy script that trains *sim* from its current state up to iteration *iteration*."""
    return render_script(spec_from_simulation(sim, iteration))
