"""Fast runs of :class:`~.simulation.Simulation`: many iterations without traces, within a time budget (a mixin)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .dataset import Dataset
from .errors import DivergenceError
from .iteration import Computed, IterationEngine
from .optimizer import OptimizerState
from .schedule import BatchSchedule
from .settings import TrainingSettings
from .timeline import Timeline


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


class FastRuns:
    """The fast path of a simulation: no trace, one commit per iteration, stopping at a diverging update."""

    data: Dataset
    settings: TrainingSettings
    state: OptimizerState
    engine: IterationEngine
    schedule: BatchSchedule
    timeline: Timeline
    cursor_state: Any
    last_trace: Any
    iteration: int
    epoch: int
    position: int
    abandon_pending: Callable[[], bool]
    iterations_until_epoch: Callable[[int], int]
    _commit: Callable[[Computed], None]

    def run(self, iterations: int, *, time_budget: float | None = None) -> RunResult:
        """Run up to *iterations* iterations without traces (the fast path).

        Stops early when *time_budget* seconds have passed (checked every
        iteration) or when an update diverges; the state is then the last finite one.
        """
        self.abandon_pending()
        self.timeline.redo_stack.clear()
        self.last_trace = None
        self.cursor_state.last = None
        t0 = time.perf_counter()
        deadline = None if time_budget is None else t0 + time_budget
        done = 0
        batch, compute, commit = self.schedule.batch, self.engine.compute, self._commit
        try:
            with np.errstate(all="ignore"):
                while done < iterations:
                    x, t, _ = batch(self.data, self.settings, self.epoch, self.position)
                    commit(compute(x, t, self.data, self.settings, self.state, self.iteration))
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
            r = self.run(self.iterations_until_epoch(1))
            total.iterations += r.iterations
            total.seconds += r.seconds
            if r.diverged:
                total.diverged, total.reason = True, r.reason
                break
        return total
