"""What a new user hit in the insight views: each test replays the tester's steps and checks what they saw."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtWidgets import QWidget

from backprop_lab.core import load_example
from backprop_lab.gui import dialogs as gui_dialogs
from backprop_lab.gui.controller import SimulationController
from backprop_lab.gui.main_window import MainWindow


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


@pytest.fixture(autouse=True)
def no_dialogs(monkeypatch):
    from PySide6.QtWidgets import QMessageBox
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: QMessageBox.Ok))
    monkeypatch.setattr(gui_dialogs, "show_plain_warning", lambda *a, **k: None)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Discard))


def window(qtbot, settings, sim, size=(1400, 880)):
    w = MainWindow(SimulationController(sim), settings=settings)
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.insight.input_dock in w.tabifiedDockWidgets(w.equations_dock))
    return w


def press(qtbot, w, key, n=1, mod=Qt.NoModifier):
    for _ in range(n):
        qtbot.keyClick(w.diagram, key, mod)


def message_room(w) -> int:
    """Pixels the status bar's message can use: up to the first visible widget in the bar (as Qt draws it)."""
    sb = w.statusBar()
    lefts = [c.geometry().left() for c in sb.findChildren(QWidget) if c.parent() is sb and c.isVisible()]
    return min(lefts, default=sb.width()) - 6


# -- 1. a click on a training point in the input plane --------------------------------------------------
def test_clicking_a_point_after_37_iterations_says_so_visibly_and_marks_it(qtbot, settings):
    """The tester's click did reach the controller, but its message was drawn in a zero-width space: the
    status bar's permanent widgets filled it at 1,400 pixels.  And the ring stayed where it was, since the
    clicked sample was not in that iteration's batch."""
    w = window(qtbot, settings, load_example("moons"))
    c, space = w.controller, w.insight.input_space
    press(qtbot, w, Qt.Key_F10, 37)
    assert c.state.iteration == 37
    w.insight.input_dock.raise_()
    qtbot.waitUntil(lambda: space.mode == "plane" and space.isVisible(), timeout=3000)
    batch = [int(b) for b in c.state.trace.batch]
    k = next(i for i in range(c.sim.n_samples) if i not in batch)
    vb = space.plane.getPlotItem().vb
    scene_pt = vb.mapViewToScene(QPointF(*c.sim.inputs[k]))
    msgs = []
    c.message.connect(msgs.append)
    qtbot.mouseClick(space.plane.viewport(), Qt.LeftButton, pos=space.plane.mapFromScene(scene_pt))
    assert msgs and f"Sample #{k + 1} is not in this batch" in msgs[-1]
    assert w.statusBar().currentMessage() == msgs[-1]
    need = w.statusBar().fontMetrics().horizontalAdvance(msgs[-1])
    assert message_room(w) >= need, (message_room(w), need)
    # the chosen sample is marked (dashed ring) apart from the traced one (solid square)
    xs, ys = space.chosen_pt.getData()
    assert [list(xs), list(ys)] == [[c.sim.inputs[k, 0]], [c.sim.inputs[k, 1]]]
    tx, ty = space.traced_pt.getData()
    assert [tx[0], ty[0]] == list(c.sim.inputs[c.state.sample_index])
    # a sample in the batch: the ring moves to it, the dashed ring goes
    j = batch[3]
    scene_pt = vb.mapViewToScene(QPointF(*c.sim.inputs[j]))
    qtbot.mouseClick(space.plane.viewport(), Qt.LeftButton, pos=space.plane.mapFromScene(scene_pt))
    assert c.state.sample_index == j and msgs[-1].endswith(f"sample #{j + 1} (sample 4 of 10 in the batch).")
    assert len(space.chosen_pt.getData()[0]) == 0
    assert w.statusBar().fontMetrics().horizontalAdvance(msgs[-1]) <= message_room(w)


# -- 7. the status bar's sample field ----------------------------------------------------------------
def test_status_bar_names_the_traced_sample_first(qtbot, settings):
    w = window(qtbot, settings, load_example("moons"))
    c = w.controller
    press(qtbot, w, Qt.Key_F11, 25)  # into sample 2 of iteration 1
    st = c.state
    assert st.sample == 1
    k = int(st.trace.batch[1])
    assert w.status_sample.text() == f"Sample #{k + 1} (2 of 10 in this batch)"
    assert np.isfinite(st.sample_index) and st.sample_index == k
