"""QtExplanation: what the current computation means, and a "Why?" chain whose factors jump to their source.

Meant for the Current step card: :meth:`QtExplanation.show_computation` is
called with the record just performed; the sentences come from
:func:`backprop_lab.core.explain.explain`, the factors from
:func:`~backprop_lab.core.explain.chain_factors`.  Clicking a factor that was
computed earlier emits :attr:`QtExplanation.jump_to` with that record's index.
Every text taken from a record is shown as plain text.
"""
from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from backprop_lab.core import Computation, Network, Trace, format_number
from backprop_lab.core.explain import Factor, chain_factors, explain

from .plain_text import label_text, plain_label, plain_tooltip, set_label_text
from .teach_style import muted

#: Factors shown side by side as one product (longer lists are shown as their operands, in lines).
ROW_FACTORS = 4
#: Kinds whose factors multiply to the result (drawn with "·" between them).
_PRODUCTS = ("output_delta", "hidden_delta", "gradient")
#: Kinds that are sums of products (w·x + … + b, δ·w + …): drawn one product per row.
_SUMS_OF_PRODUCTS = ("weighted_sum", "hidden_error")

CHIP_STYLE = """
FactorChip { border: 1px solid palette(mid); border-radius: 6px; background: palette(base); }
FactorChip[linked="true"]:hover, FactorChip[linked="true"]:focus { border-color: palette(highlight);
    background: palette(alternate-base); }
FactorChip[linked="false"] { border-style: dashed; background: transparent; }
FactorChip[result="true"] { border: 2px solid palette(highlight); background: palette(base); }
"""


class FactorChip(QFrame):
    """One factor: its symbol, its value and where it came from; clickable when it has a source."""

    clicked = Signal(int)

    def __init__(self, factor: Factor, digits: int, parent: QWidget | None = None, *, result: bool = False) -> None:
        super().__init__(parent)
        self.factor = factor
        linked = factor.source_index is not None
        self.setProperty("linked", "true" if linked else "false")
        self.setProperty("result", "true" if result else "false")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(0)
        self.symbol = plain_label(wrap=False)
        set_label_text(self.symbol, factor.symbol)
        self.value = plain_label(format_number(factor.value, digits), wrap=False)
        f = self.value.font()
        f.setPointSizeF(f.pointSizeF() * 1.15)
        f.setBold(True)
        self.value.setFont(f)
        if result:
            origin = "the result"
        elif linked:
            origin = f"← computation {factor.source_index + 1}"
        else:
            origin = _origin_word(factor)
        self.origin = plain_label(origin, wrap=False)
        small = self.origin.font()
        small.setPointSizeF(small.pointSizeF() * 0.85)
        self.origin.setFont(small)
        self.origin.setStyleSheet("color: palette(link);" if linked else f"color: {muted(self.palette())};")
        for w in (self.symbol, self.value, self.origin):
            w.setAlignment(Qt.AlignHCenter)
            lay.addWidget(w)
        self.setToolTip(plain_tooltip(f"{factor.symbol} = {format_number(factor.value, digits)}\n"
                                                f"{factor.meaning}" + ("\nClick to go to the computation that "
                                                                        "produced it." if linked else "")))
        self.setAccessibleName(f"{factor.symbol} = {format_number(factor.value, digits)}")
        self.setAccessibleDescription(factor.meaning)
        if linked:
            self.setCursor(Qt.PointingHandCursor)
            self.setFocusPolicy(Qt.StrongFocus)
        self.setSizePolicy(QSizePolicy.Maximum, QSizePolicy.Fixed)

    @property
    def linked(self) -> bool:
        """Whether the factor was computed earlier in the iteration (then a click jumps there)."""
        return self.factor.source_index is not None

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.linked and event.button() == Qt.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(self.factor.source_index)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.linked and event.key() in (Qt.Key_Return, Qt.Key_Enter, Qt.Key_Space):
            self.clicked.emit(self.factor.source_index)
            return
        super().keyPressEvent(event)


