"""Python's cyclic garbage collector: paused while a worker thread runs, and kept off the long-lived objects.

Paused while a worker runs, so that Qt objects are never freed there.

A collection runs on whichever thread happens to allocate when it is due.  On a worker thread it may free the
Python wrapper of a Qt object (a menu, an action) while the GUI thread destroys another one: each then waits
for what the other holds (Qt's object lock, Python's interpreter lock) and the window hangs for good (seen in
the test suite: an export worker and the GUI thread deadlocked).  So collections are paused from a worker's
start to its end, and the GUI thread collects afterwards.

Kept off the long-lived objects: a full collection walks every object the window holds (its widgets' wrappers,
the simulation, the views' caches) and took 60–100 ms on the moons example, every few dozen key presses (the
p95 of F10 was 100 ms for it).  Once a window is built, :func:`settle` collects once and moves everything alive
into the collector's permanent generation (``gc.freeze``), which later collections skip; after a simulation is
replaced, it thaws, collects (the old simulation's cycles go) and freezes again.  Only the application turns
this on (:func:`keep_off_long_lived`): a test process building hundreds of windows would pay a full collection
per window.
"""
from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_running = 0
_was_enabled = True
_settling = False


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
    if _running == 0 and not settle():
        gc.collect()


def keep_off_long_lived(on: bool = True) -> None:
    """Turn :func:`settle` on (the application does, at start) or off."""
    global _settling
    _settling = on
    if not on:
        gc.unfreeze()


def settle() -> bool:
    """Collect once, then keep every object alive now out of later collections; False when not turned on or
    a worker runs (then nothing is done)."""
    if not _settling or _running:
        return False
    gc.unfreeze()  # the objects frozen last time are looked at again: some are garbage now
    gc.collect()
    gc.freeze()
    return True
