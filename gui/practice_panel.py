"""QtPracticePanel: practice mode — the next computation is asked with its result hidden, then checked.

The panel never changes the simulation: it shows the computation that comes
next (call :meth:`QtPracticePanel.show_simulation` whenever the simulation
changes) and asks the controller to perform computations through
:attr:`QtPracticePanel.advance_requested`.  The checking, hints and scores are
:class:`backprop_lab.core.practice.PracticeSession`'s; every text that comes
from a record or from the learner is shown as plain text.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from backprop_lab.core import BackpropLabError, Network, Simulation, Trace, format_number
from backprop_lab.core.explain import kind_title
from backprop_lab.core.practice import AnswerError, PracticeSession

from .explain_view import QtExplanation
from .plain_text import plain_label
from .teach_style import mix, muted, tint

PHASE_NAMES = {"forward": "forward pass", "loss": "loss", "backward": "backward pass", "update": "update"}
#: Relative tolerances offered (label, value); the first is the default of the core.
TOLERANCES = [("0.1 %", 1e-3), ("1 %", 1e-2), ("0.01 %", 1e-4)]
MODES = [("Ask every result", False), ("Faded: worked example first", True)]


def _element_name(network: Network | None, rec) -> str:
    try:
        return network.element_name(rec.element) if network is not None else rec.target
    except (IndexError, KeyError, ValueError):  # a trace of another network: its own symbol will do
        return rec.target


class QtPracticePanel(QWidget):
    """Practice mode.

    Signals
    -------
    advance_requested(int) : perform this many computations (Step into that many times).
    answer_submitted(int, bool) : a question was settled: its record index and whether it was right
        (a reveal is not right).
    jump_to(int) : the explanation's "Why?" asked to show the record with this index.
    """

    advance_requested = Signal(int)
    answer_submitted = Signal(int, bool)
    jump_to = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, session: PracticeSession | None = None) -> None:
        super().__init__(parent)
        self.session = session or PracticeSession()
        self.network: Network | None = None
        self._shown_key: tuple | None = None
        self._last: tuple[int, int, str] | None = None  # (iteration, index, text) of the last settled question
        self.setAccessibleName("Practice")
        # The question and its feedback scroll inside the panel: a small dock must not squash the question or
        # the chain.  Next, Skip and the score stay below, in view, however long an opened Why? chain is.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        outer.addWidget(self.scroll, 1)
        content = QWidget()
        self.scroll.setWidget(content)
        lay = QVBoxLayout(content)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(6)
        lay.addLayout(self._build_options())
        lay.addWidget(self._build_card())
        lay.addWidget(self._build_feedback())
        lay.addStretch(1)
        footer = QVBoxLayout()
        footer.setContentsMargins(6, 4, 6, 6)
        footer.setSpacing(4)
        footer.addLayout(self._build_navigation())
        self.score_label = plain_label()
        self.score_label.setAccessibleName("Score")
        footer.addWidget(self.score_label)
        outer.addLayout(footer)
        self._restyle()
        self.show_state(None, 0, None)

    # -- construction ------------------------------------------------------------------------------
    def _build_card(self) -> QFrame:
        """The question: where it is, what to compute, the answer row, a refusal and the hints."""
        self.card = QFrame()
        self.card.setObjectName("practiceCard")
        card = QVBoxLayout(self.card)
        card.setContentsMargins(10, 8, 10, 10)
        card.setSpacing(6)
        self.context = plain_label()
        card.addWidget(self.context)
        self.question = plain_label()
        self.question.setAccessibleName("Question")
        self.question.setTextInteractionFlags(Qt.TextSelectableByMouse)
        f = self.question.font()
        f.setPointSizeF(f.pointSizeF() * 1.3)
        self.question.setFont(f)
        card.addWidget(self.question)
        card.addLayout(self._build_answer_row())
        self.refusal = plain_label()
        self.refusal.setAccessibleName("Answer not accepted")
        self.refusal.setVisible(False)
        card.addWidget(self.refusal)
        self.hints_label = plain_label()
        self.hints_label.setAccessibleName("Hints")
        self.hints_label.setVisible(False)
        card.addWidget(self.hints_label)
        return self.card

    def _build_feedback(self) -> QFrame:
        """The verdict and the explanation of the computation, once it is settled or shown."""
        self.feedback = QFrame()
        self.feedback.setObjectName("practiceFeedback")
        fb = QVBoxLayout(self.feedback)
        fb.setContentsMargins(10, 8, 10, 8)
        self.verdict_label = plain_label()
        self.verdict_label.setAccessibleName("Verdict")
        self.verdict_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        fb.addWidget(self.verdict_label)
        self.explanation = QtExplanation()
        self.explanation.jump_to.connect(self.jump_to)
        fb.addWidget(self.explanation)
        return self.feedback

    def _build_options(self) -> QHBoxLayout:
        row = QHBoxLayout()
        title = QLabel("Practice")
        f = title.font()
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() * 1.15)
        title.setFont(f)
        row.addWidget(title)
        row.addStretch(1)
        self.mode = QComboBox()
        for text, faded in MODES:
            self.mode.addItem(text, faded)
        self.mode.setToolTip("Every result, or a faded worked example: the first iteration is shown in full, then "
                             "the updates, the backward pass, the loss and finally everything are left to you")
        self.mode.setAccessibleName("What to ask")
        self.mode.currentIndexChanged.connect(self._on_options)
        row.addWidget(self.mode)
        self.tolerance = QComboBox()
        for text, rel in TOLERANCES:
            self.tolerance.addItem(f"±{text}", rel)
        self.tolerance.setToolTip("An answer counts when it is within this relative distance of the engine's value "
                                  "(or within half a unit of the last decimal shown)")
        self.tolerance.setAccessibleName("Tolerance")
        self.tolerance.currentIndexChanged.connect(self._on_options)
        row.addWidget(self.tolerance)
        self.restart_button = QPushButton("Restart")
        self.restart_button.setToolTip("Forget the scores; the next iteration is practice round 1 again")
        self.restart_button.clicked.connect(self.restart)
        row.addWidget(self.restart_button)
        return row

    def _build_answer_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.answer = QLineEdit()
        self.answer.setPlaceholderText("your answer, e.g. 0.5933")
        self.answer.setAccessibleName("Your answer")
        self.answer.setToolTip("Type the result: 0.5933, −0.1, 5e-3 and a decimal comma all work. Enter checks it "
                               "(and moves on once it is checked).")
        self.answer.setMaxLength(64)
        self.answer.returnPressed.connect(self._on_return)
        self.answer.textEdited.connect(lambda _: self.refusal.setVisible(False))
        row.addWidget(self.answer, 1)
        self.check_button = QPushButton("&Check")
        self.check_button.setToolTip("Compare your answer with the engine's value")
        self.check_button.clicked.connect(self.check)
        self.hint_button = QPushButton("&Hint")
        self.hint_button.setToolTip("Show the next number this computation uses (a right answer then counts as "
                                    "right after hints)")
        self.hint_button.clicked.connect(self.hint)
        self.reveal_button = QPushButton("&Reveal")
        self.reveal_button.setToolTip("Give up on this one and show the result")
        self.reveal_button.clicked.connect(self.reveal)
        for b in (self.check_button, self.hint_button, self.reveal_button):
            row.addWidget(b)
        return row

    def _build_navigation(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.last_label = plain_label(wrap=False)
        self.last_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        row.addWidget(self.last_label, 1)
        self.skip_button = QPushButton("Skip to my next question ▸▸")
        self.skip_button.setToolTip("Perform the shown computations up to the next one you are asked")
        self.skip_button.clicked.connect(self.skip)
        row.addWidget(self.skip_button)
        self.next_button = QPushButton("&Next ▸")
        self.next_button.setToolTip("Perform this computation and go to the next one (F11)")
        self.next_button.clicked.connect(self.next)
        row.addWidget(self.next_button)
        return row

    # -- called by the window ------------------------------------------------------------------------
    def show_simulation(self, sim: Simulation, digits: int = 9, traceable: bool = True) -> None:
        """Show the computation *sim* performs next (the pending iteration's, else the next iteration's first)."""
        trace = None
        if traceable:
            try:
                trace = sim.pending if sim.pending is not None else sim.preview()
            except BackpropLabError:
                trace = None
        self.show_state(trace, sim.cursor if sim.pending is not None else 0, sim.network, digits)

    def show_state(self, trace: Trace | None, cursor: int, network: Network | None, digits: int = 9) -> None:
        """Show record *cursor* of *trace* (the next to be performed), asked or shown."""
        self.network = network
        if self.session.digits != digits:
            self.session.configure(digits=digits)
        if trace is None or network is None:
            self.session.trace = None
            self._shown_key = None
            self._show_unavailable()
            return
        cursor = min(max(cursor, 0), len(trace.records))
        before = (self._shown_key, self.session.position)
        self.session.load(trace, cursor)
        self._shown_key = (trace.iteration, self.session.fingerprint)
        # A redraw of the same question (the window announces many changes) keeps what is being typed.
        self._refresh(clear_answer=before != (self._shown_key, cursor))

    def hidden_from(self) -> int | None:
        """Records from this index on must not show their values elsewhere in the window (None: nothing hidden)."""
        if self.session.trace is None or not self.isVisible():
            return None
        return self.session.position

    # -- user actions --------------------------------------------------------------------------------
    def check(self) -> None:
        """Judge the typed answer (a refusal is shown beside it and costs nothing)."""
        s = self.session
        if not s.asked or s.verdict is not None:
            return
        try:
            s.check(self.answer.text())
        except AnswerError as e:
            self.refusal.setText(str(e))
            self.refusal.setVisible(True)
            self.answer.selectAll()
            self.answer.setFocus()
            return
        self._settled()

    def hint(self) -> None:
        """Show the next hint of the open question."""
        s = self.session
        if s.asked and s.verdict is None:
            s.hint()
            self._refresh(clear_answer=False)

    def reveal(self) -> None:
        """Give up on the open question and show its result."""
        s = self.session
        if s.asked and s.verdict is None:
            s.reveal()
            self._settled()

    def next(self) -> None:
        """Ask for the shown computation to be performed (Step into)."""
        if self.next_button.isEnabled():
            self.advance_requested.emit(1)

    def skip(self) -> None:
        """Perform the shown computations up to the next question (or to the end of the iteration)."""
        n = self._skip_count()
        if n > 0 and self.skip_button.isEnabled():
            self.advance_requested.emit(n)

    def _skip_count(self) -> int:
        s = self.session
        if s.trace is None or s.record is None or (s.asked and s.verdict is None):
            return 0
        target = s.next_question(s.position + 1)
        return (target if target is not None else len(s.trace.records)) - s.position

    def restart(self) -> None:
        """Forget the scores; the next iteration is practice round 1 again."""
        self.session.restart()
        self._refresh(clear_answer=True)

    # -- internals -----------------------------------------------------------------------------------
    def _settled(self) -> None:
        s = self.session
        v = s.verdict
        rec = s.record
        self._last = (s.trace.iteration, s.position,
                      f"Last: {'✓' if v.correct else '✗'} {rec.target} = {format_number(rec.result, s.digits)}")
        self._refresh(clear_answer=False)
        self.answer_submitted.emit(self.session.position, bool(v and v.correct))
        self.next_button.setFocus()

    def _on_return(self) -> None:
        if self.session.asked and self.session.verdict is None:
            self.check()
        else:
            self.next()

    def _on_options(self) -> None:
        self.session.configure(rel_tol=self.tolerance.currentData(), faded=self.mode.currentData())
        if self.session.trace is not None:
            self._refresh(clear_answer=False)

    def _show_unavailable(self) -> None:
        self.context.setText("")
        self.question.setText("Practice needs an iteration that can be stepped into. This network is too large "
                              "to show every computation (or a run is going).")
        for w in (self.answer, self.check_button, self.hint_button, self.reveal_button, self.next_button,
                  self.skip_button):
            w.setEnabled(False)
        self.refusal.setVisible(False)
        self.hints_label.setVisible(False)
        self.feedback.setVisible(False)
        self.score_label.setText("")

    def _refresh(self, clear_answer: bool) -> None:
        s = self.session
        tr = s.trace
        rec = s.record
        if clear_answer:
            self.answer.clear()
            self.refusal.setVisible(False)
        d = s.digits
        if rec is None:  # the iteration is complete (a window may show a finished trace)
            self.context.setText(f"Iteration {tr.iteration:,} complete")
            self.question.setText("Next ▸ starts the next iteration.")
        else:
            who = _element_name(self.network, rec)
            asked = ("shown: part of the worked example this round" if not s.asked else
                     "your turn" if s.verdict is None else "answered")
            self.context.setText(f"Iteration {tr.iteration:,} · computation {rec.index + 1:,} of {len(tr):,} · "
                                 f"{PHASE_NAMES.get(rec.phase, rec.phase)} · {kind_title(rec.kind)} of {who} · "
                                 f"{asked}")
            if s.asked and s.verdict is None:
                self.question.setText(f"{rec.target} = {rec.expansion} = ?")
            else:
                self.question.setText(rec.text(d))
        verdict = s.verdict
        open_q = s.asked and verdict is None
        self.answer.setEnabled(open_q)
        self.check_button.setEnabled(open_q)
        self.hint_button.setEnabled(open_q)
        self.reveal_button.setEnabled(open_q)
        self.answer.setVisible(s.asked)
        for b in (self.check_button, self.hint_button, self.reveal_button):
            b.setVisible(s.asked)
        self.next_button.setEnabled(not open_q)
        self.skip_button.setEnabled(self._skip_count() > 1)
        hints = s.hints
        self.hints_label.setText("\n".join(f"Hint {k + 1}: {h}" for k, h in enumerate(hints)))
        self.hints_label.setVisible(bool(hints))
        self._show_feedback(rec)
        self._show_score()
        last = self._last
        here = (tr.iteration, s.position)
        self.last_label.setText(last[2] if last is not None and last[:2] != here else "")
        if open_q and clear_answer and self.isVisible():
            self.answer.setFocus()

    def _show_feedback(self, rec) -> None:
        s = self.session
        v = s.verdict
        if rec is None or (s.asked and v is None):
            self.feedback.setVisible(False)
            return
        if v is not None:
            self.verdict_label.setText(("✓ " if v.correct else "✗ " if v.outcome == "wrong" else "") + v.message)
            self._tint_feedback("good" if v.correct else "bad" if v.outcome == "wrong" else "note")
        else:
            self.verdict_label.setText("Study this one: it is shown in this round. Next ▸ performs it.")
            self._tint_feedback("card")
        self.verdict_label.setVisible(True)
        self.explanation.show_computation(rec, s.trace, self.network, s.digits)
        self.feedback.setVisible(True)

    def _show_score(self) -> None:
        s = self.session
        if s.trace is None:
            self.score_label.setText("")
            return
        it = s.trace.iteration
        sc = s.score(it)
        faded = f", round {s.round} of the faded plan" if s.faded else ""
        lines = [f"Score, iteration {it:,}: ✓ {sc.first_try} first try · ✓ {sc.after_hints} after hints · "
                 f"✗ {sc.wrong} wrong · {sc.revealed} revealed  ({len(s.plan)} of {len(s.trace)} computations are "
                 f"yours{faded})"]
        earlier = [i for i in s.iterations if i != it]
        if earlier:
            p = earlier[-1]
            e = s.score(p)
            lines.append(f"Iteration {p:,}: {e.right} of {e.answered} right, {e.first_try} of them first try")
        self.score_label.setText("\n".join(lines))

    def _tint_feedback(self, kind: str) -> None:
        bg, border = tint(self.palette(), kind)
        self.feedback.setStyleSheet(f"QFrame#practiceFeedback {{ background: {bg}; border: 1px solid {border}; "
                                    f"border-radius: 6px; }}")

    def _restyle(self) -> None:
        bg, border = tint(self.palette(), "card")
        self.card.setStyleSheet(f"QFrame#practiceCard {{ background: {bg}; border: 1px solid {border}; "
                                f"border-radius: 6px; }}")
        m = muted(self.palette())
        self.context.setStyleSheet(f"color: {m};")
        self.score_label.setStyleSheet(f"color: {m};")
        self.last_label.setStyleSheet(f"color: {m};")
        red = mix(self.palette().color(QPalette.WindowText), QColor(207, 34, 46), 0.85)
        self.refusal.setStyleSheet(f"color: {red.name()};")

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.PaletteChange:
            self._restyle()
        super().changeEvent(event)
