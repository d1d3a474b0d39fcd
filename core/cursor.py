"""The step cursor: an iteration being stepped into one computation at a time (begin, step, back, finish, abandon).

Only ``update`` records change the network, each its own parameter; undoing a
record restores the value it overwrote.  The iteration's new parameters and
optimizer state are committed as a whole when the last record is performed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .timeline import Action, Timeline
from .trace import Computation, Trace


@dataclass
class Pending:
    """An iteration being stepped into.

    ``computed`` is the engine's result for the whole iteration (committed at
    the end); ``theta_before`` the parameters before any of its updates.
    """

    trace: Trace
    theta_before: np.ndarray
    computed: Any
    cursor: int = 0


class StepCursor:
    """Where stepping into stands, and the record performed last (the "current step").

    ``last`` stays set after the iteration's final record completes it, until
    the next change clears it.
    """

    def __init__(self) -> None:
        self.pending: Pending | None = None
        self.last: Computation | None = None
        #: computations of the pending iteration undone one by one (Shift+F11) that Redo performs again
        self.undone = 0

    @property
    def position(self) -> int:
        """Records of the pending iteration performed so far (0 without one)."""
        return self.pending.cursor if self.pending else 0

    def begin(self, trace: Trace, theta: np.ndarray, computed: Any) -> None:
        self.pending = Pending(trace, theta.copy(), computed)
        self.last = None
        self.undone = 0

    def perform(self, theta: np.ndarray) -> Computation:
        """Perform the next record of the pending iteration (an update writes its parameter into *theta*)."""
        pend = self.pending
        rec = pend.trace.records[pend.cursor]
        if rec.param_index >= 0:
            theta[rec.param_index] = rec.result
        pend.cursor += 1
        self.last = rec
        return rec

    @property
    def redoable(self) -> bool:
        """Whether Redo performs again a computation undone by step back into (before anything else)."""
        return self.pending is not None and self.undone > 0

    @property
    def complete(self) -> bool:
        return self.pending is not None and self.pending.cursor == len(self.pending.trace.records)

    def undo_one(self, theta: np.ndarray) -> bool:
        """Undo the last performed record; False when none of the pending iteration is performed."""
        pend = self.pending
        if not pend or pend.cursor == 0:
            return False
        pend.cursor -= 1
        rec = pend.trace.records[pend.cursor]
        if rec.param_index >= 0:
            theta[rec.param_index] = rec.old_value
        self.last = pend.trace.records[pend.cursor - 1] if pend.cursor else None
        return True

    def take(self, theta: np.ndarray) -> Pending:
        """End the pending iteration (it is complete): restore the parameters before it for the commit."""
        pend = self.pending
        self.pending = None
        self.undone = 0
        theta[:] = pend.theta_before
        return pend

    def abandon(self, theta: np.ndarray) -> bool:
        """Undo every performed record of a pending iteration and drop it; False when there is none."""
        if not self.pending:
            return False
        theta[:] = self.pending.theta_before
        self.pending = None
        self.last = None
        self.undone = 0
        return True

    def committed_theta(self, theta: np.ndarray) -> np.ndarray:
        """A copy of the parameters before the pending iteration (or of *theta* without one)."""
        return (self.pending.theta_before if self.pending else theta).copy()


class SteppingInto:
    """The step-into operations of :class:`~.simulation.Simulation` (a mixin over its :class:`StepCursor`)."""

    network: Any
    cursor_state: StepCursor
    timeline: Timeline
    begin_iteration: Callable[[], Trace]
    step_back: Callable[[], bool]
    _finish_pending: Callable[[], None]

    @property
    def pending(self) -> Trace | None:
        """The iteration being stepped into, or None between iterations."""
        p = self.cursor_state.pending
        return p.trace if p else None

    @property
    def cursor(self) -> int:
        """How many computations of the pending iteration have been performed."""
        return self.cursor_state.position

    @property
    def current_computation(self) -> Computation | None:
        """The computation performed last within the pending iteration (None between iterations)."""
        return self.cursor_state.last if self.cursor_state.pending else None

    @property
    def last_computation(self) -> Computation | None:
        """The computation performed last by :meth:`step_into`, including the final one of an iteration it
        completed; None after any other change (a whole step, an edit, step back)."""
        return self.cursor_state.last

    def step_into(self) -> Computation:
        """Perform the next single computation of the current iteration.

        An ``update`` computation changes its parameter in the network; after
        the last computation the iteration is complete (and on the timeline).
        """
        c = self.cursor_state
        if not c.pending:
            self.begin_iteration()
        undone = max(0, c.undone - 1)  # (performing one of the undone computations again is its redo)
        rec = c.perform(self.network.theta)
        if c.complete:
            self._finish_pending()
        else:
            c.undone = undone
        self.timeline.redo_stack.clear()
        return rec

    def step_back_into(self) -> bool:
        """Undo one computation; at an iteration's start, go into the previous one (all but its last performed).

        Returns False when there is nothing to undo.
        """
        if self.cursor_state.undo_one(self.network.theta):
            self.cursor_state.undone += 1
            return True
        self.abandon_pending()
        tl = self.timeline
        if not tl.entries:
            return False
        if isinstance(tl.entries[-1], Action):
            return self.step_back()
        self.step_back()
        tl.redo_stack.pop()  # re-entering that iteration below; it is not "undone" any more
        tr = self.begin_iteration()
        for _ in range(len(tr.records) - 1):
            self.cursor_state.perform(self.network.theta)
        self.cursor_state.undone = 1  # its last computation, which Redo performs again
        return True

    def abandon_pending(self) -> bool:
        """Drop a partly stepped-into iteration, undoing its performed computations. False when there is none."""
        return self.cursor_state.abandon(self.network.theta)

    _abandon_pending = abandon_pending  # the GUI controller's old name; remove once it calls abandon_pending
