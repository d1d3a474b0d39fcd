"""The controller: the one object that owns and changes the Simulation.

Widgets call its slots (step, step into, edit, run, open, save, ...) and
redraw from its signals; no widget changes the engine or talks to another
widget.  Long runs are cut into chunks from a QTimer so the window stays
responsive and Pause works at once.
"""
from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from backprop_lab.core import (BackpropLabError, Computation, DivergenceError, Element, RunResult, Simulation,
                               StateFileError, Trace, format_number, load_example, symmetric_groups)
from backprop_lab.core.statefile import EXAMPLES, SaveError

#: Speed slider levels: iterations per second (None = as fast as possible).
SPEEDS: list[int | None] = [1, 3, 10, 30, 100, 1000, 10_000, None]
SPEED_NAMES = ["1 /s", "3 /s", "10 /s", "30 /s", "100 /s", "1,000 /s", "10,000 /s", "maximum"]
#: Traces above this many estimated computations are not built (the window says so).
MAX_TRACE = 20_000
EDGE_VIEWS = ("weight", "gradient", "delta")
#: Up to this many iterations per second, runs take traced steps you can watch.
WATCHABLE = 30
#: Training time per timer tick at maximum speed: short enough for a smooth window.
RUN_CHUNK_SECONDS = 0.008


