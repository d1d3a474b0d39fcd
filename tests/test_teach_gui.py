"""The practice panel, the explanation view and the Getting started tour, driven like a user would (offscreen)."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from backprop_lab.core import Element, Trace, load_example
from backprop_lab.gui.explain_view import QtExplanation
from backprop_lab.gui.practice_panel import QtPracticePanel
from backprop_lab.gui.tour import GLOSSARY, TOUR_ACTIONS, TOUR_PAGES, GettingStartedDialog, show_getting_started

O1, H1 = Element("neuron", 2, 0), Element("neuron", 1, 0)
W5 = Element("weight", 1, 0, 0)


def index_of(trace, kind, element):
    return next(k for k, r in enumerate(trace) if r.kind == kind and r.element == element)


@pytest.fixture
def practice(qtbot):
    """A practice panel on the worked example, wired the way the window wires it (advance = Step into)."""
    sim = load_example("mazur")
    panel = QtPracticePanel()
    qtbot.addWidget(panel)

    def advance(n):
        for _ in range(n):
            sim.step_into()
        panel.show_simulation(sim)

    panel.advance_requested.connect(advance)
    panel.resize(640, 560)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_simulation(sim)
    return panel, sim


def type_and_check(qtbot, panel, text):
    panel.answer.clear()
    qtbot.keyClicks(panel.answer, text)
    qtbot.mouseClick(panel.check_button, Qt.LeftButton)


# -- practice panel -----------------------------------------------------------------------------------
def test_asks_net_h1_with_its_result_hidden(practice):
    panel, sim = practice
    q = panel.question.text()
    assert q.startswith("net_h1 = ") and q.endswith(" = ?") and "0.3775" not in q
    assert panel.question.textFormat() == Qt.PlainText
    assert "computation 1 of 43" in panel.context.text() and "your turn" in panel.context.text()
    assert panel.answer.isEnabled() and panel.check_button.isEnabled() and not panel.next_button.isEnabled()
    assert not panel.feedback.isVisible()  # the explanation would give the result away
    assert sim.cursor == 0  # the panel never changes the simulation by itself


def test_typed_right_answer(practice, qtbot):
    panel, _ = practice
    qtbot.keyClicks(panel.answer, "0.3775")
    with qtbot.waitSignal(panel.answer_submitted) as sig:
        qtbot.keyClick(panel.answer, Qt.Key_Return)
    assert sig.args == [0, True]
    assert panel.verdict_label.text().startswith("✓ Right!")
    assert panel.feedback.isVisible() and "h1" in panel.explanation.sentences.text()
    assert "✓ 1 first try" in panel.score_label.text()
    assert panel.question.text().endswith("= 0.3775") and not panel.answer.isEnabled()
    assert panel.next_button.isEnabled()


def test_garbage_is_refused_without_losing_the_attempt_then_wrong_shows_the_value(practice, qtbot):
    panel, _ = practice
    type_and_check(qtbot, panel, "abc")
    assert panel.refusal.isVisible() and "not a number" in panel.refusal.text()
    assert panel.session.verdict is None and panel.session.score().answered == 0
    assert panel.answer.isEnabled() and panel.check_button.isEnabled() and not panel.feedback.isVisible()
    with qtbot.waitSignal(panel.answer_submitted) as sig:
        type_and_check(qtbot, panel, "0.4")
    assert sig.args == [0, False]
    assert not panel.refusal.isVisible()
    text = panel.verdict_label.text()
    assert text.startswith("✗ Not quite") and "0.3775" in text and "0.4" in text
    assert "0.3775" in panel.question.text()
    sc = panel.session.score()
    assert (sc.wrong, sc.first_try) == (1, 0) and "✗ 1 wrong" in panel.score_label.text()
    assert not panel.answer.isEnabled()


def test_hints_show_the_operands_one_at_a_time(practice, qtbot):
    panel, _ = practice
    qtbot.mouseClick(panel.hint_button, Qt.LeftButton)
    assert panel.hints_label.isVisible() and panel.hints_label.text() == "Hint 1: w1 = 0.15"
    qtbot.mouseClick(panel.hint_button, Qt.LeftButton)
    assert panel.hints_label.text().splitlines() == ["Hint 1: w1 = 0.15", "Hint 2: i1 = 0.05"]
    type_and_check(qtbot, panel, "0,3775")  # a decimal comma
    assert panel.session.verdict.outcome == "after_hints"
    assert "✓ 1 after hints" in panel.score_label.text()


def test_reveal_and_next_move_to_net_h2(practice, qtbot):
    panel, sim = practice
    with qtbot.waitSignal(panel.answer_submitted) as sig:
        qtbot.mouseClick(panel.reveal_button, Qt.LeftButton)
    assert sig.args == [0, False] and "0.3775" in panel.verdict_label.text()
    with qtbot.waitSignal(panel.advance_requested) as adv:
        qtbot.mouseClick(panel.next_button, Qt.LeftButton)
    assert adv.args == [1] and sim.cursor == 1
    assert panel.question.text().startswith("net_h2 = ") and panel.question.text().endswith("= ?")
    assert panel.answer.text() == "" and panel.answer.isEnabled()
    assert "net_h1 = 0.3775" in panel.last_label.text()


def test_typing_survives_a_redraw_of_the_same_question(practice, qtbot):
    panel, sim = practice
    qtbot.keyClicks(panel.answer, "0.37")
    panel.show_simulation(sim)  # the window redraws on every change
    assert panel.answer.text() == "0.37"


def test_faded_plan_shows_the_first_iteration_and_asks_updates_next(practice, qtbot):
    panel, sim = practice
    panel.mode.setCurrentIndex(1)  # faded
    assert not panel.session.asked
    assert "shown" in panel.context.text() and panel.question.text().endswith("= 0.3775")
    assert not panel.answer.isVisible() and panel.next_button.isEnabled() and panel.feedback.isVisible()
    with qtbot.waitSignal(panel.advance_requested) as adv:
        qtbot.mouseClick(panel.skip_button, Qt.LeftButton)
    assert adv.args == [43]  # round 1 asks nothing: through to the end of iteration 1
    assert sim.iteration == 1 and sim.pending is None
    assert panel.session.trace.iteration == 2 and panel.session.round == 2
    with qtbot.waitSignal(panel.advance_requested) as adv:
        qtbot.mouseClick(panel.skip_button, Qt.LeftButton)
    first_update = index_of(sim.pending, "update", Element("weight", 0, 0, 0))
    assert adv.args == [first_update] and panel.session.asked
    assert panel.question.text().startswith("w1⁺") and panel.question.text().endswith("= ?")


def test_record_text_is_shown_as_plain_text(qtbot):
    sim = load_example("mazur")
    tr = sim.preview()
    odd = tr[0]._replace(target="<b>net</b>", expansion="<img src='x'>")
    tr2 = Trace(tr.iteration, tr.batch, [odd] + list(tr.records[1:]), tr.loss)
    panel = QtPracticePanel()
    qtbot.addWidget(panel)
    panel.show_state(tr2, 0, sim.network)
    assert panel.question.text() == "<b>net</b> = <img src='x'> = ?"
    panel.reveal()
    assert "<b>net</b>" in panel.verdict_label.text()
    for label in (panel.question, panel.verdict_label, panel.hints_label, panel.context,
                  panel.explanation.sentences, panel.explanation.chain_label):
        assert label.textFormat() == Qt.PlainText


def test_without_a_trace_practice_is_unavailable(qtbot):
    panel = QtPracticePanel()
    qtbot.addWidget(panel)
    panel.show_state(None, 0, None)
    assert "too large" in panel.question.text()
    assert not any(b.isEnabled() for b in (panel.answer, panel.check_button, panel.next_button, panel.skip_button))
    assert panel.hidden_from() is None


def test_dark_palette_gives_dark_boxes(qtbot):
    panel = QtPracticePanel()
    qtbot.addWidget(panel)
    dark = QPalette()
    for role, c in ((QPalette.Window, "#202124"), (QPalette.Base, "#17181a"), (QPalette.WindowText, "#e8eaed"),
                    (QPalette.Text, "#e8eaed"), (QPalette.Highlight, "#3d6fb4")):
        dark.setColor(role, QColor(c))
    panel.setPalette(dark)
    bg = panel.card.styleSheet().split("background: ")[1][:7]
    assert QColor(bg).lightnessF() < 0.3
    assert QColor(panel.context.styleSheet().split("color: ")[1][:7]).lightnessF() > 0.5


# -- explanation view --------------------------------------------------------------------------------
def test_why_factor_click_jumps_to_the_record_that_produced_it(qtbot):
    sim = load_example("mazur")
    tr = sim.preview()
    view = QtExplanation()
    qtbot.addWidget(view)
    view.show()
    view.show_computation(tr[index_of(tr, "gradient", W5)], tr, sim.network)
    assert "w5" in view.sentences.text() and not view.why_frame.isVisible()
    qtbot.mouseClick(view.why_button, Qt.LeftButton)
    assert view.why_frame.isVisible()
    chips = view.factor_chips
    assert [c.value.text() for c in chips] == ["0.74136507", "0.186815602", "0.593269992"]
    with qtbot.waitSignal(view.jump_to) as sig:
        qtbot.mouseClick(chips[0], Qt.LeftButton)
    assert sig.args == [index_of(tr, "output_error", O1)]
    with qtbot.waitSignal(view.jump_to) as sig:
        qtbot.mouseClick(chips[2], Qt.LeftButton)
    assert sig.args == [index_of(tr, "activation", H1)]
    chips[1].setFocus()
    with qtbot.waitSignal(view.jump_to) as sig:
        qtbot.keyClick(chips[1], Qt.Key_Return)
    assert sig.args == [index_of(tr, "local_derivative", O1)]
    assert "← computation 12" in chips[0].origin.text()  # 1-based, as the equations panel counts


def test_factors_without_a_source_do_not_jump(qtbot):
    sim = load_example("mazur")
    tr = sim.preview()
    view = QtExplanation()
    qtbot.addWidget(view)
    view.show_computation(tr[index_of(tr, "gradient", Element("bias", 1, 0))], tr, sim.network)
    view.set_expanded(True)
    one = view.factor_chips[2]
    assert one.value.text() == "1" and not one.linked
    with qtbot.assertNotEmitted(view.jump_to):
        qtbot.mouseClick(one, Qt.LeftButton)
    view.show_computation(None, None, sim.network)
    assert view.factor_chips == [] and not view.why_button.isVisible()


def test_practice_panel_forwards_why_clicks(practice, qtbot):
    panel, sim = practice
    panel.reveal()  # net_h1 settled: its explanation shows
    panel.explanation.set_expanded(True)
    out_h1 = index_of(sim.preview(), "activation", H1)
    sim.step_into()
    sim.step_into()
    panel.show_simulation(sim)  # out_h1's question...
    panel.reveal()
    panel.explanation.set_expanded(True)
    chip = panel.explanation.factor_chips[0]  # net_h1, produced by record 0
    assert panel.session.position == out_h1
    with qtbot.waitSignal(panel.jump_to) as sig:
        qtbot.mouseClick(chip, Qt.LeftButton)
    assert sig.args == [0]


# -- Help ▸ Getting started --------------------------------------------------------------------------
def test_tour_is_non_modal_and_pages_go_back_and_forth(qtbot):
    d = GettingStartedDialog()
    qtbot.addWidget(d)
    d.show()
    assert not d.isModal()
    assert d.page == 0 and not d.back_button.isEnabled()
    qtbot.mouseClick(d.next_button, Qt.LeftButton)
    assert d.page == 1 and "F11" in d.page_body.toPlainText() and "0.3775" in d.page_body.toPlainText()
    qtbot.mouseClick(d.back_button, Qt.LeftButton)
    assert d.page == 0
    d.show_page(99)
    assert d.page == len(TOUR_PAGES) - 1 and not d.next_button.isEnabled()
    assert d.position_label.text() == f"{len(TOUR_PAGES)} / {len(TOUR_PAGES)}"
    text = " ".join(t + " " + b for t, b, _ in TOUR_PAGES)
    for must in ("worked example", "F11", "δ", "F5", "Double-click", "symmetry", "Ctrl+P", "Ctrl+I"):
        assert must in text


def test_tour_try_it_buttons_emit_actions(qtbot):
    plain = GettingStartedDialog()
    qtbot.addWidget(plain)
    plain.show()
    assert not plain.try_button.isVisible()  # nothing wired: no button that does nothing
    d = GettingStartedDialog(with_actions=True)
    qtbot.addWidget(d)
    d.show()
    with qtbot.waitSignal(d.action_requested) as sig:
        qtbot.mouseClick(d.try_button, Qt.LeftButton)
    assert sig.args == ["open_example:mazur"]
    assert all(a in TOUR_ACTIONS for _, _, a in TOUR_PAGES if a is not None)
    d.show_page(2)  # the loss: nothing to try
    assert not d.try_button.isVisible()


def test_glossary_has_the_symbols_and_filters(qtbot):
    d = GettingStartedDialog()
    qtbot.addWidget(d)
    text = d.glossary.toPlainText()
    for sym in ("net", "out", "E", "δ", "η", "μ, v", "∂E/∂w", "∂E/∂out", "∂out/∂net", "epoch", "iteration",
                "mini-batch", "≡", "σ"):
        assert any(row[0] == sym for row in GLOSSARY), sym
        assert sym in text
    assert d.filter_glossary("learning rate") == 1 and "η" in d.glossary.toPlainText()
    assert d.filter_glossary("δ") >= 2
    assert d.filter_glossary("zzz") == 0 and "Nothing in the glossary" in d.glossary.toPlainText()
    assert d.filter_glossary("") == len(GLOSSARY)


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the offscreen platform's, not ours
def test_show_getting_started_reuses_one_window(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    a = show_getting_started(parent)
    b = show_getting_started(parent)
    assert a is b and a.isVisible() and not a.isModal()
    a.close()
    QApplication.processEvents()
