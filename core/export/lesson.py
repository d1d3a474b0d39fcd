"""The worked example of one iteration as a :class:`~.document.Document`, in the form of the seed notes.

The network with its numbers, the data of the batch, the forward pass, the
loss, the backward pass with every chain-rule factor, the updates and the
loss afterwards.  Every equation is one :class:`~backprop_lab.core.Computation`
of the engine's trace, shown as symbols, then numbers, then the result; no
number is recomputed here.

Large iterations are bounded by *max_equations*: with a batch of several
samples the per-sample computations are first restricted to the batch's first
sample, then each group (a layer's forward values, deltas, gradients, updates)
keeps its first equations; every omission is stated in the document.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from ..activations import get_activation
from ..trace import Computation, format_number
from .document import Document, Equation, Heading, Math, Table, Text, cell, para
from .iteration import IterationData

#: Default bound on the equations written out for one iteration.
MAX_EQUATIONS = 400
#: Rows of the parameter and data tables before the rest is summarised.
MAX_ROWS = 64


def equation_sides(c: Computation, digits: int) -> list[str]:
    """Symbols, numbers, result — consecutive repeats dropped (as ``Computation.text`` does)."""
    sides = []
    for s in (c.expansion, c.substituted(digits), format_number(c.result, digits)):
        if not sides or s != sides[-1]:
            sides.append(s)
    return sides


def group_key(c: Computation) -> tuple:
    """Which section and subsection a record belongs to."""
    el = c.element
    if c.phase == "loss":
        return ("loss", 0, "")
    if c.kind == "learning_rate":  # the scheduled η of the iteration, before every update
        return ("update", 0, "schedule")
    layer = el.layer if el.kind == "neuron" else el.layer + 1  # neurons fed by that weight or bias
    if c.phase == "backward":
        # a weight's penalty term follows its data gradient, in the same group
        return ("backward", layer, "gradient" if c.kind in ("gradient", "regularization") else "delta")
    return (c.phase, layer, "")


def select(records: list[Computation], max_equations: int) -> tuple[list[Computation], dict, bool]:
    """The records to write out, the number left out per group, and whether only sample 1 is shown."""
    first_only = False
    kept = list(records)
    if len(kept) > max_equations and any(c.sample not in (None, 0) for c in kept):
        kept = [c for c in kept if c.sample in (None, 0)]
        first_only = True
    groups: OrderedDict[tuple, list[Computation]] = OrderedDict()
    for c in kept:
        groups.setdefault(group_key(c), []).append(c)
    omitted: dict[tuple, int] = {}
    if len(kept) > max_equations:
        # The largest per-group quota that fits: every group keeps its first equations.
        lo, hi = 1, max(len(g) for g in groups.values())
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if sum(min(len(g), mid) for g in groups.values()) <= max_equations:
                lo = mid
            else:
                hi = mid - 1
        kept = []
        for key, g in groups.items():
            kept += g[:lo]
            if len(g) > lo:
                omitted[key] = len(g) - lo
    return kept, omitted, first_only


def _neurons(net, layer: int) -> str:
    n = net.sizes[layer]
    names = [net.neuron_name(layer, j) for j in range(n)]
    return ", ".join(names) if n <= 4 else f"{names[0]}, {names[1]}, …, {names[-1]}"


def _layer_title(net, layer: int) -> str:
    L = net.n_layers
    if layer == L:
        return f"Output layer ({_neurons(net, layer)})"
    if L == 2:
        return f"Hidden layer ({_neurons(net, layer)})"
    return f"Hidden layer {layer} ({_neurons(net, layer)})"


def _num(v: float, digits: int) -> Math:
    return Math(format_number(v, digits))


def network_blocks(d: IterationData, digits: int) -> list:
    """The network with its numbers: layers, settings, every weight and bias."""
    sim, net = d.sim, d.sim.network
    layers = [f"{net.sizes[0]} inputs"] + [f"{n} {a}" for n, a in zip(net.sizes[1:], net.activation_names, strict=True)]
    out = [Heading(1, "The network"),
           para("Layers, inputs first: " + " → ".join(layers) + f" ({net.n_params} parameters). "
                f"Inputs {_neurons(net, 0)}; outputs {_neurons(net, net.n_layers)}.")]
    out.append(para(*_settings_parts(sim, digits)))
    rows = []
    for l, W in enumerate(d.weights):
        for j in range(W.shape[0]):
            for i in range(W.shape[1]):
                rows.append([cell(Math(net.weight_name(l, j, i))), cell(Math(net.neuron_name(l, i))),
                             cell(Math(net.neuron_name(l + 1, j))), cell(_num(W[j, i], digits))])
    out += _bounded_table([cell("weight"), cell("from"), cell("to"), cell("value")], rows,
                          [False, False, False, True], "weights")
    rows = []
    for l, b in enumerate(d.biases):
        if d.shared_biases[l]:  # one number for the whole layer, never updated: named as the layer (b1)
            rows.append([cell(Math(net.bias_name(l))), cell(_neurons(net, l + 1) + " (shared, fixed)"),
                         cell(_num(b[0], digits))])
        else:
            rows += [[cell(Math(net.bias_name(l, j))), cell(Math(net.neuron_name(l + 1, j))),
                      cell(_num(b[j], digits))] for j in range(len(b))]
    out += _bounded_table([cell("bias"), cell("of neuron"), cell("value")], rows, [False, False, True], "biases")
    out.append(para(*_naming_note(net, d.shared_biases), style="note"))
    return out


def _naming_note(net, shared: list[bool]) -> list:
    """How the equations name biases and targets, with this network's first names as the example."""
    out = net.neuron_name(net.n_layers, 0)
    parts: list = ["In the equations, "]
    if any(shared):
        l = shared.index(True)
        layer, first = net.bias_name(l), net.neuron_name(l + 1, 0)
        parts += [Math(f"{layer}→{first}"), " names the bias ", Math(layer), " at neuron ", Math(first),
                  " (", Math(layer), " is one number shared by the layer's neurons and never updated)"]
        if not all(shared):
            l = shared.index(False)
            parts += ["; ", Math(net.bias_name(l, 0)), " is the bias of neuron ", Math(net.neuron_name(l + 1, 0))]
    else:
        first = net.neuron_name(1, 0)
        parts += [Math(net.bias_name(0, 0)), " is the bias of neuron ", Math(first)]
    return parts + ["; ", Math(f"t_{out}"), " is the target of output ", Math(out), "."]