class SimulationController(QObject):
    """Owns a :class:`Simulation` and announces every change.

    Signals
    -------
    simulation_replaced : a new simulation was opened (structure may differ)
    state_changed : parameters, counters, settings or history changed
    computation_stepped(object) : a single computation was performed (Step into)
    selection_changed(object) : the selected Element (or None)
    display_changed : precision or edge view changed
    run_started, run_progress(int, int), run_finished(object)
    dirty_changed(bool), file_changed(str)
    message(str) : a status-bar message
    error(str, str) : title and text of an error to show the user
    """

    simulation_replaced = Signal()
    state_changed = Signal()
    computation_stepped = Signal(object)
    selection_changed = Signal(object)
    display_changed = Signal()
    run_started = Signal()
    run_progress = Signal(int, int)
    run_finished = Signal(object)
    dirty_changed = Signal(bool)
    file_changed = Signal(str)
    message = Signal(str)
    error = Signal(str, str)

    def __init__(self, sim: Simulation | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sim: Simulation = sim or load_example("mazur")
        self.path: str | None = None
        self.selection: Element | None = None
        self.precision = 9
        self.edge_view = "weight"
        self.speed_level = len(SPEEDS) - 1
        self._preview: Trace | None = None
        self._saved_fp = self._fingerprint()
        self._dirty = False
        self._symmetry: list = []
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_tick)
        self._run_total = 0
        self._run_done = 0
        self._run_t0 = 0.0
        self._last_emit = 0.0
        self.ticks = 0  # timer ticks of the current/last run (tests and benchmarks read it)
        self.redraw_interval = 1 / 60  # state_changed at most this often during a run (about every second chunk)
        self._check_symmetry(announce=False)

    # -- derived state ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def fast_running(self) -> bool:
        """Running faster than a person can watch: views skip per-iteration detail."""
        if not self.running:
            return False
        ips = SPEEDS[self.speed_level]
        return ips is None or ips > WATCHABLE or not self.traceable

    @property
    def traceable(self) -> bool:
        """Whether a full trace of one iteration is small enough to build."""
        s = self.sim
        B = min(s.settings.batch_size, s.n_samples)
        est = B * sum(s.network.sizes[1:]) * 5 + 2 * s.network.n_params
        return est <= MAX_TRACE

    @property
    def trace(self) -> Trace | None:
        """The iteration the window shows: being stepped into, just done, or next (preview)."""
        if self.sim.pending is not None:
            return self.sim.pending
        if self.sim.last_trace is not None:
            return self.sim.last_trace
        if self.fast_running or not self.traceable:
            return None
        if self._preview is None:
            try:
                self._preview = self.sim.preview()
            except BackpropLabError:
                return None
        return self._preview

    @property
    def revealed(self) -> int:
        """How many computations of :attr:`trace` have been performed (all when not stepping)."""
        if self.sim.pending is not None:
            return self.sim.cursor
        if self.sim.last_trace is not None:
            return len(self.sim.last_trace)
        return 0  # a preview: nothing performed yet

    @property
    def is_preview(self) -> bool:
        return self.sim.pending is None and self.sim.last_trace is None

    @property
    def current(self) -> Computation | None:
        return self.sim.current_computation

    @property
    def sample(self) -> int:
        """Position in the batch of the sample the diagram shows."""
        c = self.current
        if c is not None and c.sample is not None:
            return c.sample
        return 0

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def symmetry(self) -> list:
        return self._symmetry

    def _fingerprint(self) -> bytes:
        s = self.sim
        h = hashlib.blake2b(s.network.theta.tobytes(), digest_size=16)
        h.update(repr((s.iteration, s.epoch, s.position, s.settings)).encode())
        return h.digest()

    # -- change announcements -------------------------------------------------------------------
    def _changed(self, *, force: bool = True) -> bool:
        """Announce a change (at most every redraw_interval unless forced); True if announced."""
        self._preview = None
        now = time.perf_counter()
        if not (force or now - self._last_emit >= self.redraw_interval):
            return False
        self._last_emit = now
        self._check_symmetry()
        self.state_changed.emit()
        dirty = self._fingerprint() != self._saved_fp
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)
        return True

    def _check_symmetry(self, announce: bool = True) -> None:
        groups = symmetric_groups(self.sim.network)
        if groups != self._symmetry:
            self._symmetry = groups
            if groups and announce:
                net = self.sim.network
                names = "; ".join(", ".join(net.neuron_name(l, j) for j in js) for l, js in groups)
                self.message.emit(f"Symmetry: {names} have identical weights, so they compute the same value, "
                                  f"get the same gradient and will never differ. Re-initialise randomly to break it.")

    def _fail(self, title: str, exc: BaseException) -> None:
        self.error.emit(title, str(exc))

    # -- stepping ----------------------------------------------------------------------------------
    def step(self) -> None:
        """Finish the current iteration, or perform one full iteration (F10)."""
        if self.running:
            return
        try:
            tr = self.sim.step(trace=self.traceable)
        except DivergenceError as e:
            self._fail("Training diverged", e)
            return
        self._changed()
        it = self.sim.iteration
        self.message.emit(f"Iteration {it} done: batch loss {self._fmt(self.sim.batch_loss.view()[-1])}"
                          + ("" if tr is not None else " (network too large to trace every computation)"))

    def step_into(self) -> None:
        """Perform the next single computation (F11)."""
        if self.running:
            return
        if not self.traceable:
            self.message.emit("This network is too large to step into; Step (F10) performs whole iterations.")
            return
        try:
            rec = self.sim.step_into()
        except DivergenceError as e:
            self._fail("Training diverged", e)
            return
        self._changed()
        self.computation_stepped.emit(rec)
        if self.sim.pending is None:
            self.message.emit(f"Iteration {self.sim.iteration} complete: every parameter is updated.")

    def step_back(self) -> None:
        """Undo the last full iteration or edit, exactly (Shift+F10, Ctrl+Z)."""
        if self.running:
            return
        label = self.sim.undo_label if self.sim.pending is None else "the computations of this iteration"
        if self.sim.step_back():
            self._changed()
            self.message.emit(f"Stepped back: undid {label}.")
        else:
            self.message.emit("Nothing to step back to: this is the start of the timeline.")

    undo = step_back

    def step_back_into(self) -> None:
        """Undo one computation (Shift+F11)."""
        if self.running or not self.traceable:
            return
        if self.sim.step_back_into():
            self._changed()
            self.computation_stepped.emit(self.current)
        else:
            self.message.emit("Nothing to step back to: this is the start of the timeline.")

    def step_back_to(self, iteration: int) -> None:
        """Go back to an earlier iteration exactly (double-click on the loss plot)."""
        if self.running or iteration >= self.sim.iteration:
            return
        n = self.sim.step_back_to(iteration)
        self._changed()
        self.message.emit(f"Stepped back to iteration {self.sim.iteration} ({n:,} steps and edits undone; "
                          f"Redo brings them back).")

    def redo(self) -> None:
        """Redo what was last stepped back (Ctrl+Shift+Z)."""
        if self.running:
            return
        label = self.sim.redo_label
        if self.sim.redo():
            self._changed()
            self.message.emit(f"Redid {label}.")

    # -- running -------------------------------------------------------------------------------------
    def run(self, epochs: int) -> None:
        """Run *epochs* epochs in chunks, announcing progress (F5)."""
        if self.running:
            return
        total = self.sim.iterations_until_epoch(max(1, int(epochs)))
        self.sim._abandon_pending()
        self._run_total, self._run_done = total, 0
        self._run_t0 = time.perf_counter()
        self.ticks = 0
        self._apply_timer_interval()
        self._timer.start()
        self.run_started.emit()
        self.run_progress.emit(0, total)

    def pause(self) -> None:
        """Stop a run at once (the current chunk is already complete)."""
        if self.running:
            self._stop_run(paused=True)

    def set_speed(self, level: int) -> None:
        self.speed_level = max(0, min(len(SPEEDS) - 1, int(level)))
        if self.running:
            self._apply_timer_interval()

    def _apply_timer_interval(self) -> None:
        ips = SPEEDS[self.speed_level]
        self._timer.setInterval(0 if ips is None else max(1, int(1000 / ips)) if ips <= WATCHABLE else 16)

    def _on_tick(self) -> None:
        self.ticks += 1
        ips = SPEEDS[self.speed_level]
        remaining = self._run_total - self._run_done
        if ips is None:
            r = self.sim.run(remaining, time_budget=RUN_CHUNK_SECONDS)
        elif ips <= WATCHABLE:
            # Slow enough to watch: a traced step, so the diagram and equations show its numbers.
            r = RunResult(0)
            try:
                self.sim.step(trace=self.traceable)
                r.iterations = 1
            except DivergenceError as e:
                r.diverged, r.reason = True, str(e)
        else:
            r = self.sim.run(min(remaining, max(1, round(ips * 0.016))))
        self._run_done += r.iterations
        finished = r.diverged or self._run_done >= self._run_total
        if self._changed(force=finished or (ips is not None and ips <= WATCHABLE)):
            # progress goes out with the (throttled) redraws, not after every 8 ms chunk
            self.run_progress.emit(self._run_done, self._run_total)
        if r.diverged:
            self._stop_run(paused=False)
            self.error.emit("Training diverged", r.reason + "\n\nThe last finite state is kept; step back or "
                            "lower the learning rate.")
        elif finished:
            self._stop_run(paused=False)

    def _stop_run(self, paused: bool) -> None:
        self._timer.stop()
        secs = time.perf_counter() - self._run_t0
        self._changed()
        rate = self._run_done / secs if secs > 0 else float("inf")
        self.message.emit(("Paused" if paused else "Run finished") +
                          f" after {self._run_done:,} iterations ({rate:,.0f} iterations/s); "
                          f"training loss {self._fmt(self.sim.loss())}.")
        self.run_finished.emit({"paused": paused, "iterations": self._run_done, "seconds": secs})

    def eta(self) -> float | None:
        """Seconds left in the current run, estimated from its pace so far."""
        if not self.running or self._run_done == 0:
            return None
        rate = self._run_done / max(time.perf_counter() - self._run_t0, 1e-9)
        return (self._run_total - self._run_done) / rate

    # -- edits ------------------------------------------------------------------------------------------
    def edit_parameter(self, element: Element, text: str, *, merge: bool = False) -> str | None:
        """Set a weight or bias from user text. Returns an error message, or None on success.

        Nothing changes when the text is not a finite number.
        """
        name = self.sim.network.element_name(element)
        try:
            value = float(str(text).strip().replace("−", "-"))
        except ValueError:
            return f"“{text}” is not a number; {name} is unchanged."
        if not math.isfinite(value):
            return f"{text} is not a finite number; {name} is unchanged."
        was_pending = self.sim.pending is not None
        try:
            self.sim.set_parameter(element, value, merge=merge)
        except BackpropLabError as e:
            return str(e)
        self._changed()
        msg = f"{name} = {self._fmt(value)}; training loss now {self._fmt(self.sim.loss())}."
        if was_pending:
            msg = "Edited mid-iteration: the rest of that iteration was abandoned and is recomputed " \
                  "from the edited weights. " + msg
        self.message.emit(msg)
        return None

    def nudge_parameter(self, element: Element, delta: float) -> None:
        """Scrub a parameter by *delta* (mouse wheel/drag); consecutive nudges merge into one undo step."""
        v = self.sim.parameter(element) + delta
        self.edit_parameter(element, repr(v), merge=True)

    def set_training(self, **changes) -> str | None:
        """Change training settings; returns an error message or None."""
        try:
            self.sim.set_training(**changes)
        except BackpropLabError as e:
            self.message.emit(str(e))
            self.state_changed.emit()  # let widgets show the unchanged value again
            return str(e)
        self._changed()
        return None

    def reinitialize(self, scheme: str, seed: int, **kwargs) -> None:
        try:
            self.sim.reinitialize(scheme, seed, **kwargs)
        except BackpropLabError as e:
            self._fail("Cannot re-initialise", e)
            return
        self._changed()
        self.message.emit(f"Weights re-initialised ({scheme}, seed {seed}); training starts again from iteration 0.")

    def reset(self) -> None:
        """Back to the state the file was opened with (Ctrl+R, undoable)."""
        if self.running:
            self.pause()
        self.sim.reset()
        self._changed()
        self.message.emit("Reset to the initial state (Ctrl+Z undoes the reset).")

    def select(self, element: Element | None) -> None:
        if element != self.selection:
            self.selection = element
            self.selection_changed.emit(element)

    def set_precision(self, digits: int) -> None:
        digits = max(2, min(15, int(digits)))
        if digits != self.precision:
            self.precision = digits
            self.display_changed.emit()

    def set_edge_view(self, mode: str) -> None:
        if mode not in EDGE_VIEWS:
            raise ValueError(f"edge view must be one of {EDGE_VIEWS}")
        if mode != self.edge_view:
            self.edge_view = mode
            self.display_changed.emit()

    def _fmt(self, v: float) -> str:
        return format_number(v, self.precision)

    # -- files --------------------------------------------------------------------------------------------
    def _replace(self, sim: Simulation, path: str | None) -> None:
        if self.running:
            self._stop_run(paused=True)
        self.sim = sim
        self.path = path
        self.selection = None
        self._preview = None
        disp = getattr(sim, "display", {}) or {}
        if isinstance(disp.get("precision"), int):
            self.precision = max(2, min(15, disp["precision"]))
        if disp.get("edge_view") in EDGE_VIEWS:
            self.edge_view = disp["edge_view"]
        self._saved_fp = self._fingerprint()
        self._dirty = False
        self._symmetry = []
        self.simulation_replaced.emit()
        self.selection_changed.emit(None)
        self._check_symmetry()
        self.state_changed.emit()
        self.dirty_changed.emit(False)
        self.file_changed.emit(path or "")

    def open(self, path: str) -> bool:
        """Open a state file; on any problem the current state stays and an error is shown."""
        try:
            sim = Simulation.load(path)
        except StateFileError as e:
            self._fail("Cannot open the file", e)
            return False
        self._replace(sim, str(Path(path)))
        self.message.emit(f"Opened {path}.")
        return True

    def open_example(self, name: str) -> bool:
        try:
            sim = load_example(name)
        except (KeyError, StateFileError) as e:
            self._fail("Cannot open the example", e)
            return False
        self._replace(sim, None)
        self.message.emit(f"Example: {EXAMPLES[name][1]}.")
        return True

    def save(self, path: str | None = None) -> bool:
        """Save to *path* (or the current file). Returns False and shows why on failure."""
        path = path or self.path
        if not path:
            return False
        self.sim.display = {"precision": self.precision, "edge_view": self.edge_view}
        try:
            self.sim.save(path)
        except (SaveError, OSError) as e:
            self._fail("Cannot save", e)
            return False
        self.path = str(path)
        self._saved_fp = self._fingerprint()
        if self._dirty:
            self._dirty = False
            self.dirty_changed.emit(False)
        self.file_changed.emit(self.path)
        self.message.emit(f"Saved {path}.")
        return True
