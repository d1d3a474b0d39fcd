"""Activation functions: each one object holding its forward, derivative, scalar forms and trace formulas.

As micrograd keeps each operation's forward and backward side by side, every
activation here holds, in one place:

* ``forward(net)`` and ``derivative(net, out)`` on numpy arrays (float64),
* ``scalar(z)`` and ``scalar_derivative(z, out)`` on plain floats (the kernel
  for tiny networks uses them; ``None`` for softmax),
* the formulas the trace shows: ``formula`` (``out`` from ``net``) and the
  local derivative's text, template and the operand it is computed from.

No formula or constant of an activation appears anywhere else.  Overflow is
handled by the caller's ``np.errstate``: extreme inputs saturate, never warn.
"""
from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

Array = np.ndarray

#: Slope of leaky ReLU for negative inputs.
LEAKY_SLOPE = 0.01


class Activation:
    """One activation function (a stateless object; see the module docstring).

    Attributes
    ----------
    name : str
        Identifier used in state files (``"sigmoid"``, ``"tanh"``, ...).
    symbol : str
        Function symbol shown in equations (``σ``, ``tanh``, ...).
    formula : str
        How ``out`` is computed, with ``{0}`` where the net input goes.
    derivative_text : str
        The local derivative with ``{out}`` / ``{net}`` for the neuron's symbols.
    derivative_template : str
        The same with ``{0}`` where the value of :attr:`derivative_operand` goes.
    derivative_operand : {"out", "net", None}
        What the local derivative is computed from (None: a constant).
    """

    name: ClassVar[str]
    symbol: ClassVar[str]
    formula: ClassVar[str]
    derivative_text: ClassVar[str]
    derivative_template: ClassVar[str]
    derivative_operand: ClassVar[str | None]
    #: False for softmax, whose Jacobian is not diagonal.
    elementwise: ClassVar[bool] = True

    def forward(self, z: Array) -> Array:
        """``out = f(net)``, element-wise."""
        raise NotImplementedError

    def derivative(self, z: Array, out: Array) -> Array:
        """``∂out/∂net`` from ``net`` and ``out`` (whichever is exact and cheaper)."""
        raise NotImplementedError

    @staticmethod
    def scalar(z: float) -> float:
        """``f(z)`` for one plain float."""
        raise NotImplementedError

    @staticmethod
    def scalar_derivative(z: float, out: float) -> float:
        """``f′`` for one plain float, from ``z`` and ``out = f(z)``."""
        raise NotImplementedError

    def output_formula(self, j: int, n: int) -> tuple[str, list[int]]:
        """Template of neuron *j*'s output in a layer of *n*, and which nets are its operands."""
        return self.formula, [j]

    def derivative_record(self, out_sym: str, net_sym: str, out: float,
                          net: float) -> tuple[str, str, list[tuple[str, float]]]:
        """``(expansion, template, operands)`` of the local derivative record."""
        expansion = self.derivative_text.format(out=out_sym, net=net_sym)
        return expansion, self.derivative_template, list(self.derivative_operands(out_sym, net_sym, out, net))

    def derivative_operands(self, out_sym: str, net_sym: str, out: float,
                            net: float) -> tuple[tuple[str, float], ...]:
        """The local derivative record's operands: the output, the net input, or none (its formula reads one)."""
        if self.derivative_operand == "out":
            return ((out_sym, out),)
        if self.derivative_operand == "net":
            return ((net_sym, net),)
        return ()

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


class Sigmoid(Activation):
    name, symbol = "sigmoid", "σ"
    formula = "1/(1+e^(−{0}))"
    derivative_text, derivative_template, derivative_operand = "{out}·(1 − {out})", "{0}·(1 − {0})", "out"

    def forward(self, z: Array) -> Array:
        # Accurate to an ulp for every finite z once e^(−z) may overflow to inf (giving exactly 0).
        return 1.0 / (1.0 + np.exp(-z))

    def derivative(self, z: Array, out: Array) -> Array:
        return out * (1.0 - out)

    @staticmethod
    def scalar(z: float) -> float:
        if z >= 0.0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)  # math.exp(−z) would raise OverflowError for z < −709
        return e / (1.0 + e)

    @staticmethod
    def scalar_derivative(z: float, out: float) -> float:
        return out * (1.0 - out)