def _batching(n: int, batch: int) -> str:
    """"300 training samples in batches of 10", "1 training sample, one batch" (it said "batch size 1 of 1
    samples")."""
    samples = f"{n:,} training sample{'s' * (n != 1)}"
    return f"{samples}, all in one batch" if batch >= n else f"{samples} in batches of {batch:,}"

def _settings_parts(sim, digits: int) -> list:
    s = sim.settings
    softmax = sim.network.activation_names[-1] == "softmax"
    if s.loss == "mse":
        loss: list = [Math("E = Σ ½(t − out)²"), " per sample"]
    elif softmax:
        loss = ["cross-entropy ", Math("E = −Σ t·log out"), " per sample"]
    else:
        loss = ["binary cross-entropy ", Math("E = Σ −t·log out − (1 − t)·log(1 − out)"), " per sample"]
    parts: list = ["Loss: ", *loss,
                   "; learning rate ", Math(f"η = {format_number(s.learning_rate, digits)}"),
                   "; " + _batching(sim.n_samples, s.batch_size)]
    if s.batch_size > 1:
        parts.append(" (the batch loss and every gradient are means over the batch)")
    if s.shuffle:
        parts.append(f"; shuffled every epoch (seed {s.seed})")
    def num(v: float) -> str:
        return format_number(v, digits)
    if s.optimizer == "adam":
        parts += ["; optimizer Adam with ", Math(f"β1 = {num(s.beta1)}"), ", ", Math(f"β2 = {num(s.beta2)}"),
                  ", ", Math(f"ε = {num(s.epsilon)}")]
    elif s.momentum:
        parts += ["; momentum ", Math(f"μ = {num(s.momentum)}")]
    if s.l2:
        parts += ["; L2 penalty ", Math("(λ₂/2)·Σ w²"), " on the weights, ", Math(f"λ₂ = {num(s.l2)}")]
    if s.l1:
        parts += ["; L1 penalty ", Math("λ₁·Σ |w|"), " on the weights, ", Math(f"λ₁ = {num(s.l1)}")]
    if s.schedule != "constant":
        rule = "η·rate^⌊t/every⌋" if s.schedule == "step" else "η·rate^(t/every)"
        parts += [f"; {s.schedule} learning-rate schedule ", Math(f"η_t = {rule}"), " with ",
                  Math(f"rate = {num(s.decay_rate)}"), " and ", Math(f"every = {s.decay_every}")]
    if s.hidden_delta_weights != "original":
        parts.append("; hidden deltas from the already-updated weights (the classic mistake)")
    parts.append("; the biases are updated." if s.update_biases else "; the biases are fixed (not updated).")
    return parts


