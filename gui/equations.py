"""QtEquationsPanel: every computation with the engine's own numbers.

Three parts: the computation just performed, the equations of the selected
neuron or weight, and the loss; below them the whole iteration, with what is
still to come greyed.  Copy buttons put the shown equations on the clipboard
as plain text or LaTeX.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QTextDocumentFragment
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSpinBox, QTextBrowser, QVBoxLayout, QWidget)

from backprop_lab.core import Computation, Element

from .controller import SimulationController
from .formatting import computation_html, computation_latex, to_html

MAX_LISTED = 400  # computations listed in "whole iteration"; the rest are summarised

PHASE_TITLES = {"forward": "Forward pass", "loss": "Loss", "backward": "Backward pass", "update": "Update"}


class QtEquationsPanel(QWidget):
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
        self.copy_text.setToolTip("Copy the equations of this iteration as plain text")
        self.copy_text.clicked.connect(self.copy_plain)
        self.copy_latex = QPushButton("Copy LaTeX")
        self.copy_latex.setToolTip("Copy the equations of this iteration as LaTeX (align* environment)")
        self.copy_latex.clicked.connect(self.copy_as_latex)
        bar.addWidget(self.copy_text)
        bar.addWidget(self.copy_latex)
        lay.addLayout(bar)
        self.current_label = QLabel()
        self.current_label.setWordWrap(True)
        self.current_label.setTextFormat(Qt.RichText)
        self.current_label.setAccessibleName("Current step")
        self.current_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.current_label.setStyleSheet("QLabel { background:#fff8dc; border:1px solid #f1d98a; border-radius:4px;"
                                         " padding:6px; font-size: 11pt; }")
        lay.addWidget(self.current_label)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.setAccessibleName("Equations")
        self.browser.document().setDefaultStyleSheet(
            "h3 { color:#1b4f72; margin-top:10px; margin-bottom:2px; } .cur { background:#fff3c4; }"
            ".todo { color:#aab7b8; } .sel { background:#e8f6e8; } td { padding: 1px 4px; }")
        lay.addWidget(self.browser)
        self._shown_html = None
        controller.state_changed.connect(self._on_state_changed)
        controller.computation_stepped.connect(self._on_state_changed)
        controller.selection_changed.connect(self._on_state_changed)
        controller.display_changed.connect(self._on_display_changed)
        controller.simulation_replaced.connect(self._on_state_changed)
        self._update_text()

    # -- content -------------------------------------------------------------------------------
    def _shown_records(self) -> tuple[list[Computation], list[Computation]]:
        c = self.controller
        tr = c.trace
        if tr is None:
            return [], []
        if c.is_preview:
            return [], list(tr.records)
        return list(tr.records[:c.revealed]), list(tr.records[c.revealed:])

    def _update_text(self) -> None:
        c = self.controller
        d = c.precision
        tr = c.trace
        net = c.sim.network
        parts: list[str] = []
        done, todo = self._shown_records()
        cur = c.current
        head = "<b>Current step</b><br>"
        if c.fast_running:
            head += "Running… the equations come back when the run stops or is paused (or at a speed of 30/s or less)."
        elif tr is None:
            head += ("This network is too large to show every computation; Step (F10) performs whole "
                     "iterations and the plot shows the loss.")
        elif cur is not None:
            head += (f"{computation_html(cur, d)}<br><span style='color:#566573; font-size:9pt'>Computation "
                     f"{cur.index + 1} of {len(tr)} in iteration {tr.iteration} "
                     f"({PHASE_TITLES[cur.phase].lower()})</span>")
        elif c.is_preview:
            head += (f"Ready for iteration {tr.iteration}: <b>F11</b> performs its first computation, <b>F10</b> "
                     f"the whole iteration. Below: what it will compute with the current weights.")
        else:
            head += (f"Iteration {tr.iteration} complete: batch loss {html.escape(c._fmt(tr.loss))} before the "
                     f"update; every parameter has been updated.")
        if head != self.current_label.text():
            self.current_label.setText(head)
        if c.fast_running:  # the list below is cleared once and then left alone until the run ends
            if self._shown_html != "":
                self.browser.setHtml("")
                self._shown_html = ""
            return
        sel = c.selection
        if sel is not None and tr is not None:
            recs = tr.for_element(sel)
            name = net.element_name(sel)
            parts.append(f"<h3>Selected: {to_html(name)}</h3>")
            if sel.kind in ("weight", "bias"):
                parts.append(f"<p>Current value: <b>{html.escape(c._fmt(c.sim.parameter(sel)))}</b></p>")
            if not recs:
                parts.append("<p>No computation of this iteration belongs to it.</p>")
            revealed = set(id(r) for r in done) if not c.is_preview else set(id(r) for r in tr.records)
            for r in recs:
                cls = "sel" if id(r) in revealed else "todo"
                parts.append(f"<p class='{cls}'>{computation_html(r, d)}</p>")
        if tr is not None:
            parts.append("<h3>Loss</h3>")
            loss_recs = [r for r in tr.records if r.phase == "loss" and (r.sample in (None, 0) or r.kind == "total_loss")]
            for r in loss_recs[:12]:
                parts.append(f"<p>{computation_html(r, d)}</p>")
            parts.append(f"<p>Training-set loss at the current weights: <b>{html.escape(c._fmt(c.sim.loss()))}</b></p>")
            parts.append(f"<h3>Iteration {tr.iteration}: all {len(tr)} computations</h3>")
            phase = None
            listed = 0
            for r in done + todo:
                if listed >= MAX_LISTED:
                    parts.append(f"<p>… and {len(tr) - MAX_LISTED} more (select an element to see its own).</p>")
                    break
                if r.phase != phase:
                    phase = r.phase
                    parts.append(f"<p><b>{PHASE_TITLES[phase]}</b></p>")
                cls = "cur" if cur is not None and r.index == cur.index else ("todo" if (not c.is_preview and r.index >= c.revealed) else "")
                anchor = f"<a name='c{r.index}'></a>"
                parts.append(f"<p class='{cls}'>{anchor}{computation_html(r, d)}</p>")
                listed += 1
        html_text = "".join(parts)
        if html_text != self._shown_html:
            self.browser.setHtml(html_text)
            self._shown_html = html_text
        if cur is not None:
            self.browser.scrollToAnchor(f"c{cur.index}")

    def plain_text(self) -> str:
        """The panel's text (what a user reads), for tests and copying."""
        head = QTextDocumentFragment.fromHtml(self.current_label.text()).toPlainText()
        return head + "\n" + self.browser.toPlainText()

    # -- copying -----------------------------------------------------------------------------------
    def _records_for_copy(self) -> list[Computation]:
        tr = self.controller.trace
        if tr is None:
            return []
        sel = self.controller.selection
        return list(tr.records) if sel is None else tr.for_element(sel)

    def copy_plain(self) -> str:
        recs = self._records_for_copy()
        text = "\n".join(r.text(self.controller.precision) for r in recs)
        QGuiApplication.clipboard().setText(text)
        self.controller.message.emit(f"Copied {len(recs)} equations as text.")
        return text

    def copy_as_latex(self) -> str:
        recs = self._records_for_copy()
        body = " \\\\\n".join(computation_latex(r, self.controller.precision).replace(" = ", " &= ", 1)
                              for r in recs)
        text = "\\begin{align*}\n" + body + "\n\\end{align*}"
        QGuiApplication.clipboard().setText(text)
        self.controller.message.emit(f"Copied {len(recs)} equations as LaTeX.")
        return text

    # -- slots ---------------------------------------------------------------------------------------
    def _on_state_changed(self, *args) -> None:
        self._update_text()

    def _on_display_changed(self) -> None:
        if self.precision.value() != self.controller.precision:
            self.precision.blockSignals(True)  # the controller already has this value
            self.precision.setValue(self.controller.precision)
            self.precision.blockSignals(False)
        self._update_text()
