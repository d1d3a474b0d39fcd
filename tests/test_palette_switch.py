"""Switching between light and dark while the window is open reaches the diagram: canvas, edges, labels."""
import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPalette

from backprop_lab.core import Element
from backprop_lab.gui import theme

W5 = Element("weight", 1, 0, 0)


def dark_palette() -> QPalette:
    p = QPalette()
    for role, c in ((QPalette.Window, "#2b2b2b"), (QPalette.WindowText, "#e6e6e6"), (QPalette.Base, "#1e1e1e"),
                    (QPalette.Text, "#e6e6e6"), (QPalette.Button, "#353535"), (QPalette.ButtonText, "#e6e6e6")):
        p.setColor(role, QColor(c))
    return p


@pytest.fixture
def restore_palette(qapp):
    before = qapp.palette()
    yield
    qapp.setPalette(before)


def corner(widget) -> tuple[int, int, int]:
    img = widget.viewport().grab().toImage().convertToFormat(QImage.Format_RGB32)
    c = QColor(img.pixel(8, img.height() - 8))
    return c.red(), c.green(), c.blue()


def line_pen(edge) -> str:
    return edge._pens[-1].color().name()


def test_switching_to_dark_while_open_repaints_the_diagram(qtbot, qapp, open_window, no_dialogs,
                                                          restore_palette):
    w = open_window()
    d = w.diagram
    w.controller.select(W5)
    qtbot.wait(20)
    assert not theme.colors().dark and np.mean(corner(d)) > 240  # light: a white canvas
    light_pen = line_pen(d.edges[W5])
    light_label = d.labels[W5].look
    qapp.setPalette(dark_palette())
    qtbot.waitUntil(lambda: np.mean(corner(d)) < 60)  # the canvas itself turned dark (#1e2227)
    assert corner(d) == (0x1e, 0x22, 0x27)
    assert theme.colors().dark
    assert line_pen(d.edges[W5]) != light_pen  # pens made again in the dark theme's colours
    dark_line = theme.DARK.pos if d.edges[W5].look[0] else theme.DARK.neg
    assert _near(line_pen(d.edges[W5]), dark_line, theme.DARK.background)  # its hue, blended on the dark canvas
    assert d.labels[W5].look[2] != light_label[2]  # the selected weight's label ring follows its edge's colour


def _near(pen: str, hue: str, background: str) -> bool:
    """Whether *pen* is *hue* blended over *background* at some opacity (as the diagram draws lines)."""
    p, h, b = (np.array(QColor(c).getRgb()[:3], float) for c in (pen, hue, background))
    alpha = np.clip(np.dot(p - b, h - b) / max(np.dot(h - b, h - b), 1e-9), 0, 1)
    return bool(np.abs(b + alpha * (h - b) - p).max() <= 2 and 0.3 <= alpha <= 1)