def _bounded_table(header, rows, numeric, what: str) -> list:
    out: list = [Table(header, rows[:MAX_ROWS], numeric)]
    if len(rows) > MAX_ROWS:
        out.append(para(f"… and {len(rows) - MAX_ROWS:,} more {what} (the first {MAX_ROWS} are listed).",
                        style="note"))
    return out


def data_blocks(d: IterationData, digits: int) -> list:
    """The samples of this iteration's batch, with their inputs and targets."""
    sim, net, tr = d.sim, d.sim.network, d.trace
    n_in, n_out = net.sizes[0], net.sizes[-1]
    rows_idx = [int(r) for r in tr.batch]
    where = "row " if len(rows_idx) == 1 else "rows "
    shown_rows = ", ".join(str(r + 1) for r in rows_idx[:12]) + (", …" if len(rows_idx) > 12 else "")
    out = [Heading(1, "The data of this iteration"),
           para(f"Iteration {tr.iteration} (epoch {d.epoch + 1}) uses {len(rows_idx)} of the "
                f"{sim.n_samples} training samples: {where}{shown_rows} of the data.")]
    cols_in = list(range(n_in)) if n_in <= 6 else [0, 1, 2, 3, None, n_in - 1]
    cols_out = list(range(n_out)) if n_out <= 4 else [0, 1, None, n_out - 1]
    header = [cell("sample"), cell("row")]
    header += [cell("…") if i is None else cell(Math(net.neuron_name(0, i))) for i in cols_in]
    header += [cell("…") if k is None else cell(Math(f"t_{net.neuron_name(net.n_layers, k)}")) for k in cols_out]
    rows = []
    for s, r in enumerate(rows_idx):
        row = [cell(str(s + 1)), cell(str(r + 1))]
        row += [cell("…") if i is None else cell(_num(sim.inputs[r, i], digits)) for i in cols_in]
        row += [cell("…") if k is None else cell(_num(sim.targets[r, k], digits)) for k in cols_out]
        rows.append(row)
    out += _bounded_table(header, rows, [False, False] + [True] * (len(header) - 2), "samples")
    return out


_FORMULAS = {"tanh": "(e^x − e^(−x)) / (e^x + e^(−x))"}  # where the activation's own formula is just its name


