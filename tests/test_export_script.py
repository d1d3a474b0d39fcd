"""Export as code: the generated NumPy script, run in a subprocess, reproduces the engine's parameters.

Every training option (Adam, L2/L1, step and exponential schedules, the classic
hidden-delta mistake, momentum, fixed biases, shuffled mini-batches) is checked
against the engine and, separately, against an independent per-sample
reference written here and the published worked example's numbers.
"""
import ast
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from reference import act

from backprop_lab.core import Simulation, TrainingSettings, load_example
from backprop_lab.core.export import ExportError, numpy_script, render_script, spec_from_simulation


def run_script(source: str) -> tuple[dict, list[str]]:
    r = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stderr == ""  # no warnings either
    lines = r.stdout.strip().splitlines()
    return json.loads(lines[-1]), lines


def engine_after(sim: Simulation, iteration: int) -> Simulation:
    """*sim* itself, trained up to *iteration* (call it after the script was generated)."""
    result = sim.run(iteration - sim.iteration)
    assert not result.diverged and sim.iteration == iteration
    return sim


def assert_same_parameters(out: dict, sim: Simulation) -> None:
    scale = max(float(np.abs(sim.network.theta).max()), 1.0)
    for l, (W, b) in enumerate(zip(sim.network.weights, sim.network.biases, strict=True)):
        np.testing.assert_allclose(np.array(out["weights"][l]), W, rtol=1e-12, atol=1e-14 * scale)
        np.testing.assert_allclose(np.array(out["biases"][l]), b, rtol=1e-12, atol=1e-14 * scale)


@pytest.mark.parametrize("example,start,iteration", [
    ("mazur", 0, 1),
    ("mazur", 0, 100),
    ("xor", 0, 300),               # full batch, sigmoid
    ("moons", 7, 95),              # shuffled mini-batches of 10, starting mid-epoch, across 3 epochs
    ("blobs", 4, 40),              # softmax + cross-entropy, momentum (with the velocity reached), shuffled
    ("symmetry", 0, 20),
])
def test_script_reproduces_the_engine(example, start, iteration):
    sim = load_example(example)
    sim.run(start)
    src = numpy_script(sim, iteration)
    assert sim.iteration == start  # the simulation itself was not trained
    out, lines = run_script(src)
    assert lines[-3].startswith(f"iteration {iteration}: batch loss ")
    assert_same_parameters(out, engine_after(sim, iteration))


def test_script_matches_the_worked_example():
    out, lines = run_script(numpy_script(load_example("mazur"), 1))
    # the published new weights w1..w8 (NOTES.md)
    new = [0.149780716, 0.199561432, 0.249751144, 0.299502287, 0.358916480, 0.408666186, 0.511301270, 0.561370121]
    got = [w for W in out["weights"] for row in W for w in row]
    assert [round(w, 9) for w in got] == new
    assert out["biases"] == [[0.35, 0.35], [0.6, 0.6]]  # fixed
    assert lines[-2] == "loss over the training set after iteration 1: 0.291027774"


def test_mse_with_softmax_and_relu_leaky_linear_and_sigmoid_cross_entropy():
    from backprop_lab.core import Network, initialize
    rng = np.random.default_rng(7)
    x = rng.normal(size=(13, 3))
    for acts, loss, t in ((["relu", "leaky_relu", "softmax"], "mse", np.eye(3)[rng.integers(0, 3, 13)]),
                          (["linear", "sigmoid"], "cross_entropy", rng.integers(0, 2, (13, 3)).astype(float)),
                          (["tanh", "linear"], "mse", rng.normal(size=(13, 3)))):
        net = Network([3, 5, *([4] if len(acts) == 3 else []), 3], acts)
        net.theta[:] = initialize(net, "he", np.random.default_rng(3), biases="same")
        sim = Simulation(net, x, t, TrainingSettings(loss=loss, learning_rate=0.05, batch_size=5, momentum=0.5,
                                                     shuffle=True, seed=11))
        out, _ = run_script(numpy_script(sim, 9))
        assert_same_parameters(out, engine_after(sim, 9))


