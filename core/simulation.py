"""The Simulation: a network, a dataset, training settings, and an exact timeline.

Everything a user does — a full iteration, one computation of an iteration, a
hand edit, a settings change — goes through a :class:`Simulation`, which
records it on its timeline so that :meth:`Simulation.step_back` can restore the
state before it bit for bit.

The timeline stores a snapshot at the start of every run of up to
``checkpoint_every`` consecutive steps, and replays steps (deterministically,
with the same kernel) to reach any point in between.  Hand edits and settings
changes keep a snapshot before and after.  Old runs are merged when the
snapshots exceed a memory budget, and re-split on demand while stepping back.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError, DivergenceError
from .kernel import Pass, dataset_loss, forward, mean_loss, run_pass
from .scalar_kernel import ScalarKernel, qualifies
from .losses import get_loss
from .network import Element, Network, initialize
from .trace import Computation, Trace, build_trace


@dataclass(frozen=True)
class TrainingSettings:
    """Hyper-parameters of training.

    Attributes
    ----------
    loss : {"mse", "cross_entropy"}
    learning_rate : float
        η, finite and ≥ 0.
    batch_size : int
        Samples per iteration, ≥ 1; ``batch_size >= N`` is full-batch training.
    momentum : float
        μ in [0, 1); 0 is plain SGD.
    update_biases : bool
        When False the biases are never changed (as in the worked example).
    shuffle : bool
        Draw the order of each epoch from a generator seeded by ``(seed, epoch)``.
    seed : int
        Seed of the shuffle (and the default seed of re-initialisation).
    """

    loss: str = "mse"
    learning_rate: float = 0.5
    batch_size: int = 1
    momentum: float = 0.0
    update_biases: bool = True
    shuffle: bool = False
    seed: int = 0

    def check(self, network: Network) -> "TrainingSettings":
        """Return self if valid for *network*, else raise :class:`ConfigError`."""
        loss = get_loss(self.loss) if self.loss in ("mse", "cross_entropy") else None
        if loss is None:
            raise ConfigError(f"unknown loss {self.loss!r}; expected 'mse' or 'cross_entropy'")
        out = network.activations[-1].name
        if out not in loss.allowed_output:
            raise ConfigError(f"loss {self.loss!r} needs a {' or '.join(loss.allowed_output)} output layer, "
                              f"not {out}")
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr < 0:
            raise ConfigError(f"learning rate must be a finite number ≥ 0, got {lr!r}")
        mu = self.momentum
        if isinstance(mu, bool) or not isinstance(mu, (int, float)) or not (0.0 <= mu < 1.0):
            raise ConfigError(f"momentum must be in [0, 1), got {mu!r}")
        bs = self.batch_size
        if isinstance(bs, bool) or not isinstance(bs, (int, np.integer)) or bs < 1:
            raise ConfigError(f"batch size must be a whole number ≥ 1, got {bs!r}")
        if not isinstance(self.seed, (int, np.integer)) or isinstance(self.seed, bool) or self.seed < 0:
            raise ConfigError(f"seed must be a whole number ≥ 0, got {self.seed!r}")
        return self


@dataclass
class RunResult:
    """What a run of iterations did.

    Attributes
    ----------
    iterations : int
        Iterations completed by this run.
    diverged : bool
        True when the run stopped because the next update was not finite.
    reason : str
        Why it stopped early (empty when it did not).
    seconds : float
        Wall-clock time of the run.
    """

    iterations: int = 0
    diverged: bool = False
    reason: str = ""
    seconds: float = 0.0


@dataclass
class GradientCheck:
    """Finite-difference check of the gradient (:meth:`Simulation.gradient_check`).

    ``per_layer[l]`` is the largest relative error over the weights and biases
    of dense layer ``l``; ``max_error`` the largest over all layers.
    """

    per_layer: list[float]
    max_error: float
    analytic: np.ndarray
    numeric: np.ndarray


class _Growable:
    """An append-only float/int array with amortised O(1) append and truncate."""

    __slots__ = ("_buf", "n")

    def __init__(self, dtype=np.float64, values=()) -> None:
        values = np.asarray(values, dtype=dtype)
        self._buf = np.empty(max(64, 2 * len(values)), dtype=dtype)
        self._buf[: len(values)] = values
        self.n = len(values)

    def append(self, v) -> None:
        if self.n == len(self._buf):
            self._buf = np.concatenate([self._buf, np.empty_like(self._buf)])
        self._buf[self.n] = v
        self.n += 1

    def view(self) -> np.ndarray:
        return self._buf[: self.n]

    @property
    def nbytes(self) -> int:
        return self._buf.nbytes


@dataclass(slots=True)
class _Snap:
    theta: np.ndarray
    velocity: np.ndarray | None
    iteration: int
    epoch: int
    position: int
    n_loss: int
    n_epoch: int
    settings: TrainingSettings
    history: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # only for actions that cut history

    @property
    def nbytes(self) -> int:
        n = self.theta.nbytes + 200
        if self.velocity is not None:
            n += self.velocity.nbytes
        if self.history is not None:
            n += sum(h.nbytes for h in self.history)
        return n


@dataclass(slots=True)
class _Run:
    start: _Snap
    count: int = 0


@dataclass(slots=True)
class _Action:
    before: _Snap
    after: _Snap
    label: str


@dataclass
class _Pending:
    trace: Trace
    cursor: int
    theta_before: np.ndarray
    theta_new: np.ndarray
    velocity_new: np.ndarray | None
    p: Pass
    batch_size: int


_STEP = "step"  # marker on the redo stack for one undone step


class Simulation:
    """A network, its training data and settings, and the timeline of everything done to it.

    Parameters
    ----------
    network : Network
        The network; the simulation owns it from now on.
    inputs, targets : array_like
        Training data, shapes ``(N, n_0)`` and ``(N, n_L)``.
    settings : TrainingSettings
        Training hyper-parameters.
    name, notes : str
        Shown by the GUI and kept in state files.
    checkpoint_every : int
        Steps between timeline snapshots (step back replays at most this many).
    timeline_budget : int
        Bytes of snapshots kept before old runs are merged.
    """

    def __init__(self, network: Network, inputs, targets, settings: TrainingSettings | None = None, *,
                 name: str = "", notes: str = "", checkpoint_every: int = 32,
                 timeline_budget: int = 128 * 2**20) -> None:
        self.network = network
        x = np.array(inputs, dtype=np.float64, ndmin=2)
        t = np.array(targets, dtype=np.float64, ndmin=2)
        if x.shape[0] < 1 or x.shape != (x.shape[0], network.sizes[0]):
            raise ConfigError(f"inputs must have shape (N, {network.sizes[0]}), got {x.shape}")
        if t.shape != (x.shape[0], network.sizes[-1]):
            raise ConfigError(f"targets must have shape ({x.shape[0]}, {network.sizes[-1]}), got {t.shape}")
        if not (np.isfinite(x).all() and np.isfinite(t).all()):
            raise ConfigError("the dataset contains NaN or infinite values")
        x.setflags(write=False)
        t.setflags(write=False)
        self.inputs, self.targets = x, t
        self.settings = (settings or TrainingSettings()).check(network)
        self._loss = get_loss(self.settings.loss)
        self.name, self.notes = name, notes
        self.velocity = np.zeros(network.n_params)
        self.iteration = 0
        self.epoch = 0
        self.position = 0
        self.batch_loss = _Growable()
        self.epoch_loss = _Growable()
        self.epoch_end = _Growable(np.int64)
        self.checkpoint_every = int(checkpoint_every)
        self.timeline_budget = int(timeline_budget)
        self._timeline: list[_Run | _Action] = []
        self._timeline_bytes = 0
        self._redo: list[Any] = []
        self._pending: _Pending | None = None
        self.last_trace: Trace | None = None
        self.abandoned_iteration = False  # set by edits that cut a pending iteration short
        self._perm_key: tuple | None = None
        self._perm: np.ndarray | None = None
        self._bias_mask = network.bias_mask()
        self._bias_list = self._bias_mask.tolist()
        self._kernels: dict[tuple[int, str], ScalarKernel | None] = {}
        self._fwd_cache: tuple | None = None
        self._bufs: tuple | None = None
        self._lists: tuple | None = None  # the dataset as Python lists, for the scalar kernel
        self._initial = self._snap(full_history=True)

    # -- construction / files ----------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> "Simulation":
        """Load a state file; raises :class:`StateFileError` naming the file and place."""
        from .statefile import load_simulation
        return load_simulation(path)

    @classmethod
    def from_dict(cls, data: dict, *, source: str | None = None) -> "Simulation":
        """Build a simulation from a state dict (as read from JSON), validating it fully."""
        from .statefile import simulation_from_dict
        return simulation_from_dict(data, source=source)

    def to_dict(self) -> dict:
        """The current state as a JSON-ready dict (the state-file format)."""
        from .statefile import simulation_to_dict
        return simulation_to_dict(self)

    def save(self, path: str | Path) -> None:
        """Write the state file atomically (temporary file, fsync, rename)."""
        from .statefile import save_atomic
        save_atomic(self.to_dict(), path)

    # -- properties ------------------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return self.inputs.shape[0]

    @property
    def iterations_per_epoch(self) -> int:
        return -(-self.n_samples // self.settings.batch_size)

    @property
    def pending(self) -> Trace | None:
        """The iteration being stepped into, or None between iterations."""
        return self._pending.trace if self._pending else None

    @property
    def cursor(self) -> int:
        """How many computations of the pending iteration have been performed."""
        return self._pending.cursor if self._pending else 0

    @property
    def current_computation(self) -> Computation | None:
        """The computation performed last within the pending iteration."""
        if self._pending and self._pending.cursor > 0:
            return self._pending.trace.records[self._pending.cursor - 1]
        return None

    def can_step_back(self) -> bool:
        return bool(self._timeline) or bool(self._pending and self._pending.cursor > 0)

    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_label(self) -> str:
        if not self._timeline:
            return ""
        e = self._timeline[-1]
        return e.label if isinstance(e, _Action) else f"iteration {self.iteration}"

    @property
    def redo_label(self) -> str:
        if not self._redo:
            return ""
        e = self._redo[-1]
        return e.label if isinstance(e, _Action) else f"iteration {self.iteration + 1}"

    def timeline_nbytes(self) -> int:
        """Bytes held by the timeline's snapshots and the loss history."""
        return (self._timeline_bytes + self.batch_loss.nbytes + self.epoch_loss.nbytes
                + self.epoch_end.nbytes)

    def loss(self) -> float:
        """Mean loss over the whole training set at the current parameters."""
        with np.errstate(all="ignore"):
            return dataset_loss(self.network, self._loss, self.inputs, self.targets)

    def outputs(self) -> np.ndarray:
        """Network outputs for every training sample, ``(N, n_L)``."""
        with np.errstate(all="ignore"):
            return self.network.forward(self.inputs)

    # -- batches -----------------------------------------------------------------------------
    def _order(self) -> np.ndarray | None:
        if not self.settings.shuffle:
            return None
        key = (self.settings.seed, self.epoch, self.n_samples)
        if key != self._perm_key:
            # A pure function of (seed, epoch): no generator state to save or restore.
            self._perm = np.random.default_rng([self.settings.seed, self.epoch]).permutation(self.n_samples)
            self._perm_key = key
        return self._perm

    def next_batch(self) -> np.ndarray:
        """Dataset indices of the samples the next iteration will use."""
        B = min(self.settings.batch_size, self.n_samples - self.position)
        order = self._order()
        if order is None:
            return np.arange(self.position, self.position + B)
        return order[self.position:self.position + B]

    def _batch(self) -> tuple[np.ndarray, np.ndarray, int]:
        pos, N = self.position, self.n_samples
        B = min(self.settings.batch_size, N - pos)
        order = self._order()
        if order is None:
            if pos == 0 and B == N:
                return self.inputs, self.targets, B
            return self.inputs[pos:pos + B], self.targets[pos:pos + B], B
        idx = order[pos:pos + B]
        return self.inputs[idx], self.targets[idx], B

    # -- the iteration -------------------------------------------------------------------------
    def _scalar(self) -> ScalarKernel | None:
        """The plain-Python kernel when the network is tiny (a function of shape, batch size and loss only)."""
        s = self.settings
        key = (s.batch_size, s.loss)
        if key not in self._kernels:
            net = self.network
            ok = qualifies(net.sizes, net.activation_names, s.batch_size, net.n_params)
            self._kernels[key] = ScalarKernel(net.sizes, net.activation_names, net._offsets, s.loss) if ok else None
        return self._kernels[key]

    def _buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Gradient, new-parameter and velocity scratch buffers of the fast path."""
        if self._bufs is None:
            n = self.network.n_params
            self._bufs = (np.empty(n), np.empty(n), np.empty(n))
        return self._bufs

    def _cached_forward(self, x: np.ndarray):
        """A forward pass of the whole training set at the current parameters, if one was just computed."""
        c = self._fwd_cache
        if c is not None and x is self.inputs and np.array_equal(c[0], self.network.theta):
            return c[1]
        return None

    def _diverged(self, values, k: int) -> DivergenceError:
        name = self.network.element_name(self.network.element_of_index(k))
        return DivergenceError(
            f"Iteration {self.iteration + 1}: the update would make {name} = {values[k]} "
            f"(learning rate {self.settings.learning_rate} is too large for this network?)", self.iteration)

    def _compute(self, detail: bool = False):
        """Pass and update of the next iteration, without changing anything.

        Returns ``(pass or None, loss, theta_new, velocity_new or None, B, x, t)``;
        the pass (numpy arrays) only with *detail* or on the numpy path.  Raises
        DivergenceError when the loss or the updated parameters are not finite.
        """
        x, t, B = self._batch()
        s = self.settings
        lr = s.learning_rate
        scalar = self._scalar()
        if scalar is not None:
            theta = self.network.theta.tolist()
            if detail:
                p = scalar.run(theta, x.tolist(), t.tolist(), True)
                loss, grad = p.loss, p.grad.tolist()
            else:
                p = None
                loss, grad = scalar.run(theta, x.tolist(), t.tolist())
        else:
            # The fast path reuses buffers: for large networks, fresh arrays each iteration
            # cost page faults. Same operations, so the same bits as the traced path.
            bufs = None if detail else self._buffers()
            p = run_pass(self.network, self._loss, x, t, self._cached_forward(x), None if bufs is None else bufs[0])
            loss = p.loss
        if not math.isfinite(loss):
            raise DivergenceError(f"Iteration {self.iteration + 1}: the loss is {loss} at the current "
                                  f"parameters (they are too large; lower the learning rate?)", self.iteration)
        if scalar is not None:
            if not s.update_biases:
                grad = [0.0 if m else g for g, m in zip(grad, self._bias_list)]
            if s.momentum != 0.0:
                mu = s.momentum
                v_new = [mu * v + g for v, g in zip(self.velocity.tolist(), grad)]
                theta_new = [w - lr * v for w, v in zip(theta, v_new)]
            else:
                v_new = None
                theta_new = [w - lr * g for w, g in zip(theta, grad)]
            # One sum detects any inf/NaN; only then look for which parameter it was.
            if not math.isfinite(sum(theta_new)):
                bad = [k for k, v in enumerate(theta_new) if not math.isfinite(v)]
                if bad:
                    raise self._diverged(theta_new, bad[0])
            if detail:
                theta_new = np.array(theta_new)
                v_new = None if v_new is None else np.array(v_new)
            return p, loss, theta_new, v_new, B, x, t
        if bufs is None:
            g = p.grad if s.update_biases else np.where(self._bias_mask, 0.0, p.grad)
            if s.momentum != 0.0:
                v_new = s.momentum * self.velocity + g
                theta_new = self.network.theta - lr * v_new
            else:
                v_new = None
                theta_new = self.network.theta - lr * g
        else:
            g, tbuf, vbuf = bufs
            if not s.update_biases:
                g[self._bias_mask] = 0.0
            step = g
            v_new = None
            if s.momentum != 0.0:
                v_new = np.multiply(self.velocity, s.momentum, out=vbuf)
                np.add(v_new, g, out=v_new)
                step = v_new
            theta_new = np.multiply(step, lr, out=tbuf)
            np.subtract(self.network.theta, theta_new, out=theta_new)
        if not math.isfinite(np.add.reduce(theta_new)):
            bad = np.flatnonzero(~np.isfinite(theta_new))
            if len(bad):
                raise self._diverged(theta_new, int(bad[0]))
        return p, loss, theta_new, v_new, B, x, t

    def _commit(self, theta_new: np.ndarray, v_new: np.ndarray | None, loss: float, B: int) -> None:
        """Apply a computed update and advance the counters; records it on the timeline."""
        tl = self._timeline
        if not (tl and isinstance(tl[-1], _Run) and tl[-1].count < self.checkpoint_every):
            snap = self._snap()
            tl.append(_Run(snap))
            self._timeline_bytes += snap.nbytes
            if self._timeline_bytes > self.timeline_budget:
                self._thin()
        ends_epoch = self.position + B >= self.n_samples
        if ends_epoch:
            old = self.network.theta.copy()
            self.network.theta[:] = theta_new
            ep_loss = self._epoch_end_loss()
            if not math.isfinite(ep_loss):
                self.network.theta[:] = old
                if tl[-1].count == 0:
                    self._timeline_bytes -= tl.pop().start.nbytes
                raise DivergenceError(f"Iteration {self.iteration + 1}: the training loss would become "
                                      f"{ep_loss}; the update was not kept", self.iteration)
        else:
            self.network.theta[:] = theta_new
        if v_new is not None:
            self.velocity[:] = v_new
        tl[-1].count += 1
        self.iteration += 1
        self.batch_loss.append(loss)
        if ends_epoch:
            self.position = 0
            self.epoch += 1
            self.epoch_loss.append(ep_loss)
            self.epoch_end.append(self.iteration)
        else:
            self.position += B

    def _epoch_end_loss(self) -> float:
        """Training-set loss at the current parameters; keeps the forward pass, which the next
        full-batch iteration reuses instead of computing it again."""
        scalar = self._scalar()
        if scalar is not None and self.n_samples <= 64:
            if self._lists is None:
                self._lists = (self.inputs.tolist(), self.targets.tolist())
            return scalar.loss_only(self.network.theta.tolist(), *self._lists)
        nets, outs = forward(self.network, self.inputs)
        self._fwd_cache = (self.network.theta.copy(), (nets, outs))
        return mean_loss(self.network, self._loss, nets, outs, self.targets)

    def step(self, trace: bool = True) -> Trace | None:
        """Perform one full iteration (or finish the one being stepped into).

        Returns its :class:`Trace` (``None`` with ``trace=False``).  Raises
        :class:`DivergenceError` and changes nothing if the update is not finite.
        """
        if self._pending:
            pend = self._pending
            self._finish_pending()
            self._redo.clear()
            return pend.trace
        if not trace:
            with np.errstate(all="ignore"):
                _, loss, theta_new, v_new, B, _, _ = self._compute()
                self._commit(theta_new, v_new, loss, B)
            self._redo.clear()
            self.last_trace = None
            return None
        tr = self.begin_iteration()
        self._finish_pending()
        self._redo.clear()
        return tr

    def preview(self) -> Trace:
        """The trace the next iteration would produce, without performing it."""
        if self._pending:
            return self._pending.trace
        with np.errstate(all="ignore"):
            p, _, theta_new, v_new, _, _, t = self._compute(detail=True)
            return build_trace(self.network, self.settings, self.iteration + 1, self.next_batch(), t, p,
                               self.velocity, v_new, theta_new)

    def begin_iteration(self) -> Trace:
        """Compute the next iteration's trace and start stepping into it (cursor 0)."""
        if self._pending:
            return self._pending.trace
        with np.errstate(all="ignore"):
            p, loss, theta_new, v_new, B, x, t = self._compute(detail=True)
            tr = build_trace(self.network, self.settings, self.iteration + 1, self.next_batch(), t, p,
                             self.velocity, v_new, theta_new)
        self._pending = _Pending(tr, 0, self.network.theta.copy(), theta_new, v_new, p, B)
        return tr

    def step_into(self) -> Computation:
        """Perform the next single computation of the current iteration.

        An ``update`` computation changes its parameter in the network; after
        the last computation the iteration is complete (and on the timeline).
        """
        if not self._pending:
            self.begin_iteration()
        pend = self._pending
        rec = pend.trace.records[pend.cursor]
        if rec.param_index >= 0:
            self.network.theta[rec.param_index] = rec.result
        pend.cursor += 1
        if pend.cursor == len(pend.trace.records):
            self._finish_pending()
        self._redo.clear()
        return rec

    def _finish_pending(self) -> None:
        pend = self._pending
        self._pending = None
        self.network.theta[:] = pend.theta_before
        with np.errstate(all="ignore"):
            self._commit(pend.theta_new, pend.velocity_new, pend.p.loss, pend.batch_size)
        self.last_trace = pend.trace

    def _abandon_pending(self) -> bool:
        """Undo the computations performed so far of a pending iteration."""
        if not self._pending:
            return False
        self.network.theta[:] = self._pending.theta_before
        self._pending = None
        return True

    def step_back_into(self) -> bool:
        """Undo one computation; at an iteration's start, go into the previous one.

        Returns False when there is nothing to undo.
        """
        pend = self._pending
        if pend and pend.cursor > 0:
            pend.cursor -= 1
            rec = pend.trace.records[pend.cursor]
            if rec.param_index >= 0:
                self.network.theta[rec.param_index] = rec.old_value
            return True
        self._abandon_pending()
        if not self._timeline:
            return False
        if isinstance(self._timeline[-1], _Action):
            return self.step_back()
        self.step_back()
        self._redo.pop()  # re-entering that iteration below; it is not "undone" any more
        tr = self.begin_iteration()
        for _ in range(len(tr.records) - 1):
            rec = tr.records[self._pending.cursor]
            if rec.param_index >= 0:
                self.network.theta[rec.param_index] = rec.result
            self._pending.cursor += 1
        return True

    # -- fast runs -------------------------------------------------------------------------------
    def run(self, iterations: int, *, time_budget: float | None = None) -> RunResult:
        """Run up to *iterations* iterations without traces (the fast path).

        Stops early when *time_budget* seconds have passed (checked every
        iteration) or when an update diverges; the state is then the last finite one.
        """
        self._abandon_pending()
        self._redo.clear()
        self.last_trace = None
        t0 = time.perf_counter()
        deadline = None if time_budget is None else t0 + time_budget
        done = 0
        net, loss = self.network, self._loss
        try:
            with np.errstate(all="ignore"):
                while done < iterations:
                    _, loss, theta_new, v_new, B, _, _ = self._compute()
                    self._commit(theta_new, v_new, loss, B)
                    done += 1
                    if deadline is not None and time.perf_counter() >= deadline:
                        break
        except DivergenceError as e:
            return RunResult(done, True, str(e), time.perf_counter() - t0)
        return RunResult(done, False, "", time.perf_counter() - t0)

    def run_epochs(self, epochs: int) -> RunResult:
        """Run until *epochs* more epochs are complete (fast path)."""
        target = self.epoch + int(epochs)
        total = RunResult()
        while self.epoch < target:
            r = self.run(self.iterations_per_epoch - self.position // self.settings.batch_size)
            total.iterations += r.iterations
            total.seconds += r.seconds
            if r.diverged:
                total.diverged, total.reason = True, r.reason
                break
        return total

    def iterations_until_epoch(self, epochs: int) -> int:
        """How many iterations complete *epochs* more epochs from the current position."""
        B, N = self.settings.batch_size, self.n_samples
        rest = -(-(N - self.position) // B)
        return rest + (int(epochs) - 1) * self.iterations_per_epoch

    # -- edits (recorded as actions) ---------------------------------------------------------------
    def _action(self, label: str, apply, *, cuts_history: bool = False) -> None:
        abandoned = self._abandon_pending()
        before = self._snap(full_history=cuts_history)
        try:
            apply()
        except Exception:
            self._restore(before)
            raise
        after = self._snap(full_history=cuts_history)
        act = _Action(before, after, label)
        self._timeline.append(act)
        self._timeline_bytes += before.nbytes + after.nbytes
        self._redo.clear()
        self.last_trace = None
        self.abandoned_iteration = abandoned

    @staticmethod
    def _finite(value: Any, what: str) -> float:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{what} must be a number, got {value!r}") from None
        if not math.isfinite(v):
            raise ConfigError(f"{what} must be a finite number, got {value!r}")
        return v

    def set_weight(self, l: int, j: int, i: int, value: float, *, merge: bool = False) -> None:
        """Set ``weights[l][j, i]`` by hand (recorded on the timeline).

        With *merge*, a run of edits of the same weight (scrubbing) is one undo step.
        """
        self.set_parameter(Element("weight", l, j, i), value, merge=merge)

    def set_bias(self, l: int, j: int, value: float, *, merge: bool = False) -> None:
        """Set ``biases[l][j]`` by hand (recorded on the timeline)."""
        self.set_parameter(Element("bias", l, j), value, merge=merge)

    def set_parameter(self, element: Element, value: float, *, merge: bool = False) -> None:
        """Set the weight or bias named by *element* (see :meth:`set_weight`)."""
        net = self.network
        if element.kind == "weight":
            k = net.weight_index(element.layer, element.j, element.i)
        elif element.kind == "bias":
            k = net.bias_index(element.layer, element.j)
        else:
            raise ConfigError(f"{element.kind} is not an editable parameter")
        name = net.element_name(element)
        v = self._finite(value, f"{element.kind} {name}")
        label = f"edit {name}"
        tl = self._timeline
        if (merge and self._pending is None and not self._redo and tl and isinstance(tl[-1], _Action)
                and tl[-1].label == label):
            self.network.theta[k] = v
            tl[-1].after.theta[k] = v
            self.last_trace = None
            return
        self._action(label, lambda: self.network.theta.__setitem__(k, v))

    def parameter(self, element: Element) -> float:
        if element.kind == "weight":
            return float(self.network.weights[element.layer][element.j, element.i])
        if element.kind == "bias":
            return float(self.network.biases[element.layer][element.j])
        raise ConfigError(f"{element.kind} is not a parameter")

    def set_training(self, **changes: Any) -> None:
        """Change training settings (e.g. ``learning_rate=0.1``), recorded on the timeline."""
        unknown = set(changes) - set(TrainingSettings.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown training setting(s): {sorted(unknown)}")
        new = replace(self.settings, **changes).check(self.network)
        if new == self.settings:
            return

        def apply():
            self.settings = new
            self._loss = get_loss(new.loss)
            if new.momentum == 0.0:
                self.velocity[:] = 0.0
        self._action("change " + ", ".join(sorted(changes)), apply)

    def reinitialize(self, scheme: str, seed: int | None = None, **kwargs: Any) -> None:
        """Draw new parameters with an initialisation scheme and start training afresh.

        Counters and the loss history restart at zero (undoable like any edit).
        """
        seed = self.settings.seed if seed is None else int(seed)
        theta = initialize(self.network, scheme, np.random.default_rng(seed), **kwargs)

        def apply():
            self.network.theta[:] = theta
            self.velocity[:] = 0.0
            self.iteration = self.epoch = self.position = 0
            self.batch_loss.n = self.epoch_loss.n = self.epoch_end.n = 0
        self._action(f"re-initialise ({scheme}, seed {seed})", apply, cuts_history=True)

    def reset(self) -> None:
        """Return to the state the simulation was created or loaded with (undoable)."""
        self._action("reset", lambda: self._restore(self._initial), cuts_history=True)

    def mark_initial(self) -> None:
        """Make the current state the one :meth:`reset` returns to."""
        self._initial = self._snap(full_history=True)

    # -- timeline ------------------------------------------------------------------------------------
    def _snap(self, full_history: bool = False) -> _Snap:
        mom = self.settings.momentum != 0.0
        hist = None
        if full_history:
            hist = (self.batch_loss.view().copy(), self.epoch_loss.view().copy(), self.epoch_end.view().copy())
        return _Snap(self.network.theta.copy(), self.velocity.copy() if mom else None, self.iteration,
                     self.epoch, self.position, self.batch_loss.n, self.epoch_loss.n, self.settings, hist)

    def _restore(self, s: _Snap) -> None:
        self.network.theta[:] = s.theta
        if s.velocity is None:
            self.velocity[:] = 0.0
        else:
            self.velocity[:] = s.velocity
        self.iteration, self.epoch, self.position = s.iteration, s.epoch, s.position
        if s.history is not None:
            self.batch_loss = _Growable(np.float64, s.history[0])
            self.epoch_loss = _Growable(np.float64, s.history[1])
            self.epoch_end = _Growable(np.int64, s.history[2])
        self.batch_loss.n, self.epoch_loss.n, self.epoch_end.n = s.n_loss, s.n_epoch, s.n_epoch
        self.settings = s.settings
        self._loss = get_loss(s.settings.loss)

    def _thin(self) -> None:
        """Merge pairs of old step runs to halve their snapshots (keeps recent ones dense)."""
        tl = self._timeline
        keep_dense = 64
        out: list[_Run | _Action] = []
        k = 0
        limit = len(tl) - keep_dense
        while k < len(tl):
            e = tl[k]
            if (k < limit - 1 and isinstance(e, _Run) and isinstance(tl[k + 1], _Run)):
                nxt = tl[k + 1]
                e.count += nxt.count
                self._timeline_bytes -= nxt.start.nbytes
                out.append(e)
                k += 2
            else:
                out.append(e)
                k += 1
        self._timeline[:] = out

    def step_back(self) -> bool:
        """Undo the last iteration or edit, restoring the exact state before it.

        A pending (partly stepped-into) iteration is abandoned instead.  Returns
        False when there is nothing to undo.
        """
        if self._abandon_pending():
            return True
        if not self._timeline:
            return False
        e = self._timeline.pop()
        self.last_trace = None
        if isinstance(e, _Action):
            self._timeline_bytes -= e.before.nbytes + e.after.nbytes
            self._restore(e.before)
            self._redo.append(e)
            return True
        self._timeline_bytes -= e.start.nbytes
        self._restore(e.start)
        self._replay(e.count - 1)
        self._redo.append(_STEP)
        return True

    def step_back_to(self, iteration: int) -> int:
        """Step back until the iteration counter is at most *iteration*, exactly.

        Whole runs of steps above the target are dropped without replaying them,
        so going back a million iterations costs one replay of at most one run.
        Everything undone can be redone.  Returns how many iterations and edits
        were undone.
        """
        self._abandon_pending()
        target = max(0, int(iteration))
        undone = 0
        tl = self._timeline
        while tl and self.iteration > target:
            e = tl[-1]
            if isinstance(e, _Action):
                self.step_back()
                undone += 1
                continue
            tl.pop()
            self._timeline_bytes -= e.start.nbytes
            self._restore(e.start)
            keep = max(0, target - e.start.iteration)
            self._replay(keep)
            self._redo.extend([_STEP] * (e.count - keep))
            undone += e.count - keep
        self.last_trace = None
        return undone

    def _replay(self, n: int) -> None:
        # Replaying re-creates snapshots every checkpoint_every steps, so a long
        # merged run becomes dense again as the user steps back through it.
        with np.errstate(all="ignore"):
            for _ in range(n):
                _, loss, theta_new, v_new, B, _, _ = self._compute()
                self._commit(theta_new, v_new, loss, B)

    def redo(self) -> bool:
        """Redo the last undone iteration or edit. Returns False when there is none."""
        self._abandon_pending()
        if not self._redo:
            return False
        e = self._redo.pop()
        if isinstance(e, _Action):
            self._restore(e.after)
            self._timeline.append(e)
            self._timeline_bytes += e.before.nbytes + e.after.nbytes
        else:
            self._replay(1)
        self.last_trace = None
        return True

    # -- checks ------------------------------------------------------------------------------------------
    def gradient_check(self, eps: float = 1e-6) -> GradientCheck:
        """Compare the backpropagated gradient of the next batch with central differences.

        Returns the largest relative error ``|a − n| / max(|a| + |n|, 1e-8)`` per layer.
        """
        self._abandon_pending()
        x, t, _ = self._batch()
        net = self.network
        with np.errstate(all="ignore"):
            analytic = run_pass(net, self._loss, x, t).grad
            numeric = np.empty_like(analytic)
            theta0 = net.theta.copy()
            try:
                for k in range(net.n_params):
                    net.theta[k] = theta0[k] + eps
                    lp = dataset_loss(net, self._loss, x, t)
                    net.theta[k] = theta0[k] - eps
                    lm = dataset_loss(net, self._loss, x, t)
                    net.theta[k] = theta0[k]
                    numeric[k] = (lp - lm) / (2 * eps)
            finally:
                net.theta[:] = theta0
        rel = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)
        per_layer = [float(rel[w0:end].max()) for (w0, _, end) in net._offsets]
        return GradientCheck(per_layer, max(per_layer), analytic, numeric)

    # shim until the core refactor lands: CONTRACT.md names the GUI codes against (minimal versions).
    def abandon_pending(self) -> bool:
        """Drop a partly stepped-into iteration (public version of ``_abandon_pending``)."""
        return self._abandon_pending()

    def committed_theta(self) -> np.ndarray:
        """A copy of the parameters as of the last committed state (before any pending iteration)."""
        return (self._pending.theta_before if self._pending else self.network.theta).copy()

    @property
    def last_computation(self) -> Computation | None:
        """The record performed last by step_into, including the last one of an iteration it just completed."""
        if self._pending is not None:
            return self.current_computation
        done = getattr(self, "_shim_completed", None)
        if done is not None and done[1] is self.last_trace and self.iteration == done[1].iteration:
            return done[0]
        return None

    _shim_step_into = step_into

    def step_into(self) -> Computation:  # noqa: F811  (the shim above records what completed an iteration)
        rec = self._shim_step_into()
        self._shim_completed = (rec, self.last_trace) if self._pending is None else None
        return rec