def _intro(key: tuple, d: IterationData, seen: set) -> list:
    """A sentence or two saying what a group of computations does; each kind is explained once (*seen*)."""
    phase, layer, part = key
    net, s = d.sim.network, d.sim.settings
    kind = (phase, part, "output" if part == "delta" and layer == net.n_layers else "")
    first = kind not in seen
    seen.add(kind)
    if not first and phase != "forward":
        return []
    if phase == "forward":
        act = get_activation(net.activation_names[layer - 1])
        if not first and act.name == net.activation_names[layer - 2]:
            return [para("The same for the next layer: its inputs are the outputs of the layer before.")]
        if act.elementwise:
            f = _FORMULAS.get(act.name) or act.formula.format("x")
            return [para("Each neuron adds up its weighted inputs and its bias (", Math("net"),
                         f"), then applies its activation {act.name}: ", Math(f"{act.symbol}(x) = {f}"), ".")]
        return [para("The output layer is a softmax: each output is ", Math("out_k = e^net_k / (Σⱼ e^net_j)"),
                     ", so the outputs are positive and add up to 1.")]
    if phase == "loss":
        out = [para("The error compares each output with its target; the sample's error adds the terms"
                    + (" and the batch loss is their mean over the batch." if len(d.trace.batch) > 1 else "."))]
        if s.l2 or s.l1:
            out.append(para("With regularisation that is the data part ", Math("E_data"), "; the penalty ",
                            Math("E_reg"), " on the weights (not the biases) is added to it: ",
                            Math("E_total = E_data + E_reg"), ". Large weights now cost loss too."))
        return out
    if part == "schedule":
        rule = "η·rate^⌊t/every⌋" if s.schedule == "step" else "η·rate^(t/every)"
        return [para(f"The learning rate follows the {s.schedule} schedule ", Math(f"η_t = {rule}"), ", where ",
                     Math("t"), " counts the updates done before this one; every update below uses ", Math("η_t"),
                     ".")]
    if phase == "backward" and part == "delta":
        if layer == net.n_layers:
            return [para("The chain rule, from the loss back to each output's net input: ",
                         Math("δ = ∂E/∂net = ∂E/∂out · ∂out/∂net"), " (with cross-entropy or softmax, ",
                         Math("δ"), " comes out directly).")]
        which = ("the weights already updated in this iteration: the classic mistake this state is set to make"
                 if s.hidden_delta_weights == "updated" else
                 "the weights from before the update")
        return [para("A hidden neuron's ", Math("∂E/∂out"), " collects the ", Math("δ"),
                     f" of every neuron it feeds, each times the connecting weight ({which}); times its own ",
                     Math("∂out/∂net"), " this gives its ", Math("δ"), ".")]
    if phase == "backward":
        out = [para("The gradient of a weight is the chain of these factors: the ", Math("δ"),
                    " of the neuron it feeds times the input it carries (1 for a bias)"
                    + (", averaged over the batch." if len(d.trace.batch) > 1 else "."))]
        if s.l2 or s.l1:
            terms = " + ".join(t for on, t in ((s.l2, "λ₂·w"), (s.l1, "λ₁·sign(w)")) if on)
            out.append(para("That is the gradient of ", Math("E_data"), "; each weight's gradient of the whole "
                            "loss then adds the penalty's: ", Math(f"∂E/∂w = ∂E_data/∂w + {terms}"),
                            " (the biases have no penalty)."))
        return out
    return [para(*_update_rule(s))]


def _update_rule(s) -> list:
    """How the parameters move, for the optimizer and options of settings *s*."""
    if s.optimizer == "adam":
        parts: list = ["Adam moves every weight by its running mean gradient over its running root mean square: ",
                       Math("m⁺ = β₁·m + (1 − β₁)·g"), ", ", Math("v⁺ = β₂·v + (1 − β₂)·g²"), ", ",
                       Math("w⁺ = w − η·m̂ / (√v̂ + ε)"), " with the bias-corrected ", Math("m̂ = m⁺ / (1 − β₁^t)"),
                       " and ", Math("v̂ = v⁺ / (1 − β₂^t)"), ", where ", Math("t"),
                       " counts Adam's updates from 1 (m and v start at 0)."]
    elif s.momentum:
        parts = ["Gradient descent with momentum: every weight moves by its velocity, a running sum of its "
                 "gradients: ", Math("v⁺ = μ·v + ∂E/∂w"), ", ", Math("w⁺ = w − η·v⁺"), "."]
    else:
        parts = ["Gradient descent moves every weight against its gradient, scaled by the learning rate: ",
                 Math("w⁺ = w − η·∂E/∂w"), "."]
    if s.l2 or s.l1:
        parts.append(" The gradients of the weights include the penalty terms (L2, L1).")
    if s.schedule != "constant":
        parts += [f" The learning rate is the {s.schedule} schedule's ", Math("η_t"), "."]
    if not s.update_biases:
        parts.append(" The biases stay fixed.")
    return parts


