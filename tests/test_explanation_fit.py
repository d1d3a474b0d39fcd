"""The Current step card's explanation is fitted to its text at every step: nothing of it is cut off while the
panel has room (up to 45 % of the panel; beyond, it scrolls)."""
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from backprop_lab.gui.equations import EXPLANATION_MIN_HEIGHT


def test_the_explanation_fits_its_text_at_every_computation(open_window, no_dialogs):
    w = open_window((1400, 880))
    panel = w.equations
    ex, scroll = panel.explanation, panel.explanation_scroll
    heights = set()
    for _ in range(43):  # every computation of the worked example's first iteration
        QTest.keyClick(w.diagram, Qt.Key_F11)
        QApplication.processEvents()
        need = ex.layout().heightForWidth(scroll.viewport().width())
        heights.add(need)
        room = max(EXPLANATION_MIN_HEIGHT, panel.height() * 45 // 100)
        assert scroll.viewport().height() >= min(need, room), (ex.record.target, need, scroll.height())
    assert len(heights) >= 3  # explanations of different lengths were fitted, not one size for all
