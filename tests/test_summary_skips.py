"""The accuracy line and the neuron pictures are computed again only when the parameters (or the network or its
data) changed: stepping into an iteration, which changes nothing until its updates, leaves them as they are."""
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from backprop_lab.core import Element
from backprop_lab.gui import input_table, insight_docks


def test_stepping_into_an_iteration_does_not_recompute_the_accuracy_line(qtbot, open_window, no_dialogs,
                                                                         monkeypatch):
    w = open_window((1400, 880))
    assert w.controller.open_example("xor")
    qtbot.wait(100)
    calls = []
    monkeypatch.setattr(insight_docks, "status_text",
                        lambda sim, theta=None, hide_loss=False: calls.append(sim.iteration)
                        or input_table.status_text(sim, theta=theta, hide_loss=hide_loss))
    sim = w.controller.sim
    for _ in range(5):  # forward computations of iteration 1: no parameter changes
        QTest.keyClick(w.diagram, Qt.Key_F11)
        QApplication.processEvents()
    qtbot.wait(150)  # past any pace
    assert sim.pending is not None and calls == []
    QTest.keyClick(w.diagram, Qt.Key_F10)  # the iteration finishes: every parameter is updated
    qtbot.waitUntil(lambda: len(calls) >= 1)
    qtbot.wait(150)
    assert w.insight.summary == input_table.status_text(sim)  # the line shows the updated network's accuracy
    n = len(calls)
    w.controller.nudge_parameter(Element("weight", 0, 0, 0), 0.5)
    qtbot.waitUntil(lambda: len(calls) > n)  # an edit changes a parameter: computed again


def test_with_a_penalty_the_accuracy_line_says_its_loss_leaves_the_penalty_out(qtbot):
    # (a new-user tester: with L2 on, the diagram's "training set: 0.145308" and the accuracy line's
    # "loss 0.1288" disagreed, and neither said why: the line's is the samples' mean, without the penalty)
    import numpy as np

    from backprop_lab.core import load_example
    from backprop_lab.gui.input_table import status_text
    sim = load_example("xor")
    plain = status_text(sim)
    assert "· loss " in plain and "data loss" not in plain
    sim.set_training(l2=0.5)
    text = status_text(sim)
    data = float(np.mean(0.5 * ((sim.outputs() - sim.targets) ** 2).sum(axis=1)))  # ½·squared error, by hand
    assert f"data loss {data:.4g}" in text and sim.loss() > data + 0.1  # the engine's loss has the penalty
