"""The undo timeline: snapshots, replay, thinning within a memory budget, and redo.

Steps are stored as *runs*: a snapshot at the start of up to
``checkpoint_every`` consecutive steps; stepping back restores the snapshot
and replays the steps before the one undone (deterministically, with the same
kernel).  Hand edits and settings changes are *actions* with a snapshot before
and after.  When the snapshots pass the byte budget, old runs are merged
(thinned); replay re-creates their snapshots as the user steps back through
them.  The timeline does not know what a state is: it calls the ``snapshot``,
``restore`` and ``replay`` functions it is given.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .dataset import Dataset
from .optimizer import OptimizerState
from .settings import TrainingSettings


@dataclass(slots=True)
class Snapshot:
    """Everything step back restores (the network's structure and parameters, optimizer, counters, settings, data).

    The mask of new parameters is shared between snapshots (it is never
    written), so it is not counted in :attr:`nbytes`.
    """

    theta: np.ndarray
    optimizer: OptimizerState
    iteration: int
    epoch: int
    position: int
    n_loss: int
    n_epoch: int
    settings: TrainingSettings
    data: Dataset
    history: Any = None  # a LossHistory copy, only for actions that replace the history
    #: ``(sizes, activation names)``: restoring a snapshot of another structure rebuilds the network.
    structure: tuple[tuple[int, ...], tuple[str, ...]] | None = None
    structure_edits: int = 0  # structure edits before this state (seeds the draw of new parameters)
    new_params: np.ndarray | None = None  # read-only mask of the last structure edit's new parameters

    @property
    def nbytes(self) -> int:
        # ~600 bytes of Python objects per snapshot besides its arrays (the snapshot, its run, theta's header, the
        # structure tuple, the counters): measured as RSS growth over 10⁷ iterations of the worked example.
        n = self.theta.nbytes + self.optimizer.nbytes + 600
        if self.history is not None:
            n += self.history.nbytes
        return n


@dataclass(slots=True)
class Run:
    start: Snapshot
    count: int = 0


@dataclass(slots=True)
class Action:
    before: Snapshot
    after: Snapshot
    label: str


STEP = "step"  # marker on the redo stack for one undone step

Restore = Callable[[Snapshot], None]
Replay = Callable[[int], None]


class Timeline:
    """Runs of steps and actions, newest last, plus the redo stack.

    Parameters
    ----------
    checkpoint_every : int
        Steps per run (step back replays at most this many).
    budget : int
        Bytes of snapshots kept before old runs are merged.
    """

    def __init__(self, checkpoint_every: int = 32, budget: int = 128 * 2**20) -> None:
        self.checkpoint_every = int(checkpoint_every)
        self.budget = int(budget)
        self.entries: list[Run | Action] = []
        self.nbytes = 0
        self.redo_stack: list[Any] = []

    # -- recording ------------------------------------------------------------------------------
    def before_step(self, snapshot: Callable[[], Snapshot], own_run: bool = False) -> Run:
        """The run the next step joins: a new one (taking a snapshot) when the current one is full or there is
        none, or when *own_run* asks for a snapshot right before this step (a step a person took: stepping back
        over it then restores without replaying).  The caller adds 1 to its ``count`` once the step is kept
        (:meth:`cancel_step` otherwise)."""
        tl = self.entries
        if tl and not own_run:
            last = tl[-1]
            if type(last) is Run and last.count < self.checkpoint_every:
                return last
        snap = snapshot()
        run = Run(snap)
        tl.append(run)
        self.nbytes += snap.nbytes
        if self.nbytes > self.budget:
            self.thin()
        return run

    def cancel_step(self) -> None:
        """The step announced by :meth:`before_step` was not kept: drop a run it opened."""
        tl = self.entries
        if tl and isinstance(tl[-1], Run) and tl[-1].count == 0:
            self.nbytes -= tl.pop().start.nbytes

    def record(self, before: Snapshot, after: Snapshot, label: str) -> None:
        """Record an action; a new action discards what could be redone."""
        self.entries.append(Action(before, after, label))
        self.nbytes += before.nbytes + after.nbytes
        self.redo_stack.clear()

    def last_action(self, label: str) -> Action | None:
        """The newest entry if it is an action called *label* and nothing can be redone (for merging edits)."""
        tl = self.entries
        if tl and isinstance(tl[-1], Action) and tl[-1].label == label and not self.redo_stack:
            return tl[-1]
        return None

    def clear(self) -> None:
        self.entries.clear()
        self.redo_stack.clear()
        self.nbytes = 0

    # -- undo / redo ----------------------------------------------------------------------------
    def undo(self, restore: Restore, replay: Replay) -> bool:
        """Undo the newest step or action. Returns False when there is nothing to undo."""
        if not self.entries:
            return False
        e = self.entries.pop()
        if isinstance(e, Action):
            self.nbytes -= e.before.nbytes + e.after.nbytes
            restore(e.before)
            self.redo_stack.append(e)
            return True
        self.nbytes -= e.start.nbytes
        restore(e.start)
        replay(e.count - 1)
        self.redo_stack.append(STEP)
        return True

    def undo_to(self, iteration: int, current: Callable[[], int], restore: Restore, replay: Replay) -> int:
        """Undo until the iteration counter (read with *current*) is at most *iteration*.

        Whole runs above the target are dropped without replaying them, so
        going back a million iterations costs one replay of at most one run.
        Returns how many steps and actions were undone (all redoable).
        """
        undone = 0
        tl = self.entries
        while tl and current() > iteration:
            e = tl[-1]
            if isinstance(e, Action):
                self.undo(restore, replay)
                undone += 1
                continue
            tl.pop()
            self.nbytes -= e.start.nbytes
            restore(e.start)
            keep = max(0, iteration - e.start.iteration)
            replay(keep)
            self.redo_stack.extend([STEP] * (e.count - keep))
            undone += e.count - keep
        return undone

    def redo(self, restore: Restore, replay: Replay) -> bool:
        """Redo the newest undone step or action. Returns False when there is none."""
        if not self.redo_stack:
            return False
        e = self.redo_stack.pop()
        if isinstance(e, Action):
            restore(e.after)
            self.entries.append(e)
            self.nbytes += e.before.nbytes + e.after.nbytes
        else:
            replay(1)
        return True

    def thin(self) -> None:
        """Merge pairs of old step runs to halve their snapshots (the newest 64 entries stay dense)."""
        tl = self.entries
        out: list[Run | Action] = []
        k = 0
        limit = len(tl) - 64
        while k < len(tl):
            e = tl[k]
            if k < limit - 1 and isinstance(e, Run) and isinstance(tl[k + 1], Run):
                nxt = tl[k + 1]
                e.count += nxt.count
                self.nbytes -= nxt.start.nbytes
                out.append(e)
                k += 2
            else:
                out.append(e)
                k += 1
        tl[:] = out

    # -- labels ---------------------------------------------------------------------------------
    def can_undo(self) -> bool:
        return bool(self.entries)

    def can_redo(self) -> bool:
        return bool(self.redo_stack)

    def undo_label(self, iteration: int) -> str:
        if not self.entries:
            return ""
        e = self.entries[-1]
        return e.label if isinstance(e, Action) else f"iteration {iteration:,}"

    def redo_label(self, iteration: int) -> str:
        if not self.redo_stack:
            return ""
        e = self.redo_stack[-1]
        return e.label if isinstance(e, Action) else f"iteration {iteration + 1:,}"
