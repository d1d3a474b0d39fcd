"""The simulation reuses one trace builder's names and formulas across iterations: never a stale one.

Each trace the simulation shows is compared with a trace built by a fresh builder from the same engine values
(the builder's cache must never survive a change that alters a name, a formula or which biases are shared).
"""
from __future__ import annotations

import numpy as np

from backprop_lab.core import load_example
from backprop_lab.core.tracing import build_trace


def _fresh(sim):
    """The next iteration's trace from a builder made just now (no cache)."""
    with np.errstate(all="ignore"):
        c = sim._compute(detail=True)
        return build_trace(sim.network, sim.settings, sim.iteration + 1, sim.next_batch(), c.targets, c,
                           sim.state, sim.iteration)


def _check(sim):
    assert sim.preview().records == _fresh(sim).records


def test_reused_builder_matches_a_fresh_one_after_every_kind_of_change():
    sim = load_example("mazur")
    _check(sim)
    sim.step()
    _check(sim)                                  # same structure, new numbers
    sim.set_bias(0, 1, 0.5)                      # biases of layer 1 no longer all equal: b1 -> b_h1 / b_h2
    assert "b_h2" in {name for r in sim.preview().records for name, _ in r.operands}
    _check(sim)
    sim.set_training(batch_size=1, learning_rate=0.3, l2=0.01)
    _check(sim)
    sim.add_neuron(1, seed=3)                    # a new hidden neuron: new names and sums
    _check(sim)
    sim.set_activation(1, "tanh")                # another activation's formulas
    _check(sim)
    assert sim.step_back()                       # undo the activation change
    _check(sim)


def test_reused_builder_with_batches_and_the_updated_weights_mistake():
    sim = load_example("moons")
    for _ in range(3):
        _check(sim)
        sim.step()
    sim.set_training(hidden_delta_weights="updated", batch_size=4)
    for _ in range(3):                           # the last batch of an epoch may be smaller: other suffixes
        _check(sim)
        sim.step()
