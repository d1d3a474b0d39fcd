"""The update rule: one pure function from (parameters, optimizer state, gradient, settings) to new ones.

Every path — the fast run, the traced step, replay for step back, the
"updated weights" mistake — updates parameters through :func:`apply_update`.
It covers SGD (with momentum), Adam, the learning-rate schedule and the mask
of parameters that stay fixed (biases when ``update_biases`` is off).  The
regularisation terms are part of the loss (:mod:`.regularization`), so they
arrive here inside the gradient.  The formulas the trace shows for each rule
are written here too (:func:`update_records`, :func:`schedule_record`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .settings import TrainingSettings


@dataclass
class OptimizerState:
    """What the optimizer remembers between updates (arrays laid out like ``Network.theta``).

    ``velocity`` for SGD with momentum; ``m``, ``v`` and the update count
    ``t`` for Adam; all None (and t = 0) for plain SGD.
    """

    velocity: np.ndarray | None = None
    m: np.ndarray | None = None
    v: np.ndarray | None = None
    t: int = 0

    @classmethod
    def fresh(cls, settings: TrainingSettings, n: int) -> "OptimizerState":
        """The state of an optimizer that has not updated anything yet."""
        return cls().adapted(settings, n)

    def adapted(self, settings: TrainingSettings, n: int) -> "OptimizerState":
        """A copy that fits *settings*: arrays the rule keeps using are kept, others dropped or zeroed."""
        if settings.optimizer == "adam":
            keep = self.m is not None
            return OptimizerState(None, self.m.copy() if keep else np.zeros(n),
                                  self.v.copy() if keep else np.zeros(n), self.t if keep else 0)
        if settings.momentum != 0.0:
            return OptimizerState(self.velocity.copy() if self.velocity is not None else np.zeros(n))
        return OptimizerState()

    def assign(self, other: "OptimizerState") -> None:
        """Take *other*'s values, copying into this state's own arrays (never sharing a caller's buffer)."""
        for name in ("velocity", "m", "v"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if theirs is None:
                setattr(self, name, None)
            elif mine is not None and mine.shape == theirs.shape:
                mine[...] = theirs
            else:
                setattr(self, name, theirs.copy())
        self.t = other.t

    def copy(self) -> "OptimizerState":
        return OptimizerState(*(None if a is None else a.copy() for a in (self.velocity, self.m, self.v)), self.t)

    def as_dict(self) -> dict:
        """``{"velocity": …}`` (momentum), ``{"m": …, "v": …, "t": …}`` (Adam) or ``{}``; arrays are copies."""
        if self.m is not None:
            return {"m": self.m.copy(), "v": self.v.copy(), "t": self.t}
        if self.velocity is not None:
            return {"velocity": self.velocity.copy()}
        return {}

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.velocity, self.m, self.v) if a is not None)

    def same_as(self, other: "OptimizerState") -> bool:
        """Bit-for-bit equality (for tests and checks)."""
        def eq(a, b):
            return (a is None and b is None) or (a is not None and b is not None and a.tobytes() == b.tobytes())
        return eq(self.velocity, other.velocity) and eq(self.m, other.m) and eq(self.v, other.v) \
            and self.t == other.t


@dataclass(slots=True)
class Update:
    """The result of :func:`apply_update`, with every intermediate value the trace shows.

    Attributes
    ----------
    theta : ndarray
        The new parameters.
    state : OptimizerState
        The new optimizer state.
    grad : ndarray
        The gradient the rule used (fixed parameters' entries are 0).
    eta : float
        The learning rate of this update (after the schedule).
    m_hat, v_hat : ndarray or None
        Adam's bias-corrected moments.
    """

    theta: np.ndarray
    state: OptimizerState
    grad: np.ndarray
    eta: float
    m_hat: np.ndarray | None = None
    v_hat: np.ndarray | None = None


@dataclass
class UpdateBuffers:
    """Scratch arrays the fast path reuses (for large networks fresh arrays cost page faults)."""

    n: int
    theta: np.ndarray = field(init=False)
    velocity: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.theta = np.empty(self.n)
        self.velocity = np.empty(self.n)


