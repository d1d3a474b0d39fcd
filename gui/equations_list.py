"""The whole iteration as a virtual list: only the rows on screen are laid out and painted.

Each computation is one row of two lines — "target = symbols" (rich text for the subscripts, laid out once per
row and precision, then cached) and "= numbers = result" (plain text runs: the numbers have no subscripts).
Rows already performed are drawn in ink, rows still to come greyed, the current one on a yellow band.
Moving the cursor by one computation repaints two or three rows; a new iteration resets the model, which
costs nothing until rows are painted.
"""
from __future__ import annotations

import bisect
from collections.abc import Sequence

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QTextDocument, QTextOption, QTransform
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from backprop_lab.core import Computation, format_number

from .formatting import symbols_html
from .theme import colors, qcolor
from .view_state import READY, ViewState

#: The outline of the row a "Why?" factor jumped to (the diagram's selection green).
JUMPED = QColor("#2ca02c")

PHASE_TITLES = {"forward": "Forward pass", "loss": "Loss", "backward": "Backward pass", "update": "Update"}
CURRENT_BG = QColor("#fff3c4")
TODO_INK = QColor("#98a5a6")
PHASE_INK = QColor("#1b4f72")
NUMBER_INK = QColor("#555555")
RESULT_INK = QColor("#0b5394")
LINE_H = 18
ROW_H = 2 * LINE_H + 6
CACHE_LIMIT = 2000  # rows kept laid out (two documents per row and look)
_NO_WRAP = QTextOption()
_NO_WRAP.setWrapMode(QTextOption.NoWrap)


class _Rows(Sequence):
    """The list's rows, a phase's title before its computations, read from the trace when asked: a trace made
    lazily makes only the records of the rows on screen (see :class:`backprop_lab.core.LazyRecords`)."""

    def __init__(self, trace) -> None:
        self._records = trace.records if trace is not None else []
        phases = trace.phases() if trace is not None else []
        self._titles = [PHASE_TITLES[phase] for phase, _, _ in phases]
        # the row of each phase's title, and the first record index of each phase
        self._title_rows = [start + k for k, (_, start, _) in enumerate(phases)]
        self._starts = [start for _, start, _ in phases]
        self._n = len(self._records) + len(phases)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, row: int):
        if row < 0:
            row += self._n
        if not 0 <= row < self._n:
            raise IndexError("row out of range")
        k = bisect.bisect_right(self._title_rows, row) - 1
        if self._title_rows[k] == row:
            return self._titles[k]
        return self._records[row - k - 1]

    def row_of(self, index: int) -> int:
        """The row of record *index*."""
        return index + bisect.bisect_right(self._starts, index)


class _RowOf:
    """``{record index: row}`` as the rows compute it (``get`` and ``[]`` of a dict)."""

    def __init__(self, rows: _Rows, n: int) -> None:
        self._rows, self._n = rows, n

    def get(self, index, default=None):
        if index is None or not 0 <= index < self._n:
            return default
        return self._rows.row_of(index)

    def __getitem__(self, index: int) -> int:
        row = self.get(index)
        if row is None:
            raise KeyError(index)
        return row


class IterationModel(QAbstractListModel):
    """Rows: a title before each phase, then that phase's computations."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: Sequence[Computation | str] = _Rows(None)
        self.row_of = _RowOf(self.rows, 0)  # record index -> row
        self.trace = None
        self.revealed = 0
        self.preview = True
        self.current = -1
        self.digits = 9
        self.hide = False  # practice mode: the numbers of rows still to come are not shown
        self.jumped = -1  # the record a "Why?" factor jumped to: outlined until another iteration is shown

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.DisplayRole, Qt.ToolTipRole, Qt.AccessibleTextRole):
            if isinstance(row, str):
                return row
            return row.text(self.digits) if not self.hidden(row) else hidden_text(row)
        return None

    def hidden(self, rec: Computation) -> bool:
        """Whether *rec*'s numbers are hidden (practice mode, not performed yet)."""
        return self.hide and (self.preview or rec.index >= self.revealed)

    def set_state(self, state: ViewState) -> tuple[int, int] | None:
        """Show *state*'s iteration; returns the row range whose look changed (None after a reset).

        Only the look of rows changes between two states of one iteration, never their data, so no
        ``dataChanged`` is emitted (the list view would ask for the row count of every row); the view
        repaints the rows itself.
        """
        tr = state.trace
        preview = state.mode == READY
        cur = state.current.index if state.current is not None else -1
        if tr is not self.trace or state.display.precision != self.digits or state.hide_future != self.hide:
            self.beginResetModel()
            if tr is not self.trace:
                self.jumped = -1
            self.trace, self.digits, self.hide = tr, state.display.precision, state.hide_future
            self.rows = _Rows(tr)
            self.row_of = _RowOf(self.rows, len(tr.records) if tr is not None else 0)
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
        if (self.preview and self.hide) or (not self.preview and r.index >= self.revealed):
            return "todo"
        return "done"  # performed, or (a preview) what the next iteration will compute


