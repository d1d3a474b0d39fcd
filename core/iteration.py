"""Computing the next iteration without changing anything: kernel choice, loss, gradient, update, divergence checks.

:class:`IterationEngine` belongs to one simulation's network.  It picks the
plain-Python kernel for tiny networks (a function of shape, activations, loss
and configured batch size only, so the traced and fast paths agree bit for
bit) or the vectorised one, adds the regularisation, applies the update rule
and refuses non-finite results.  It keeps scratch buffers and a forward pass
of the training set it may reuse; it never changes the network or any state.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .dataset import Dataset
from .errors import DivergenceError
from .kernel import Pass, chunk_rows, dataset_loss, mean_loss, run_pass
from .losses import Loss, OutputDelta, get_loss, output_delta_rule
from .network import Network
from .optimizer import OptimizerState, Update, UpdateBuffers, apply_update
from .regularization import Regularizer
from .scalar_kernel import ScalarKernel, qualifies
from .settings import TrainingSettings

#: Largest epoch-end forward pass kept for the next full-batch iteration to reuse.
CACHE_BYTES = 8 * 2**20


@dataclass(slots=True)
class Computed:
    """One computed iteration (nothing applied yet).

    Attributes
    ----------
    loss : float
        The batch loss, regularisation included.
    update : Update
        New parameters and optimizer state, and the gradient used.
    batch_size : int
        Samples in the batch.
    targets : ndarray
        The batch's targets.
    pass_ : Pass or None
        Every intermediate value (only when asked for detail).
    data_grad : ndarray or None
        The gradient of the data loss alone (detail only; equals ``update.grad``
        without regularisation and fixed parameters).
    penalty : float
        The regularisation term of :attr:`loss`.
    """

    loss: float
    update: Update
    batch_size: int
    targets: np.ndarray
    pass_: Pass | None = None
    data_grad: np.ndarray | None = None
    penalty: float = 0.0


@dataclass
class Plan:
    """What one settings object implies for the computation (looked up once, not every iteration)."""

    settings: TrainingSettings
    loss: Loss
    rule: OutputDelta
    reg: Regularizer
    scalar: ScalarKernel | None
    keep: np.ndarray | None  # 1.0 where a parameter may change; None when all may


class IterationEngine:
    """Computes iterations and dataset-wide losses of one network (see the module docstring)."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self._keep = (~network.bias_mask()).astype(np.float64)
        self._weights = network.weight_mask()
        self._kernels: dict[tuple, ScalarKernel | None] = {}
        self._fwd_cache: tuple | None = None
        self._lists: tuple | None = None  # the dataset as Python lists, for the scalar kernel
        self._lists_of: Dataset | None = None
        self._grad: np.ndarray | None = None
        self._bufs: UpdateBuffers | None = None
        self._plan: Plan | None = None
        self._chunked_of: tuple[Dataset, bool] | None = None  # whether the training set is evaluated in chunks
        self._scalar_fwd: tuple | None = None  # (theta bytes, inputs as lists, forward passes) of the scalar kernel

    # -- choices -------------------------------------------------------------------------------------
    def plan(self, settings: TrainingSettings) -> "Plan":
        """Loss, output-delta rule, regulariser, kernel and fixed-parameter mask for *settings* (cached)."""
        cached = self._plan
        if cached is not None and cached.settings is settings:
            return cached
        net = self.network
        loss = get_loss(settings.loss)
        rule = output_delta_rule(loss, net.activations[-1])
        key = (settings.batch_size, settings.loss, settings.hidden_delta_weights)
        if key not in self._kernels:
            ok = (settings.hidden_delta_weights == "original"
                  and qualifies(net.activations, loss, rule, settings.batch_size, net.n_params))
            self._kernels[key] = ScalarKernel(net.sizes, net.activations, net.offsets, loss, rule) if ok else None
        self._plan = Plan(settings, loss, rule, Regularizer(settings, self._weights), self._kernels[key],
                          None if settings.update_biases else self._keep)
        return self._plan

    def scalar(self, settings: TrainingSettings) -> ScalarKernel | None:
        """The plain-Python kernel when the network is tiny, else None."""
        return self.plan(settings).scalar

    # -- the iteration ---------------------------------------------------------------------------------
    def compute(self, x: np.ndarray, t: np.ndarray, data: Dataset, settings: TrainingSettings,
                state: OptimizerState, updates_done: int, detail: bool = False) -> Computed:
        """Loss, gradient and update of the batch ``(x, t)``; raises :class:`DivergenceError` if not finite.

        *updates_done* is the number of iterations before this one (the
        schedule's t; messages name iteration *updates_done* + 1).  *detail*
        keeps every intermediate value (for the trace); otherwise the gradient
        and update are written into reused buffers.
        """
        net = self.network
        theta = net.theta
        B = x.shape[0]
        plan = self._plan
        if plan is None or plan.settings is not settings:
            plan = self.plan(settings)
        loss, rule, reg, scalar = plan.loss, plan.rule, plan.reg, plan.scalar
        p = None
        if scalar is not None:
            th = theta.tolist()
            xs, ts, forwards = self._scalar_inputs(x, t, data, theta)
            if detail:
                p = scalar.run(th, xs, ts, True, forwards)
                batch_loss, grad = p.loss, p.grad.copy()
            else:
                batch_loss, g = scalar.run(th, xs, ts, False, forwards)
                grad = np.array(g)
        else:
            grad_out = None if detail else self._scratch_grad()
            nxt = None if settings.hidden_delta_weights == "original" else self._updated_weights(settings, state,
                                                                                                  updates_done, reg)
            fwd = self._cached_forward(x, data) if x is data.inputs else None
            p = run_pass(net, loss, rule, x, t, fwd, grad_out, nxt)
            batch_loss, grad = p.loss, (p.grad.copy() if detail else p.grad)
        penalty = reg.penalty(theta) if reg.active else 0.0
        total = batch_loss + penalty
        if not math.isfinite(total):
            raise DivergenceError(f"Iteration {updates_done + 1:,}: the loss is {total} at the current parameters "
                                  f"(they are too large; lower the learning rate?)", updates_done)
        if reg.active:
            grad += reg.gradient(theta)
        upd = apply_update(theta, state, grad, settings, updates_done=updates_done, keep=plan.keep,
                           out=None if detail else self._buffers())
        # One dot product detects any inf/NaN (it may also overflow for huge finite values: then the
        # search below finds nothing and the update stands); cheaper than a reduction on small vectors.
        if not math.isfinite(upd.theta.dot(upd.theta)):
            bad = np.flatnonzero(~np.isfinite(upd.theta))
            if len(bad):
                name = net.element_name(net.element_of_index(int(bad[0])))
                raise DivergenceError(f"Iteration {updates_done + 1:,}: the update would make {name} = "
                                      f"{upd.theta[bad[0]]} (learning rate {settings.learning_rate} is too large "
                                      f"for this network?)", updates_done)
        return Computed(total, upd, B, t, p, p.grad if detail else None, penalty)

    def gradient(self, x: np.ndarray, t: np.ndarray, settings: TrainingSettings, state: OptimizerState,
                 updates_done: int) -> np.ndarray:
        """The gradient of the batch loss (regularisation included, no parameter fixed): what the check compares.

        With the "updated weights" mistake it is the gradient that mistake computes.
        """
        plan = self.plan(settings)
        reg = plan.reg
        nxt = None if settings.hidden_delta_weights == "original" else self._updated_weights(settings, state,
                                                                                              updates_done, reg)
        grad = run_pass(self.network, plan.loss, plan.rule, x, t, next_weights=nxt).grad
        if reg.active:
            grad += reg.gradient(self.network.theta)
        return grad

    def _updated_weights(self, settings, state, updates_done, reg):
        """For the "updated weights" mistake: layer l's weights after this iteration's update of them."""
        net = self.network
        theta = net.theta
        keep = self.plan(settings).keep

        def next_weights(l: int, grad: np.ndarray) -> np.ndarray:
            lo, hi = net.offsets[l][0], net.offsets[l][1]
            g = grad[lo:hi] + reg.gradient(theta)[lo:hi] if reg.active else grad[lo:hi]
            part = OptimizerState(*(None if a is None else a[lo:hi] for a in (state.velocity, state.m, state.v)),
                                  state.t)
            upd = apply_update(theta[lo:hi], part, g, settings, updates_done=updates_done,
                               keep=None if keep is None else keep[lo:hi])
            return upd.theta.reshape(net.sizes[l + 1], net.sizes[l])
        return next_weights

    def _scalar_inputs(self, x: np.ndarray, t: np.ndarray, data: Dataset, theta: np.ndarray):
        """The batch as lists for the scalar kernel, and its forward passes if the last epoch-end loss
        computed them at these very parameters (full-batch training: the same numbers, computed once)."""
        if x is not data.inputs:
            return x.tolist(), t.tolist(), None
        xs, ts = self._data_lists(data)
        c = self._scalar_fwd
        if c is not None and c[1] is xs and c[0] == theta.tobytes():
            return xs, ts, c[2]
        return xs, ts, None

    def _data_lists(self, data: Dataset) -> tuple[list, list]:
        if self._lists_of is not data:
            self._lists, self._lists_of = (data.inputs.tolist(), data.targets.tolist()), data
        return self._lists

    def _scratch_grad(self) -> np.ndarray:
        if self._grad is None:
            self._grad = np.empty(self.network.n_params)
        return self._grad

    def _buffers(self) -> UpdateBuffers:
        if self._bufs is None:
            self._bufs = UpdateBuffers(self.network.n_params)
        return self._bufs


    def _cached_forward(self, x: np.ndarray, data: Dataset):
        """A forward pass of the whole training set at the current parameters, if one was just computed."""
        c = self._fwd_cache
        if c is not None and x is data.inputs and np.array_equal(c[0], self.network.theta):
            return c[1]
        return None

    # -- dataset-wide losses ------------------------------------------------------------------------------
    def epoch_end_loss(self, data: Dataset, settings: TrainingSettings) -> float:
        """Training-set loss at the current parameters (regularisation included).

        Keeps the forward pass, which the next full-batch iteration reuses
        instead of computing it again.
        """
        net = self.network
        plan = self._plan
        if plan is None or plan.settings is not settings:
            plan = self.plan(settings)
        scalar, reg = plan.scalar, plan.reg
        penalty = reg.penalty(net.theta) if reg.active else 0.0
        if scalar is not None and data.n_samples <= 64:
            xs, ts = self._data_lists(data)
            loss, forwards = scalar.loss_only(net.theta.tolist(), xs, ts)
            self._scalar_fwd = (net.theta.tobytes(), xs, forwards)
            return loss + penalty
        if self._chunked_of is None or self._chunked_of[0] is not data:
            self._chunked_of = (data, chunk_rows(net, data.n_samples, CACHE_BYTES) < data.n_samples)
        if self._chunked_of[1]:  # too large to keep (it would double the activations held): not cached
            return dataset_loss(net, plan.loss, data.inputs, data.targets) + penalty
        nets, outs = net.forward_pass(data.inputs)
        self._fwd_cache = (net.theta.copy(), (nets, outs))
        return mean_loss(net, plan.loss, nets, outs, data.targets) + penalty

    def loss(self, x: np.ndarray, t: np.ndarray, settings: TrainingSettings,
             theta: np.ndarray | None = None) -> float:
        """Mean loss over ``(x, t)`` at *theta* (default: the network's parameters), regularisation included."""
        plan = self.plan(settings)
        th = self.network.theta if theta is None else theta
        return dataset_loss(self.network, plan.loss, x, t, theta) + (plan.reg.penalty(th) if plan.reg.active else 0.0)
