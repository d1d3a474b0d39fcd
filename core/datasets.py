"""Small 2-D datasets for examples and scripts; all randomness from a passed Generator."""
from __future__ import annotations

import numpy as np


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points and targets."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return x, np.array([[0.0], [1.0], [1.0], [0.0]])


def moons(n: int, rng: np.random.Generator, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles; targets −1 and +1 (for a tanh output)."""
    n1 = n // 2
    a = rng.uniform(0, np.pi, n1)
    b = rng.uniform(0, np.pi, n - n1)
    x = np.concatenate([np.c_[np.cos(a), np.sin(a)], np.c_[1 - np.cos(b), 0.5 - np.sin(b)]])
    x += rng.normal(0, noise, x.shape)
    t = np.concatenate([-np.ones(n1), np.ones(n - n1)])[:, None]
    order = rng.permutation(n)
    return x[order], t[order]


def blobs(n: int, rng: np.random.Generator, k: int = 3, spread: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """*k* Gaussian clusters on a circle; one-hot targets."""
    centers = np.c_[np.cos(2 * np.pi * np.arange(k) / k), np.sin(2 * np.pi * np.arange(k) / k)]
    labels = rng.integers(0, k, n)
    x = centers[labels] + rng.normal(0, spread, (n, 2))
    return x, np.eye(k)[labels]