def scheduled_rate(settings: TrainingSettings, updates_done: int) -> float:
    """η of the next update: η·rate^⌊t/every⌋ (step), η·rate^(t/every) (exponential), t = *updates_done*."""
    eta = float(settings.learning_rate)
    if settings.schedule == "step":
        return eta * settings.decay_rate ** (updates_done // settings.decay_every)
    if settings.schedule == "exponential":
        return eta * settings.decay_rate ** (updates_done / settings.decay_every)
    return eta


def apply_update(theta: np.ndarray, state: OptimizerState, grad: np.ndarray, settings: TrainingSettings, *,
                 updates_done: int, keep: np.ndarray | None = None,
                 out: UpdateBuffers | None = None) -> Update:
    """One update of all parameters; changes none of its inputs.

    Parameters
    ----------
    theta, state, grad
        Current parameters, optimizer state and the gradient of the loss.
    settings
        The rule and its hyper-parameters.
    updates_done : int
        Updates done before this one (the schedule's t).
    keep : ndarray, optional
        1.0 where a parameter may change, 0.0 where it stays fixed.
    out : UpdateBuffers, optional
        Scratch arrays for the new parameters and velocity (fast path); with
        them *grad* is scratch too and may be overwritten.
    """
    eta = settings.learning_rate if settings.schedule == "constant" else scheduled_rate(settings, updates_done)
    if keep is None:
        g = grad
    else:
        g = grad * keep if out is None else np.multiply(grad, keep, out=grad)
    if settings.optimizer == "adam":
        return _adam(theta, state, g, settings, eta, keep)
    new_state = state
    step = g
    if settings.momentum != 0.0:
        v_new = settings.momentum * state.velocity if out is None else \
            np.multiply(state.velocity, settings.momentum, out=out.velocity)
        v_new += g
        step = v_new if keep is None else v_new * keep
        new_state = OptimizerState(v_new)
    # θ − η·step in two operations, in this order on every path: the same bits everywhere.
    theta_new = step * eta if out is None else np.multiply(step, eta, out=out.theta)
    np.subtract(theta, theta_new, out=theta_new)
    return Update(theta_new, new_state, g, eta)


def _adam(theta, state, g, settings, eta, keep) -> Update:
    b1, b2 = settings.beta1, settings.beta2
    t = state.t + 1
    m = b1 * state.m + (1.0 - b1) * g
    v = b2 * state.v + (1.0 - b2) * (g * g)
    m_hat = m / (1.0 - b1 ** t)
    v_hat = v / (1.0 - b2 ** t)
    step = eta * m_hat / (np.sqrt(v_hat) + settings.epsilon)
    if keep is not None:
        step *= keep
    return Update(theta - step, OptimizerState(None, m, v, t), g, eta, m_hat, v_hat)


# -- what the trace shows ------------------------------------------------------------------------------
#: One record: (kind, target, expansion, template, operands, result, sets_parameter).
UpdateRecord = tuple[str, str, str, str, list, float, bool]


def schedule_record(settings: TrainingSettings, updates_done: int) -> tuple[str, str, str, list, float] | None:
    """``(target, expansion, template, operands, result)`` of the scheduled η, or None when it is constant."""
    if settings.schedule == "constant":
        return None
    ops = [("η", settings.learning_rate), ("rate", settings.decay_rate), ("t", updates_done),
           ("every", settings.decay_every)]
    if settings.schedule == "step":
        return "η_t", "η·rate^⌊t/every⌋", "{0}·{1}^⌊{2}/{3}⌋", ops, scheduled_rate(settings, updates_done)
    return "η_t", "η·rate^(t/every)", "{0}·{1}^({2}/{3})", ops, scheduled_rate(settings, updates_done)


def eta_symbol(settings: TrainingSettings) -> str:
    return "η" if settings.schedule == "constant" else "η_t"


def update_records(settings: TrainingSettings, state: OptimizerState, upd: Update, k: int, p: str,
                   old: float) -> list[UpdateRecord]:
    """The records of parameter *k* (named *p*, value *old* before the update)."""
    e = eta_symbol(settings)
    g_sym = f"∂E/∂{p}"
    g, new = upd.grad[k], upd.theta[k]
    if settings.optimizer == "adam":
        return _adam_records(settings, state, upd, k, p, old, e)
    if settings.momentum != 0.0:
        mu = settings.momentum
        v = upd.state.velocity[k]
        return [("velocity", f"v_{p}⁺", f"μ·v_{p} + {g_sym}", "{0}·{1} + {2}",
                 [("μ", mu), (f"v_{p}", state.velocity[k]), (g_sym, g)], v, False),
                ("update", f"{p}⁺", f"{p} − {e}·v_{p}⁺", "{0} − {1}·{2}",
                 [(p, old), (e, upd.eta), (f"v_{p}⁺", v)], new, True)]
    return [("update", f"{p}⁺", f"{p} − {e}·{g_sym}", "{0} − {1}·{2}", [(p, old), (e, upd.eta), (g_sym, g)],
             new, True)]


def _adam_records(settings, state, upd, k, p, old, e) -> list[UpdateRecord]:
    b1, b2, eps, t = settings.beta1, settings.beta2, settings.epsilon, upd.state.t
    g_sym = f"∂E/∂{p}"
    g = upd.grad[k]
    m, v = upd.state.m[k], upd.state.v[k]
    m_hat, v_hat = upd.m_hat[k], upd.v_hat[k]
    return [
        ("first_moment", f"m_{p}⁺", f"β1·m_{p} + (1 − β1)·{g_sym}", "{0}·{1} + (1 − {0})·{2}",
         [("β1", b1), (f"m_{p}", state.m[k]), (g_sym, g)], m, False),
        ("second_moment", f"v_{p}⁺", f"β2·v_{p} + (1 − β2)·({g_sym})²", "{0}·{1} + (1 − {0})·{2}²",
         [("β2", b2), (f"v_{p}", state.v[k]), (g_sym, g)], v, False),
        ("bias_correction", f"m̂_{p}", f"m_{p}⁺ / (1 − β1^t)", "{0} / (1 − {1}^{2})",
         [(f"m_{p}⁺", m), ("β1", b1), ("t", t)], m_hat, False),
        ("bias_correction", f"v̂_{p}", f"v_{p}⁺ / (1 − β2^t)", "{0} / (1 − {1}^{2})",
         [(f"v_{p}⁺", v), ("β2", b2), ("t", t)], v_hat, False),
        ("update", f"{p}⁺", f"{p} − {e}·m̂_{p} / (√v̂_{p} + ε)", "{0} − {1}·{2} / (√{3} + {4})",
         [(p, old), (e, upd.eta), (f"m̂_{p}", m_hat), (f"v̂_{p}", v_hat), ("ε", eps)], upd.theta[k], True),
    ]

