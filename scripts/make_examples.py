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
    net = Network([2, 3, 1], ["sigmoid", "sigmoid"])  # all parameters zero
    return Simulation(net, x, t, TrainingSettings(learning_rate=2.0, batch_size=4, update_biases=True),
                      name="The symmetry problem (all weights zero)",
                      notes="Every weight and bias starts at zero, so h1, h2 and h3 compute the same value, "
                            "get the same delta and the same update: they stay identical forever and the "
                            "network acts as if it had one hidden neuron. Re-initialise the weights randomly "
                            "(Network > Re-initialise) to break the symmetry.")


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
