"""The Current step card's explanation is fitted to its text at every step: nothing of it is cut off while the
panel has room (up to 45 % of the panel; beyond, it scrolls)."""
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from backprop_lab.gui.equations import EXPLANATION_MIN_HEIGHT


def test_the_explanation_fits_its_text_at_every_computation(open_window, no_dialogs):
    w = open_window((1400, 880))
    panel = w.equations
    ex, scroll = panel.explanation, panel.explanation_scroll
    heights = set()
    for _ in range(43):  # every computation of the worked example's first iteration
        QTest.keyClick(w.diagram, Qt.Key_F11)
        QApplication.processEvents()
        need = ex.layout().heightForWidth(scroll.viewport().width())
        heights.add(need)
        room = max(EXPLANATION_MIN_HEIGHT, panel.height() * 45 // 100)
        assert scroll.viewport().height() >= min(need, room), (ex.record.target, need, scroll.height())
    assert len(heights) >= 3  # explanations of different lengths were fitted, not one size for all


def test_the_card_keeps_its_height_within_an_iteration_and_fits_afresh_in_the_next(open_window, no_dialogs):
    w = open_window((1400, 880))
    panel = w.equations
    scroll = panel.explanation_scroll
    heights, needs = [], set()
    QTest.keyClick(w.diagram, Qt.Key_F11)
    QApplication.processEvents()
    while w.controller.state.mode != "complete":  # through the first iteration, computation by computation
        QTest.keyClick(w.diagram, Qt.Key_F11)
        QApplication.processEvents()
        heights.append(scroll.maximumHeight())
        needs.add(panel._explanation_height(scroll.viewport().width()) + 4)
        assert len(heights) <= 43
    assert heights == sorted(heights) and len(needs) >= 3  # it grew to the longest, never jumped back
    assert heights[-1] == max(needs)
    QTest.keyClick(w.diagram, Qt.Key_F11)  # computation 1 of the next iteration: fitted to its own text
    QApplication.processEvents()
    assert scroll.maximumHeight() == panel._explanation_height(scroll.viewport().width()) + 4 < heights[-1]
    # the text starts at the top of the card, whatever room is left below it
    assert panel.explanation.sentences.alignment() & Qt.AlignTop


def test_the_details_keep_their_scroll_position_and_text_across_steps(open_window, no_dialogs):
    from backprop_lab.core import Element
    w = open_window((1400, 700))
    c, details = w.controller, w.equations.details
    c.select(Element("weight", 1, 0, 0))  # w5: its gradient and update above the Loss
    for _ in range(2):
        c.step()
    QApplication.processEvents()
    bar = details.verticalScrollBar()
    assert bar.maximum() > 0  # more than the view shows
    bar.setValue(bar.maximum())  # the learner scrolled down to the Loss
    c.step()
    QApplication.processEvents()
    assert bar.value() == bar.maximum() > 0
    text = details.toPlainText()
    assert f"Current value: {c.state.fmt(c.sim.network.weights[1][0, 0])}" in text
    assert c.state.fmt(c.state.training_loss) in text


def test_new_details_texts_neither_pile_up_nor_repaint_an_unchanged_scroll_bar(open_window, no_dialogs):
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtGui import QTextDocument

    w = open_window((1400, 880))
    details = w.equations.details
    bar = details.verticalScrollBar()

    class Paints(QObject):
        n = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint:
                Paints.n += 1
            return False

    for _ in range(3):
        QTest.keyClick(w.diagram, Qt.Key_F10)
        QApplication.processEvents()
    documents = len(w.findChildren(QTextDocument))
    counter = Paints()
    bar.installEventFilter(counter)
    shown = (bar.minimum(), bar.maximum(), bar.pageStep(), bar.value())
    texts = set()
    for _ in range(20):
        QTest.keyClick(w.diagram, Qt.Key_F10)
        QApplication.processEvents()
        texts.add(details.toPlainText())
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert len(texts) == 20  # every step showed a new text
    assert (bar.minimum(), bar.maximum(), bar.pageStep(), bar.value()) == shown
    assert Paints.n == 0  # (a new text used to raise the bar, repainting it on every key press)
    assert len(w.findChildren(QTextDocument)) == documents  # (one document was left behind per text)


def test_the_current_step_card_shows_every_computation_whole(open_window, no_dialogs):
    w = open_window((1400, 880))
    c, card = w.controller, w.equations.current_label
    assert c.open_example("moons")
    c.step()
    scales = set()
    for _ in range(420):  # forward sums of 8 terms, batch gradients of 10: longer than the card's five lines
        c.step_into()
        QApplication.processEvents()
        k = card.scale()
        scales.add(k)
        assert card._doc.size().height() * k <= card.height() + 0.5, c.state.current.target
        text = card.plain_text()
        assert c.state.fmt(c.state.current.result) in text and "Computation" in text
    assert min(scales) < 1.0 and 1.0 in scales  # long ones were drawn smaller, short ones at full size


def test_in_a_short_window_the_card_is_shorter_and_the_list_keeps_room(open_window, no_dialogs):
    w = open_window((1400, 600))  # the equations panel is about 260 pixels high
    panel = w.equations
    lst, scroll = panel.iteration_list, panel.explanation_scroll
    assert panel.height() < 330 and panel.current_label.height() < 80  # a three-line card
    QTest.keyClick(w.diagram, Qt.Key_F11)
    QApplication.processEvents()
    while w.controller.state.mode != "complete":
        QTest.keyClick(w.diagram, Qt.Key_F11)
        QApplication.processEvents()
        below = panel.height() - scroll.geometry().bottom()
        assert below >= 80 and lst.viewport().height() >= 40, (w.controller.state.current.target, below)
        card = panel.current_label  # the card's text, drawn smaller where needed, fits the short card
        assert card._doc.size().height() * card.scale() <= card.height() + 0.5
    assert scroll.maximumHeight() <= panel._explanation_height(scroll.viewport().width()) + 4


def test_a_cleared_explanation_keeps_no_blank_band(open_window, no_dialogs):
    w = open_window((1400, 880))
    panel, scroll = w.equations, w.equations.explanation_scroll
    for _ in range(8):  # into the iteration: the card grows to its longest explanation so far
        QTest.keyClick(w.diagram, Qt.Key_F11)
        QApplication.processEvents()
    tallest = scroll.maximumHeight()
    while w.controller.state.mode != "ready":  # back to its start: nothing performed, nothing to explain
        QTest.keyClick(w.diagram, Qt.Key_F11, Qt.ShiftModifier)
        QApplication.processEvents()
    need = panel._explanation_height(scroll.viewport().width()) + 4
    assert scroll.maximumHeight() == need < tallest


def test_an_opened_why_chain_fits_the_panels_width(open_window, no_dialogs):
    w = open_window((1400, 880))
    ex, scroll = w.equations.explanation, w.equations.explanation_scroll
    for k in range(43):  # every computation of the worked example's first iteration, its chain opened
        QTest.keyClick(w.diagram, Qt.Key_F11)
        QApplication.processEvents()
        if not ex.factor_chips:
            continue
        ex.set_expanded(True)
        QApplication.processEvents()
        assert ex.minimumSizeHint().width() <= scroll.viewport().width(), (k, ex.record.target)
        for chip in ex.factor_chips:  # every chip inside what the panel shows
            right = chip.mapTo(ex, chip.rect().topRight()).x()
            assert right <= scroll.viewport().width(), (k, chip.factor.symbol)