class _Row:
    """A row laid out once: the symbolic line as a text document (it has subscripts), the numbers as plain
    text runs (they have none), and their widths.  The symbolic line is the same in every iteration, so its
    document comes from the delegate's cache of them."""

    __slots__ = ("doc", "first_w", "numbers", "rec", "result", "result_w", "second_w")

    def __init__(self, rec: Computation, digits: int, doc: tuple[QTextDocument, float], font: QFont,
                 bold: QFont) -> None:
        self.rec = rec  # held: the cache's key holds its id, which a freed record would leave to another
        self.doc, self.first_w = doc
        sub = rec.substituted(digits)
        self.numbers = f"= {sub} = " if sub != rec.expansion else "= "
        self.result = format_number(rec.result, digits)
        self.result_w = QFontMetricsF(bold).horizontalAdvance(self.result)
        self.second_w = QFontMetricsF(font).horizontalAdvance(self.numbers) + self.result_w


def _symbols_document(rec: Computation, todo: bool, font: QFont) -> tuple[QTextDocument, float]:
    first = symbols_html(rec)
    doc = QTextDocument()
    doc.setDocumentMargin(0)
    doc.setDefaultFont(font)
    doc.setDefaultTextOption(_NO_WRAP)
    doc.setHtml(f"<span style='color:{colors().todo}'>{first}</span>" if todo else first)
    return doc, doc.idealWidth()


