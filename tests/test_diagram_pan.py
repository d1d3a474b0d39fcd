"""On empty canvas a click lets the selection go; a drag pans the diagram and keeps the selection."""
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from backprop_lab.core import Element

W5, W6 = Element("weight", 1, 0, 0), Element("weight", 1, 0, 1)


def empty_point(d) -> QPoint:
    """A viewport point where the diagram has nothing to pick."""
    vp = d.viewport().rect()
    for y in range(10, vp.height() - 10, 7):
        for x in range(10, vp.width() - 10, 7):
            if d._element_at(QPoint(x, y)) is None:
                return QPoint(x, y)
    raise AssertionError("no empty spot")


def test_a_drag_on_empty_canvas_pans_and_keeps_the_selection_a_click_lets_it_go(qtbot, open_window, no_dialogs):
    w = open_window((1400, 880))
    d, c = w.diagram, w.controller
    qtbot.wait(50)  # the first fit to the window has happened
    d.zoom(2.0)  # room to pan
    c.select(W5)
    c.toggle_second(W6)
    p = empty_point(d)
    before = (d.horizontalScrollBar().value(), d.verticalScrollBar().value())
    vp = d.viewport()

    def send(kind, pos, button, buttons):  # (QTest's mouseMove carries no pressed button: no drag)
        QApplication.sendEvent(vp, QMouseEvent(kind, QPointF(pos), QPointF(vp.mapToGlobal(pos)), button, buttons,
                                               Qt.NoModifier))
    send(QEvent.MouseButtonPress, p, Qt.LeftButton, Qt.LeftButton)
    for k in range(1, 6):
        send(QEvent.MouseMove, p + QPoint(12 * k, 8 * k), Qt.NoButton, Qt.LeftButton)
    send(QEvent.MouseButtonRelease, p + QPoint(60, 40), Qt.LeftButton, Qt.NoButton)
    assert (d.horizontalScrollBar().value(), d.verticalScrollBar().value()) != before  # it panned
    assert c.selection == W5 and c.state.second == W6
    QTest.mouseClick(vp, Qt.LeftButton, Qt.NoModifier, empty_point(d))
    assert c.selection is None
