"""Runs of many iterations cut into timer-driven chunks, so the window stays responsive and Pause acts at once.

The controller owns one :class:`RunLoop`; it starts and stops it and publishes the view state when the loop
says it advanced.  Only the loop's own Simulation calls (``run``/``step``) change the engine here.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from backprop_lab.core import DivergenceError, Simulation

#: Speed slider levels: iterations per second (None = as fast as possible).
SPEEDS: list[int | None] = [1, 3, 10, 30, 100, 1000, 10_000, None]
SPEED_NAMES = ["1 /s", "3 /s", "10 /s", "30 /s", "100 /s", "1,000 /s", "10,000 /s", "maximum"]
MAX_SPEED = len(SPEEDS) - 1
#: Up to this many iterations per second, runs take traced steps you can watch.
WATCHABLE = 30
#: Training time per timer tick at maximum speed: short enough for a smooth window.
RUN_CHUNK_SECONDS = 0.015


@dataclass(frozen=True)
class RunEnd:
    """How a run ended."""

    paused: bool
    iterations: int
    seconds: float
    reason: str = ""  # why it stopped early (divergence), else empty

    @property
    def rate(self) -> float:
        return self.iterations / self.seconds if self.seconds > 0 else float("inf")


class RunLoop(QObject):
    """Trains *total* iterations of a Simulation in chunks from a QTimer.

    Signals
    -------
    advanced : a chunk (or one watchable traced step) was performed
    ended(RunEnd) : the run finished, diverged or was paused
    """

    advanced = Signal()
    ended = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_tick)
        self._sim: Simulation | None = None
        self.total = 0
        self.done = 0
        self._t0 = 0.0
        self.level = MAX_SPEED
        self.traceable = True

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def watchable(self) -> bool:
        """Slow enough that each iteration is traced and shown."""
        ips = SPEEDS[self.level]
        return ips is not None and ips <= WATCHABLE and self.traceable

    def start(self, sim: Simulation, total: int, level: int, traceable: bool) -> None:
        self._sim, self.total, self.done = sim, int(total), 0
        self.traceable = traceable
        self._t0 = time.perf_counter()
        self.set_speed(level)
        self._timer.start()

    def set_speed(self, level: int) -> None:
        self.level = max(0, min(MAX_SPEED, int(level)))
        ips = SPEEDS[self.level]
        self._timer.setInterval(0 if ips is None else max(1, int(1000 / ips)) if ips <= WATCHABLE else 16)

    def stop(self, paused: bool = True, reason: str = "") -> None:
        if not self.running:
            return
        self._timer.stop()
        self.ended.emit(RunEnd(paused, self.done, time.perf_counter() - self._t0, reason))

    def eta(self) -> float | None:
        """Seconds left, estimated from the pace so far."""
        if not self.running or self.done == 0:
            return None
        rate = self.done / max(time.perf_counter() - self._t0, 1e-9)
        return (self.total - self.done) / rate

    def _on_tick(self) -> None:
        sim, ips = self._sim, SPEEDS[self.level]
        remaining = self.total - self.done
        reason = ""
        if ips is None:
            r = sim.run(remaining, time_budget=RUN_CHUNK_SECONDS)
            n, reason = r.iterations, r.reason if r.diverged else ""
        elif self.watchable:
            # Slow enough to watch: a traced step, so the diagram and equations show its numbers.
            try:
                sim.step(trace=True)
                n = 1
            except DivergenceError as e:
                n, reason = 0, str(e)
        else:
            r = sim.run(min(remaining, max(1, round(ips * 0.016))))
            n, reason = r.iterations, r.reason if r.diverged else ""
        self.done += n
        self.advanced.emit()
        if reason:
            self.stop(paused=False, reason=reason)
        elif self.done >= self.total:
            self.stop(paused=False)