class EquationDelegate(QStyledItemDelegate):
    """Paints a row from cached layouts: rich text (subscripts) for the symbols, plain runs for the numbers."""

    def __init__(self, model: IterationModel, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self._cache: dict[tuple, _Row] = {}
        self._docs: dict[tuple, tuple[QTextDocument, float]] = {}  # symbolic lines: the same every iteration
        self.font = QFont()
        self.font.setPixelSize(13)
        self.title_font = QFont(self.font)
        self.title_font.setBold(True)
        self._fm = QFontMetricsF(self.font)

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return QSize(100, ROW_H)

    def _row(self, rec: Computation, digits: int, todo: bool) -> _Row:
        key = (id(rec), rec.index, digits, todo)
        row = self._cache.get(key)
        if row is None or row.rec is not rec:
            if len(self._cache) > CACHE_LIMIT:
                self._cache.clear()
                self._docs.clear()
            doc_key = (rec.target, rec.expansion, todo, colors().todo)
            doc = self._docs.get(doc_key)
            if doc is None:
                doc = self._docs[doc_key] = _symbols_document(rec, todo, self.font)
            row = self._cache[key] = _Row(rec, digits, doc, self.font, self.title_font)
        return row

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index) -> None:
        m = self.model
        i = index.row()
        look = m.look(i)
        rect: QRect = option.rect
        p.save()
        p.setClipRect(rect)
        if look == "title":
            p.setFont(self.title_font)
            p.setPen(qcolor(colors().heading))
            p.drawText(rect.adjusted(6, 0, -4, -2), Qt.AlignLeft | Qt.AlignBottom, m.rows[i])
        else:
            if look == "current":
                p.fillRect(rect, qcolor(colors().current_row))
            todo = look == "todo"
            rec = m.rows[i]
            hidden = todo and m.hidden(rec)  # practice mode: the learner computes this one
            self._paint_row(p, rect, self._row(rec, m.digits, todo), todo, hidden)
            if rec.index == m.jumped:
                p.setTransform(QTransform())
                p.setPen(QPen(JUMPED, 2))
                p.setBrush(Qt.NoBrush)
                p.drawRoundedRect(QRectF(rect).adjusted(1.5, 1.5, -1.5, -1.5), 4, 4)
        p.restore()

    def _paint_row(self, p: QPainter, rect: QRect, row: _Row, todo: bool, hidden: bool = False) -> None:
        x0, y0 = rect.x(), rect.y()
        # a line too long for the panel is drawn a little smaller (down to 70 %), so the result still shows
        k = max(0.7, min(1.0, (rect.width() - 10) / max(row.first_w, 1.0)))
        base = p.transform()
        p.setTransform(QTransform(k, 0, 0, k, x0 + 6, y0 + 3 + (1 - k) * LINE_H / 2), True)
        row.doc.drawContents(p)
        # the numbers: smaller (down to 70 %) if that is enough, else whole terms left out in the middle ("…"), so
        # that the result always shows (the whole line is in the row's tooltip and in the selection's equations)
        room = rect.width() - 26
        k = max(0.7, min(1.0, room / max(row.second_w, 1.0)))  # (as small as the first line may get)
        numbers = row.numbers
        if hidden:
            p.setTransform(base)
            p.setTransform(QTransform(k, 0, 0, k, x0 + 22, y0 + 3 + 2 * LINE_H - 4), True)
            p.setFont(self.font)
            p.setPen(qcolor(colors().todo))
            p.drawText(QPointF(0, 0), "= ?")
            return
        if row.second_w * k > room:
            width = room / k - row.result_w
            if numbers.endswith(" = "):  # "= numbers = ": whole terms of the numbers go, never part of one
                numbers = "= " + shorten_terms(numbers[2:-3],
                                               lambda t: self._fm.horizontalAdvance(f"= {t} = ") <= width) + " = "
        w = self._fm.horizontalAdvance(numbers)
        p.setTransform(base)
        p.setTransform(QTransform(k, 0, 0, k, x0 + 22, y0 + 3 + 2 * LINE_H - 4), True)
        p.setFont(self.font)
        p.setPen(qcolor(colors().todo if todo else colors().number))
        p.drawText(QPointF(0, 0), numbers)
        p.setFont(self.title_font)
        p.setPen(qcolor(colors().todo if todo else colors().result))
        p.drawText(QPointF(w, 0), row.result)


