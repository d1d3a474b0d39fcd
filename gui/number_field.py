"""Small plain-text widgets of the data GUI: labels, tooltips, and a number field whose refusals show beside it.

The parsing rules (plain numbers only) are :mod:`backprop_lab.core.numbers`'.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import Qt as QtGui_Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from backprop_lab.core.numbers import parse_int, parse_number  # noqa: F401  (re-exported for the widgets)

#: Colour of refusal messages (readable on the light Fusion palette, 5.4:1 contrast on white).
ERROR_COLOR = "#b03a2e"


def plain_tooltip(text: str) -> str:
    """*text* as a tooltip that Qt shows literally (tooltips otherwise guess rich text)."""
    return QtGui_Qt.convertFromPlainText(text)


def plain_label(text: str = "", name: str = "", wrap: bool = True, small: bool = False) -> QLabel:
    """A plain-text label (never rich text: it may show file content)."""
    label = QLabel(text)
    label.setTextFormat(Qt.PlainText)
    label.setWordWrap(wrap)
    if name:
        label.setAccessibleName(name)
    if small:
        label.setStyleSheet("color: #566573; font-size: 9pt;")
    return label


def error_label() -> QLabel:
    """A small red, plain-text, word-wrapped label for a refusal; hidden while empty."""
    label = QLabel()
    label.setTextFormat(Qt.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_COLOR}; font-size: 9pt;")
    label.setAccessibleName("Problem")
    label.hide()
    return label


def show_error(label: QLabel, text: str) -> None:
    """Show *text* in *label* (hide it when empty)."""
    label.setText(text)
    label.setVisible(bool(text))


class NumberField(QWidget):
    """A line edit for one number and, under it, the reason its text is refused.

    Parameters
    ----------
    parser : callable
        ``parser(text) -> value``, raising ``ValueError(reason)``
        (e.g. ``lambda s: parse_int(s, "Samples", 1, 100_000)``).
    text : str
        The initial text.
    name, tooltip : str
        Accessible name and tooltip of the line edit.

    Signals
    -------
    edited
        The text was changed by the person (not by :meth:`set_text`).
    """

    edited = Signal()

    def __init__(self, parser: Callable[[str], object], text: str, name: str, tooltip: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parser = parser
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        self.edit = QLineEdit(text)
        self.edit.setAccessibleName(name)
        self.edit.setToolTip(tooltip)
        self.edit.setMaximumWidth(110)
        self.error = error_label()
        self.error.setAccessibleName(f"{name}: problem")
        lay.addWidget(self.edit)
        lay.addWidget(self.error)
        self.setFocusProxy(self.edit)
        # Check when the person leaves the field; while typing, only clear a reason that no longer holds
        # (a reason popping up after every half-typed keystroke is noise).
        self.edit.editingFinished.connect(self.check)
        self.edit.textEdited.connect(self._on_edited)

    def _on_edited(self, _text: str) -> None:
        if self.error.isVisible() and self.reason() == "":
            show_error(self.error, "")
        self.edited.emit()

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        """Replace the text (no :attr:`edited`) and clear a shown reason."""
        self.edit.setText(text)
        show_error(self.error, "")

    def reason(self) -> str:
        """Why the current text is refused, or "" when it is acceptable."""
        try:
            self.parser(self.edit.text())
        except ValueError as e:
            return str(e)
        return ""

    def check(self) -> bool:
        """Show the reason the text is refused (or clear it); True when acceptable."""
        why = self.reason() if self.isEnabled() else ""
        show_error(self.error, why)
        self.edit.setAccessibleDescription(why)
        return not why

    def value(self):
        """The parsed value; ``ValueError`` with the reason when refused (shown as well)."""
        if not self.check():
            raise ValueError(self.error.text())
        return self.parser(self.edit.text())

    def hold_zero(self, on: bool) -> None:
        """Show 0 while *on* and give the earlier text back afterwards (unless the person changed it meanwhile).

        Used by the test fraction: a split of a tiny set (the worked example, a truth table of 4 rows) leaves
        too little to learn from, so such a set gets 0, and the fraction comes back for a larger set.
        """
        if on and self.text() != "0":
            self._held = self.text()
            self.set_text("0")
        elif not on and getattr(self, "_held", None) is not None:
            if self.text() == "0":
                self.set_text(self._held)
            self._held = None

    def set_error(self, text: str) -> None:
        """Show a reason found elsewhere (e.g. a fraction that leaves no training samples)."""
        show_error(self.error, text)
