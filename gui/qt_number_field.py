"""QtNumberField: a line edit for a typed number that shows why a value is refused, right beneath it."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit, QSizePolicy, QVBoxLayout, QWidget

from .plain_text import WrappedLabel
from .validation import Validation

ERROR_STYLE = "color:#922b21; background:#fdecea; border:1px solid #e6b0aa; border-radius:3px; padding:2px 4px;"


def error_label(name: str) -> QLabel:
    """The label that shows a refusal beneath a field (plain text, hidden until needed)."""
    label = WrappedLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setAccessibleName(f"{name}: input refused")
    # as wide as its field, never wider: a long reason wraps instead of widening the row (a form that puts its
    # fields below their labels when a row is too wide rearranged the whole panel for one refusal)
    label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
    label.hide()
    return label


class QtNumberField(QLineEdit):
    """A number field: Enter (or leaving the field) parses the text; a refusal is shown in ``error``.

    ``submitted(value)`` is emitted with the parsed value when the text is a number in the field's sense;
    the owner may still refuse it (for a reason only the engine knows) with :meth:`refuse`.  Put
    :meth:`with_error` (the field above its error label) into a layout.
    """

    submitted = Signal(object)

    def __init__(self, parse: Callable[[str], Validation], name: str, tooltip: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parse = parse
        self._shown = ""
        self.setAccessibleName(name)
        self.setToolTip(tooltip + " (Enter to apply)")
        self.editingFinished.connect(self._on_editing_finished)
        self.textEdited.connect(lambda _: self.error.hide())
        self.error = error_label(name)

    def with_error(self) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self)
        lay.addWidget(self.error)
        return box

    def show_value(self, text: str, force: bool = False) -> None:
        """Show the model's value (not while the person is typing in the field, unless *force*).

        A refusal shown under the field goes: the model changed since (an undo, a redo, another edit), so
        the reason no longer belongs to what the field shows.
        """
        before, self._shown = self._shown, text
        # (in the field with focus too when it shows the old value: nothing typed there is lost)
        if force or not self.hasFocus() or self.text().strip() == before:
            self.setText(text)
        if self.text().strip() == text:
            self.clear_error()

    def clear_error(self) -> None:
        """Hide the reason of the last refusal (the field shows a valid value)."""
        self.error.hide()
        self.error.clear()

    def event(self, event) -> bool:
        # Ctrl+Z / Ctrl+Shift+Z in a field showing the model's value are the window's Undo and Redo (the field's
        # own undo took back the text of an applied change, and leaving the field applied that text as a new
        # change); while the person is typing they undo the typing, as in any text field.
        if event.type() == QEvent.ShortcutOverride and self.text().strip() == self._shown and (
                event.matches(QKeySequence.Undo) or event.matches(QKeySequence.Redo)):
            event.ignore()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        # Esc gives up the typing: the model's value comes back, and with it the refusal goes.
        if event.key() == Qt.Key_Escape and (self.error.isVisible() or self.text() != self._shown):
            self.setText(self._shown)
            self.clear_error()
            event.accept()
            return
        super().keyPressEvent(event)

    def refuse(self, reason: str) -> None:
        """Show why the typed value was refused, and the model's value again."""
        self.error.setText(reason)
        self.error.show()
        self.setText(self._shown)
        self.selectAll()

    def _on_editing_finished(self) -> None:
        text = self.text()
        if text.strip() == self._shown:
            return
        v = self._parse(text)
        if not v.ok:
            self.refuse(v.reason)
            return
        self.error.hide()
        self.submitted.emit(v.value)
