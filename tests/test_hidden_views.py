"""Views in a dock tab behind another do no work per key press, and catch up when their tab comes to the front."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from backprop_lab.core import Element
from backprop_lab.gui.paced import on_screen


@pytest.fixture
def moons(qtbot, open_window, no_dialogs):
    w = open_window((1400, 880))
    assert w.controller.open_example("moons")
    qtbot.waitUntil(lambda: w.insight.runs_dock.isVisible())  # tabbed behind the loss plot once shown
    return w


def test_compared_runs_behind_the_loss_tab_are_not_redrawn_per_key_but_when_raised(qtbot, moons, monkeypatch):
    runs, dock = moons.insight.runs, moons.insight.runs_dock
    assert dock.isVisible() and not on_screen(runs)  # Qt calls a tab behind another "visible"
    drawn = []
    real = runs.update_from
    monkeypatch.setattr(runs, "update_from", lambda sim: drawn.append(sim.iteration) or real(sim))
    for _ in range(3):
        QTest.keyClick(moons.diagram, Qt.Key_F10)
    qtbot.wait(100)
    assert drawn == []
    dock.raise_()
    qtbot.waitUntil(lambda: drawn == [3])  # brought to the front: drawn once, from the current run
    x, y = runs.batch_curve.getData()
    assert list(x) == [1, 2, 3]
    QTest.keyClick(moons.diagram, Qt.Key_F10)  # in front: it follows each press
    assert drawn == [3, 4]


def test_the_input_plane_and_landscape_behind_other_tabs_are_not_redrawn_per_key(qtbot, moons, monkeypatch):
    ins = moons.insight
    assert not on_screen(ins.input_space) and not on_screen(ins.landscape)
    calls = []
    for view in (ins.input_space, ins.landscape):
        real = view.update_from
        monkeypatch.setattr(view, "update_from", lambda *a, real=real, view=view, **k: calls.append(view)
                            or real(*a, **k))
    moons.controller.select(Element("weight", 0, 0, 0))  # the landscape has a weight to show
    for _ in range(3):
        QTest.keyClick(moons.diagram, Qt.Key_F10)
    qtbot.wait(150)  # past every pace
    assert calls == []
    ins.input_dock.raise_()
    qtbot.waitUntil(lambda: any(v is ins.input_space for v in calls))
