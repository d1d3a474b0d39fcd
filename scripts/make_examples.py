"""Regenerate resources/examples/*.json (deterministic: every draw is seeded).

Run from the repository root:  python scripts/make_examples.py
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from backprop_lab.core import Network, Simulation, TrainingSettings, initialize
from backprop_lab.core.datasets import blobs, moons, xor
from backprop_lab.core.statefile import dumps

OUT = Path(__file__).resolve().parent.parent / "resources" / "examples"


def mazur() -> Simulation:
    net = Network([2, 2, 2], ["sigmoid", "sigmoid"])
    net.weights[0][:] = [[0.15, 0.20], [0.25, 0.30]]
    net.weights[1][:] = [[0.40, 0.45], [0.50, 0.55]]
    net.biases[0][:] = 0.35
    net.biases[1][:] = 0.60
    return Simulation(net, [[0.05, 0.10]], [[0.01, 0.99]],
                      TrainingSettings(learning_rate=0.5, batch_size=1, update_biases=False),
                      name="Worked example (Mazur, 2-2-2 sigmoid)",
                      notes="Matt Mazur's 'A Step by Step Backpropagation Example': inputs 0.05 and 0.10, "
                            "targets 0.01 and 0.99, biases b1 = 0.35 and b2 = 0.60 fixed, learning rate 0.5. "
                            "Press F11 to step into the first iteration one computation at a time.")


def xor_example() -> Simulation:
    x, t = xor()
    net = Network([2, 3, 1], ["sigmoid", "sigmoid"])
    net.theta[:] = initialize(net, "uniform", np.random.default_rng(1), scale=1.0, biases="same")
    return Simulation(net, x, t, TrainingSettings(learning_rate=2.0, batch_size=4, update_biases=True, seed=1),
                      name="XOR (2-3-1 sigmoid)",
                      notes="XOR is not linearly separable: the hidden layer has to learn features. "
                            "Full-batch gradient descent from seeded random weights; run ~2000 epochs (F5).")


def symmetry() -> Simulation:
    x, t = xor()
    # Equal, non-zero starting weights: the gradient is not zero, so the hidden neurons visibly move,
    # but each gets the same delta and the same update, so they stay identical (all zeros would teach
    # nothing: every gradient would be exactly 0 and nothing would move at all).
    net = Network([2, 3, 1], ["sigmoid", "sigmoid"])
    net.weights[0][:] = [[0.5, -0.3]] * 3
    net.biases[0][:] = 0.1
    net.weights[1][:] = 0.4
    net.biases[1][:] = 0.0
    return Simulation(net, x, t, TrainingSettings(learning_rate=2.0, batch_size=4, update_biases=True),
                      name="The symmetry problem (equal starting weights)",
                      notes="h1, h2 and h3 start with the same weights in (0.5 from i1, −0.3 from i2), the same "
                            "bias and the same weight out. They compute the same value, get the same delta and "
                            "the same update: run it (F5) and watch them change together, marked ≡, while the "
                            "loss sticks near 0.125 — the network acts as if it had one hidden neuron and cannot "
                            "learn XOR. Then re-initialise randomly (Ctrl+I) and run again: the neurons separate "
                            "and the loss falls.")


def moons_example() -> Simulation:
    rng = np.random.default_rng(7)
    x, t = moons(300, rng, noise=0.12)
    net = Network([2, 8, 8, 1], ["tanh", "tanh", "tanh"])
    net.theta[:] = initialize(net, "xavier", np.random.default_rng(3))
    return Simulation(net, x, t, TrainingSettings(learning_rate=0.05, batch_size=10, momentum=0.0,
                                                  update_biases=True, shuffle=True, seed=3),
                      name="Two moons (2-8-8-1 tanh)",
                      notes="300 noisy points in two interleaved half circles, targets −1 and +1. "
                            "Mini-batches of 10, reshuffled every epoch (30 iterations per epoch).")


def blobs_example() -> Simulation:
    rng = np.random.default_rng(11)
    x, t = blobs(150, rng)
    net = Network([2, 6, 3], ["tanh", "softmax"])
    net.theta[:] = initialize(net, "xavier", np.random.default_rng(5))
    return Simulation(net, x, t, TrainingSettings(loss="cross_entropy", learning_rate=0.1, batch_size=15,
                                                  momentum=0.9, update_biases=True, shuffle=True, seed=5),
                      name="Three classes (2-6-3 softmax, cross-entropy)",
                      notes="150 points in three clusters, one-hot targets, softmax output with "
                            "cross-entropy loss and momentum 0.9.")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in [("mazur", mazur), ("xor", xor_example), ("symmetry", symmetry),
                       ("moons", moons_example), ("blobs", blobs_example)]:
        (OUT / f"{name}.json").write_text(dumps(make().to_dict()), encoding="utf-8")
        print("wrote", OUT / f"{name}.json")


if __name__ == "__main__":
    main()
