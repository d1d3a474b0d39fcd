"""Building view states from a Simulation (Qt-free): what changed since the last one, and the new one.

Only the Simulation's public API is read.  Expensive parts — the next iteration's preview, the training-set
loss, the symmetry groups — are computed when what they depend on changed, else taken from the last state.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np

from backprop_lab.core import BackpropLabError, Element, Simulation, Trace, symmetric_groups

from .identity import Same
from .view_state import (
    COMPLETE,
    CURSOR_MOVED,
    HISTORY_CHANGED,
    PARAMETERS_CHANGED,
    READY,
    RUNNING,
    SETTINGS_CHANGED,
    SIMULATION_REPLACED,
    STEPPING,
    UNTRACEABLE,
    Display,
    ViewState,
    VisibleValues,
    frozen,
    shown_position,
)

ENGINE = frozenset({SIMULATION_REPLACED, PARAMETERS_CHANGED, HISTORY_CHANGED, SETTINGS_CHANGED})


def fingerprint(sim: Simulation) -> tuple[bytes, Same]:
    """A digest of what a state file of *sim* would hold, and its dataset (held, compared by identity), to tell
    whether there are unsaved changes."""
    h = hashlib.blake2b(np.ascontiguousarray(sim.committed_theta()), digest_size=16)  # hashed in place
    h.update(repr((sim.iteration, sim.epoch, sim.position, sim.settings, _structure(sim))).encode())
    return h.digest(), Same(sim.data)


def _structure(sim: Simulation) -> tuple:
    """The network's layer sizes and activations (a structure edit changes them)."""
    return tuple(sim.network.sizes), tuple(sim.network.activation_names)


def _cursor_key(sim: Simulation) -> tuple:
    """The shown iteration's objects and how far it is performed (objects compared by identity)."""
    return sim.pending, sim.cursor, sim.last_trace, sim.last_computation


class TraceCache:
    """The traces of iterations already computed, by the exact state they start from.

    Stepping back to a state whose next iteration was shown before needs no new trace (and stepping forward
    from a previewed state can take the fast path and show the preview, which is that iteration's trace:
    the traced and the fast path give the same bits).  The key holds everything the next iteration depends
    on, the optimizer's memory included (momentum's velocity, Adam's moments and update count).
    """

    MAX_RECORDS = 60_000  # about 30 MB of records in all
    MAX_ENDS = 256  # states an iteration shown complete ended in, remembered

    def __init__(self) -> None:
        self._traces: OrderedDict[tuple, Trace] = OrderedDict()
        self._records = 0
        self._ends: OrderedDict[tuple, Trace] = OrderedDict()  # the state an iteration ended in -> its trace
        self._ends_at: OrderedDict[tuple, Trace] = OrderedDict()  # the same by the weights only (_weights_key)

    @staticmethod
    def key(sim: Simulation, committed: bool = False) -> tuple | None:
        """The key of *sim*'s state (None mid-iteration unless *committed*: then the state the partly
        stepped-into iteration started from, whose optimizer memory is still the current one — an iteration
        hands its new memory over when it ends)."""
        if sim.pending is not None and not committed:
            return None
        theta = sim.committed_theta() if sim.pending is not None else sim.network.theta
        memory = tuple((name, a.tobytes() if isinstance(a, np.ndarray) else a)
                       for name, a in sorted(sim.optimizer_state().items()))
        return (sim.iteration, sim.epoch, sim.position, sim.settings, Same(sim.inputs), Same(sim.targets),
                _structure(sim), theta.tobytes(), memory)

    def get(self, key: tuple | None) -> Trace | None:
        if key is None or key not in self._traces:
            return None
        self._traces.move_to_end(key)
        return self._traces[key]

    def put(self, key: tuple | None, trace: Trace | None) -> None:
        if key is None or trace is None or key in self._traces:
            return
        self._traces[key] = trace
        self._records += len(trace)
        while self._records > self.MAX_RECORDS and len(self._traces) > 1:
            self._records -= len(self._traces.popitem(last=False)[1])

    @staticmethod
    def _weights_key(key: tuple) -> tuple:
        """*key* without the settings and the optimizer's memory: where the weights are, however one goes on."""
        return key[:3] + key[4:8]

    def ended(self, key: tuple | None, trace: Trace) -> None:
        """*trace*'s iteration, shown complete, ended in the state with *key*."""
        if key is None:
            return
        for ends, k in ((self._ends, key), (self._ends_at, self._weights_key(key))):
            ends[k] = trace
            ends.move_to_end(k)
            while len(ends) > self.MAX_ENDS:
                ends.popitem(last=False)

    def last_updates(self, key: tuple | None) -> Trace | None:
        """The iteration whose updates brought the weights where *key*'s are (its Δw are the last updates
        performed), also after a setting changed since — a new learning rate or optimizer changes how the next
        iteration goes, not what the last one did."""
        if key is None:
            return None
        return self._ends.get(key) or self._ends_at.get(self._weights_key(key))

    def ending_in(self, key: tuple | None) -> Trace | None:
        """The trace of the iteration that ended in the state with *key* (stepping back or redoing to the end
        of an iteration shown before shows it complete again, as the step that first ended there did)."""
        if key is None:
            return None
        tr = self._ends.get(key)
        if tr is not None:
            self._ends.move_to_end(key)
        return tr

    def clear(self) -> None:
        self._traces.clear()
        self._ends.clear()
        self._records = 0


