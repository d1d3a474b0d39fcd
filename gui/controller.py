"""The controller: the only writer of the Simulation; after each user action it publishes one view state.

Widgets and actions call its methods (step, step into, edit, run, open, save, ...).  Each method changes the
engine through its public API, then its :class:`~backprop_lab.gui.publisher.Publisher` compares the engine with
the last published :class:`~backprop_lab.gui.view_state.ViewState`, builds the new one (the training-set loss
and the visible records computed once) and the controller emits the fine signals for what changed —
``parameters_changed``, ``history_changed``, ``cursor_moved``, ``settings_changed``, ``selection_changed``,
``display_changed``, ``simulation_replaced`` — each carrying the same state.  Failures go out through one signal,
``error(title, message, details)``; methods return None or a bool.
"""
from __future__ import annotations

import time
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from backprop_lab.core import (
    BackpropLabError,
    DivergenceError,
    Element,
    Simulation,
    load_example,
)

from . import view_state as vs
from .build_edits import BuildEdits
from .controller_files import FileActions
from .controller_practice import PracticeActions
from .divergence import divergence_message, loss_words
from .publisher import Context, Publisher
from .run_loop import MAX_SPEED, SPEED_NAMES, SPEEDS, RunEnd, RunLoop
from .validation import Validation, parse_number
from .view_state import EDGE_VIEWS, Display, ViewState, updated_what

__all__ = ["SimulationController", "SPEEDS", "SPEED_NAMES", "MAX_TRACE", "EDGE_VIEWS"]

#: Traces above this many estimated computations are not built (the window says so).
MAX_TRACE = 20_000
#: During fast runs: the plot and counters at most this often, the diagram at most every PARAMS_INTERVAL.
HISTORY_INTERVAL = 1 / 20
PARAMS_INTERVAL = 1.0


