"""Paced: a redraw called at most so often (and in proportion to its cost), or at once while it is cheap."""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer

#: A paced call waits at least this many times its last duration since the one before.
PACE = 5.0
#: Paced views redraw at least this long after the action that asked for it (ms).
AFTER_ACTION_MS = 40


def on_screen(widget) -> bool:
    """Whether *widget* can be seen: shown, and not in a dock tab behind another (Qt calls that "visible")."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


class Paced:
    """Calls *fn* at most every *interval* s (and PACE times its last duration); the last request wins.

    With *at_once_below* (s), a request outside fast runs calls *fn* at once while one of its last three calls
    cost less (a first call or a collection alone does not make it paced): a readout that cheap is never left
    showing an older state than the views drawn with the same press.
    """

    def __init__(self, parent: QObject, fn, interval: float, *, at_once_below: float | None = None) -> None:
        self.fn, self.interval, self.at_once_below = fn, interval, at_once_below
        self._last, self._cost = 0.0, 0.0
        self._costs: list[float] = []  # the last three
        self._timer = QTimer(parent)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.now)

    @property
    def pending(self) -> bool:
        """Whether a call is waiting for its timer (what it shows is older than the last request)."""
        return self._timer.isActive()

    def request(self, *, urgent: bool = False, live: bool = False) -> None:
        # (fewer than three calls yet: at once, to measure)
        if urgent or (not live and self.at_once_below is not None and (len(self._costs) < 3 or min(self._costs)
                                                                        < self.at_once_below)):
            self._timer.stop()
            self.now()
            return
        if self._timer.isActive():
            return
        wait = max(self.interval, PACE * self._cost) - (time.perf_counter() - self._last)
        # Never inside the handling of the action itself: the press is handled and repainted first, and
        # this view follows a moment later (a burst of presses coalesces into one redraw).
        self._timer.start(max(AFTER_ACTION_MS, int(wait * 1000)))

    def now(self) -> None:
        self._timer.stop()
        self._last = time.perf_counter()
        cpu = time.process_time()
        self.fn()
        self._cost = time.process_time() - cpu
        self._costs = self._costs[-2:] + [self._cost]
