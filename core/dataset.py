"""The data a simulation trains on: training inputs and targets, and an optional test set (immutable)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ConfigError


def _matrix(values: Any, what: str) -> np.ndarray:
    try:
        a = np.array(values, dtype=np.float64, ndmin=2)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a table of numbers") from None
    if a.ndim != 2:
        raise ConfigError(f"{what} must be a 2-D table of numbers, got {a.ndim} dimensions")
    if not np.isfinite(a).all():
        raise ConfigError(f"{what} contain NaN or infinite values")
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Dataset:
    """Training (and optional test) samples; arrays are float64 and read-only.

    Build it with :meth:`build`, which checks the shapes against the network.
    """

    inputs: np.ndarray
    targets: np.ndarray
    test_inputs: np.ndarray | None = None
    test_targets: np.ndarray | None = None

    @classmethod
    def build(cls, n_in: int, n_out: int, inputs: Any, targets: Any, test_inputs: Any = None,
              test_targets: Any = None) -> "Dataset":
        """Check and freeze the data for a network with *n_in* inputs and *n_out* outputs.

        Raises :class:`ConfigError` naming the array and the expected shape.
        """
        x, t = _matrix(inputs, "inputs"), _matrix(targets, "targets")
        _check_pair(x, t, n_in, n_out, "")
        if (test_inputs is None) != (test_targets is None):
            raise ConfigError("test inputs and test targets must be given together")
        if test_inputs is None:
            return cls(x, t)
        tx, tt = _matrix(test_inputs, "test inputs"), _matrix(test_targets, "test targets")
        _check_pair(tx, tt, n_in, n_out, "test ")
        return cls(x, t, tx, tt)

    @property
    def n_samples(self) -> int:
        return self.inputs.shape[0]

    @property
    def has_test(self) -> bool:
        return self.test_inputs is not None


def _check_pair(x: np.ndarray, t: np.ndarray, n_in: int, n_out: int, what: str) -> None:
    if x.shape[0] < 1 or x.shape != (x.shape[0], n_in):
        raise ConfigError(f"{what}inputs must have shape (N, {n_in}) with N ≥ 1, got {x.shape}")
    if t.shape != (x.shape[0], n_out):
        raise ConfigError(f"{what}targets must have shape ({x.shape[0]}, {n_out}), got {t.shape}")