def test_script_is_self_contained_and_generates_only_what_is_used():
    src = numpy_script(load_example("mazur"), 1)
    imported = {n.name for node in ast.walk(ast.parse(src)) if isinstance(node, ast.Import) for n in node.names}
    imported |= {node.module for node in ast.walk(ast.parse(src)) if isinstance(node, ast.ImportFrom)}
    assert imported == {"json", "numpy"}
    funcs = {n.name for n in ast.walk(ast.parse(src)) if isinstance(n, ast.FunctionDef)}
    assert {"forward", "batch_loss", "output_delta", "hidden_delta", "layer_gradient", "backward",
            "update_layer", "batch_rows", "train_step", "main"} <= funcs
    assert "tanh" not in funcs and "softmax" not in funcs  # only the activations the network uses
    for option in ("MOMENTUM", "BETA1", "L2", "L1", "DECAY_RATE", "SEED", "learning_rate("):
        assert option not in src
    assert "UPDATE_BIASES = False" in src
    blobs = numpy_script(load_example("blobs"), 2)
    assert "MOMENTUM = 0.9" in blobs and "SEED = 5" in blobs and "def softmax" in blobs


def test_script_iteration_must_be_ahead_of_the_state():
    sim = load_example("xor")
    sim.run(5)
    with pytest.raises(ExportError, match="already at iteration 5"):
        numpy_script(sim, 5)
    assert "LAST_ITERATION = 6" in numpy_script(sim)  # default: one more iteration


