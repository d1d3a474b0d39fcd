"""Text widgets whose size never depends on their text, so setting a new text repaints only themselves.

A QLabel asks its parents to lay out again whenever its text changes; for texts that change on every key
press (the status bar, the current-step card) that re-layout of the whole window costs more than the rest of
the redraw.  These widgets keep a fixed size hint and only repaint.
"""
from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QAbstractTextDocumentLayout, QColor, QFont, QFontMetrics, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QSizePolicy, QStatusBar, QWidget

from .plain_text import plain_tooltip


class QtTextLine(QWidget):
    """One line of plain text, elided at the right when it does not fit."""

    def __init__(self, sample: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._sample = sample
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.setAttribute(Qt.WA_OpaquePaintEvent)  # paints all of itself: the parents need no repaint

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self._sample) + 8, fm.height() + 4)

    def minimumSizeHint(self) -> QSize:
        return QSize(20, self.fontMetrics().height() + 4)

    def text(self) -> str:
        return self._text

    def set_sample(self, sample: str) -> None:
        """Keep room for *sample* (the longest text expected for now).  The bar is laid out again only when its
        length changed (digits are equally wide): a counter passing 9,999, another file, another precision."""
        if len(sample) != len(self._sample):
            self._sample = sample
            self.setMaximumWidth(self.sizeHint().width())
            self.updateGeometry()

    def setText(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.setAccessibleName(text)
            self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().color(QPalette.Window))
        p.setPen(self.palette().color(QPalette.WindowText))
        r = self.rect().adjusted(4, 0, -4, 0)
        p.drawText(r, Qt.AlignVCenter | Qt.AlignLeft, self.fontMetrics().elidedText(self._text, Qt.ElideRight,
                                                                                      r.width()))


class QtStatusBar(QStatusBar):
    """The window's status bar: a message longer than the room left of the fields ends in "…" (QStatusBar cuts
    it off mid-word), and the whole message is the bar's tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)  # as QMainWindow's own: no minimum width
        self._fields: list[QWidget] = []
        self.messageChanged.connect(self._on_message_changed)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:
        super().addPermanentWidget(widget, stretch)
        self._fields.append(widget)

    def _on_message_changed(self, text: str) -> None:
        self.setToolTip(plain_tooltip(text) if text else "")  # (a message may quote a file name)

    def message_rect(self) -> QRect:
        """Where the message is drawn: from the left, up to the first field shown."""
        right = min((w.geometry().left() for w in self._fields if w.isVisible()), default=self.width())
        return QRect(6, 0, max(0, right - 12), self.height())

    def shown_message(self) -> str:
        """The message as drawn: whole, or elided to the room it has."""
        text, width = self.currentMessage(), self.message_rect().width()
        fm = self.fontMetrics()
        return text if fm.horizontalAdvance(text) <= width else fm.elidedText(text, Qt.ElideRight, width)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        shown = self.shown_message()
        if shown == self.currentMessage():
            return
        rect = self.message_rect()
        p = QPainter(self)  # over the cut-off text: the same message, elided
        p.fillRect(rect.adjusted(0, 1, 4, 0), self.palette().color(QPalette.Window))
        p.setPen(self.palette().color(QPalette.WindowText))
        p.drawText(rect, Qt.AlignLeading | Qt.AlignVCenter | Qt.TextSingleLine, shown)


#: The smallest scale a card's text is drawn at to fit its box (beyond, the end is cut off).
MIN_SCALE = 0.6


class QtRichCard(QWidget):
    """A fixed-height box of rich text (built by the program; never text from a file unescaped)."""

    def __init__(self, lines: int, background: str, border: str, point_size: float = 11.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._html = ""
        self._fitted: tuple[int, float] | None = None  # (width, scale) the text was fitted at
        self._doc = QTextDocument(self)
        self._doc.setDocumentMargin(6)
        font = QFont(self.font())
        font.setPointSizeF(point_size)
        self._doc.setDefaultFont(font)
        self._background, self._border = QColor(background), QColor(border)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self._line = QFontMetrics(font).lineSpacing()
        self.set_lines(lines)
        self.setAttribute(Qt.WA_OpaquePaintEvent)

    def set_lines(self, lines: int) -> None:
        """Make the box *lines* lines high (a longer text is drawn smaller to fit, see :meth:`scale`)."""
        h = self._line * lines + 14
        if h != self.height() or self.minimumHeight() != h:
            self.setFixedHeight(h)
            self._fitted = None

    def sizeHint(self) -> QSize:
        return QSize(200, self.height())

    def text(self) -> str:
        return self._html

    def setText(self, html: str) -> None:
        if html != self._html:
            self._html = html
            self._doc.setHtml(html)
            self._fitted = None
            self.update()

    def plain_text(self) -> str:
        return self._doc.toPlainText()

    def scale(self) -> float:
        """The scale the text is drawn at: 1, or less for a text longer than the box (down to MIN_SCALE)."""
        w = self.width()
        if self._fitted is None or self._fitted[0] != w:
            # A long computation (a sum of many terms) would run past the box: drawn smaller, with the lines
            # as long as the box is wide at that size, rather than cut off before its result.
            k = 1.0
            while True:
                if self._doc.textWidth() != w / k:  # setting it, even unchanged, lays the whole text out again
                    self._doc.setTextWidth(w / k)
                if self._doc.size().height() * k <= self.height() or k <= MIN_SCALE:
                    break
                k = max(MIN_SCALE, round(k - 0.1, 2))
            self._fitted = (w, k)
        return self._fitted[1]

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().color(QPalette.Window))
        p.setRenderHint(QPainter.Antialiasing)
        p.setPen(self._border)
        p.setBrush(self._background)
        p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        k = self.scale()
        ctx = QAbstractTextDocumentLayout.PaintContext()
        ctx.palette.setColor(QPalette.Text, self.palette().color(QPalette.WindowText))
        p.setClipRect(self.rect())
        p.scale(k, k)
        self._doc.documentLayout().draw(p, ctx)