class SimulationController(BuildEdits, FileActions, PracticeActions, QObject):
    """Owns a :class:`Simulation`, changes it on request and publishes a :class:`ViewState` per change.

    Signals
    -------
    simulation_replaced, parameters_changed, history_changed, cursor_moved, settings_changed,
    selection_changed, display_changed : (ViewState) what changed, with the new state
    run_started, run_progress(done, total), run_finished(RunEnd)
    dirty_changed(bool), file_changed(path)
    gradient_checked(GradientCheck)
    message(text) : a status-bar message
    error(title, message, details) : a failure to show the user

    Data, sample and structure edits (set_data, edit_sample, add_neuron, insert_layer, ...) come from
    :class:`~backprop_lab.gui.build_edits.BuildEdits`.
    """

    simulation_replaced = Signal(object)
    parameters_changed = Signal(object)
    history_changed = Signal(object)
    cursor_moved = Signal(object)
    settings_changed = Signal(object)
    selection_changed = Signal(object)
    display_changed = Signal(object)
    run_started = Signal()
    run_progress = Signal(int, int)
    run_finished = Signal(object)
    dirty_changed = Signal(bool)
    file_changed = Signal(str)
    gradient_checked = Signal(object)
    message = Signal(str)
    #: what the last message said no longer holds (a step was taken since)
    message_ended = Signal()
    error = Signal(str, str, str)
    #: (what, init) just before a re-initialise ("reinitialize", {"scheme", "seed", ...}) or a reset ("reset",
    #: None) replaces the loss history: the compared-runs view keeps the old one.
    restarting = Signal(str, object)

    def __init__(self, sim: Simulation | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sim: Simulation = sim or load_example("mazur")
        self.path: str | None = None
        self._selection: Element | None = None
        self._display = _display_of(self._sim, Display())
        self._init_choice: tuple[str, int] = ("xavier", 0)
        self._runner = RunLoop(self)
        self._runner.advanced.connect(self._on_run_advanced)
        self._runner.ended.connect(self._on_run_ended)
        self._last_history = self._last_params = 0.0
        self._pub = Publisher(self._context, lambda name, state: getattr(self, name).emit(state),
                              self.dirty_changed.emit, self._announce_symmetry, self)

    # -- read-only facts ---------------------------------------------------------------------------
    @property
    def sim(self) -> Simulation:
        """The simulation (read it; change it only through the controller)."""
        return self._sim

    @property
    def selection(self) -> Element | None:
        return self._selection

    @property
    def current(self):
        """The computation shown as the current step (None when there is none)."""
        return self.state.current

    @property
    def trace(self):
        """The iteration the window shows (being stepped into, just done, or the next one), or None."""
        return self.state.trace

    @property
    def display(self) -> Display:
        return self._display

    @property
    def precision(self) -> int:
        return self._display.precision

    @property
    def edge_view(self) -> str:
        return self._display.edge_view

    @property
    def speed_level(self) -> int:
        return self._display.speed

    @property
    def init_choice(self) -> tuple[str, int]:
        """Scheme and seed that Re-initialise uses."""
        return self._init_choice

    @property
    def running(self) -> bool:
        return self._runner.running

    @property
    def fast_running(self) -> bool:
        """Running faster than a person can watch: views skip per-iteration detail."""
        return self._runner.running and not self._runner.watchable

    @property
    def traceable(self) -> bool:
        """Whether a full trace of one iteration is small enough to build."""
        s = self._sim
        B = min(s.settings.batch_size, s.n_samples)
        return B * sum(s.network.sizes[1:]) * 5 + 2 * s.network.n_params <= MAX_TRACE

    @property
    def dirty(self) -> bool:
        return self._pub.dirty

    def eta(self) -> float | None:
        """Seconds left in the current run."""
        return self._runner.eta()

    def say(self, text: str) -> None:
        """Show *text* in the status bar."""
        self.message.emit(text)

    # -- publishing (see publisher.py) ----------------------------------------------------------------
    @property
    def state(self) -> ViewState:
        """The view state published last."""
        return self._pub.state

    def _context(self) -> Context:
        return Context(self._sim, self.fast_running, self.running, self.traceable, self._selection, self._display,
                       self.path)

    def _sync(self, *extra: str, hold: frozenset = frozenset(), step: bool = False) -> None:
        if step:  # a step ends what the last one said ("Redid iteration 3." while stepping into iteration 4)
            self.message_ended.emit()
        self._pub.sync(*extra, hold=hold, step=step)

    def set_coalescing(self, on: bool) -> None:
        """While a held key repeats (*on*), redraw at most every COALESCE_MS instead of once per press."""
        self._pub.set_coalescing(on)

    def _announce_symmetry(self, state: ViewState) -> None:
        net = self._sim.network
        names = "; ".join(", ".join(net.neuron_name(l, j) for j in js) for l, js in state.symmetry)
        self.message.emit(f"≡ Symmetry: {names} have identical weights in and out, so they compute the same value, "
                          f"get the same gradient and will never differ. Re-initialise randomly to break it.")

    def _fail(self, title: str, exc: BaseException | str, details: str = "") -> None:
        self.error.emit(title, str(exc), details)

    # -- stepping ----------------------------------------------------------------------------------
    def step(self) -> None:
        """Finish the current iteration, or perform one full iteration (F10)."""
        if self.running:
            return
        sim, cache = self._sim, self._pub.builder.traces
        before = cache.key(sim) if self.traceable else None
        known = cache.get(before)
        try:
            # an iteration whose trace is known (it was previewed or done before) takes the fast path
            tr = sim.step(trace=known is None and self.traceable)
        except DivergenceError as e:
            self.error.emit(*self._diverged(str(e), "Nothing was changed."))
            return
        if known is not None:
            tr = known
            self._pub.builder.completed = (cache.key(sim), known)
        else:
            cache.put(before, tr)
        self._sync(step=True)
        self._say_step(f"Iteration {sim.iteration:,} done: batch loss {self.state.fmt(sim.batch_loss.view()[-1])}"
                       + ("" if tr is not None else " (network too large to trace every computation)"))

    def _say_step(self, text: str) -> None:
        """A stepping key's message; while a held key's presses are drawn together it waits for the
        publication that shows its state (else it would name an iteration the counters do not show yet)."""
        if self._pub.coalescing:
            self._pub.after_flush(lambda: self.message.emit(text))
        else:
            self.message.emit(text)

    def step_into(self) -> None:
        """Perform the next single computation (F11)."""
        if self.running:
            return
        if not self.traceable:
            self.message.emit("This network is too large to step into; Step (F10) performs whole iterations.")
            return
        try:
            self._sim.step_into()
        except DivergenceError as e:
            self.error.emit(*self._diverged(str(e), "Nothing was changed."))
            return
        self._sync(step=True)
        sim = self._sim
        if sim.pending is None:
            self._say_step(f"Iteration {sim.iteration:,} complete: batch loss "
                              f"{self.state.fmt(sim.batch_loss.view()[-1])} before the update; "
                              f"{updated_what(sim.settings)}.")

    def step_back(self) -> None:
        """Undo the last full iteration or edit, exactly (Shift+F10, Ctrl+Z)."""
        if self.running:
            return
        sim = self._sim
        label = sim.undo_label
        if sim.step_back():
            self._sync(step=True)
            self._say_step(f"Stepped back: undid {label}.")
        else:
            self.message.emit("Nothing to step back to: this is the start of the timeline.")

    undo = step_back

    def step_back_into(self) -> None:
        """Undo one computation (Shift+F11)."""
        if self.running or not self.traceable:
            return
        if self._sim.step_back_into():
            self._sync(step=True)
        else:
            self.message.emit("Nothing to step back to: this is the start of the timeline.")

    def step_back_to(self, iteration: int) -> None:
        """Go back to an earlier iteration exactly (Ctrl+B, double-click on the loss plot)."""
        if self.running:
            return
        if iteration >= self._sim.iteration:
            if self._sim.can_redo():  # (a double-click on the faded, stepped-back part of the plot did nothing)
                self.message.emit(f"Iteration {iteration:,} was stepped back: Redo (Ctrl+Shift+Z) brings the "
                                  f"iterations back one at a time.")
            return
        n = self._sim.step_back_to(iteration)
        self._sync()
        self.message.emit(f"Stepped back to iteration {self._sim.iteration:,} ({n:,} steps and edits undone; "
                          f"Redo brings them back one at a time).")

    def redo(self) -> None:
        """Redo what was last stepped back (Ctrl+Shift+Z)."""
        if self.running:
            return
        label = self._sim.redo_label
        if self._sim.redo():
            self._sync(step=True)
            self.message.emit(f"Redid {label}.")

    # -- running -------------------------------------------------------------------------------------
    def run(self, epochs: int | None = None) -> None:
        """Run *epochs* epochs (default: the Epochs setting) in timer-driven chunks (F5)."""
        if self.running:
            return
        epochs = self._display.epochs if epochs is None else max(1, int(epochs))
        total = self._sim.iterations_until_epoch(epochs)
        self._sim.abandon_pending()
        self._last_history = self._last_params = time.perf_counter()
        self._runner.start(self._sim, total, self._display.speed, self.traceable)
        self.run_started.emit()
        self._sync()
        self.run_progress.emit(0, total)

    def pause(self) -> None:
        """Stop a run at once (the current chunk is already complete)."""
        self._runner.stop(paused=True)

    def toggle_run(self) -> None:
        """Run, or pause a run (F5, the Run button)."""
        if self.running:
            self.pause()
        else:
            self.run()

    def set_speed(self, level: int) -> None:
        level = max(0, min(MAX_SPEED, int(level)))
        if level != self._display.speed:
            self._display = replace(self._display, speed=level)
            if self.running:
                self._runner.set_speed(level)
            self._sync(vs.DISPLAY_CHANGED)

    def _on_run_advanced(self) -> None:
        if self._runner.watchable:
            self._sync()
        else:
            now = time.perf_counter()
            if now - self._last_history < HISTORY_INTERVAL:
                return
            self._last_history = now
            params_due = now - self._last_params >= PARAMS_INTERVAL
            if params_due:
                self._last_params = now
            self._sync(hold=frozenset() if params_due else frozenset({vs.PARAMETERS_CHANGED}))
        self.run_progress.emit(self._runner.done, self._runner.total)

    def _on_run_ended(self, end: RunEnd) -> None:
        self._sync()
        self.run_progress.emit(end.iterations, self._runner.total)
        loss = self.state.training_loss
        self.message.emit(("Paused" if end.paused else "Training diverged; stopped" if end.reason else
                           "Run finished") +
                          f" after {end.iterations:,} iterations ({end.rate:,.0f} iterations/s); training loss "
                          f"{loss_words(self.state.fmt, loss)}" +
                          (f". Try a smaller learning rate than {self._sim.settings.learning_rate:g}." if end.reason
                           else "."))
        self.run_finished.emit(end)
        if end.reason:
            self.error.emit(*self._diverged(end.reason, "The last finite state is kept."))

    def _diverged(self, reason: str, kept: str) -> tuple[str, str, str]:
        return divergence_message(reason, self._sim.settings.learning_rate, self._sim.iteration, kept)

    # -- edits ------------------------------------------------------------------------------------------
    def check_parameter(self, element: Element, text: str) -> Validation:
        """Whether *text* may become the value of a weight or bias (the reason when it may not)."""
        return parse_number(text, self._sim.network.element_name(element))

    def edit_parameter(self, element: Element, value: float | str, *, merge: bool = False) -> bool:
        """Set a weight or bias (a number, or text a person typed). False, with an error, when refused."""
        if isinstance(value, str):
            v = self.check_parameter(element, value)
            if not v.ok:
                self._fail("Not a number", v.reason)
                return False
            value = v.value
        was_pending = self._sim.pending is not None
        try:
            self._sim.set_parameter(element, value, merge=merge)
        except BackpropLabError as e:
            self._fail("Cannot change the parameter", e)
            return False
        self._sync()
        st = self.state
        msg = f"{self._sim.network.element_name(element)} = {st.fmt(value)}; training loss now " \
              f"{loss_words(st.fmt, st.training_loss)}."
        if was_pending:
            msg = "Edited mid-iteration: the rest of that iteration was abandoned and is recomputed " \
                  "from the edited weights. " + msg
        self.message.emit(msg)
        return True

    def nudge_parameter(self, element: Element, delta: float) -> None:
        """Scrub a parameter by *delta* (mouse wheel/drag); consecutive nudges merge into one undo step."""
        self.edit_parameter(element, self._sim.parameter(element) + delta, merge=True)

    def check_training(self, **changes) -> Validation:
        """Whether these settings would be accepted (the engine's reason when not); changes nothing."""
        try:
            replace(self._sim.settings, **changes).check(self._sim.network)
        except (BackpropLabError, TypeError) as e:
            return Validation.refuse(f"Refused: {e}.")
        return Validation(True)

    def set_training(self, **changes) -> bool:
        """Change training settings; False, with an error, when refused (nothing changes)."""
        sim = self._sim
        entered = sim.pending is not None and sim.cursor > 0
        before = sim.settings
        try:
            sim.set_training(**changes)
        except BackpropLabError as e:
            self._fail("Setting refused", e)
            self._sync(vs.SETTINGS_CHANGED)  # let widgets show the unchanged values again
            return False
        self._sync()
        if entered and sim.pending is None and sim.settings != before:
            # (it was set aside without a word: Undo then went back to the iteration before)
            self.message.emit(f"Iteration {sim.iteration + 1:,} starts again with the new setting: its computations "
                              f"performed so far were set aside (F11 steps into it again).")
        return True

    def set_init_choice(self, scheme: str, seed: int) -> None:
        """Scheme and seed for Re-initialise (the Training panel's fields)."""
        self._init_choice = (str(scheme), int(seed))

    def reinitialize(self, scheme: str | None = None, seed: int | None = None, **kwargs) -> None:
        """Draw new weights (default: the chosen scheme and seed) and restart training (Ctrl+I, undoable)."""
        if self.running:
            return
        scheme = self._init_choice[0] if scheme is None else scheme
        seed = self._init_choice[1] if seed is None else seed
        if not kwargs:
            kwargs = {"value": 0.5} if scheme == "constant" else {"scale": 0.5} if scheme in ("uniform", "normal") \
                else {}
        self.restarting.emit("reinitialize", {"scheme": scheme, "seed": seed, **kwargs})
        try:
            self._sim.reinitialize(scheme, seed, **kwargs)
        except BackpropLabError as e:
            self._fail("Cannot re-initialise", e)
            return
        self._sync()
        self.message.emit(f"Weights re-initialised ({scheme}, seed {seed}); training starts again from iteration 0.")

    def reset(self) -> None:
        """Back to the state the file was opened with (Ctrl+R, undoable)."""
        self.pause()
        self.restarting.emit("reset", None)
        self._sim.reset()
        self._sync()
        self.message.emit("Reset to the initial state (Ctrl+Z undoes the reset).")

    def gradient_check(self) -> None:
        """Compare backpropagation with finite differences on the next batch (Ctrl+G).

        A partly stepped-into iteration is kept: the check reads the parameters before it.
        """
        if self.running:
            return
        sim = self._sim
        cursor = sim.cursor if sim.pending is not None else None
        result = sim.gradient_check()
        if cursor is not None and sim.pending is None:
            # An engine that sets the pending iteration aside for the check: enter it again, exactly
            # (the same parameters give the same trace), to the same computation.
            sim.begin_iteration()
            for _ in range(cursor):
                sim.step_into()
        self._sync()
        self.gradient_checked.emit(result)

    # -- selection and display ---------------------------------------------------------------------------
    def select(self, element: Element | None) -> None:
        """Select one element (a click); a second parameter chosen with Ctrl+click is let go."""
        if element != self._selection or self._display.second is not None:
            first, second = self._selection, self._display.second
            self._selection = element
            if second is not None:
                self._display = replace(self._display, second=None)
            self._sync(vs.SELECTION_CHANGED)
            if second is not None:  # (the status bar said both were selected: it must not go on saying so)
                gone = first if element == second else second  # Ctrl+click on the first: the second stays
                self.message.emit(f"Let go of {self._sim.network.element_name(gone)}: one parameter is selected"
                                  " again (Ctrl+click adds a second).")

    def _set_display(self, **changes) -> None:
        new = replace(self._display, **changes)
        if new != self._display:
            self._display = new
            self._sync(vs.DISPLAY_CHANGED)

    def set_precision(self, digits: int) -> None:
        self._set_display(precision=max(2, min(15, int(digits))))

    def set_edge_view(self, mode: str) -> None:
        if mode not in EDGE_VIEWS:
            raise ValueError(f"edge view must be one of {EDGE_VIEWS}")
        self._set_display(edge_view=mode)

    def set_edge_names(self, on: bool) -> None:
        self._set_display(edge_names=bool(on))

    def set_log_scale(self, on: bool) -> None:
        self._set_display(log_scale=bool(on))

    def set_epochs(self, epochs: int) -> None:
        self._set_display(epochs=max(1, int(epochs)))


def _display_of(sim: Simulation, base: Display) -> Display:
    """The display preferences a simulation was loaded with (its file's ``display``), over *base*."""
    return Display.from_dict(getattr(sim, "display", None) or {}, base, MAX_SPEED)