class QtIterationList(QTableView):
    """The list of every computation of the shown iteration.

    A one-column table rather than a list view: with fixed row heights its header places rows without asking
    the model anything per row, where a list view lays out every row again (a thousand calls into Python)
    whenever a new iteration's trace is shown.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_ = IterationModel(self)
        self.setModel(self.model_)
        self.delegate = EquationDelegate(self.model_, self)
        self.setItemDelegate(self.delegate)
        self.horizontalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.Fixed)
        rows.setMinimumSectionSize(1)
        rows.setDefaultSectionSize(ROW_H)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)  # Tab moves on to the next widget, as it did from the list
        self.setFocusPolicy(Qt.StrongFocus)
        self.setSelectionMode(QAbstractItemView.NoSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.setAccessibleName("Every computation of this iteration")
        self.setToolTip("")
        self._opened_at: tuple | None = None  # (trace, sample) the list last opened at, with no current row

    def show_state(self, state: ViewState) -> None:
        changed = self.model_.set_state(state)
        m = self.model_
        target = m.current if m.current >= 0 else m.revealed if state.mode != READY and m.revealed else -1
        row = m.row_of.get(target)
        if row is not None:
            self._opened_at = None
            rect = self.visualRect(m.index(row))
            view = self.viewport().rect()
            margin = view.height() // 4
            if not view.adjusted(0, margin, 0, -margin).contains(rect.center()):
                self.scrollTo(m.index(row), QAbstractItemView.PositionAtCenter)
        else:
            self._open_at_sample(state)
        if changed is not None and changed[1] >= changed[0]:
            top = self.visualRect(m.index(changed[0]))
            bottom = self.visualRect(m.index(changed[1]))
            self.viewport().update(top.united(bottom))

    def jump_to(self, index: int) -> None:
        """Scroll to record *index* and outline its row (a "Why?" factor's source), until another iteration
        is shown or another factor is followed."""
        m = self.model_
        row = m.row_of.get(index)
        if row is None:
            return
        old = m.row_of.get(m.jumped)
        m.jumped = index
        if old is not None:
            self.viewport().update(self.visualRect(m.index(old)))
        self.scrollTo(m.index(row), QAbstractItemView.PositionAtCenter)
        self.viewport().update(self.visualRect(m.index(row)))

    def _open_at_sample(self, state: ViewState) -> None:
        """With no computation to follow (an iteration finished, or the next one previewed), open at the traced
        sample's forward pass, as the diagram and the Loss section show it — once per iteration and sample, so
        a list the learner scrolled stays where they put it while they select or edit."""
        old = self._opened_at
        if state.trace is None or (old is not None and old[0] is state.trace and old[1] == state.sample):
            return
        self._opened_at = (state.trace, state.sample)
        m = self.model_
        first = state.trace.first_index(state.sample)
        row = m.row_of.get(first) if first is not None else None
        if row is None:
            return
        if row > 0 and isinstance(m.rows[row - 1], str):
            row -= 1  # its phase's title too ("Forward pass")
        self.scrollTo(m.index(row), QAbstractItemView.PositionAtTop)

    def plain_text(self) -> str:
        m = self.model_
        return "\n".join(r if isinstance(r, str) else r.text(m.digits) if not m.hidden(r) else hidden_text(r)
                         for r in m.rows)


def _sum_terms(text: str) -> tuple[str, list[str], str] | None:
    """*text* as (prefix, terms, suffix) split at the outermost " + " (None when it is not a sum).

    The outermost level is the least nested one that has a " + ": the whole line for a weighted sum
    ("a·b + c·d + b"), inside the parentheses for a mean ("(a·b + c·d) / 10"). Parentheses around a negative
    number ("(−0.5)") are deeper, so a term is never cut inside.
    """
    depth, at = 0, []
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif text.startswith(" + ", i):
            at.append((depth, i))
    if not at:
        return None
    level = min(d for d, _ in at)
    cuts = [i for d, i in at if d == level]
    lo = 0
    if level > 0:  # the group holding the first cut: from its opening parenthesis to its closing one
        depth = 0
        for i in range(cuts[0], -1, -1):
            if text[i] == "(" and depth == 0:
                lo = i + 1
                break
            depth += {")": 1, "(": -1}.get(text[i], 0)
    hi, depth = len(text), 0
    for i in range(cuts[-1], len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth < 0:
            hi = i
            break
    cuts = [c for c in cuts if lo <= c < hi]
    bounds = [lo] + [c + 3 for c in cuts]
    ends = cuts + [hi]
    return text[:lo], [text[a:b] for a, b in zip(bounds, ends)], text[hi:]


def shorten_terms(text: str, fits) -> str:
    """*text* shortened to whole terms ("a·b + c·d + … + y·z + b") until ``fits(text)``; "…" when none fits.

    A number is never cut: the shortened line keeps the first terms and the last ones (the bias is the last
    term of a weighted sum), and "…" stands for the terms left out.
    """
    if fits(text):
        return text
    parts = _sum_terms(text)
    if parts is None:
        return "…"
    prefix, terms, suffix = parts
    n = len(terms)
    for keep in range(n - 1, 0, -1):  # terms kept in all, the first ones and at least one at the end
        tail = max(1, keep // 3)
        shown = terms[:keep - tail] + ["…"] + terms[n - tail:]
        # two "…" side by side (the template's own and ours) say the same thing once
        merged = [t for k, t in enumerate(shown) if not (t == "…" and k and shown[k - 1] == "…")]
        line = prefix + " + ".join(merged) + suffix
        if fits(line):
            return line
    line = prefix + "…" + suffix
    return line if fits(line) else "…"


def hidden_text(rec: Computation) -> str:
    """A computation without its numbers (practice mode): "target = symbols = ?"."""
    return f"{rec.target} = {rec.expansion} = ?"
