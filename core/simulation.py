"""The Simulation facade: one network, its data and settings, composed with the engine, cursor, timeline and history.

Everything a user does — a full iteration, one computation of an iteration, a
hand edit, a settings change, a structure change — goes through a :class:`Simulation`, which
records it on its :class:`~.timeline.Timeline` so that :meth:`step_back`
restores the state before it bit for bit.  The work is done by the modules it
composes: :mod:`.dataset` (the data), :mod:`.schedule` (which samples),
:mod:`.iteration` (loss, gradient, update), :mod:`.tracing` (the records),
:mod:`.cursor` (stepping into), :mod:`.timeline` (undo/redo) with :mod:`.rewind` (this
simulation's snapshots, step back and redo), :mod:`.fast_run` (many iterations without traces),
:mod:`.edits` (hand edits) and :mod:`.history` (the loss curves).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .cursor import StepCursor, SteppingInto
from .dataset import Dataset
from .edits import Editing
from .errors import DivergenceError
from .fast_run import FastRuns, RunResult
from .gradcheck import MAX_CHECKED_WEIGHTS, GradientCheck, choose_parameters, gradient_check
from .history import Growable, HistoryAccess, LossHistory
from .iteration import Computed, IterationEngine
from .kernel import dataset_outputs
from .network import Network
from .optimizer import OptimizerState
from .progress import check_progress
from .rewind import Rewinding
from .schedule import BatchSchedule, iterations_per_epoch, iterations_until_epoch
from .settings import TrainingSettings
from .timeline import Timeline
from .trace import Trace
from .tracing import TraceBuilder

__all__ = ["GradientCheck", "Growable", "RunResult", "Simulation", "TrainingSettings", "register_file_format"]

#: Parameters up to this many bytes get a snapshot before each step a person takes (see ``_finish_pending``).
SNAPSHOT_EACH_STEP_BYTES = 2**20

# State files are read and written by .statefile, which imports this module; to keep the import graph
# acyclic it registers its functions here (the package's __init__ does so on import).
_file_format: Any = None


def register_file_format(module: Any) -> None:
    """Let :meth:`Simulation.load`, ``from_dict``, ``to_dict`` and ``save`` use *module*'s functions."""
    global _file_format
    _file_format = module