def _origin_word(f: Factor) -> str:
    m = f.meaning.lower()
    if "data" in m:
        return "from the data"
    if "mean over" in m:
        return "batch mean"
    if "setting" in m or "learning rate" in m:
        return "setting"
    return "parameter" if ("weight" in m or "bias" in m or "parameter" in m or "velocity" in m) else "given"


def _operator(text: str) -> QLabel:
    lab = QLabel(text)
    f = lab.font()
    f.setPointSizeF(f.pointSizeF() * 1.4)
    lab.setFont(f)
    lab.setAlignment(Qt.AlignCenter)
    return lab


class _LabelBox(QWidget):
    """Holds one word-wrapped label without a layout, so that a new text repaints the label only.

    A label in a layout asks the whole card (and the panel around it) to lay out again on every new text:
    about a millisecond on each F11.  Here the label's request reaches a parent with no layout, which ignores
    it, and the box asks its own layout again only when the text's height at its width changed.
    """

    def __init__(self, label: QLabel) -> None:
        super().__init__()
        self.label = label
        label.setParent(self)
        self._height = (-1, -1)  # (width, the text's height at that width) last measured
        policy = QSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def setText(self, text: str) -> None:
        w = self.width()
        before = self._height if self._height[0] == w else (w, self.label.heightForWidth(w))
        set_label_text(self.label, text)
        self._height = (w, self.label.heightForWidth(w))
        if self._height != before:
            self.updateGeometry()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, w: int) -> int:
        return self.label.heightForWidth(w)

    def sizeHint(self) -> QSize:
        return QSize(self.label.sizeHint().width(), self.heightForWidth(max(self.width(), 200)))

    def minimumSizeHint(self) -> QSize:
        return QSize(0, 0)

    def resizeEvent(self, event) -> None:
        self.label.setGeometry(self.rect())


