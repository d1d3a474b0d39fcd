"""Plain-number parsing, plain-text labels, and a line edit that shows why its text is refused beside it.

The data widgets accept only what a person would call a plain number: ASCII
digits, an optional sign, a decimal point and an exponent. Python's ``float``
and ``int`` also take ``1_000``, ``١٢`` (Arabic-Indic digits), ``nan`` and
``inf``; those are refused here with a reason, so what the field shows is
exactly the value used.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import Qt as QtGui_Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

_INT = re.compile(r"[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
#: Colour of refusal messages (readable on the light Fusion palette, 5.4:1 contrast on white).
ERROR_COLOR = "#b03a2e"


def _shown(text: str) -> str:
    return repr(text if len(text) <= 24 else text[:21] + "...")


def _why_not_plain(s: str) -> str:
    """The reason *s* (stripped, not empty) is not a plain number."""
    if "_" in s:
        return f"{_shown(s)} is not a plain number: write it without '_'"
    if "\u2212" in s:
        return f"{_shown(s)} is not a plain number: type the minus sign as '-'"
    if re.fullmatch(r"[+-]?[0-9]+,[0-9]+", s):
        return f"{_shown(s)} is not a plain number: use a decimal point, not a comma"
    if re.fullmatch(r"[+-]?[0-9]{1,3}(,[0-9]{3})+", s):
        return f"{_shown(s)} is not a plain number: write it without thousands separators"
    return f"{_shown(s)} is not a number"


def parse_float(text: str, what: str = "value", lo: float = -math.inf, hi: float = math.inf,
                hi_open: bool = False) -> float:
    """*text* as a finite float in [lo, hi] (or [lo, hi) when *hi_open*).

    Raises
    ------
    ValueError
        With a short reason to show next to the field.
    """
    s = text.strip()
    if not s:
        raise ValueError(f"{what}: a number is needed")
    if not _FLOAT.fullmatch(s):
        raise ValueError(f"{what}: {_why_not_plain(s)}")
    v = float(s)
    if not math.isfinite(v):
        raise ValueError(f"{what}: {_shown(s)} is too large")
    if v < lo or v > hi or (hi_open and v == hi):
        right = ")" if hi_open else "]"
        raise ValueError(f"{what} must be in [{lo:g}, {hi:g}{right}")
    return v


def parse_int(text: str, what: str = "value", lo: int = 0, hi: int = 2**31 - 1) -> int:
    """*text* as a whole number in [lo, hi], digits only (no sign, no separators, no exponent).

    Raises
    ------
    ValueError
        With a short reason to show next to the field.
    """
    s = text.strip()
    if not s:
        raise ValueError(f"{what}: a whole number is needed")
    if not _INT.fullmatch(s):
        if _FLOAT.fullmatch(s) or s.startswith(("-", "\u2212")):
            raise ValueError(f"{what} must be a whole number from {lo:,} to {hi:,}")
        raise ValueError(f"{what}: {_why_not_plain(s)}")
    v = int(s)
    if not lo <= v <= hi:
        raise ValueError(f"{what} must be a whole number from {lo:,} to {hi:,}")
    return v


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

    def set_error(self, text: str) -> None:
        """Show a reason found elsewhere (e.g. a fraction that leaves no training samples)."""
        show_error(self.error, text)
