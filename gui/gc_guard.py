"""Python's cyclic garbage collector paused while a worker thread runs, so that Qt objects are never freed there.

A collection runs on whichever thread happens to allocate when it is due.  On a worker thread it may free the
Python wrapper of a Qt object (a menu, an action) while the GUI thread destroys another one: each then waits
for what the other holds (Qt's object lock, Python's interpreter lock) and the window hangs for good (seen in
the test suite: an export worker and the GUI thread deadlocked).  So collections are paused from a worker's
start to its end, and the GUI thread collects afterwards.
"""
from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_running = 0
_was_enabled = True


def worker_starting() -> None:
    """Call on the GUI thread just before a worker thread starts."""
    global _running, _was_enabled
    with _lock:
        if _running == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _running += 1


def worker_ended() -> None:
    """Call as the worker thread's last statement (in a ``finally``): collections may resume."""
    global _running
    with _lock:
        _running = max(0, _running - 1)
        if _running == 0 and _was_enabled:
            gc.enable()


def collect_here() -> None:
    """Collect on this (the GUI) thread what accumulated while collections were paused."""
    if _running == 0:
        gc.collect()
