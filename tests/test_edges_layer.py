"""The diagram's edges are one scene item whose edges repaint their own rectangles: after any sequence of
highlight, selection and value changes the picture equals one drawn afresh (no ghost of an old highlight band
or an old line width is left)."""
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from backprop_lab.core import Element
from backprop_lab.gui.diagram_items import EdgesLayer


def picture(d):
    QApplication.processEvents()
    return d.viewport().grab().toImage()


def test_partial_redraws_of_the_edges_leave_no_ghosts(qtbot, open_window, no_dialogs):
    w = open_window((1400, 880))
    assert w.controller.open_example("moons")
    d, c = w.diagram, w.controller
    if w.insight.act_pictures.isChecked():
        w.insight.act_pictures.trigger()  # (they are redrawn at their own pace: a second look would differ)
    qtbot.wait(100)
    layer = next(i for i in d.scene().items() if isinstance(i, EdgesLayer))
    c.select(Element("weight", 1, 2, 3))
    c.toggle_second(Element("weight", 0, 4, 1))
    for k in range(60):  # the highlight band walks over the edges; values, widths and the selection change
        QTest.keyClick(d, Qt.Key_F11)
        if k == 30:
            c.select(Element("weight", 2, 0, 5))
        if k % 20 == 19:
            QTest.keyClick(d, Qt.Key_F10)
        shown = picture(d)
        if k % 10 == 9:
            layer.update()  # everything drawn afresh
            assert picture(d) == shown, k
