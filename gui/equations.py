"""QtEquationsPanel: every computation with the engine's own numbers, redrawn from the view state.

Three parts: the current step (a card), the details — the selected neuron's or weight's equations and the
loss — and the whole iteration as a virtual list with what is still to come greyed.  Copy puts the shown
equations on the clipboard as plain text or LaTeX.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from backprop_lab.core import Computation

from .controller import SimulationController
from .equations_list import PHASE_TITLES, QtIterationList, hidden_text
from .explain_view import QtExplanation
from .formatting import computation_html, computation_latex, set_ink, to_html
from .text_widgets import QtRichCard
from .theme import colors
from .view_state import COMPLETE, READY, RUNNING, STEPPING, UNTRACEABLE, RedrawOnce, ViewState

MAX_LOSS_LINES = 12
#: The explanation below the Current step card gets the height it needs, or at least this (pixels) and scrolls.
EXPLANATION_MIN_HEIGHT = 140
#: Pixels the details and the whole-iteration list keep below the explanation, however short the window.
LIST_ROOM = 170
#: The least height of the explanation (about two lines; then it scrolls).
EXPLANATION_FLOOR = 48


def current_html(state: ViewState) -> str:
    """The "Current step" card: the computation just performed, or where the iteration stands."""
    head = "<b>Current step</b><br>"
    tr, cur = state.trace, state.current
    if state.mode == RUNNING:
        return head + ("Running… the equations come back when the run stops or is paused (or at a speed of 30/s "
                       "or less).")
    if state.mode == UNTRACEABLE:
        return head + ("This network is too large to show every computation; Step (F10) performs whole "
                       "iterations and the plot shows the loss.")
    if tr is None:
        return head + (f"Ready for iteration {state.iteration + 1:,}, but its update would not be finite: lower the "
                       f"learning rate or step back.")
    done = (f"Iteration {tr.iteration:,} complete: batch loss {html.escape(state.fmt(tr.loss))} before the update; "
            f"{state.updated_what()}.")
    if cur is not None:
        card = (f"{computation_html(cur, state.display.precision)}<br>"
                f"<span style='color:{colors().muted}; font-size:9pt'>"
                f"Computation {cur.index + 1} of {len(tr)} in iteration {tr.iteration:,} "
                f"({PHASE_TITLES[cur.phase].lower()})</span>")
        return head + card + classic_mistake_note(state, cur) + (f"<br>{done}" if state.mode == COMPLETE else "")
    if state.mode == READY and state.hide_future:
        return head + (f"Practice: iteration {tr.iteration:,} is next. Work out its first result in the Practice "
                       f"panel; results appear here once they are performed.")
    if state.mode == READY:
        return head + (f"Ready for iteration {tr.iteration:,}: <b>F11</b> performs its first computation, <b>F10</b> "
                       f"the whole iteration. Below: what it will compute with the current weights.")
    return head + done


CLASSIC_MISTAKE = ("⚠ The classic mistake is on: hidden errors use the output weights already updated (w⁺), "
                   "not the ones the forward pass used, so their gradients are not the true ones.")


def classic_mistake_note(state: ViewState, rec: Computation | None = None) -> str:
    """A warning under a computation that reads already-updated weights (``hidden_delta_weights="updated"``)."""
    if state.settings.hidden_delta_weights != "updated" or (rec is not None and not uses_updated_weights(rec)):
        return ""
    return "<br><span style='color:#a04000'>⚠ reads weights already updated (w⁺): the classic mistake</span>"


def uses_updated_weights(rec: Computation) -> bool:
    """Whether *rec* reads a weight after its update (the trace names such operands w⁺)."""
    return rec.kind == "hidden_error" and "⁺" in rec.expansion


class QtEquationsPanel(QWidget):
    """See the module docstring."""

    def __init__(self, controller: SimulationController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Digits:"))
        self.precision = QSpinBox()
        self.precision.setRange(2, 15)
        self.precision.setValue(controller.precision)
        self.precision.setToolTip("Decimal places shown for every number (the worked example uses 9)")
        self.precision.setAccessibleName("Displayed precision")
        self.precision.valueChanged.connect(controller.set_precision)
        bar.addWidget(self.precision)
        bar.addStretch(1)
        self.copy_text = QPushButton("Copy text")
        self.copy_text.setToolTip("Copy the equations of this iteration (or of the selection) as plain text")
        self.copy_text.clicked.connect(self.copy_plain)
        self.copy_latex = QPushButton("Copy LaTeX")
        self.copy_latex.setToolTip("Copy the equations of this iteration (or of the selection) as LaTeX")
        self.copy_latex.clicked.connect(self.copy_as_latex)
        bar.addWidget(self.copy_text)
        bar.addWidget(self.copy_latex)
        lay.addLayout(bar)
        # A fixed-size card: a QLabel would re-lay out the whole window on every step.
        t = colors()  # the system's light or dark palette
        set_ink(t.number, t.result)
        self.current_label = QtRichCard(lines=5, background=t.card_fill, border=t.card_border)
        self.current_label.setAccessibleName("Current step")
        lay.addWidget(self.current_label)
        # What the current computation means, and its chain of factors (a click jumps to a factor's source)
        self.explanation = QtExplanation()
        self.explanation.setAccessibleName("What the current step means")
        self.explanation.jump_to.connect(self.show_record)
        # its chain of factors must not be squeezed by the list below: it gets the height it needs (up to
        # what the window has room for, at least EXPLANATION_MIN_HEIGHT, then it scrolls)
        # (at once when "Why?" opens or closes, so that a click right after meets the chips where they show)
        self.explanation.why_button.toggled.connect(lambda _on: self._fit_explanation())
        self.explanation_scroll = QScrollArea()
        self.explanation_scroll.setWidget(self.explanation)
        self.explanation_scroll.setWidgetResizable(True)
        self.explanation_scroll.setFrameShape(QScrollArea.NoFrame)
        self.explanation_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        lay.addWidget(self.explanation_scroll)
        self.classic_banner = QLabel(CLASSIC_MISTAKE)
        self.classic_banner.setTextFormat(Qt.PlainText)
        self.classic_banner.setWordWrap(True)
        self.classic_banner.setStyleSheet("color:#a04000; background:#fdebd0; border:1px solid #f0b27a; padding:3px;")
        self.classic_banner.setVisible(False)
        lay.addWidget(self.classic_banner)
        split = QSplitter(Qt.Vertical)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        # a scroll bar that came and went with each new text resized the view twice per key press (two layouts
        # and two paints of the whole panel); always there, the view keeps its width
        self.details.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOn)
        # Painted whole by the style, the bar need not have the panel behind it painted too (the dock, the
        # splitter, the view) when it changes.
        self.details.verticalScrollBar().setAttribute(Qt.WA_OpaquePaintEvent)
        self.details.setAccessibleName("Equations of the selection and the loss")
        self.details.document().setDefaultStyleSheet(
            f"h3 {{ color:{t.heading}; margin-top:6px; margin-bottom:2px; }} .todo {{ color:{t.todo}; }} "
            f".sel {{ background:{t.selected_row}; }}")
        self.iteration_list = QtIterationList()
        split.addWidget(self.details)
        split.addWidget(self.iteration_list)
        split.setSizes([220, 420])
        # the card and its explanation first; the details and the list take the rest
        split.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Ignored)
        lay.addWidget(split, 1)
        self._details_html: str | None = None
        self._details_docs: list[QTextDocument] | None = None  # the details' two documents (made when needed)
        self._explained: tuple = (None, 0)  # (record, digits) the explanation shows
        self._fitted_trace = None  # the iteration whose explanations the card's height was fitted to
        self._redraw = RedrawOnce(self)
        c = controller
        c.simulation_replaced.connect(self._on_simulation_replaced)
        c.cursor_moved.connect(self._on_cursor_moved)
        c.parameters_changed.connect(self._on_parameters_changed)
        c.settings_changed.connect(self._on_settings_changed)
        c.selection_changed.connect(self._on_selection_changed)
        c.display_changed.connect(self._on_display_changed)
        self._redraw.redraw(c.state, "current", "details", "list")

    # -- slots -------------------------------------------------------------------------------------
    def _on_simulation_replaced(self, state: ViewState) -> None:
        self._redraw.redraw(state, "current", "details", "list")

    def _on_cursor_moved(self, state: ViewState) -> None:
        self._redraw.redraw(state, "current", "details", "list")

    def _on_parameters_changed(self, state: ViewState) -> None:
        self._redraw.redraw(state, "details")  # the training-set loss and the selected value

    def _on_settings_changed(self, state: ViewState) -> None:
        self._redraw.redraw(state, "current")  # what an update changes (biases fixed or not)

    def _on_selection_changed(self, state: ViewState) -> None:
        self._redraw.redraw(state, "details")

    def _on_display_changed(self, state: ViewState) -> None:
        if self.precision.value() != state.display.precision:
            self.precision.blockSignals(True)  # the controller already has this value
            self.precision.setValue(state.display.precision)
            self.precision.blockSignals(False)
        self._redraw.redraw(state, "current", "details", "list")

    # -- redraw parts ------------------------------------------------------------------------------
    def _update_current(self, state: ViewState) -> None:
        text = current_html(state)
        if text != self.current_label.text():
            self.current_label.setText(text)
        self.classic_banner.setVisible(state.settings.hidden_delta_weights == "updated")
        cur = state.current
        # in practice mode the Practice panel explains each result it settles: the list gets the room
        self.explanation_scroll.setVisible(not state.hide_future)
        before = self._explained
        if cur is None or state.trace is None or state.mode not in (COMPLETE, STEPPING) or state.hide_future:
            self.explanation.clear()
        elif cur is not self._explained[0] or state.display.precision != self._explained[1]:
            self.explanation.show_computation(cur, state.trace, state.network, state.display.precision)
        self._explained = (self.explanation.record, state.display.precision)
        if self._explained[0] is not before[0] or self._explained[1] != before[1]:
            # Fitting lays the card out: only when its text changed.  Within one iteration the card keeps the
            # height of its longest explanation so far (it does not jump up and down with each F11, and an
            # unchanged height costs no layout); a new iteration fits it afresh.
            # (A cleared card — ready for an iteration, or one complete — is fitted to its message.)
            shown = self._explained[0] is not None and before[0] is not None
            self._fit_explanation(grow_only=shown and state.trace is self._fitted_trace)
            self._fitted_trace = state.trace

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # a short panel gives the card fewer lines (its text is drawn smaller to fit) and the list the room
        self.current_label.set_lines(5 if self.height() >= 420 else 4 if self.height() >= 330 else 3)
        self._fit_explanation()

    def _fit_explanation(self, grow_only: bool = False) -> None:
        ex, scroll = self.explanation, self.explanation_scroll
        w = scroll.viewport().width()
        need = self._explanation_height(w) + 4
        if grow_only and scroll.maximumHeight() < 2**20:  # (the maximum is Qt's "none" until the first fit)
            need = max(need, scroll.maximumHeight())
        ex.setMinimumHeight(need - 4)  # inside the scroll area: scroll rather than squeeze
        # Up to 45 % of the panel (at least EXPLANATION_MIN_HEIGHT), and never so much that the details and
        # the list below keep less than LIST_ROOM: in a short window the explanation scrolls instead.
        room = self.height() - scroll.y() - LIST_ROOM
        cap = max(EXPLANATION_FLOOR, min(max(EXPLANATION_MIN_HEIGHT, self.height() * 45 // 100), room))
        scroll.setMinimumHeight(min(need, cap))
        scroll.setMaximumHeight(need if room >= need else min(need, cap))

    def _explanation_height(self, w: int) -> int:
        """The height the explanation needs at width *w*: its wrapped sentences and the "Why?" button.

        Added up from the two widgets (a label's height for a width is one text measurement); asking the
        layout instead sets up its whole geometry, about a millisecond on every step into an iteration.
        With the "Why?" chain open (chips, more labels) the layout is asked.
        """
        ex = self.explanation
        lay = ex.layout()
        if ex.why_frame.isVisibleTo(ex) or w <= 0:
            h = lay.heightForWidth(w) if lay.hasHeightForWidth() and w > 0 else -1
            return max(h, ex.sizeHint().height())
        m = lay.contentsMargins()
        inner = w - m.left() - m.right()
        shown = [wd for wd in (ex.sentences_box, ex.why_button) if not wd.isHidden()]
        h = m.top() + m.bottom() + lay.spacing() * max(0, len(shown) - 1)
        for wd in shown:
            h += wd.heightForWidth(inner) if wd.hasHeightForWidth() else wd.sizeHint().height()
        return h

    def show_record(self, index: int) -> None:
        """Go to computation *index* of the shown iteration: select its element, scroll the list there."""
        tr = self.controller.state.trace
        if tr is None or not 0 <= index < len(tr.records):
            return
        rec = tr.records[index]
        if rec.element is not None:
            self.controller.select(rec.element)
        self.iteration_list.jump_to(index)

    def _update_details(self, state: ViewState) -> None:
        text = "" if state.trace is None else self._selection_html(state) + self._loss_html(state)
        if text != self._details_html:
            # The text goes into a second document, laid out at the view's width and swapped in: the view keeps
            # its scroll position (the learner may be reading the Loss further down) and adjusts its scroll bar
            # once, where setHtml on the shown document emptied it first (two relayouts, two repaints).  The two
            # documents take turns, so no document is made or deleted per key press; they are the panel's
            # children, not the view's (a new last child of the view made its next layout raise the scroll bar
            # back on top, repainting it).
            old = self.details.document()
            doc = self._spare_details_document(old)
            doc.setHtml(text)
            doc.setTextWidth(old.textWidth())
            bar = self.details.verticalScrollBar()
            pos = bar.value()
            self.details.setDocument(doc)
            bar.setValue(pos)
            self._details_html = text

    def _spare_details_document(self, shown: QTextDocument) -> QTextDocument:
        """The details' document not shown now (made like *shown* the first time)."""
        if self._details_docs is None:
            docs = []
            for _ in range(2):
                doc = QTextDocument(self)
                doc.setDefaultStyleSheet(shown.defaultStyleSheet())
                doc.setDocumentMargin(shown.documentMargin())
                doc.setDefaultFont(shown.defaultFont())
                docs.append(doc)
            self._details_docs = docs
        a, b = self._details_docs
        return b if shown is a else a

    def _update_list(self, state: ViewState) -> None:
        self.iteration_list.show_state(state)

    def _selection_html(self, state: ViewState) -> str:
        sel, tr, d = state.selection, state.trace, state.display.precision
        if sel is None:
            return ""
        parts = [f"<h3>Selected: {to_html(state.network.element_name(sel))}</h3>"]
        if sel.kind in ("weight", "bias"):
            parts.append(f"<p>Current value: <b>{html.escape(state.fmt(state.parameter(sel)))}</b></p>")
        recs = tr.for_element(sel)
        if not recs:
            parts.append("<p>No computation of this iteration belongs to it.</p>")
        for r in recs:
            parts.append(_record_html(state, r, d, "sel"))
        return "".join(parts)

    def _loss_html(self, state: ViewState) -> str:
        d = state.display.precision
        recs = [r for r in state.trace.phase_records("loss")
                if r.sample in (None, state.sample) or r.kind == "total_loss"]
        parts = ["<h3>Loss</h3>", _traced_sample_html(state)]
        for r in recs[:MAX_LOSS_LINES]:
            parts.append(_record_html(state, r, d, ""))
        if state.shown_training_loss is not None:
            parts.append(f"<p>Training-set loss at the current weights: "
                         f"<b>{html.escape(state.fmt(state.training_loss))}</b></p>")
        if state.test_loss is not None:
            parts.append(f"<p>Test-set loss (held out, never trained on): "
                         f"<b>{html.escape(state.fmt(state.test_loss))}</b></p>")
        return "".join(parts)

    def plain_text(self) -> str:
        """The panel's text as a user reads it (card, details, whole iteration)."""
        head = self.current_label.plain_text()
        if self.explanation.record is not None:
            head += "\n" + self.explanation.text()
        tr = self.controller.state.trace
        title = f"Iteration {tr.iteration:,}: all {len(tr):,} computations\n" if tr is not None else ""
        return "\n".join([head, self.details.toPlainText(), title + self.iteration_list.plain_text()])

    # -- copying -----------------------------------------------------------------------------------
    def _records_for_copy(self) -> list[Computation]:
        state = self.controller.state
        if state.trace is None:
            return []
        return list(state.trace.records) if state.selection is None else state.trace.for_element(state.selection)

    def copy_plain(self) -> str:
        """Put the shown equations (the selection's, else the iteration's) on the clipboard as text."""
        recs = self._records_for_copy()
        text = "\n".join(r.text(self.controller.precision) for r in recs)
        QGuiApplication.clipboard().setText(text)
        self.controller.say(f"Copied {len(recs)} equations as text.")
        return text

    def copy_as_latex(self) -> str:
        """The same as LaTeX (an align* environment)."""
        recs = self._records_for_copy()
        body = " \\\\\n".join(computation_latex(r, self.controller.precision).replace(" = ", " &= ", 1)
                              for r in recs)
        text = "\\begin{align*}\n" + body + "\n\\end{align*}"
        QGuiApplication.clipboard().setText(text)
        self.controller.say(f"Copied {len(recs)} equations as LaTeX.")
        return text


def _traced_sample_html(state: ViewState) -> str:
    """Which sample the diagram and these lines trace, with its inputs (nothing for a one-sample data set)."""
    batch = state.trace.batch
    if state.n_samples <= 1 or not len(batch):
        return ""
    k = int(batch[state.sample])
    where = f" ({state.sample + 1} of {len(batch)} in this batch)" if len(batch) > 1 else ""
    row = state.inputs[k]
    shown = ", ".join(f"{state.network.neuron_name(0, j)} = {state.fmt(row[j], 6)}" for j in range(min(8, len(row))))
    more = f", … ({len(row)} inputs)" if len(row) > 8 else ""
    return f"<p>Traced: sample #{k + 1}{where}: {html.escape(shown + more)}</p>"


def _record_html(state: ViewState, r: Computation, digits: int, done_class: str) -> str:
    """One computation of the details: with its numbers when they may be shown, else greyed (and, in practice
    mode, without numbers); marked when it reads already-updated weights."""
    mark = "⚠ " if state.settings.hidden_delta_weights == "updated" and uses_updated_weights(r) else ""
    if state.shows(r):
        cls = f" class='{done_class}'" if done_class else ""
        return f"<p{cls}>{mark}{computation_html(r, digits)}</p>"
    body = html.escape(hidden_text(r)) if state.hide_future else computation_html(r, digits)
    return f"<p class='todo'>{mark}{body}</p>"
