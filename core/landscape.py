"""The loss as a function of one or two parameters, with the engine's tangent and next step.

**Which loss.** :func:`loss_along` and :func:`tangent` use the loss of the *next
iteration's batch* (``data="batch"``): the samples ``sim.next_batch()`` names (or the
pending iteration's batch), mean loss over them, exactly the ``E`` whose gradient
``∂E/∂w`` the engine's trace records.  So the tangent's slope is the trace's own
gradient record and the curve really touches the tangent.  ``data="train"`` gives
the training-set loss (what :meth:`Simulation.loss` returns); the two agree for
full-batch training.  :func:`loss_surface` defaults to the training-set loss: it
does not jump from batch to batch during mini-batch runs, so the path drawn over
it reads as a descent.

**Which point.** The base point is the parameters the next iteration starts from:
the current parameters, or — while an iteration is being stepped into — the
parameters from before it (read back from its update records), because that is
where its gradient was computed.  Every other parameter stays fixed at the base.

Nothing here changes the simulation: losses are evaluated on a copy of the network,
the trace comes from ``sim.pending`` or the read-only ``sim.preview()``.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .errors import ConfigError
from .kernel import run_pass
from .losses import get_loss, output_delta_rule
from .network import Element, Network
from .regularization import Regularizer
from .trace import Trace


def param_index(network: Network, element: Element) -> int:
    """Position of a weight or bias *element* in ``network.theta``; ConfigError for anything else."""
    if not isinstance(element, Element) or element.kind not in ("weight", "bias"):
        raise ConfigError(f"a loss landscape needs a weight or a bias, got {element!r}")
    if element.kind == "weight":
        return network.weight_index(element.layer, element.j, element.i)
    return network.bias_index(element.layer, element.j)


def base_theta(sim) -> np.ndarray:
    """A copy of the parameters the next (or pending) iteration starts from."""
    theta = sim.network.theta.copy()
    pend = sim.pending
    if pend is not None:
        for r in pend.records:
            if r.kind == "update":
                theta[r.param_index] = r.old_value
    return theta


def _dataset(sim, data: str) -> tuple[np.ndarray, np.ndarray]:
    if data == "batch":
        pend = sim.pending
        idx = np.asarray(pend.batch if pend is not None else sim.next_batch())
        return sim.inputs[idx], sim.targets[idx]
    if data == "train":
        return sim.inputs, sim.targets
    if data == "test":
        x, t = getattr(sim, "test_inputs", None), getattr(sim, "test_targets", None)
        if x is None or t is None or len(x) == 0:
            raise ConfigError("this simulation has no test set")
        return np.asarray(x), np.asarray(t)
    raise ConfigError(f"data must be 'batch', 'train' or 'test', got {data!r}")


#: Stacked rows per matrix product (the same reason and value as ``insight.CHUNK_ROWS``).
CHUNK_ROWS = 4096


class _Evaluator:
    """E at many settings of a few parameters, all others fixed at *theta*.

    The forward pass up to the first layer one of the parameters feeds is computed
    once.  From there, all settings run together, stacked along a leading axis: each
    layer computes ``z = a @ W.T + b`` with the base parameters and then adds, per
    setting, ``(v − w)·a_i`` to the column a changed weight feeds (``v − b`` for a
    bias).  At the base values the correction is exactly zero, so E0 is the engine's
    own forward pass; elsewhere the result equals a direct computation to rounding.
    Settings are processed in chunks that keep the stacked activations small.
    """

    CHUNK_FLOATS = 2_000_000

    def __init__(self, sim, theta: np.ndarray, ks: Sequence[int], data: str) -> None:
        self.net = sim.network.copy()
        self.net.theta[:] = theta
        self.loss = get_loss(sim.settings.loss)
        self.x, self.t = _dataset(sim, data)
        self.ks = list(ks)
        self.els = [self.net.element_of_index(k) for k in self.ks]
        self.base = np.array([theta[k] for k in self.ks])
        self.first = min(e.layer for e in self.els)
        # The trace's E includes the L2/L1 penalty, so the curve must too (or the tangent would not touch it).
        reg = Regularizer(sim.settings, sim.network.weight_mask())
        self.reg = reg if reg.active else None
        self.penalty0 = reg.penalty(theta) if reg.active else 0.0
        self.is_weight = np.array([e.kind == "weight" for e in self.els], dtype=np.float64)
        with np.errstate(all="ignore"):
            _, outs = self.net.forward_pass(self.x) if self.first > 0 else (None, [self.x])
        self.a0 = outs[self.first]

    def many(self, values: np.ndarray) -> np.ndarray:
        """Losses for each row of *values* ``(m, len(ks))``."""
        values = np.atleast_2d(np.asarray(values, dtype=np.float64))
        B = self.x.shape[0]
        widest = max(self.net.sizes[self.first:])
        # Blocks of about CHUNK_ROWS stacked rows keep the products below OpenBLAS's threading
        # threshold (see insight.CHUNK_ROWS) and the stacked activations small.
        step = max(1, min(self.CHUNK_FLOATS // max(1, B * widest), CHUNK_ROWS // max(1, B)))
        return np.concatenate([self._chunk(values[c:c + step]) for c in range(0, len(values), step)])

    def _chunk(self, values: np.ndarray) -> np.ndarray:
        net = self.net
        delta = values - self.base  # (m, k)
        a = self.a0  # (B, n) shared until the first changed layer, then (m, B, n)
        with np.errstate(all="ignore"):
            for l in range(self.first, net.n_layers):
                if a.ndim == 2:
                    z = a @ net.weights[l].T + net.biases[l]
                    z = np.broadcast_to(z, (len(values),) + z.shape).copy()
                else:  # one 2-D product: numpy's stacked matmul is slow for narrow layers
                    z = (a.reshape(-1, a.shape[-1]) @ net.weights[l].T + net.biases[l]).reshape(a.shape[:-1] + (-1,))
                for c, e in enumerate(self.els):
                    if e.layer != l:
                        continue
                    d = delta[:, c][:, None]
                    z[:, :, e.j] += d * (a[..., e.i] if e.kind == "weight" else 1.0)
                a = net.activations[l].forward(z)
            terms = self.loss.terms(z, a, self.t, net.activations[-1])
            e = terms.sum(axis=-1).sum(axis=-1) / self.t.shape[0]
        if self.reg is not None:
            w0, w1 = self.base * self.is_weight, values * self.is_weight
            e = e + self.penalty0 + (0.5 * self.reg.l2 * (w1 * w1 - w0 * w0)
                                     + self.reg.l1 * (np.abs(w1) - np.abs(w0))).sum(axis=1)
        return e

    def __call__(self, values: Sequence[float]) -> float:
        return float(self.many(np.asarray(values, dtype=np.float64)[None, :])[0])


def _values(center: float, span: float, n: int) -> np.ndarray:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ConfigError(f"n must be a whole number ≥ 2, got {n!r}")
    if not (isinstance(span, (int, float, np.floating)) and math.isfinite(span) and span > 0):
        raise ConfigError(f"span must be a positive finite number, got {span!r}")
    return center + np.linspace(-float(span), float(span), int(n))


def loss_along(sim, element: Element, span: float = 1.0, n: int = 101, *, data: str = "batch",
               bounds: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """E(w) for w over ``w0 ± span`` (or *bounds* ``(lo, hi)``), n points, every other parameter fixed.

    Returns ``(values, losses)``.  See the module docstring for which E and which w0.
    """
    theta = base_theta(sim)
    k = param_index(sim.network, element)
    if bounds is None:
        values = _values(theta[k], span, n)
    else:
        lo, hi = (float(b) for b in bounds)
        values = _values(0.5 * (lo + hi), 0.5 * (hi - lo), n)
    return values, _Evaluator(sim, theta, [k], data).many(values[:, None])


#: Traces up to this many estimated computations are built for a tangent (as the GUI's own limit).
MAX_TRACE = 20_000


def traceable(sim) -> bool:
    """Whether a full trace of the next iteration is small enough to build quickly."""
    B = min(sim.settings.batch_size, sim.n_samples)
    return B * sum(sim.network.sizes[1:]) * 5 + 2 * sim.network.n_params <= MAX_TRACE


def _usable_trace(sim, element: Element, trace: Trace | None, preview: bool) -> Trace | None:
    """The trace whose numbers belong at the base point: the pending one, *trace* if it is the
    next iteration's (e.g. the controller's preview), else ``sim.preview()`` when allowed and small."""
    if sim.pending is not None:
        return sim.pending
    if trace is not None and trace.iteration == sim.iteration + 1:
        k = param_index(sim.network, element)
        ups = [r for r in trace.records if r.kind == "update" and r.param_index == k]
        if not ups or ups[0].old_value == sim.network.theta[k]:
            return trace
    if preview and traceable(sim):
        return sim.preview()
    return None


def tangent(sim, element: Element, *, trace: Trace | None = None,
            preview: bool = True) -> tuple[float, float, float]:
    """``(w0, E0, slope)``: the base point on :func:`loss_along`'s curve and the engine's ∂E/∂w there.

    The slope is the ``gradient`` record of *element* in the next iteration's trace:
    *trace* when it is that trace (e.g. the controller's preview), else
    ``sim.pending`` or ``sim.preview()``.  With ``preview=False`` (live views during
    fast runs) or a network too large to trace, it is the same quantity from the
    engine's vectorised kernel (:func:`kernel.run_pass`) on the same batch.  E0 is
    the batch loss at w0.
    """
    theta = base_theta(sim)
    k = param_index(sim.network, element)
    tr = _usable_trace(sim, element, trace, preview)
    if tr is not None:
        # With L2/L1 the full ∂E/∂w is the "regularization" record that follows the data gradient.
        grads = [r for r in tr.records if r.kind in ("gradient", "regularization") and r.element == element]
        if not grads:
            raise ConfigError(f"the trace has no gradient of {sim.network.element_name(element)}")
        slope = float(grads[-1].result)
    else:
        net = sim.network.copy()
        net.theta[:] = theta
        x, t = _dataset(sim, "batch")
        with np.errstate(all="ignore"):
            loss = get_loss(sim.settings.loss)
            slope = float(run_pass(net, loss, output_delta_rule(loss, net.activations[-1]), x, t).grad[k])
            if sim.settings.l2 or sim.settings.l1:
                slope += float(Regularizer(sim.settings, net.weight_mask()).gradient(net.theta)[k])
    e0 = _Evaluator(sim, theta, [k], "batch")([theta[k]])
    return float(theta[k]), e0, slope


def next_point(sim, element: Element, *, trace: Trace | None = None,
               preview: bool = True) -> tuple[float, float] | None:
    """``(w1, E1)``: where the next update moves *element* and the batch loss there.

    *w1* is the result of the element's ``update`` record in the next iteration's
    trace (chosen as in :func:`tangent`), so momentum and whatever the optimizer
    does are included; E1 keeps every other parameter at the base.  A parameter the
    update leaves alone (a bias with ``update_biases`` off) gives ``w1 = w0``.
    None when no trace is at hand (``preview=False`` or a network too large to trace).
    """
    tr = _usable_trace(sim, element, trace, preview)
    if tr is None:
        return None
    theta = base_theta(sim)
    k = param_index(sim.network, element)
    ups = [r for r in tr.records if r.kind == "update" and r.param_index == k]
    w1 = float(ups[0].result) if ups else float(theta[k])
    return w1, _Evaluator(sim, theta, [k], "batch")([w1])


def auto_span(w0: float, w1: float, minimum: float = 1.0) -> float:
    """A half-width for :func:`loss_along` that shows the step: at least *minimum*, else 2.5 steps."""
    step = abs(w1 - w0)
    return max(minimum, 2.5 * step) if math.isfinite(step) else minimum


def loss_surface(sim, e1: Element, e2: Element, span: float | tuple[float, float] = 1.0, n: int = 41, *,
                 data: str = "train", ranges: tuple[tuple[float, float], tuple[float, float]] | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """E over a grid of two parameters, all others fixed at the base point.

    Returns ``(grid1 (n,), grid2 (n,), losses (n, n))`` with
    ``losses[r, c] = E(e1 = grid1[c], e2 = grid2[r])`` (rows follow *e2*, as an
    image whose y axis is *e2*).  The grid spans ``base ± span`` (one span, or one
    per parameter) unless *ranges* gives ``((lo1, hi1), (lo2, hi2))``.
    """
    theta = base_theta(sim)
    k1, k2 = param_index(sim.network, e1), param_index(sim.network, e2)
    if k1 == k2:
        raise ConfigError("a loss surface needs two different parameters")
    if ranges is not None:
        (a1, b1), (a2, b2) = ranges
        g1 = _values(0.5 * (a1 + b1), 0.5 * (b1 - a1), n)
        g2 = _values(0.5 * (a2 + b2), 0.5 * (b2 - a2), n)
    else:
        s1, s2 = (span, span) if np.isscalar(span) else span
        g1, g2 = _values(theta[k1], s1, n), _values(theta[k2], s2, n)
    v1, v2 = np.meshgrid(g1, g2)
    losses = _Evaluator(sim, theta, [k1, k2], data).many(np.column_stack([v1.ravel(), v2.ravel()]))
    return g1, g2, losses.reshape(len(g2), len(g1))


def path_through(thetas, e1: Element, e2: Element, *, network: Network) -> tuple[np.ndarray, np.ndarray]:
    """The values two parameters took along a list of parameter vectors (e.g. one per iteration).

    Returns ``(p1, p2)``, one entry per vector, in order.
    """
    k1, k2 = param_index(network, e1), param_index(network, e2)
    if len(thetas) == 0:
        return np.empty(0), np.empty(0)
    arr = np.asarray(thetas, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != network.n_params:
        raise ConfigError(f"expected parameter vectors of {network.n_params} entries, got shape {arr.shape}")
    return arr[:, k1].copy(), arr[:, k2].copy()


class ThetaHistory:
    """Parameter vectors seen, one per iteration, for the path :func:`path_through` draws.

    Call :meth:`observe` whenever the simulation changes.  Stepping back drops the
    entries after the current iteration; an edit replaces the current iteration's
    entry.  Memory is bounded: at most *max_points* vectors and *budget_bytes*;
    when full, every other old entry is dropped (the path keeps its shape, sampled
    more coarsely).
    """

    def __init__(self, max_points: int = 2000, budget_bytes: int = 32 * 2**20) -> None:
        self.max_points = int(max_points)
        self.budget_bytes = int(budget_bytes)
        self.iterations: list[int] = []
        self.thetas: list[np.ndarray] = []

    def clear(self) -> None:
        self.iterations.clear()
        self.thetas.clear()

    def observe(self, sim) -> None:
        """Record the parameters at ``sim.iteration`` (the committed state, not a pending one)."""
        it = int(sim.iteration)
        theta = base_theta(sim)
        if self.thetas and self.thetas[0].shape != theta.shape:
            self.clear()  # another network
        while self.iterations and self.iterations[-1] > it:
            self.iterations.pop()
            self.thetas.pop()
        if self.iterations and self.iterations[-1] == it:
            if not np.array_equal(self.thetas[-1], theta):
                self.thetas[-1] = theta
            return
        self.iterations.append(it)
        self.thetas.append(theta)
        cap = max(2, min(self.max_points, self.budget_bytes // max(1, theta.nbytes)))
        if len(self.thetas) > cap:
            keep = list(range(0, len(self.thetas) - 1, 2)) + [len(self.thetas) - 1]
            self.iterations = [self.iterations[i] for i in keep]
            self.thetas = [self.thetas[i] for i in keep]
