"""The diagram's edges are one scene item whose edges repaint their own rectangles: after any sequence of
highlight, selection and value changes the picture equals one drawn afresh (no ghost of an old highlight band
or an old line width is left)."""
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from backprop_lab.core import Element
from backprop_lab.gui.diagram_items import EdgesLayer


def picture(d):
    """What the window shows (its backing store, as the screen has it), not a fresh rendering."""
    QApplication.processEvents()
    vp = d.viewport()
    top = vp.window()
    at = vp.mapTo(top, vp.rect().topLeft())
    return QGuiApplication.primaryScreen().grabWindow(top.winId(), at.x(), at.y(), vp.width(),
                                                      vp.height()).toImage()


def largest_difference(a, b) -> int:
    def rgb(im):
        return np.frombuffer(im.constBits(), np.uint8, im.sizeInBytes()).reshape(im.height(), -1, 4)[..., :3]
    return int(np.abs(rgb(a).astype(int) - rgb(b).astype(int)).max())


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
            layer.update()  # every edge drawn afresh
            d.viewport().update()
            # the same picture, but for antialiasing rounding where partial repaints meet (a few levels)
            assert largest_difference(picture(d), shown) <= 8, k
