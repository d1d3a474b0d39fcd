"""Labels, tooltips and status lines that show text as it is: never guessed rich text, since it may come from a file.

``QLabel`` and tooltips treat anything that looks like HTML as HTML
(``Qt.mightBeRichText``), and rich text loads ``<img src=…>`` from local
paths, devices included. Every label built here is ``Qt.PlainText``.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGuiNs
from PySide6.QtWidgets import QLabel

from .formatting import hats_html

#: Colour of refusal messages (readable on the light Fusion palette, 5.4:1 contrast on white).
ERROR_COLOR = "#b03a2e"
#: Colour of secondary text on the light palette (the teaching views derive theirs from the palette).
MUTED_COLOR = "#566573"
#: Colour of a "done" message.
OK_COLOR = "#1e8449"


class WrappedLabel(QLabel):
    """A word-wrapped plain-text label that asks for the height its text needs at its width.

    A layout gives a wrapped label the height of its size hint, worked out for a guessed width; in a panel that
    scrolls (the Training panel of a short window) the label then got two lines for three and was cut off at
    the top and bottom.
    """

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setTextFormat(Qt.PlainText)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        need = self.heightForWidth(self.width()) if self.text() else 0
        if need >= 0 and need != self.minimumHeight():
            self.setMinimumHeight(need)


def plain_tooltip(text: str) -> str:
    """*text* as a tooltip that Qt shows literally (tooltips otherwise guess rich text)."""
    return QtGuiNs.convertFromPlainText(text)


def plain_label(text: str = "", name: str = "", wrap: bool = True, small: bool = False) -> QLabel:
    """A plain-text label (never rich text: it may show file content).

    Parameters
    ----------
    text : str
        What it shows first.
    name : str
        Its accessible name ("" for none).
    wrap : bool
        Word-wrap long text.
    small : bool
        Secondary text: smaller and muted.
    """
    label = QLabel(text)
    label.setTextFormat(Qt.PlainText)
    label.setWordWrap(wrap)
    if name:
        label.setAccessibleName(name)
    if small:
        label.setStyleSheet(f"color: {MUTED_COLOR}; font-size: 9pt;")
    return label


def error_label() -> QLabel:
    """A small red, plain-text, word-wrapped label for a refusal; hidden while empty."""
    label = WrappedLabel()
    label.setAccessibleName("Problem")
    label.setStyleSheet(f"color: {ERROR_COLOR}; font-size: 9pt;")
    label.hide()
    return label


def show_error(label: QLabel, text: str) -> None:
    """Show *text* in *label* (hide it when empty)."""
    label.setText(text)
    label.setVisible(bool(text))


def set_status(label: QLabel, text: str, ok: bool) -> None:
    """Show *text* in *label* in the colour of success (*ok*) or of a refusal; hide it when empty."""
    label.setStyleSheet(f"color: {OK_COLOR if ok else ERROR_COLOR};")
    show_error(label, text)


def set_label_text(label: QLabel, text: str) -> None:
    """Show *text* in *label* as it is (see :func:`label_text`).

    A text with a combining hat (Adam's m̂) goes in as escaped rich text with the hatted letters in italics:
    upright DejaVu Sans, a common default font, draws the hat over m and v a line too high (see
    ``formatting.hats_html``); every other text stays plain text.
    """
    label.setProperty("plain_text", text)
    if "\u0302" in text:
        label.setTextFormat(Qt.RichText)
        label.setText(hats_html(html.escape(text)).replace("\n", "<br>"))
    else:
        label.setTextFormat(Qt.PlainText)
        label.setText(text)


def label_text(label: QLabel) -> str:
    """What a label set by :func:`set_label_text` says, as plain text (its own text for other labels)."""
    plain = label.property("plain_text")
    return plain if isinstance(plain, str) else label.text()