class Tanh(Activation):
    name, symbol = "tanh", "tanh"
    formula = "tanh({0})"
    derivative_text, derivative_template, derivative_operand = "1 − {out}²", "1 − {0}²", "out"

    def forward(self, z: Array) -> Array:
        return np.tanh(z)

    def derivative(self, z: Array, out: Array) -> Array:
        return 1.0 - out * out

    @staticmethod
    def scalar(z: float) -> float:
        return math.tanh(z)

    @staticmethod
    def scalar_derivative(z: float, out: float) -> float:
        return 1.0 - out * out


class ReLU(Activation):
    name, symbol = "relu", "ReLU"
    formula = "max(0, {0})"
    # The derivative at exactly 0 is taken as 0 (the usual subgradient choice).
    derivative_text, derivative_template, derivative_operand = ("1 if {net} > 0 else 0", "1 if {0} > 0 else 0",
                                                                "net")

    def forward(self, z: Array) -> Array:
        return np.maximum(z, 0.0)

    def derivative(self, z: Array, out: Array) -> Array:
        return (z > 0.0).astype(np.float64)

    @staticmethod
    def scalar(z: float) -> float:
        return z if z > 0.0 else 0.0

    @staticmethod
    def scalar_derivative(z: float, out: float) -> float:
        return 1.0 if z > 0.0 else 0.0


class LeakyReLU(Activation):
    name, symbol = "leaky_relu", "LeakyReLU"
    formula = f"max({LEAKY_SLOPE}·{{0}}, {{0}})"
    derivative_text = f"1 if {{net}} > 0 else {LEAKY_SLOPE}"
    derivative_template, derivative_operand = f"1 if {{0}} > 0 else {LEAKY_SLOPE}", "net"

    def forward(self, z: Array) -> Array:
        return np.where(z > 0.0, z, LEAKY_SLOPE * z)

    def derivative(self, z: Array, out: Array) -> Array:
        return np.where(z > 0.0, 1.0, LEAKY_SLOPE)

    @staticmethod
    def scalar(z: float) -> float:
        return z if z > 0.0 else LEAKY_SLOPE * z

    @staticmethod
    def scalar_derivative(z: float, out: float) -> float:
        return 1.0 if z > 0.0 else LEAKY_SLOPE


class Linear(Activation):
    name, symbol = "linear", "id"
    formula = "{0}"
    derivative_text, derivative_template, derivative_operand = "1", "1", None

    def forward(self, z: Array) -> Array:
        return z

    def derivative(self, z: Array, out: Array) -> Array:
        return np.ones_like(z)

    @staticmethod
    def scalar(z: float) -> float:
        return z

    @staticmethod
    def scalar_derivative(z: float, out: float) -> float:
        return 1.0


class Softmax(Activation):
    """Row-wise softmax; only allowed on the output layer.

    Its Jacobian ``diag(p) − p pᵀ`` is not diagonal, so it has no element-wise
    derivative: the output delta is chosen for the (loss, softmax) pair in
    :func:`backprop_lab.core.losses.output_delta_rule`.
    """

    name, symbol = "softmax", "softmax"
    formula = "e^({0}) / Σ e^(net)"
    derivative_text, derivative_template, derivative_operand = "softmax Jacobian", "", None
    elementwise = False

    def forward(self, z: Array) -> Array:
        # Shifting by the row maximum keeps exp() finite.
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def output_formula(self, j: int, n: int) -> tuple[str, list[int]]:
        den = " + ".join(f"e^({{{k}}})" for k in range(n))
        return f"e^({{{j}}}) / ({den})", list(range(n))


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (Sigmoid(), Tanh(), ReLU(), LeakyReLU(), Linear(),
                                                            Softmax())}


def get_activation(name: str) -> Activation:
    """Return the activation called *name* or raise ``ValueError`` naming the choices."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}") from None
