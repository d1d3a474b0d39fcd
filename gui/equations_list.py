"""The whole iteration as a virtual list: only the rows on screen are laid out and painted.

Each computation is one row of two lines — "target = symbols" and "= numbers = result" — typeset as rich text
with QStaticText (laid out once per row and precision, then cached).  Rows already performed are drawn in ink,
rows still to come greyed, the current one on a yellow band.  Moving the cursor by one computation repaints
two or three rows; a new iteration resets the model, which costs nothing until rows are painted.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QStaticText, QTextOption
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
CACHE_LIMIT = 4000  # static texts kept (two per row and look)
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
        """Show *state*'s iteration; returns the row range whose look changed (None after a reset)."""
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
        lo, hi = self.row_of[lo_rec], self.row_of[hi_rec]
        self.dataChanged.emit(self.index(lo), self.index(hi))
        return lo, hi

    def look(self, row: int) -> str:
        """"title", "current", "done" or "todo"."""
        r = self.rows[row]
        if isinstance(r, str):
            return "title"
        if r.index == self.current:
            return "current"
        if self.preview or r.index >= self.revealed:
            return "todo"
        return "done"


class EquationDelegate(QStyledItemDelegate):
    """Paints a row from cached QStaticText (rich text: subscripts, bold target and result)."""

    def __init__(self, model: IterationModel, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self._cache: dict[tuple, tuple[QStaticText, QStaticText]] = {}
        self.font = QFont()
        self.font.setPixelSize(13)
        self.title_font = QFont(self.font)
        self.title_font.setBold(True)

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return QSize(100, ROW_H)

    def _texts(self, rec: Computation, digits: int, todo: bool) -> tuple[QStaticText, QStaticText]:
        key = (id(rec), rec.index, digits, todo)
        texts = self._cache.get(key)
        if texts is None:
            if len(self._cache) > CACHE_LIMIT:
                self._cache.clear()
            texts = tuple(_static(html) for html in computation_lines_html(rec, digits, plain_colours=todo))
            self._cache[key] = texts
        return texts

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
        p.setFont(self.font)
        p.setPen(TODO_INK if look == "todo" else QColor("#1b2631"))
        first, second = self._texts(m.rows[row], m.digits, look == "todo")
        p.drawStaticText(QPointF(rect.x() + 6, rect.y() + 3), first)
        p.drawStaticText(QPointF(rect.x() + 22, rect.y() + 3 + LINE_H), second)
        p.restore()


def _static(html: str) -> QStaticText:
    st = QStaticText(html)
    st.setTextFormat(Qt.RichText)
    st.setTextOption(_NO_WRAP)
    st.setPerformanceHint(QStaticText.AggressiveCaching)
    return st


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
        self.model_.set_state(state)
        m = self.model_
        if m.current >= 0 and m.current in m.row_of:
            self.scrollTo(m.index(m.row_of[m.current]), QAbstractItemView.PositionAtCenter)
        elif state.mode != READY and 0 < m.revealed < len(m.row_of):
            self.scrollTo(m.index(m.row_of[m.revealed]), QAbstractItemView.PositionAtCenter)

    def plain_text(self) -> str:
        m = self.model_
        return "\n".join(r if isinstance(r, str) else r.text(m.digits) for r in m.rows)
