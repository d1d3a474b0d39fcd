"""Loss functions and the output delta of each (loss, output activation) pair, with their trace formulas.

The batch loss is the **mean over the samples** of the per-sample loss; the
per-sample loss of ``mse`` is ``Σ_k ½ (t_k − o_k)²`` (the worked example's
convention).  Each :class:`Loss` holds its vectorised per-output terms, their
plain-float form and the formula the trace shows.

How δ of the output layer is computed is a property of the (loss, output
activation) *pair*, decided in one place, :func:`output_delta_rule`:

* chain rule ``δ = ∂E/∂out · ∂out/∂net`` for an element-wise output (the
  worked example),
* the Jacobian–vector product ``δ_k = out_k·(∂E/∂out_k − Σ_m ∂E/∂out_m·out_m)``
  for softmax with a loss that is not its canonical partner,
* ``δ = out − t`` directly where the loss is the output's canonical partner
  (cross-entropy with softmax or sigmoid), which is exact and avoids 0/0.
"""
from __future__ import annotations

import math
from operator import mul, sub
from typing import Callable, ClassVar, NamedTuple

import numpy as np

from .activations import Activation
from .notation import elide, sum_template

Array = np.ndarray
ScalarTerms = Callable[[list, list, list], list]


class Loss:
    """A loss function (a stateless object).

    Attributes
    ----------
    name : str
        Identifier used in state files.
    description : str
        One line for people.
    allowed_output : tuple of str
        Output activations this loss accepts.
    canonical_output : tuple of str
        Output activations for which ``δ = out − t`` exactly (no chain rule).
    error_text, error_template : str
        ``∂E/∂out`` of one output, with ``{out}``/``{t}`` symbols resp. ``{0}``
        (out) and ``{1}`` (t) operands; only used where the chain goes through out.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    allowed_output: ClassVar[tuple[str, ...]]
    canonical_output: ClassVar[tuple[str, ...]] = ()
    error_text: ClassVar[str] = ""
    error_template: ClassVar[str] = ""

    def terms(self, net: Array, out: Array, target: Array, act: Activation) -> Array:
        """Each output's share of the per-sample loss, shape of *out* (the sample loss is their sum)."""
        raise NotImplementedError

    def scalar_terms(self, act: Activation) -> ScalarTerms | None:
        """``f(nets, outs, targets) -> terms`` on plain float lists, or None when there is no scalar form."""
        return None

    def error(self, out: Array, target: Array) -> Array:
        """``∂E_sample/∂out`` for each output."""
        raise NotImplementedError

    @staticmethod
    def scalar_error(out: float, target: float) -> float:
        raise NotImplementedError

    def term_formula(self, act: Activation) -> tuple[str, str]:
        """``(expansion, template)`` of one loss term, with ``{t}``/``{out}`` resp. ``{0}``/``{1}``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<loss {self.name}>"


class HalfSquaredError(Loss):
    name = "mse"
    description = "E = Σ_k ½(t_k − o_k)² per sample, mean over the batch"
    allowed_output = ("sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax")
    error_text, error_template = "{out} − {t}", "{0} − {1}"

    def terms(self, net: Array, out: Array, target: Array, act: Activation) -> Array:
        d = target - out
        return 0.5 * d * d

    def scalar_terms(self, act: Activation) -> ScalarTerms:
        return lambda z, o, t: [0.5 * (tk - ok) * (tk - ok) for tk, ok in zip(t, o)]

    def error(self, out: Array, target: Array) -> Array:
        return out - target

    @staticmethod
    def scalar_error(out: float, target: float) -> float:
        return out - target

    def term_formula(self, act: Activation) -> tuple[str, str]:
        return "½({t} − {out})²", "½({0} − {1})²"


def _softplus(z: Array) -> Array:
    # log(1 + e^z) without overflow: max(z, 0) + log1p(e^(−|z|)).
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _scalar_softplus(z: float) -> float:
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def _logsumexp(z: Array) -> Array:
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]


class CrossEntropy(Loss):
    """Categorical cross-entropy of a softmax output, binary cross-entropy of each sigmoid output.

    Both are computed from the logits (net inputs), so saturated outputs lose nothing.
    """

    name = "cross_entropy"
    description = "E = −Σ_k t_k log p_k (softmax) or binary cross-entropy per sigmoid output"
    allowed_output = ("softmax", "sigmoid")
    canonical_output = ("softmax", "sigmoid")

    def terms(self, net: Array, out: Array, target: Array, act: Activation) -> Array:
        if not act.elementwise:
            return -target * (net - _logsumexp(net)[..., None])
        # −t log o − (1−t) log(1−o) with o = σ(z) equals softplus(z) − t z.
        return _softplus(net) - target * net

    def scalar_terms(self, act: Activation) -> ScalarTerms | None:
        if not act.elementwise:
            return None
        return lambda z, o, t: [_scalar_softplus(zk) - tk * zk for zk, tk in zip(z, t)]

    def term_formula(self, act: Activation) -> tuple[str, str]:
        if not act.elementwise:
            return "−{t}·log {out}", "−{0}·log {1}"
        return "−{t}·log {out} − (1 − {t})·log(1 − {out})", "−{0}·log {1} − (1 − {0})·log(1 − {1})"


LOSSES: dict[str, Loss] = {loss.name: loss for loss in (HalfSquaredError(), CrossEntropy())}


def get_loss(name: str) -> Loss:
    """Return the loss called *name* or raise ``ValueError`` naming the choices."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; expected one of {sorted(LOSSES)}") from None