class Simulation(Editing, SteppingInto, HistoryAccess, Rewinding, FastRuns):
    """A network, its training data and settings, and the timeline of everything done to it.

    Parameters
    ----------
    network : Network
        The network; the simulation owns it from now on.  A structure edit (or
        stepping back over one) replaces ``sim.network`` by another object, so
        read it from the simulation rather than keeping it.
    inputs, targets : array_like
        Training data, shapes ``(N, n_0)`` and ``(N, n_L)``.
    settings : TrainingSettings
        Training hyper-parameters.
    test_inputs, test_targets : array_like, optional
        A test set (both or neither); its loss is recorded after each epoch.
    name, notes : str
        Shown by the GUI and kept in state files.
    checkpoint_every : int
        Steps between timeline snapshots (step back replays at most this many).
    timeline_budget : int
        Bytes of snapshots kept before old runs are merged.
    """

    def __init__(self, network: Network, inputs: Any, targets: Any, settings: TrainingSettings | None = None, *,
                 test_inputs: Any = None, test_targets: Any = None, name: str = "", notes: str = "",
                 checkpoint_every: int = 32, timeline_budget: int = 128 * 2**20) -> None:
        self.network = network
        self.data = Dataset.build(network.sizes[0], network.sizes[-1], inputs, targets, test_inputs, test_targets)
        self.settings = (settings or TrainingSettings()).check(network)
        self.name, self.notes = name, notes
        self.display: dict = {}
        self.state = OptimizerState.fresh(self.settings, network.n_params)
        self.iteration = self.epoch = self.position = 0
        self.history = LossHistory()
        self.timeline = Timeline(checkpoint_every, timeline_budget)
        self.cursor_state = StepCursor()
        self.engine = IterationEngine(network)
        self.schedule = BatchSchedule()
        self.last_trace: Trace | None = None
        self._tracer: TraceBuilder | None = None  # reused while the structure and settings stay (see fits)
        self.abandoned_iteration = False  # set by edits that cut a pending iteration short
        self.structure_edits = 0  # structure edits in the current history (seeds new parameters' draw)
        self._new_params: np.ndarray | None = None
        self._initial = self._snapshot(full_history=True)

    # -- files (see register_file_format) ----------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, *, cancel: Callable[[], bool] | None = None) -> "Simulation":
        """Load a state file; raises :class:`StateFileError` naming the file and place.

        *cancel* (a function, e.g. ``threading.Event().is_set``) is asked between pieces of the work;
        once it returns True the load stops with :class:`~.errors.Cancelled`.
        """
        return _file_format.load_simulation(path, cancel=cancel)

    @classmethod
    def from_dict(cls, data: dict, *, source: str | None = None) -> "Simulation":
        """Build a simulation from a state dict (as read from JSON), validating it fully."""
        return _file_format.simulation_from_dict(data, source=source)

    def to_dict(self) -> dict:
        """The current state as a JSON-ready dict (the state-file format)."""
        return _file_format.simulation_to_dict(self)

    def save(self, path: str | Path) -> None:
        """Write the state file atomically (temporary file, fsync, rename)."""
        _file_format.save_simulation(self, path)

    # -- data --------------------------------------------------------------------------------------------
    @property
    def inputs(self) -> np.ndarray:
        return self.data.inputs

    @property
    def targets(self) -> np.ndarray:
        return self.data.targets

    @property
    def test_inputs(self) -> np.ndarray | None:
        return self.data.test_inputs

    @property
    def test_targets(self) -> np.ndarray | None:
        return self.data.test_targets

    @property
    def n_samples(self) -> int:
        return self.data.n_samples

    # -- optimizer state ---------------------------------------------------------------------------------
    @property
    def velocity(self) -> np.ndarray:
        """SGD momentum's velocity (zeros when the optimizer keeps none); a read-only copy."""
        v = self.state.velocity.copy() if self.state.velocity is not None else np.zeros(self.network.n_params)
        v.setflags(write=False)
        return v

    def optimizer_state(self) -> dict:
        """``{"velocity": …}`` (momentum), ``{"m": …, "v": …, "t": …}`` (Adam) or ``{}``; copies."""
        return self.state.as_dict()

    # -- counters and labels -----------------------------------------------------------------------------
    @property
    def iterations_per_epoch(self) -> int:
        return iterations_per_epoch(self.settings, self.n_samples)

    def iterations_until_epoch(self, epochs: int) -> int:
        """How many iterations complete *epochs* more epochs from the current position."""
        return iterations_until_epoch(self.settings, self.n_samples, self.position, epochs)

    def next_batch(self) -> np.ndarray:
        """Dataset indices of the samples the next iteration will use."""
        return self.schedule.indices(self.settings, self.epoch, self.position, self.n_samples)

    @property
    def checkpoint_every(self) -> int:
        return self.timeline.checkpoint_every

    @property
    def timeline_budget(self) -> int:
        return self.timeline.budget

    @timeline_budget.setter
    def timeline_budget(self, value: int) -> None:
        self.timeline.budget = int(value)

    def timeline_nbytes(self) -> int:
        """Bytes held by the timeline's snapshots and the loss history."""
        return self.timeline.nbytes + self.history.nbytes

    def can_step_back(self) -> bool:
        return self.timeline.can_undo() or self.cursor > 0

    def can_redo(self) -> bool:
        return self.cursor_state.redoable or self.timeline.can_redo()

    @property
    def undo_label(self) -> str:
        """What Undo (or Step back) undoes next: a partly stepped-into iteration's computations come first."""
        if self.pending is not None and self.cursor > 0:
            return f"the computations of iteration {self.iteration + 1:,}"
        return self.timeline.undo_label(self.iteration)

    @property
    def redo_label(self) -> str:
        if self.cursor_state.redoable:
            return f"computation {self.cursor + 1:,} of iteration {self.iteration + 1:,}"
        return self.timeline.redo_label(self.iteration)

    # -- read-only evaluations ---------------------------------------------------------------------------
    def loss(self) -> float:
        """Mean loss over the whole training set at the current parameters (regularisation included)."""
        with np.errstate(all="ignore"):
            return self.engine.loss(self.inputs, self.targets, self.settings)

    def test_loss(self) -> float | None:
        """Mean loss over the test set at the current parameters, or None without a test set."""
        if not self.data.has_test:
            return None
        with np.errstate(all="ignore"):
            return self.engine.loss(self.data.test_inputs, self.data.test_targets, self.settings)

    def outputs(self) -> np.ndarray:
        """Network outputs for every training sample, ``(N, n_L)``."""
        with np.errstate(all="ignore"):
            return dataset_outputs(self.network, self.inputs)

    def committed_theta(self) -> np.ndarray:
        """A copy of the parameters of the last committed state (before a partly stepped-into iteration)."""
        return self.cursor_state.committed_theta(self.network.theta)

    def gradient_check(self, eps: float = 1e-6, *, max_weights: int = MAX_CHECKED_WEIGHTS,
                       seed: int = 0) -> GradientCheck:
        """Compare the backpropagated gradient of the next batch with central differences.

        Evaluated at the committed parameters on a copy of the network, so a
        pending iteration and the timeline are untouched.  With more than
        *max_weights* weights, every bias and *max_weights* weights drawn with
        ``numpy.random.default_rng(seed)`` are checked (``GradientCheck.checked``).
        """
        return self.gradient_check_task(eps, max_weights=max_weights, seed=seed)()

    def gradient_check_task(self, eps: float = 1e-6, *, max_weights: int = MAX_CHECKED_WEIGHTS,
                            seed: int = 0) -> Callable[[], GradientCheck]:
        """:meth:`gradient_check` in two halves: the backpropagated gradient now, and a function that does the
        (slow) finite differences on copies, so that it may run on another thread while this simulation
        changes."""
        net = Network(self.network.sizes, self.network.activation_names, self.committed_theta())
        engine = IterationEngine(net)
        x, t, _ = self.schedule.batch(self.data, self.settings, self.epoch, self.position)
        x, t, settings = np.array(x, copy=True), np.array(t, copy=True), self.settings
        with np.errstate(all="ignore"):
            analytic = engine.gradient(x, t, settings, self.state, self.iteration)
        chosen = choose_parameters(net, max_weights, seed)
        return lambda: gradient_check(net, analytic, lambda th: engine.loss(x, t, settings, th), eps, chosen)

    def preview(self) -> Trace:
        """The trace the next iteration would produce, without performing it."""
        if self.cursor_state.pending:
            return self.cursor_state.pending.trace
        return self._traced()[0]

    # -- the iteration -----------------------------------------------------------------------------------
    def _compute(self, detail: bool = False) -> Computed:
        x, t, _ = self.schedule.batch(self.data, self.settings, self.epoch, self.position)
        return self.engine.compute(x, t, self.data, self.settings, self.state, self.iteration, detail)

    def _traced(self) -> tuple[Trace, Computed]:
        with np.errstate(all="ignore"):
            c = self._compute(detail=True)
            if self._tracer is None or not self._tracer.fits(self.network, self.settings):
                self._tracer = TraceBuilder(self.network, self.settings)
            return self._tracer.build(self.iteration + 1, self.next_batch(), c.targets, c, self.state,
                                      self.iteration, self.network), c

    def _commit(self, c: Computed, own_run: bool = False) -> None:
        """Apply a computed iteration and advance the counters and history; recorded on the timeline.

        *own_run*: the step gets its own snapshot (see :meth:`.Timeline.before_step`).
        """
        run = self.timeline.before_step(self._snapshot, own_run)
        theta = self.network.theta
        ends_epoch = self.position + c.batch_size >= self.data.n_samples
        if ends_epoch:
            old = theta.copy()
            theta[:] = c.update.theta
            ep_loss = self.engine.epoch_end_loss(self.data, self.settings)
            if not math.isfinite(ep_loss):
                theta[:] = old
                self.timeline.cancel_step()
                raise DivergenceError(f"Iteration {self.iteration + 1:,}: the training loss would become "
                                      f"{ep_loss}; the update was not kept", self.iteration)
            test = self.test_loss() if self.data.test_inputs is not None else math.nan
        else:
            theta[:] = c.update.theta
        if c.update.state is not self.state:
            self.state.assign(c.update.state)
        run.count += 1
        self._new_params = None
        self.iteration += 1
        h = self.history
        h.batch_loss.append(c.loss)
        if ends_epoch:
            self.position = 0
            self.epoch += 1
            h.epoch_loss.append(ep_loss)
            h.epoch_end.append(self.iteration)
            h.test_epoch_loss.append(test)
        else:
            self.position += c.batch_size

    def step(self, trace: bool = True) -> Trace | None:
        """Perform one full iteration (or finish the one being stepped into).

        Returns its :class:`Trace` (``None`` with ``trace=False``).  Raises
        :class:`DivergenceError` and changes nothing if the update is not finite.
        """
        self.timeline.redo_stack.clear()
        self.cursor_state.last = None
        if self.cursor_state.pending:
            tr = self.cursor_state.pending.trace
            self._finish_pending()
            return tr
        if not trace:
            with np.errstate(all="ignore"):
                self._commit(self._compute())
            self.last_trace = None
            return None
        tr = self.begin_iteration()
        self._finish_pending()
        return tr

    def begin_iteration(self) -> Trace:
        """Compute the next iteration's trace and start stepping into it (cursor 0)."""
        if self.cursor_state.pending:
            return self.cursor_state.pending.trace
        tr, c = self._traced()
        self.cursor_state.begin(tr, self.network.theta, c)
        return tr

    def _finish_pending(self) -> None:
        pend = self.cursor_state.take(self.network.theta)
        # A step a person took gets its own snapshot while parameters are small (a hundred thousand of them
        # copy in well under a millisecond): stepping back is then a restore, not a replay of up to
        # checkpoint_every iterations.  Larger networks share snapshots as scripts' steps do.
        own = self.network.theta.nbytes <= SNAPSHOT_EACH_STEP_BYTES
        try:
            with np.errstate(all="ignore"):
                self._commit(pend.computed, own)
        except DivergenceError:
            self.cursor_state.last = None  # the iteration was not kept: no current step of it
            raise
        self.last_trace = pend.trace

    # -- edits (recorded as actions) ---------------------------------------------------------------------
    def _action(self, label: str, apply: Callable[[], None], *, cuts_history: bool = False) -> None:
        abandoned = self.abandon_pending()
        before = self._snapshot(full_history=cuts_history)
        try:
            apply()
        except Exception:
            self._restore(before)
            raise
        self.timeline.record(before, self._snapshot(full_history=cuts_history), label)
        self.last_trace = None
        self.cursor_state.last = None
        self.abandoned_iteration = abandoned

    def reset(self) -> None:
        """Return to the state the simulation was created or loaded with (undoable)."""
        self._action("reset", lambda: self._restore(self._initial), cuts_history=True)

    def mark_initial(self) -> None:
        """Make the current state the one :meth:`reset` returns to."""
        self._initial = self._snapshot(full_history=True)

    def restore_progress(self, iteration: int, epoch: int, position: int, batch_loss: Any, epoch_loss: Any,
                         epoch_end: Any, optimizer_state: dict | None = None, test_loss: Any = None,
                         reduced: dict | None = None) -> None:
        """Set the counters, loss history and optimizer state of a saved state (used after construction).

        *reduced* holds the buckets of the history's older part (:meth:`LossHistory.reduced`); the
        lists are then the entries after them.  Checks that they agree with each other, the data and the settings
        (:class:`ConfigError` naming the problem; nothing changes then), then
        clears the timeline and makes this the state :meth:`reset` returns to.
        """
        hist, state = check_progress(self.n_samples, self.network.n_params, self.settings, iteration, epoch,
                                     position, batch_loss, epoch_loss, epoch_end, optimizer_state, test_loss,
                                     reduced)
        self.abandon_pending()
        self.iteration, self.epoch, self.position = int(iteration), int(epoch), int(position)
        self.history.replace(*hist)
        self.state = state
        self.timeline.clear()
        self.last_trace = None
        self.cursor_state.last = None
        self.mark_initial()