class StateBuilder:
    """Makes the successive view states of one controller (numbered by ``serial``).

    ``completed`` is set by the controller when it performed a step on the fast path because that
    iteration's trace was known: the state then shows that trace as the iteration just completed.
    """

    def __init__(self) -> None:
        self.serial = 0
        self._shown_key: tuple = ()
        self.traces = TraceCache()
        self.completed: tuple[tuple, Trace] | None = None  # (engine key after the step, its trace)
        self._shown_build: tuple = ()  # (structure, dataset) last published
        self._visible = VisibleValues()

    def changes(self, sim: Simulation, prev: ViewState, fast: bool) -> set[str]:
        """What changed in the engine since *prev* was published."""
        ch = set()
        build = (_structure(sim), sim.data)
        if self._shown_build and (build[0] != self._shown_build[0] or build[1] is not self._shown_build[1]):
            ch.add(SIMULATION_REPLACED)  # a structure or data edit (or its undo): every view rebuilds
        if not np.array_equal(sim.network.theta, prev.theta):
            ch.add(PARAMETERS_CHANGED)
        if (sim.iteration, sim.epoch, sim.position, len(sim.batch_loss.view()), len(sim.epoch_loss.view())) != \
                (prev.iteration, prev.epoch, prev.position, len(prev.batch_loss), len(prev.epoch_loss)):
            ch.add(HISTORY_CHANGED)
        if sim.settings != prev.settings:
            ch.add(SETTINGS_CHANGED)
        key = _cursor_key(sim)
        if not all(a == b if isinstance(a, int) else a is b for a, b in zip(key, self._shown_key)):
            ch.add(CURSOR_MOVED)
        if fast != prev.fast_running or (ch & ENGINE and not fast):
            ch.add(CURSOR_MOVED)  # what is shown of the iteration depends on all of these (none while running)
        return ch

    def _shown_iteration(self, sim: Simulation, fast: bool, traceable: bool, engine_moved: bool,
                         prev: ViewState | None) -> tuple:
        """(mode, trace, revealed, current, previous) of what the window shows; *previous* is the trace of the
        iteration that ended where a stepped-into one started (its updates are the last ones performed)."""
        if fast:
            return RUNNING, None, 0, None, None
        if not traceable:
            return UNTRACEABLE, None, 0, None, None
        key = TraceCache.key(sim, committed=True)  # (without a pending iteration: the state's own key)
        pend = sim.pending
        if pend is not None:
            previous = self.traces.last_updates(key)
            if sim.cursor == 0:  # entered but nothing performed: the state is "ready for it"
                return READY, pend, 0, None, previous
            return STEPPING, pend, sim.cursor, sim.last_computation, previous
        if sim.last_trace is not None:
            self.traces.ended(key, sim.last_trace)
            return COMPLETE, sim.last_trace, len(sim.last_trace), sim.last_computation, None
        if self.completed is not None and self.completed[0] == key:
            tr = self.completed[1]
            self.traces.ended(key, tr)
            return COMPLETE, tr, len(tr), None, None
        self.completed = None
        tr = self.traces.ending_in(key)
        if tr is not None:  # (so a preview never has a known previous iteration: it is shown complete instead)
            return COMPLETE, tr, len(tr), None, None
        # (a setting changed at an iteration's end: the preview of the next, and the last updates still shown)
        previous = self.traces.last_updates(key)
        if prev is not None and prev.mode == READY and prev.trace is not None and not engine_moved:
            return READY, prev.trace, 0, None, previous  # the same preview: nothing it depends on changed
        tr = self.traces.get(key)
        if tr is None:
            try:
                tr = sim.preview()
            except BackpropLabError:  # the next iteration would diverge: nothing to preview
                return READY, None, 0, None, previous
            self.traces.put(key, tr)
        return READY, tr, 0, None, previous

    def build(self, sim: Simulation, changes: frozenset, prev: ViewState | None, hold: frozenset, *, fast: bool,
              running: bool, traceable: bool, selection: Element | None, display: Display, path: str | None,
              dirty: bool) -> ViewState:
        """The state after *changes*; parts in *hold* keep *prev*'s values (see ``SimulationController._sync``)."""
        net = sim.network
        theta = prev.theta if (prev is not None and PARAMETERS_CHANGED in hold) else frozen(net.theta.copy())
        engine_moved = bool(changes & ENGINE)
        if prev is None or engine_moved or CURSOR_MOVED in changes or (
                prev.display.hide_future != display.hide_future):
            mode, trace, revealed, current, previous = self._shown_iteration(sim, fast, traceable, engine_moved,
                                                                             prev)
            sample = shown_position(trace, current, display.traced_sample)
            values = self._visible.get(trace, revealed, mode, sample, display.hide_future)
            sample_index = int(trace.batch[sample]) if trace is not None and len(trace.batch) > sample \
                else int(sim.next_batch()[0])
        else:
            mode, trace, revealed, current = prev.mode, prev.trace, prev.revealed, prev.current
            previous = prev.previous_trace
            sample, values, sample_index = prev.sample, prev.values, prev.sample_index
        if prev is None or changes & {SIMULATION_REPLACED, PARAMETERS_CHANGED, SETTINGS_CHANGED} - hold:
            loss = None if fast else sim.loss()  # the one training-set forward pass of this action
            test_loss = None if fast else sim.test_loss()
            symmetry = tuple((l, tuple(js)) for l, js in symmetric_groups(net))
        else:
            loss, symmetry, test_loss = prev.training_loss, prev.symmetry, prev.test_loss
        self.serial += 1
        self._shown_key = _cursor_key(sim)
        self._shown_build = (_structure(sim), sim.data)
        return ViewState(
            serial=self.serial, changes=changes, network=net, theta=theta, settings=sim.settings,
            inputs=sim.inputs, name=sim.name, notes=sim.notes, path=path, iteration=sim.iteration,
            epoch=sim.epoch, position=sim.position, n_samples=sim.n_samples,
            iterations_per_epoch=sim.iterations_per_epoch, batch_loss=frozen(sim.batch_loss.view()),
            epoch_loss=frozen(sim.epoch_loss.view()), epoch_end=frozen(sim.epoch_end.view()), mode=mode,
            trace=trace, revealed=revealed, current=current, values=values, sample=sample,
            sample_index=sample_index, selection=selection, training_loss=loss, symmetry=symmetry,
            display=display, running=running, fast_running=fast, traceable=traceable,
            can_step_back=sim.can_step_back(), can_redo=sim.can_redo(), undo_label=sim.undo_label,
            redo_label=sim.redo_label, dirty=dirty, test_epoch_loss=frozen(sim.test_epoch_loss.view()),
            test_loss=test_loss, reduced=sim.history.reduced(), previous_trace=previous)