# -- settings newer than the engine: an independent reference ------------------------------------------------------
def reference_train(spec, iterations: int, *, updated_mistake: bool = False) -> tuple[list, list]:
    """Per-sample, per-neuron plain Python training of an MSE network with element-wise activations."""
    W = [[list(map(float, row)) for row in Wl] for Wl in spec.weights]
    b = [list(map(float, bl)) for bl in spec.biases]
    X, T, N = spec.inputs, spec.targets, len(spec.inputs)
    L = len(W)
    state = {"t": 0, "m": {}, "v": {}}
    pos = 0
    for it in range(iterations):
        size = min(spec.batch_size, N - pos)
        rows = list(range(pos, pos + size))
        pos = 0 if pos + size >= N else pos + size
        lr = spec.learning_rate
        if spec.schedule == "step":
            lr *= spec.decay_rate ** (it // spec.decay_every)
        elif spec.schedule == "exponential":
            lr *= spec.decay_rate ** (it / spec.decay_every)
        state["t"] += 1
        outs_all = []
        for r in rows:
            a = [list(X[r])]
            for l in range(L):
                a.append([act(spec.activations[l], sum(W[l][j][i] * a[l][i] for i in range(len(a[l]))) + b[l][j])
                          for j in range(len(W[l]))])
            outs_all.append(a)

        def dact(name, out):
            return out * (1 - out) if name == "sigmoid" else 1 - out * out

        deltas_next = None
        grads = []
        for l in range(L - 1, -1, -1):
            gW = [[0.0] * len(W[l][0]) for _ in W[l]]
            gb = [0.0] * len(W[l])
            layer_deltas = []
            for s, a in enumerate(outs_all):
                if l == L - 1:
                    d = [(a[L][j] - T[rows[s]][j]) * dact(spec.activations[l], a[L][j]) for j in range(len(W[l]))]
                else:
                    d = [sum(deltas_next[s][k] * W[l + 1][k][j] for k in range(len(W[l + 1])))
                         * dact(spec.activations[l], a[l + 1][j]) for j in range(len(W[l]))]
                layer_deltas.append(d)
                for j in range(len(W[l])):
                    gb[j] += d[j] / size
                    for i in range(len(W[l][0])):
                        gW[j][i] += d[j] * a[l][i] / size
            deltas_next = layer_deltas
            if updated_mistake:  # this layer changes before the layer below computes its deltas
                _apply(spec, W, b, l, gW, gb, lr, state)
            else:
                grads.append((l, gW, gb))
        for pending in grads:  # the correct algorithm: every gradient first, then the updates
            _apply(spec, W, b, *pending, lr, state)
    return W, b


def _apply(spec, W, b, l, gW, gb, lr, state):
    for j in range(len(W[l])):
        grads = [(("W", l, j, i), W[l][j], i, gW[j][i] + spec.l2 * W[l][j][i]
                  + spec.l1 * math.copysign(1.0, W[l][j][i]) * (W[l][j][i] != 0)) for i in range(len(W[l][0]))]
        grads.append((("b", l, j), b[l], j, gb[j] if spec.update_biases else 0.0))
        for key, vec, k, g in grads:
            if spec.optimizer == "adam":
                m = state["m"][key] = spec.beta1 * state["m"].get(key, 0.0) + (1 - spec.beta1) * g
                v = state["v"][key] = spec.beta2 * state["v"].get(key, 0.0) + (1 - spec.beta2) * g * g
                m_hat, v_hat = m / (1 - spec.beta1 ** state["t"]), v / (1 - spec.beta2 ** state["t"])
                vec[k] -= lr * m_hat / (math.sqrt(v_hat) + spec.epsilon)
            elif spec.momentum:
                v = state["v"][key] = spec.momentum * state["v"].get(key, 0.0) + g
                vec[k] -= lr * v
            else:
                vec[k] -= lr * g


@pytest.mark.parametrize("options", [
    {"optimizer": "adam", "learning_rate": 0.05},
    {"optimizer": "adam", "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, "l2": 0.01, "update_biases": False},
    {"l2": 0.01, "l1": 0.002, "momentum": 0.8},
    {"schedule": "step", "decay_rate": 0.5, "decay_every": 7},
    {"schedule": "exponential", "decay_rate": 0.3, "decay_every": 10, "l1": 0.001},
    {"hidden_delta_weights": "updated", "momentum": 0.5},
])
def test_newer_settings_against_an_independent_reference(options):
    sim = load_example("xor")  # 2-3-1 sigmoid, 4 samples, batch 4
    sim.set_training(batch_size=3)  # a last partial batch too
    spec = spec_from_simulation(sim, 25)
    for name, value in options.items():
        setattr(spec, name, value)
    src = render_script(spec)
    out, _ = run_script(src)
    W, b = reference_train(spec, 25, updated_mistake=options.get("hidden_delta_weights") == "updated")
    for l in range(2):
        np.testing.assert_allclose(out["weights"][l], W[l], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(out["biases"][l], b[l], rtol=1e-10, atol=1e-13)
    for name in options:  # code for an option appears only when it is switched on
        key = {"optimizer": "BETA1", "l2": "L2 =", "l1": "L1 =", "schedule": "DECAY_RATE", "momentum": "MOMENTUM",
               "hidden_delta_weights": "CLASSIC MISTAKE"}.get(name)
        if key:
            assert key in src


def test_classic_mistake_gives_the_published_numbers():
    """The post printed E = 0.291027924 after one update: hidden deltas from the already-updated w5..w8."""
    sim = load_example("mazur")
    spec = spec_from_simulation(sim, 1)
    spec.hidden_delta_weights = "updated"
    _, lines = run_script(render_script(spec))
    assert lines[-2] == "loss over the training set after iteration 1: 0.291027924"
    spec = spec_from_simulation(sim, 10_000)
    spec.hidden_delta_weights = "updated"
    out, _ = run_script(render_script(spec))
    # its outputs after 10,000 updates, as the post prints them: 0.015912196 and 0.984065734
    W = [np.array(w) for w in out["weights"]]
    b = [np.array(v) for v in out["biases"]]
    h = 1 / (1 + np.exp(-(W[0] @ [0.05, 0.1] + b[0])))
    o = 1 / (1 + np.exp(-(W[1] @ h + b[1])))
    assert [round(v, 9) for v in o] == [0.015912196, 0.984065734]


@pytest.mark.parametrize("options,start", [
    ({"optimizer": "adam", "learning_rate": 0.02}, 0),
    ({"optimizer": "adam", "learning_rate": 0.02, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, "l2": 0.01}, 0),
    ({"l2": 0.01, "l1": 0.001, "momentum": 0.9}, 0),
    ({"l1": 0.003}, 0),
    ({"schedule": "step", "decay_rate": 0.5, "decay_every": 10}, 0),
    ({"schedule": "exponential", "decay_rate": 0.5, "decay_every": 10}, 0),
    ({"hidden_delta_weights": "updated"}, 0),
    ({"hidden_delta_weights": "updated", "momentum": 0.7, "l2": 0.02, "update_biases": False}, 0),
    ({"optimizer": "adam", "learning_rate": 0.01, "l1": 0.002, "update_biases": False,
      "hidden_delta_weights": "updated", "schedule": "exponential", "decay_rate": 0.7, "decay_every": 9}, 0),
    # the state reached carries into the script: Adam's m, v and t; the schedule's t; the velocity
    ({"optimizer": "adam", "learning_rate": 0.02, "schedule": "step", "decay_rate": 0.5, "decay_every": 10}, 13),
    ({"momentum": 0.9, "l2": 0.001}, 13),
])
def test_newer_settings_against_the_engine(options, start):
    sim = load_example("moons")  # 2-8-8-1 tanh, shuffled mini-batches of 10 (30 per epoch)
    sim.set_training(**options)
    sim.run(start)
    out, lines = run_script(numpy_script(sim, 40))
    engine_after(sim, 40)
    assert_same_parameters(out, sim)
    # the printed training-set loss is the engine's, penalty included
    assert lines[-2] == f"loss over the training set after iteration 40: {sim.loss():.9g}"


def test_fixed_biases_stay_fixed_with_a_velocity_reached_earlier():
    """Momentum ran with the biases updated; then they are fixed: their velocity must not move them."""
    sim = load_example("blobs")  # softmax + cross-entropy, momentum 0.9
    sim.run(6)
    assert np.abs(sim.velocity).max() > 0
    sim.set_training(update_biases=False)
    biases = [b.copy() for b in sim.network.biases]
    out, _ = run_script(numpy_script(sim, 20))
    for l, b in enumerate(biases):
        assert out["biases"][l] == b.tolist()
    assert_same_parameters(out, engine_after(sim, 20))


def test_adam_first_update_by_hand():
    """Adam's first step is −η·g/(|g| + ε) (m̂ = g, v̂ = g²): on the worked example, from its published gradients."""
    sim = load_example("mazur")
    sim.set_training(optimizer="adam", learning_rate=0.1)
    out, _ = run_script(numpy_script(sim, 1))
    published = {(1, 0, 0): (0.4, 0.082167041), (1, 1, 0): (0.5, -0.022602540), (0, 0, 0): (0.15, 0.000438568)}
    for (l, j, i), (w, g) in published.items():
        assert out["weights"][l][j][i] == pytest.approx(w - 0.1 * g / (abs(g) + 1e-8), abs=1e-9)
    assert out["biases"] == [[0.35, 0.35], [0.6, 0.6]]


def test_penalty_by_hand():
    """L2 and L1 on the worked example: ∂E/∂w5 = 0.082167041 + λ₂·0.4 + λ₁, and the printed loss has the penalty."""
    sim = load_example("mazur")
    sim.set_training(l2=0.01, l1=0.001)
    out, lines = run_script(numpy_script(sim, 1))
    assert out["weights"][1][0][0] == pytest.approx(0.4 - 0.5 * (0.082167041 + 0.01 * 0.4 + 0.001), abs=1e-9)
    assert out["weights"][0][0][0] == pytest.approx(0.15 - 0.5 * (0.000438568 + 0.01 * 0.15 + 0.001), abs=1e-9)
    # batch loss of iteration 1: E = 0.298371109 + (0.01/2)·Σw² + 0.001·Σ|w|, Σw² = 1.13, Σ|w| = 2.8
    assert lines[-3] == f"iteration 1: batch loss {0.298371109 + 0.005 * 1.13 + 0.001 * 2.8:.9g}"
