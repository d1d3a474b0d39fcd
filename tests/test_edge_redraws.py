"""A step redraws only the edges whose look changed: every edge and label still looks as a fresh drawing has it."""
import pytest
from PySide6.QtWidgets import QApplication

from backprop_lab.core import Element
from backprop_lab.gui.diagram import QtNetworkDiagram


def looks(d):
    edges = {el: item.look for el, item in d.edges.items()}
    labels = {el: (d.labels[el].isVisible(), d.labels[el].look if d.labels[el].isVisible() else None)
              for el in d.labels}
    return edges, labels


@pytest.mark.parametrize("example", ["moons", "mazur"])
def test_after_steps_edits_and_views_every_edge_looks_as_freshly_drawn(qtbot, open_window, no_dialogs, example):
    w = open_window((1400, 880))
    c = w.controller
    assert c.open_example(example)
    QApplication.processEvents()
    d = w.diagram
    actions = [c.step] * 6 + [lambda: c.select(Element("weight", 1, 1, 0)), c.step, c.step_into, c.step_into,
                              c.step, lambda: c.edit_parameter(Element("weight", 0, 1, 1), "2.5"), c.step,
                              c.step_back, c.step_back, lambda: c.set_edge_view("gradient"), c.step, c.step,
                              lambda: c.set_edge_view("delta"), c.step, c.step_back, c.step, c.step_back, c.step,
                              lambda: c.set_edge_view("weight"), lambda: c.select(None), c.step, c.step]
    for k, act in enumerate(actions):
        act()
        QApplication.processEvents()
        fresh = QtNetworkDiagram(c)  # draws the controller's current state from scratch
        qtbot.addWidget(fresh)
        assert looks(d) == looks(fresh), k
        fresh.deleteLater()
