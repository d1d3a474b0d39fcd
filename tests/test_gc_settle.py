"""The window's long-lived objects are kept out of garbage collections, and what a replaced simulation leaves
behind is still collected (gui/gc_guard: settle)."""
import gc
import weakref

import pytest

from backprop_lab.gui import gc_guard


@pytest.fixture
def settling():
    gc_guard.keep_off_long_lived()
    yield
    gc_guard.keep_off_long_lived(False)
    gc.collect()


def test_settle_freezes_what_is_alive_and_does_nothing_when_off(open_window, no_dialogs):
    w = open_window()
    gc.unfreeze()
    assert not gc_guard.settle() and gc.get_freeze_count() == 0  # off: a test process stays as it was
    gc_guard.keep_off_long_lived()
    try:
        assert gc_guard.settle()
        assert gc.get_freeze_count() > 10_000  # the window's wrappers and the simulation among them
        assert all(gc.get_count()[g] < 50 for g in range(3))
        gc_guard.worker_starting()  # while a worker runs nothing is collected on this thread
        assert not gc_guard.settle()
        gc_guard.worker_ended()
    finally:
        gc_guard.keep_off_long_lived(False)
    assert gc.get_freeze_count() == 0 and w.isVisible()


def test_a_replaced_simulation_is_collected_though_it_was_frozen(qtbot, open_window, no_dialogs, settling):
    w = open_window()
    old = w.controller.sim
    old.itself = old  # a cycle: only a collection frees it, and a frozen object is never looked at
    ref = weakref.ref(old)
    del old
    gc_guard.settle()
    gc.collect()
    assert ref() is not None  # frozen: the collection passed it by
    assert w.controller.open_example("xor")
    qtbot.waitUntil(lambda: ref() is None, timeout=3000)  # the window settles again after a replacement
    assert gc.get_freeze_count() > 0