# -- the output delta of a (loss, output activation) pair -------------------------------------------
class OutputSymbols(NamedTuple):
    """Symbols of one output neuron of one sample, as the trace writes them."""

    out: str        # out_o1
    net: str        # net_o1
    target: str     # t_o1
    dE_dout: str    # ∂E/∂out_o1
    dout_dnet: str  # ∂out_o1/∂net_o1
    delta: str      # δ_o1


#: One record of the output layer: (neuron, kind, target, expansion, template, operands, result).
RecordSpec = tuple[int, str, str, str, str, list, float]


class OutputDelta:
    """How ``δ = ∂E_sample/∂net`` of the output layer is computed for one (loss, activation) pair."""

    def __init__(self, loss: Loss, act: Activation) -> None:
        self.loss, self.act = loss, act

    def compute(self, net: Array, out: Array, target: Array) -> tuple[Array | None, Array | None, Array]:
        """``(∂E/∂out or None, ∂out/∂net or None, δ)`` for a batch (rows are samples)."""
        raise NotImplementedError

    def scalar(self, z: list, o: list, t: list) -> tuple[list | None, list | None, list]:
        """The same for one sample as plain float lists."""
        raise NotImplementedError

    @property
    def has_scalar(self) -> bool:
        return self.act.elementwise

    def records(self, syms: list[OutputSymbols], net, out, target, error, fprime, delta) -> list[RecordSpec]:
        """The trace records of the output layer for one sample (arguments are that sample's rows)."""
        raise NotImplementedError


class ChainRule(OutputDelta):
    """``δ = ∂E/∂out · ∂out/∂net``, each factor shown (element-wise outputs)."""

    def __init__(self, loss: Loss, act: Activation) -> None:
        super().__init__(loss, act)
        self._error, self._fprime = loss.scalar_error, act.scalar_derivative

    def compute(self, net, out, target):
        err = self.loss.error(out, target)
        fp = self.act.derivative(net, out)
        return err, fp, err * fp

    def scalar(self, z, o, t):
        err = list(map(self._error, o, t))
        fp = list(map(self._fprime, z, o))
        return err, fp, list(map(mul, err, fp))

    def records(self, syms, net, out, target, error, fprime, delta):
        recs: list[RecordSpec] = []
        for j, s in enumerate(syms):
            recs.append((j, "output_error", s.dE_dout, self.loss.error_text.format(out=s.out, t=s.target),
                         self.loss.error_template, [(s.out, out[j]), (s.target, target[j])], error[j]))
            expansion, template, ops = self.act.derivative_record(s.out, s.net, out[j], net[j])
            recs.append((j, "local_derivative", s.dout_dnet, expansion, template, ops, fprime[j]))
            recs.append((j, "output_delta", s.delta, f"{s.dE_dout} · {s.dout_dnet}", "{0} · {1}",
                         [(s.dE_dout, error[j]), (s.dout_dnet, fprime[j])], delta[j]))
        return recs


class JacobianProduct(OutputDelta):
    """Softmax with a non-canonical loss: ``δ_k = out_k·(∂E/∂out_k − Σ_m ∂E/∂out_m·out_m)``.

    This is ``Jᵀ·∂E/∂out`` with the softmax Jacobian ``J = diag(out) − out outᵀ``.
    """

    @property
    def has_scalar(self) -> bool:
        return False

    def compute(self, net, out, target):
        g = self.loss.error(out, target)
        return g, None, out * (g - (g * out).sum(axis=-1, keepdims=True))

    def records(self, syms, net, out, target, error, fprime, delta):
        recs: list[RecordSpec] = []
        for j, s in enumerate(syms):
            recs.append((j, "output_error", s.dE_dout, self.loss.error_text.format(out=s.out, t=s.target),
                         self.loss.error_template, [(s.out, out[j]), (s.target, target[j])], error[j]))
        n = len(syms)
        inner, shown = sum_template(n, start=2)
        dot_sym = " + ".join(elide([f"{syms[m].dE_dout}·{syms[m].out}" for m in shown], n))
        for j, s in enumerate(syms):
            ops = [(s.out, out[j]), (s.dE_dout, error[j])]
            for m in shown:
                ops += [(syms[m].dE_dout, error[m]), (syms[m].out, out[m])]
            recs.append((j, "output_delta", s.delta, f"{s.out}·({s.dE_dout} − ({dot_sym}))",
                         f"{{0}}·({{1}} − ({inner}))", ops, delta[j]))
        return recs


class Direct(OutputDelta):
    """``δ = out − t``: the loss is the output activation's canonical partner."""

    def compute(self, net, out, target):
        return None, None, out - target

    def scalar(self, z, o, t):
        return None, None, list(map(sub, o, t))

    def records(self, syms, net, out, target, error, fprime, delta):
        return [(j, "output_delta", s.delta, f"{s.out} − {s.target}", "{0} − {1}",
                 [(s.out, out[j]), (s.target, target[j])], delta[j]) for j, s in enumerate(syms)]


def output_delta_rule(loss: Loss, act: Activation) -> OutputDelta:
    """The one place that decides how the output delta of (*loss*, *act*) is computed."""
    if act.name in loss.canonical_output:
        return Direct(loss, act)
    if act.elementwise:
        return ChainRule(loss, act)
    return JacobianProduct(loss, act)
