"""A combo box, slider or spin box in a scrolled panel takes the mouse wheel only once clicked (focused).

Scrolling a panel with the wheel passes over its boxes; Qt gives the wheel to whichever box is under the
pointer, which then changes its value (the loss function, the run speed) while the person meant to scroll.
Unfocused, the box passes the wheel to the panel's scroll bar instead.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QSlider, QWidget


class _WheelGuard(QObject):
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Wheel or not isinstance(obj, QWidget) or obj.hasFocus():
            return False
        w = obj.parentWidget()
        while w is not None and not isinstance(w, QAbstractScrollArea):
            w = w.parentWidget()
        if w is not None:
            QApplication.sendEvent(w.verticalScrollBar(), event)
        return True  # the value stays as it is


def guard_wheel(panel: QWidget) -> None:
    """Guard every combo box, slider and spin box inside *panel* (call once its children exist)."""
    guard = _WheelGuard(panel)
    for kind in (QComboBox, QSlider, QAbstractSpinBox):
        for box in panel.findChildren(kind):
            box.setFocusPolicy(Qt.StrongFocus)  # (the wheel alone does not focus it)
            box.installEventFilter(guard)
