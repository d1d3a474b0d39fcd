"""The whole iteration as a virtual list: only the rows on screen are laid out and painted.

Each computation is one row of two lines — "target = symbols" and "= numbers = result" — typeset as rich text
with QTextDocument (laid out once per row and precision, then cached).  Rows already performed are drawn in ink,
rows still to come greyed, the current one on a yellow band.  Moving the cursor by one computation repaints
two or three rows; a new iteration resets the model, which costs nothing until rows are painted.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QTextDocument, QTextOption
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from backprop_lab.core import Computation

from .formatting import computation_lines_html
from .view_state import READY, ViewState

PHASE_TITLES = {"forward": "Forward pass", "loss": "Loss", "backward": "Backward pass", "update": "Update"}
CURRENT_BG = QColor("#fff3c4")
TODO_INK = QColor("#98a5a6")
PHASE_INK = QColor("#1b4f72")
LINE_H = 18
ROW_H = 2 * LINE_H + 6
CACHE_LIMIT = 2000  # rows kept laid out (two documents per row and look)
_NO_WRAP = QTextOption()
_NO_WRAP.setWrapMode(QTextOption.NoWrap)


class IterationModel(QAbstractListModel):
    """Rows: a title before each phase, then that phase's computations."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[Computation | str] = []
        self.row_of: dict[int, int] = {}  # record index -> row
        self.trace = None
        self.revealed = 0
        self.preview = True
        self.current = -1
        self.digits = 9

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.DisplayRole, Qt.ToolTipRole, Qt.AccessibleTextRole):
            return row if isinstance(row, str) else row.text(self.digits)
        return None

    def set_state(self, state: ViewState) -> tuple[int, int] | None:
        """Show *state*'s iteration; returns the row range whose look changed (None after a reset).

        Only the look of rows changes between two states of one iteration, never their data, so no
        ``dataChanged`` is emitted (the list view would ask for the row count of every row); the view
        repaints the rows itself.
        """
        tr = state.trace
        preview = state.mode == READY
        cur = state.current.index if state.current is not None else -1
        if tr is not self.trace or state.display.precision != self.digits:
            self.beginResetModel()
            self.trace, self.digits = tr, state.display.precision
            self.rows, self.row_of = [], {}
            phase = None
            for r in (tr.records if tr is not None else ()):
                if r.phase != phase:
                    phase = r.phase
                    self.rows.append(PHASE_TITLES[phase])
                self.row_of[r.index] = len(self.rows)
                self.rows.append(r)
            self.revealed, self.preview, self.current = state.revealed, preview, cur
            self.endResetModel()
            return None
        old, new = (self.revealed, self.preview, self.current), (state.revealed, preview, cur)
        if old == new or not self.rows:
            return (0, -1)
        n = len(tr.records)
        touched = [x for x in (old[0] - 1, new[0] - 1, old[0], new[0], old[2], new[2]) if 0 <= x < n]
        lo_rec, hi_rec = (0, n - 1) if old[1] != new[1] or not touched else (min(touched), max(touched))
        self.revealed, self.preview, self.current = new
        return self.row_of[lo_rec], self.row_of[hi_rec]

    def look(self, row: int) -> str:
        """"title", "current", "done" or "todo"."""
        r = self.rows[row]
        if isinstance(r, str):
            return "title"
        if r.index == self.current:
            return "current"
        if not self.preview and r.index >= self.revealed:
            return "todo"
        return "done"  # performed, or (a preview) what the next iteration will compute


class EquationDelegate(QStyledItemDelegate):
    """Paints a row from cached text documents (rich text: subscripts, bold target and result).

    A laid-out QTextDocument per row and look: drawing it again costs little; laying it out is what costs
    (three times less than a rich-text QStaticText, measured).
    """

    def __init__(self, model: IterationModel, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self._cache: dict[tuple, tuple[QTextDocument, QTextDocument]] = {}
        self.font = QFont()
        self.font.setPixelSize(13)
        self.title_font = QFont(self.font)
        self.title_font.setBold(True)

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return QSize(100, ROW_H)

    def _docs(self, rec: Computation, digits: int, todo: bool) -> tuple[QTextDocument, QTextDocument]:
        key = (id(rec), rec.index, digits, todo)
        docs = self._cache.get(key)
        if docs is None:
            if len(self._cache) > CACHE_LIMIT:
                self._cache.clear()
            docs = tuple(self._doc(html, todo) for html in computation_lines_html(rec, digits, plain_colours=todo))
            self._cache[key] = docs
        return docs

    def _doc(self, html: str, todo: bool) -> QTextDocument:
        d = QTextDocument()
        d.setDocumentMargin(0)
        d.setDefaultFont(self.font)
        d.setDefaultTextOption(_NO_WRAP)
        d.setHtml(f"<span style='color:{TODO_INK.name()}'>{html}</span>" if todo else html)
        return d

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index) -> None:
        m = self.model
        row = index.row()
        look = m.look(row)
        rect: QRect = option.rect
        p.save()
        p.setClipRect(rect)
        if look == "title":
            p.setFont(self.title_font)
            p.setPen(PHASE_INK)
            p.drawText(rect.adjusted(6, 0, -4, -2), Qt.AlignLeft | Qt.AlignBottom, m.rows[row])
            p.restore()
            return
        if look == "current":
            p.fillRect(rect, CURRENT_BG)
        first, second = self._docs(m.rows[row], m.digits, look == "todo")
        for doc, x, y in ((first, 6, 3), (second, 22, 3 + LINE_H)):
            # a line too long for the panel is drawn a little smaller (down to 70 %), so the result shows
            k = max(0.7, min(1.0, (rect.width() - x - 4) / max(doc.idealWidth(), 1.0)))
            p.save()
            p.translate(rect.x() + x, rect.y() + y + (1 - k) * LINE_H / 2)
            p.scale(k, k)
            doc.drawContents(p)
            p.restore()
        p.restore()


class QtIterationList(QListView):
    """The list of every computation of the shown iteration."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_ = IterationModel(self)
        self.setModel(self.model_)
        self.delegate = EquationDelegate(self.model_, self)
        self.setItemDelegate(self.delegate)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.NoSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.setAccessibleName("Every computation of this iteration")
        self.setToolTip("")

    def show_state(self, state: ViewState) -> None:
        changed = self.model_.set_state(state)
        m = self.model_
        target = m.current if m.current >= 0 else m.revealed if state.mode != READY and m.revealed else -1
        row = m.row_of.get(target)
        if row is not None:
            rect = self.visualRect(m.index(row))
            view = self.viewport().rect()
            margin = view.height() // 4
            if not view.adjusted(0, margin, 0, -margin).contains(rect.center()):
                self.scrollTo(m.index(row), QAbstractItemView.PositionAtCenter)
        if changed is not None and changed[1] >= changed[0]:
            top = self.visualRect(m.index(changed[0]))
            bottom = self.visualRect(m.index(changed[1]))
            self.viewport().update(top.united(bottom))

    def plain_text(self) -> str:
        m = self.model_
        return "\n".join(r if isinstance(r, str) else r.text(m.digits) for r in m.rows)
