"""Publishing the controller's view states: what changed, one state per action, coalescing, idle prefetch.

The controller changes the engine and then calls :meth:`Publisher.sync`; the publisher compares the engine
with the last published state (through :class:`~backprop_lab.gui.state_builder.StateBuilder`), builds the new
one and hands it to the controller's fine signals, in a fixed order.  While a held key repeats it publishes at
most every COALESCE_MS; when the window is idle after showing a completed iteration it computes the next one's
trace ahead, so that the next Step takes the fast path.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from PySide6.QtCore import QObject, QTimer

from backprop_lab.core import BackpropLabError, Element, Simulation

from . import view_state as vs
from .state_builder import ENGINE, StateBuilder, fingerprint
from .view_state import Display, ViewState

#: While a held key repeats, the views are redrawn at most this often (milliseconds).
COALESCE_MS = 16
#: After this long without a user action (milliseconds: longer than between two presses of a person stepping
#: quickly, shorter than a pause to look) the next iteration's trace is computed ahead.
PREFETCH_MS = 250


@dataclass(frozen=True)
class Context:
    """What a view state holds besides the engine: the controller's side of things."""

    sim: Simulation
    fast: bool
    running: bool
    traceable: bool
    selection: Element | None
    display: Display
    path: str | None


class Publisher(QObject):
    """Builds and publishes the view states of one controller.

    Parameters
    ----------
    context : callable() -> Context
    emit : callable(signal name, ViewState)
        Emits the controller's signal of that name.
    dirty_changed, symmetry_appeared : callables told when the unsaved state or the symmetry groups change.
    """

    def __init__(self, context: Callable[[], Context], emit: Callable[[str, ViewState], None],
                 dirty_changed: Callable[[bool], None], symmetry_appeared: Callable[[ViewState], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context, self._emit = context, emit
        self._dirty_changed, self._symmetry_appeared = dirty_changed, symmetry_appeared
        self.builder = StateBuilder()
        self._coalescing = False
        self._held: set[str] = set()
        self._after_flush = None  # what to say once the waiting changes are published
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self._flush)
        self._prefetch_timer = QTimer(self)
        self._prefetch_timer.setSingleShot(True)
        self._prefetch_timer.timeout.connect(self._prefetch)
        self._saved_fp = fingerprint(context().sim)
        self.dirty = False
        self.state: ViewState = self._build(context(), vs.EVERYTHING, None, frozenset())

    def _build(self, ctx: Context, changes: frozenset, prev: ViewState | None, hold: frozenset) -> ViewState:
        return self.builder.build(ctx.sim, changes, prev, hold, fast=ctx.fast, running=ctx.running,
                                  traceable=ctx.traceable, selection=ctx.selection, display=ctx.display,
                                  path=ctx.path, dirty=self.dirty)

    def sync(self, *extra: str, hold: frozenset = frozenset(), step: bool = False) -> None:
        """Publish the engine's changes since the last publication, plus *extra* (selection, display, ...).

        Parts in *hold* (only PARAMETERS_CHANGED, during fast runs) keep their last published value.  A *step*
        (stepping keys) waits for the next flush while a held key repeats.
        """
        if not step and self._coalescing:
            self._flush()
        if self._coalescing:
            self._held.update(extra)
            if not self._flush_timer.isActive():
                self._flush_timer.start(COALESCE_MS)
            return
        ctx, prev = self._context(), self.state
        changes = frozenset((self.builder.changes(ctx.sim, prev, ctx.fast) | set(extra)) - hold)
        if not changes:
            return
        if vs.SIMULATION_REPLACED in changes:
            changes = vs.EVERYTHING
        self.state = self._build(ctx, changes, prev, hold)
        if changes & ENGINE:
            self._update_dirty(ctx.sim)
        for name in vs.CHANGES:  # in a fixed order: a new simulation first, the display last
            if name in changes:
                self._emit(name, self.state)
        if self.state.symmetry != prev.symmetry and self.state.symmetry:
            self._symmetry_appeared(self.state)
        if self.state.mode == vs.COMPLETE and not ctx.running:
            self._prefetch_timer.start(PREFETCH_MS)

    def _update_dirty(self, sim: Simulation) -> None:
        dirty = fingerprint(sim) != self._saved_fp
        if dirty != self.dirty:
            self.dirty = dirty
            self.state = replace(self.state, dirty=dirty)
            self._dirty_changed(dirty)

    def mark_saved(self, path: str | None) -> None:
        """The engine's state is now what the file at *path* holds."""
        self._saved_fp = fingerprint(self._context().sim)
        was_dirty, self.dirty = self.dirty, False
        self.state = replace(self.state, dirty=False, path=path)
        if was_dirty:
            self._dirty_changed(False)

    def mark_unsaved(self) -> None:
        """The engine's state matches no file (work restored after a crash): dirty until saved."""
        self._saved_fp = b""
        if not self.dirty:
            self.dirty = True
            self.state = replace(self.state, dirty=True)
            self._dirty_changed(True)

    def new_simulation(self) -> None:
        """A simulation was opened: its state is the saved one and no trace of the old one applies."""
        self._saved_fp = fingerprint(self._context().sim)
        self.dirty = False
        self.builder.traces.clear()

    def set_coalescing(self, on: bool) -> None:
        """While a held key repeats (*on*), publish at most every COALESCE_MS; each publication ends it
        (the next repeat turns it on again), and turning it off publishes at once."""
        if on == self._coalescing:
            return
        self._coalescing = on
        if not on:
            self._flush()

    @property
    def coalescing(self) -> bool:
        """Whether publications wait for the next flush (a stepping key is held down)."""
        return self._coalescing

    def after_flush(self, fn) -> None:
        """Call *fn* once the waiting changes are published (the last one asked for wins)."""
        self._after_flush = fn

    def _flush(self) -> None:
        self._flush_timer.stop()
        extra, self._held = self._held, set()
        self._coalescing = False
        self.sync(*extra)
        fn, self._after_flush = self._after_flush, None
        if fn is not None:
            fn()

    def _prefetch(self) -> None:
        """Compute the next iteration's trace while the window is idle (it changes nothing)."""
        ctx, cache = self._context(), self.builder.traces
        sim = ctx.sim
        key = cache.key(sim)
        if ctx.running or sim.pending is not None or key is None or cache.get(key) is not None:
            return
        try:
            cache.put(key, sim.preview())
        except BackpropLabError:
            pass  # the next step would diverge: F10 will say so
