"""Activation functions: forward value and local derivative side by side.

Each activation knows how to compute ``out = f(net)`` for a numpy array and its
local derivative ``∂out/∂net`` from ``net`` and ``out`` (whichever is cheaper
and exact), plus the text used by the equations panel.  All arithmetic is
float64; overflow is handled by the caller's ``np.errstate`` so that extreme
inputs saturate instead of warning.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Array = np.ndarray


def _sigmoid(z: Array) -> Array:
    # 1/(1+e^(-z)) is accurate to an ulp for every finite z once the overflow of
    # e^(-z) for z < -709 is allowed to saturate to inf (giving exactly 0).
    return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_d(z: Array, out: Array) -> Array:
    return out * (1.0 - out)


def _tanh_d(z: Array, out: Array) -> Array:
    return 1.0 - out * out


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _relu_d(z: Array, out: Array) -> Array:
    # The derivative at exactly 0 is taken as 0 (the usual subgradient choice).
    return (z > 0.0).astype(np.float64)


LEAKY_SLOPE = 0.01


def _leaky(z: Array) -> Array:
    return np.where(z > 0.0, z, LEAKY_SLOPE * z)


def _leaky_d(z: Array, out: Array) -> Array:
    return np.where(z > 0.0, 1.0, LEAKY_SLOPE)


def _linear(z: Array) -> Array:
    return z


def _linear_d(z: Array, out: Array) -> Array:
    return np.ones_like(z)


def _softmax(z: Array) -> Array:
    # Row-wise over the last axis; shifting by the max keeps exp() finite.
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class Activation:
    """One activation function.

    Attributes
    ----------
    name : str
        Identifier used in state files (``"sigmoid"``, ``"tanh"``, ...).
    symbol : str
        Function symbol shown in equations (``σ``, ``tanh``, ...).
    forward : callable
        ``forward(net) -> out``, element-wise (row-wise for softmax).
    derivative : callable or None
        ``derivative(net, out) -> ∂out/∂net`` element-wise; ``None`` for softmax,
        whose Jacobian is not diagonal (handled by the loss).
    formula : str
        How ``out`` is computed, with ``{net}`` where the net input goes.
    derivative_formula : str
        The local derivative in terms of ``out``/``net``, e.g. ``out(1 − out)``.
    """

    name: str
    symbol: str
    forward: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array] | None
    formula: str
    derivative_formula: str

    @property
    def elementwise(self) -> bool:
        return self.derivative is not None


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", "σ", _sigmoid, _sigmoid_d, "1/(1+e^(−{net}))", "out(1 − out)"),
        Activation("tanh", "tanh", np.tanh, _tanh_d, "tanh({net})", "1 − out²"),
        Activation("relu", "ReLU", _relu, _relu_d, "max(0, {net})", "1 if net > 0 else 0"),
        Activation("leaky_relu", "LeakyReLU", _leaky, _leaky_d, "max(0.01·{net}, {net})",
                   "1 if net > 0 else 0.01"),
        Activation("linear", "id", _linear, _linear_d, "{net}", "1"),
        Activation("softmax", "softmax", _softmax, None, "e^({net}) / Σ e^(net)", "softmax Jacobian"),
    )
}


def get_activation(name: str) -> Activation:
    """Return the activation called *name* or raise ``ValueError`` naming the choices."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}") from None