class QtExplanation(QWidget):
    """The meaning of one computation and its "Why?" chain.

    Signals
    -------
    jump_to(int) : the user clicked a factor; the index (in the shown trace) of
        the record that produced it.
    """

    jump_to = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(CHIP_STYLE)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.setSpacing(4)
        self.sentences = plain_label()
        self.sentences.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.sentences.setAccessibleName("What this computation means")
        self.sentences_box = _LabelBox(self.sentences)
        lay.addWidget(self.sentences_box)
        self.why_button = QToolButton()
        self.why_button.setText("Why?")
        self.why_button.setCheckable(True)
        self.why_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.why_button.setArrowType(Qt.RightArrow)
        self.why_button.setAutoRaise(True)
        self.why_button.setToolTip("Show what this result is made of, factor by factor, and where each came from")
        self.why_button.setAccessibleName("Why? Show the chain rule")
        self.why_button.toggled.connect(self._set_expanded)
        lay.addWidget(self.why_button, 0, Qt.AlignLeft)
        self.why_frame = QFrame()
        self.why_frame.setVisible(False)
        why = QVBoxLayout(self.why_frame)
        why.setContentsMargins(16, 0, 0, 4)
        self.chain_label = plain_label()
        self.chain_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        why.addWidget(self.chain_label)
        self.chips_box = QWidget()
        self.chips = QGridLayout(self.chips_box)
        self.chips.setContentsMargins(0, 2, 0, 2)
        self.chips.setHorizontalSpacing(6)
        self.chips.setVerticalSpacing(6)
        why.addWidget(self.chips_box, 0, Qt.AlignLeft)
        self.legend = plain_label()
        self._restyle()
        why.addWidget(self.legend)
        lay.addWidget(self.why_frame)
        # room the card keeps from a longer explanation goes below the text, not between its parts
        self.sentences.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        lay.addStretch(1)
        self._chips: list[FactorChip] = []
        self._lines: list[tuple[str, FactorChip]] = []  # the chips laid out in lines (a product or a plain row)
        self._lines_shape: list[int] = []  # chips a line, as laid out
        # The "Why?" chain is built when it is seen (opened), not on every step: building its widgets was
        # most of the cost of a step while it is closed.
        self._pending_chain: tuple | None = None
        self.record: Computation | None = None
        self.clear()

    # -- public ------------------------------------------------------------------------------------
    def show_computation(self, rec: Computation | None, trace: Trace | None, network: Network,
                         digits: int = 9) -> None:
        """Explain *rec* (a record of *trace*); ``None`` clears the view."""
        if rec is None or trace is None:
            self.clear()
            return
        self.record = rec
        self.sentences_box.setText(explain(rec, trace, network, digits))
        factors = chain_factors(rec, trace)
        self._pending_chain = (rec, factors, digits)
        # an opened "Why?" stays open from one computation to the next, also across a cleared view (the end of
        # an iteration: it reopened with its arrow down and nothing under it)
        opened = self.why_button.isChecked() and bool(factors)
        if opened:
            self._flush_chain()
        self.why_button.setVisible(bool(factors))
        self.why_frame.setVisible(opened)
        self.setVisible(True)

    def clear(self, message: str = "") -> None:
        """Show *message* (plain text) instead of an explanation."""
        self.record = None
        self.sentences_box.setText(message)
        self._pending_chain = None
        self._fill_chain(None, [], 9)
        self.why_button.setVisible(False)
        self.why_frame.setVisible(False)

    def set_expanded(self, on: bool) -> None:
        """Open or close the "Why?" section."""
        self.why_button.setChecked(on)

    def text(self) -> str:
        """Everything the view says, as plain text (for tests and copying)."""
        parts = [label_text(self.sentences)]
        if self.why_frame.isVisible():
            parts += [label_text(self.chain_label), label_text(self.legend)]
        return "\n".join(p for p in parts if p)

    # -- internals ---------------------------------------------------------------------------------
    def _restyle(self) -> None:
        self.legend.setStyleSheet(f"color: {muted(self.palette())};")

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.PaletteChange:
            self._restyle()
        super().changeEvent(event)

    @property
    def factor_chips(self) -> list[FactorChip]:
        """The clickable factors of the current chain (built now if they were not yet)."""
        self._flush_chain()
        return self._chips

    def _flush_chain(self) -> None:
        if self._pending_chain is not None:
            pending, self._pending_chain = self._pending_chain, None
            self._fill_chain(*pending)

    def _set_expanded(self, on: bool) -> None:
        self.why_button.setArrowType(Qt.DownArrow if on else Qt.RightArrow)
        if on:
            self._flush_chain()
        self.why_frame.setVisible(on)

    def _fill_chain(self, rec: Computation | None, factors: list[Factor], digits: int) -> None:
        while self.chips.count():
            item = self.chips.takeAt(0)
            w = item.widget()
            if w is not None:
                w.hide()  # gone at once: deleteLater only acts when the event loop gets back
                w.deleteLater()
        self._chips, self._lines = [], []
        if rec is None:
            set_label_text(self.chain_label, "")
            set_label_text(self.legend, "")
            return
        product = rec.kind in _PRODUCTS and len(factors) <= ROW_FACTORS
        mean = rec.kind == "gradient" and len(factors) > 1 and factors[0].symbol.startswith("1/")
        if product and not mean:
            set_label_text(self.chain_label, f"{rec.target} = " + " · ".join(f.symbol for f in factors))
        else:
            set_label_text(self.chain_label, f"{rec.target} = {rec.expansion}")
        chips = [FactorChip(f, digits, self.chips_box) for f in factors]
        for chip in chips:
            chip.clicked.connect(self.jump_to)
        self._chips = chips
        if mean:
            self._lay_out_mean(rec, chips)
        elif rec.kind in _SUMS_OF_PRODUCTS and len(chips) >= 2:
            self._lay_out_sum(chips)
        elif product:
            result = Factor(rec.target, rec.result, "the result of this computation", None)
            self._lay_out_product(chips, FactorChip(result, digits, self.chips_box, result=True))
        else:
            self._lay_out_lines([("", chip) for chip in chips])
        lines, seen = [], set()
        for f in factors:
            # Long lists (batch means) repeat one meaning per sample: say each once.
            line = f"{f.symbol}: {f.meaning}" if len(factors) <= 6 else re.sub(r" for sample \d+", "", f.meaning)
            if line not in seen:
                seen.add(line)
                lines.append(line)
        hint = "Click a solid box to go to the computation that produced it." if any(
            f.source_index is not None for f in factors) else ""
        set_label_text(self.legend, "\n".join(lines + ([hint] if hint else [])))

    def _lay_out_product(self, chips: list[FactorChip], result: FactorChip) -> None:
        """a · b · c = r on one line, or on as many as the view's width needs."""
        self._lay_out_lines([("", chips[0])] + [("·", c) for c in chips[1:]] + [("=", result)])

    def _room(self) -> int:
        """The width the chips may take: that of what holds this view (a scroll area's viewport; the view's own
        width follows what it holds, the chips included), less the chain's indent and a margin."""
        host = self.parentWidget() if self.parentWidget() is not None else self
        return (host.width() or 400) - 16 - 8

    def _rows(self, items: list[tuple[str, FactorChip]]) -> list[list[tuple[str, FactorChip]]]:
        rows: list[list] = [[]]
        used, avail = 0, self._room()
        for op, chip in items:
            need = chip.sizeHint().width() + (30 if op else 6)
            if rows[-1] and used + need > avail:
                rows.append([])
                used = 0
            rows[-1].append((op, chip))
            used += need
        return rows

    def _lay_out_lines(self, items: list[tuple[str, FactorChip]]) -> None:
        """The chips (each after its operator) in lines as wide as the view, each line a row of its own, so that
        a wide chip in one line does not widen the others (Adam's five factors in a grid of four columns were
        wider than a narrow panel, which then cut its sentences and a chip off at the right)."""
        self._lines = items
        rows = self._rows(items)
        self._lines_shape = [len(row) for row in rows]
        for r, row in enumerate(rows):
            line = QWidget(self.chips_box)
            lay = QHBoxLayout(line)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setSpacing(6)
            for op, chip in row:
                if op:
                    lay.addWidget(_operator(op))
                chip.setParent(line)
                lay.addWidget(chip)
            lay.addStretch(1)
            line.show()
            self.chips.addWidget(line, r, 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._lines and [len(row) for row in self._rows(self._lines)] != self._lines_shape:
            items = self._lines
            for _, chip in items:
                chip.setParent(self.chips_box)  # (kept: only the lines holding them go)
            while self.chips.count():
                w = self.chips.takeAt(0).widget()
                if w is not None:
                    w.hide()
                    w.deleteLater()
            self._lay_out_lines(items)
            for _, chip in items:
                chip.show()

    def _lay_out_sum(self, chips: list[FactorChip]) -> None:
        """a·b + c·d + … (+ a lone last term such as the bias), one product per row."""
        g = self.chips
        for row, k in enumerate(range(0, len(chips), 2)):
            if row:
                g.addWidget(_operator("+"), row, 0)
            g.addWidget(chips[k], row, 1)
            if k + 1 < len(chips):
                g.addWidget(_operator("·"), row, 2)
                g.addWidget(chips[k + 1], row, 3)

    def _lay_out_mean(self, rec: Computation, chips: list[FactorChip]) -> None:
        """(1/B) · Σ over samples: the 1/B box, then one row per sample (δ · x, or δ for a bias)."""
        g = self.chips
        g.addWidget(chips[0], 0, 0)
        g.addWidget(_operator("· Σ"), 0, 1)
        per = 1 if rec.element.kind == "bias" else 2
        rest = chips[1:]
        for row, k in enumerate(range(0, len(rest), per)):
            if row:
                g.addWidget(_operator("+"), row, 1)
            g.addWidget(rest[k], row, 2)
            if per == 2 and k + 1 < len(rest):
                g.addWidget(_operator("·"), row, 3)
                g.addWidget(rest[k + 1], row, 4)