def computation_blocks(d: IterationData, digits: int, max_equations: int,
                       make: Callable[[Computation], Equation] | None = None) -> list:
    """The forward pass, loss, backward pass and updates, one equation per computation.

    *make* turns a computation into its :class:`Equation` (default: the full worked form).
    """
    records = list(d.trace)
    kept, omitted, first_only = select(records, max_equations)
    net = d.sim.network
    out: list = []
    if len(kept) < len(records):
        out.append(para(f"This iteration has {len(records):,} computations; {len(kept):,} are written out"
                        + (" (per-sample computations for sample 1 of the batch only)" if first_only else "")
                        + ". The places where equations are left out say how many.", style="note"))
    titles = {"forward": "Forward pass", "loss": "The loss", "backward": "Backward pass", "update": "Updates"}
    phase = key = sample = None
    seen: set = set()
    for c in kept:
        k = group_key(c)
        if c.phase != phase:
            phase = c.phase
            out.append(Heading(1, titles.get(phase, phase)))
        if k != key:
            if key in omitted:
                out.append(para(f"… {omitted[key]:,} more equations of this group are left out.", style="note"))
            key, sample = k, None
            if k[2] == "schedule":
                out.append(Heading(2, "The learning rate of this iteration"))
            elif phase != "loss":
                title = _layer_title(net, k[1])
                if phase == "backward":
                    title = (f"Gradients into the {title[0].lower()}{title[1:]}" if k[2] == "gradient"
                             else f"{title}: deltas")
                elif phase == "update":
                    title = f"Weights and biases into the {title[0].lower()}{title[1:]}"
                out.append(Heading(2, title))
            out += _intro(k, d, seen)
        if c.sample is not None and c.sample != sample and len(d.trace.batch) > 1:
            sample = c.sample
            row = int(d.trace.batch[c.sample]) + 1
            out.append(para(Text(f"Sample {c.sample + 1}", "strong"), f" (row {row} of the data)"))
        out.append(make(c) if make else Equation(c.target, equation_sides(c, digits), text=c.text(digits)))
    if key in omitted:
        out.append(para(f"… {omitted[key]:,} more equations of this group are left out.", style="note"))
    return out


def after_blocks(d: IterationData, digits: int) -> list:
    """The new parameters and the loss over the training set before and after."""
    updates = [c for c in d.trace if c.kind == "update"]
    rows = [[cell(Math(c.target[:-1] if c.target.endswith("⁺") else c.target)), cell(_num(c.old_value, digits)),
             cell(_num(c.result, digits))] for c in updates]
    out: list = [Heading(1, "After the update"),
                 para(f"Iteration {d.iteration} changed {len(updates):,} parameters:")]
    out += _bounded_table([cell("parameter"), cell("before"), cell("after")], rows, [False, True, True],
                          "parameters")
    n = d.sim.n_samples
    out.append(para(f"The mean loss over the whole training set ({n} sample{'s' if n != 1 else ''}) went from ",
                    _num(d.loss_before, digits), " to ", _num(d.loss_after, digits), "."))
    return out


def lesson_document(d: IterationData, *, digits: int = 9, max_equations: int = MAX_EQUATIONS) -> Document:
    """The worked example of the iteration in *d* as a document."""
    sim = d.sim
    doc = Document(f"Worked example: iteration {d.iteration}", sim.name)
    if sim.notes:
        doc.add(para(Text(sim.notes, "em")))
    doc.add(para(f"Every number below is Backprop Lab's own value, shown to {digits} decimal places. Each "
                 "equation reads: what is computed = the formula = the formula with the numbers filled in "
                 "= the result."))
    doc.blocks += network_blocks(d, digits)
    doc.blocks += data_blocks(d, digits)
    doc.blocks += computation_blocks(d, digits, max_equations)
    doc.blocks += after_blocks(d, digits)
    return doc
