"""QtEquationsPanel: every computation with the engine's own numbers, redrawn from the view state.

Three parts: the current step (a card), the details — the selected neuron's or weight's equations and the
loss — and the whole iteration as a virtual list with what is still to come greyed.  Copy puts the shown
equations on the clipboard as plain text or LaTeX.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QSplitter, QTextBrowser, QVBoxLayout, QWidget

from backprop_lab.core import Computation

from .controller import SimulationController
from .equations_list import PHASE_TITLES, QtIterationList
from .formatting import computation_html, computation_latex, set_ink, to_html
from .text_widgets import QtRichCard
from .theme import colors
from .view_state import COMPLETE, READY, RUNNING, UNTRACEABLE, RedrawOnce, ViewState

MAX_LOSS_LINES = 12


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
        return head + (f"Ready for iteration {state.iteration + 1}, but its update would not be finite: lower the "
                       f"learning rate or step back.")
    done = (f"Iteration {tr.iteration} complete: batch loss {html.escape(state.fmt(tr.loss))} before the update; "
            f"{state.updated_what()}.")
    if cur is not None:
        card = (f"{computation_html(cur, state.display.precision)}<br>"
                f"<span style='color:{colors().muted}; font-size:9pt'>"
                f"Computation {cur.index + 1} of {len(tr)} in iteration {tr.iteration} "
                f"({PHASE_TITLES[cur.phase].lower()})</span>")
        return head + card + (f"<br>{done}" if state.mode == COMPLETE else "")
    if state.mode == READY:
        return head + (f"Ready for iteration {tr.iteration}: <b>F11</b> performs its first computation, <b>F10</b> "
                       f"the whole iteration. Below: what it will compute with the current weights.")
    return head + done


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
        split = QSplitter(Qt.Vertical)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        self.details.setAccessibleName("Equations of the selection and the loss")
        self.details.document().setDefaultStyleSheet(
            f"h3 {{ color:{t.heading}; margin-top:6px; margin-bottom:2px; }} .todo {{ color:{t.todo}; }} "
            f".sel {{ background:{t.selected_row}; }}")
        self.iteration_list = QtIterationList()
        split.addWidget(self.details)
        split.addWidget(self.iteration_list)
        split.setSizes([220, 420])
        lay.addWidget(split, 1)
        self._details_html: str | None = None
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

    def _update_details(self, state: ViewState) -> None:
        text = "" if state.trace is None else self._selection_html(state) + self._loss_html(state)
        if text != self._details_html:
            self.details.setHtml(text)
            self._details_html = text

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
            parts.append(f"<p class='{'sel' if state.is_done(r) or state.is_preview else 'todo'}'>"
                         f"{computation_html(r, d)}</p>")
        return "".join(parts)

    def _loss_html(self, state: ViewState) -> str:
        d = state.display.precision
        recs = [r for r in state.trace.records
                if r.phase == "loss" and (r.sample in (None, 0) or r.kind == "total_loss")]
        parts = ["<h3>Loss</h3>"]
        for r in recs[:MAX_LOSS_LINES]:
            cls = "" if state.is_done(r) or state.is_preview else " class='todo'"
            parts.append(f"<p{cls}>{computation_html(r, d)}</p>")
        if state.training_loss is not None:
            parts.append(f"<p>Training-set loss at the current weights: "
                         f"<b>{html.escape(state.fmt(state.training_loss))}</b></p>")
        return "".join(parts)

    def plain_text(self) -> str:
        """The panel's text as a user reads it (card, details, whole iteration)."""
        head = self.current_label.plain_text()
        tr = self.controller.state.trace
        title = f"Iteration {tr.iteration}: all {len(tr)} computations\n" if tr is not None else ""
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
