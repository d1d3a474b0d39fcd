"""What a new user hit in the first hour: networks of any input size with data, and the smaller GUI rough edges."""
import re

import numpy as np
import pytest
from PySide6.QtCore import QRect, QSettings, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication, QMessageBox

from backprop_lab.core import datasets as ds
from backprop_lab.core.datasets import DataError
from backprop_lab.gui.equations_list import ROW_H, EquationDelegate, IterationModel
from backprop_lab.gui.network_spec import NetworkSpec, build_simulation
from backprop_lab.gui.new_network_dialog import NewNetworkDialog


@pytest.fixture
def win(open_window, warnings_shown):
    """A large window whose warnings are in ``win.shown`` as (title, text)."""
    w = open_window(size=(1400, 900))
    w.shown = warnings_shown
    return w


def three_column_csv(tmp_path):
    """Six rows x1, x2, x3 → t (0/1), written here."""
    path = tmp_path / "d3.csv"
    rows = [(-0.7, 0.6, 0.5, 0), (-0.5, 0.0, -0.1, 0), (0.3, 0.2, 0.9, 1), (0.8, -0.4, 0.1, 1),
            (0.1, 0.9, -0.6, 0), (0.6, 0.7, 0.2, 1)]
    path.write_text("x1,x2,x3,t\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path, np.array([r[:3] for r in rows], dtype=float), np.array([[r[3]] for r in rows], dtype=float)


# -- 1. data for any number of inputs ---------------------------------------------------------------------
def test_clusters_in_n_dimensions_lie_around_their_centres():
    x, t = ds.make("clusters", 400, 0.0, seed=7, inputs=5)
    assert x.shape == (400, 5) and t.shape == (400, 1) and x.dtype == np.float64
    assert sorted(np.unique(t)) == [0.0, 1.0] and t.sum() == 200  # half the samples each
    # noise 0: each coordinate is centre ± N(0, 0.1), so the class means are within a few 0.1/√200 of ±0.5
    for label, centre in ((1.0, 0.5), (0.0, -0.5)):
        mean = x[t[:, 0] == label].mean(axis=0)
        assert np.all(np.abs(mean - centre) < 4 * 0.1 / np.sqrt(200))
    # the plane Σx = 0 separates them (2.5 apart from it along the diagonal, σ = 0.1·√5 across it)
    assert np.array_equal(x.sum(axis=1) > 0, t[:, 0] == 1.0)
    assert ds.input_size("clusters", inputs=5) == 5 and ds.output_size("clusters") == 1


def test_linear_regression_in_n_dimensions_is_a_hidden_linear_function():
    x, t = ds.make("linear", 60, 0.0, seed=2, inputs=4)
    assert x.shape == (60, 4) and t.shape == (60, 1)
    assert np.all(np.abs(x) <= 1.0)
    w, *_ = np.linalg.lstsq(x, t[:, 0], rcond=None)  # recovered from the samples alone
    assert np.allclose(x @ w, t[:, 0], atol=1e-12) and np.abs(w).sum() == pytest.approx(1.0, abs=1e-12)
    # Σ|w| = 1 keeps |t| ≤ max|x| ≤ 1
    assert np.all(np.abs(t) <= 1.0)
    x2, t2 = ds.make("linear", 60, 0.0, seed=3, inputs=4)
    w2, *_ = np.linalg.lstsq(x2, t2[:, 0], rcond=None)
    assert not np.allclose(w, w2)  # the weights come from the seed


@pytest.mark.parametrize("name", ["clusters", "linear"])
def test_the_number_of_inputs_is_checked(name):
    for bad in (0, ds.MAX_INPUTS + 1, 2.5, True):
        with pytest.raises(DataError, match="inputs"):
            ds.make(name, 10, inputs=bad)
    assert ds.make(name, 10, inputs=1)[0].shape == (10, 1)
    assert ds.takes_any_inputs(name) and not ds.takes_any_inputs("spiral")


def test_new_network_3_4_1_switches_to_data_for_three_inputs_and_trains(new_dialog):
    d = new_dialog
    d.set_dataset("spiral")
    assert d.set_sizes_text("3-4-1")
    assert d._dataset() == "clusters" and d.problems() == [] and d.create_button.isEnabled()
    sim = d.create()
    assert sim.network.sizes == (3, 4, 1) and sim.inputs.shape[1] == 3
    assert set(np.unique(sim.targets)) == {-1.0, 1.0}  # ±1 for the tanh output
    sim.run(3)
    # a regression curve gives way to the regression set, with the input spin box
    d2 = NewNetworkDialog()
    d2.set_dataset("sine")
    d2.size_spins[0].setValue(6)
    assert d2._dataset() == "linear" and d2._sizes[0] == 6 and d2.problems() == []
    assert d2.create().inputs.shape[1] == 6
    d2.deleteLater()


def test_new_network_with_kept_data_of_another_width_says_what_to_do(new_dialog):
    d = new_dialog
    d.set_current_data(np.zeros((4, 2)), np.zeros((4, 1)), description="two columns")
    d.set_dataset("")
    d.size_spins[0].setValue(3)
    assert d._dataset() == ""  # kept data is never swapped for another set behind the person's back
    text = " ".join(d.problems())
    assert "has 2 input(s); the input layer has 3" in text and "Gaussian clusters" in text
    assert "inputs=" not in text and not d.create_button.isEnabled()


def spiral_window(win):
    spec = NetworkSpec(sizes=(2, 3, 1), activations=("tanh", "tanh"), loss="mse", init_scheme="xavier",
                       init_seed=1, dataset_name="spiral",
                       dataset_options={"n_samples": 40, "noise": 0.0, "seed": 5, "targets": "pm1"})
    f = win.data_features
    f.open_new(build_simulation(spec))
    f.panel.choose_generator("spiral")
    f.panel.samples.set_text("40")
    f.panel.seed.set_text("5")
    f.panel.test_fraction.set_text("0")
    return f


def test_plus_on_the_input_layer_makes_data_with_one_more_input(win):
    c, f = win.controller, spiral_window(win)
    before, data = c.sim.network.theta.tobytes(), c.sim.data
    f.structure.add_neuron(0)
    sim = c.sim
    assert sim.network.sizes == (3, 3, 1)
    x, t = ds.make("clusters", 40, 0.0, seed=5, inputs=3, targets="pm1")
    assert np.array_equal(sim.inputs, x) and np.array_equal(sim.targets, t)
    assert f.panel._generator() == "clusters" and f.panel.fit_problem() == ""
    assert "made again" in win.statusBar().currentMessage() and win.shown == []
    win.act_undo.trigger()
    assert c.sim.network.theta.tobytes() == before and c.sim.data is data


def test_plus_on_the_input_layer_with_csv_data_says_what_to_do_in_plain_words(win):
    c, f = win.controller, spiral_window(win)
    f.panel.source.setCurrentIndex(f.panel.source.findData("current"))
    before = c.sim.network.sizes
    f.structure.add_neuron(0)
    assert c.sim.network.sizes == before
    title, text = win.shown[-1]
    assert title == "Cannot add a neuron"
    assert "2 input column(s)" in text and "3 inputs" in text and "Gaussian clusters" in text
    assert "inputs=" not in text and "…, targets" not in text


def test_a_csv_that_does_not_fit_offers_a_network_made_for_it(win, tmp_path, monkeypatch):
    c, f = win.controller, spiral_window(win)
    path, x, t = three_column_csv(tmp_path)
    data = ds.read_csv_data(path, inputs=["x1", "x2", "x3"], targets=["t"])
    assert f.use_csv(data, str(path)) is False and c.sim.inputs.shape[1] == 2
    p = f.panel
    # the reason once (the fit line), not twice; the way out as a button
    assert p.fit.text().count("d3.csv has 3 input(s)") == 1 and "d3.csv has" not in p.status.text()
    assert p.network_button.isVisible() and "(3 → 1)" in p.network_button.text()
    assert win.shown[-1][0] == "CSV not imported" and "New network for this data" in win.shown[-1][1]

    def fill():
        d = f.dialog
        assert d._dataset() == "" and d._sizes[0] == 3 and d._sizes[-1] == 1
        d.create()
    QTimer.singleShot(0, fill)
    p.network_button.click()
    assert c.sim.network.sizes[0] == 3 and np.array_equal(c.sim.inputs, x) and np.array_equal(c.sim.targets, t)
    QApplication.processEvents()


# -- 2. the equations list shortens at term boundaries --------------------------------------------------
class RecordingPainter(QPainter):
    """A painter that keeps every text the delegate draws."""

    def __init__(self, device):
        super().__init__(device)
        self.texts = []

    def drawText(self, *args):
        self.texts.append(args[-1])
        super().drawText(*args)


NUMBER = re.compile(r"−?\d+(?:\.\d+)?(?:e[−+]?\d+)?")


def drawn_numbers_line(delegate, rec, width):
    img = QImage(width, ROW_H, QImage.Format_RGB32)
    p = RecordingPainter(img)
    try:
        delegate._paint_row(p, QRect(0, 0, width, ROW_H), delegate._row(rec, 9, False), False)
    finally:
        p.end()
    return p.texts[0]  # then the result, drawn by itself


def test_long_equation_rows_are_shortened_to_whole_terms(qtbot):
    from backprop_lab.core import format_number, load_example
    sim = load_example("moons")
    tr = sim.step(trace=True)
    model = IterationModel()
    delegate = EquationDelegate(model)
    shortened = 0
    for rec in tr.records:
        full = rec.substituted(9)
        # the numbers a row may show: its operands as formatted, and the template's own constants (½, 1, / 10)
        allowed = {format_number(v, 9) for _, v in rec.operands}
        allowed |= set(NUMBER.findall(re.sub(r"\{\d+\}", " ", rec.template)))
        for width in (230, 330):
            line = drawn_numbers_line(delegate, rec, width)
            assert line.startswith("= ") and line.endswith(" = ")
            body = line[2:-3]
            for num in NUMBER.findall(body):
                assert num in allowed, (rec.kind, width, body)
            if "…" in body and "…" not in full:
                shortened += 1
                # "…" stands for whole terms: between " + " separators or just inside the sum's parentheses
                assert re.fullmatch(r"(.*(\+ |\())?…(( \+|\)).*)?", body), body
                # the kept terms are the full line's terms, in order, with the last one (the bias) kept
                head, _, tail = body.partition("…")
                assert full.startswith(head) and full.endswith(tail)
            assert body.count("(") == body.count(")")
    assert shortened > 10  # the widths really did shorten the weighted sums and the means


def test_the_worked_examples_rows_show_every_term_in_a_narrower_list(qtbot):
    # (a new-user tester: "0.148923248·0.05 + … + 0.35" hid one of the three terms of net_h1; the numbers may
    # now be drawn as small as the line above them, 70 %, before terms are left out)
    from backprop_lab.core import load_example
    tr = load_example("mazur").step(trace=True)
    delegate = EquationDelegate(IterationModel())
    for rec in tr.records:
        line = drawn_numbers_line(delegate, rec, 350)  # a narrower Equations dock than this machine's default
        assert "…" not in line, (rec.target, line)


def test_a_row_cached_for_a_freed_record_is_never_drawn_for_another(qtbot):
    # (a new-user tester: after opening another file the list showed the previous network's first rows, with
    # their numbers, until F11 reached them: rows were cached by the record's id, which a freed record leaves to
    # the next file's records)
    from backprop_lab.core import format_number, load_example
    from backprop_lab.gui.identity import Same
    moons, mazur = load_example("moons").step(trace=True), load_example("mazur").step(trace=True)
    delegate = EquationDelegate(IterationModel())
    gone, new = moons.records[0], mazur.records[0]
    stale = delegate._row(gone, 9, False)
    assert stale.rec is gone  # a cached row holds its record: its id is not free while the row is cached
    delegate._cache[(id(new), new.index, 9, False)] = stale  # as if *new* had been given the freed id
    row = delegate._row(new, 9, False)
    assert row.rec is new and row.result == format_number(new.result, 9) != stale.result
    a, b = [0.5], [0.5]
    assert Same(a) == Same(a) and Same(a) != Same(b) and hash(Same(a)) == id(a)
    assert (Same(a), 1) == (Same(a), 1) and (Same(a), 1) != (Same(b), 1)


def test_adams_hatted_symbols_are_drawn_in_italics_and_everything_else_stays_plain(qtbot):
    # (a new-user tester: the hats of m̂ and v̂ floated a line above their letters, on the card's title; upright
    # DejaVu Sans places them there, its italic right)
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    from backprop_lab.gui.formatting import to_html
    from backprop_lab.gui.plain_text import label_text, set_label_text
    assert to_html("w1 − η·m̂_w1 / (√v̂_w1 + ε)") == \
        "w<sub>1</sub> − η·<i>m̂</i><sub>w1</sub> / (√<i>v̂</i><sub>w1</sub> + ε)"
    label = QLabel()
    qtbot.addWidget(label)
    set_label_text(label, "m̂_w1 = <b>x</b> & y\nnext")  # a hat: rich text, everything escaped
    assert label.textFormat() == Qt.RichText
    assert label.text() == "<i>m̂</i>_w1 = &lt;b&gt;x&lt;/b&gt; &amp; y<br>next"
    assert label_text(label) == "m̂_w1 = <b>x</b> & y\nnext"
    set_label_text(label, "<b>w5</b>")  # no hat: plain text, as it is
    assert label.textFormat() == Qt.PlainText and label.text() == "<b>w5</b>" == label_text(label)


# -- 3, 4. the loss plot: the first iteration shows, and the plot has room ----------------------------------
def moons_window(qtbot, tmp_path, monkeypatch, size=None):
    from backprop_lab.core import load_example
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Discard)  # closing, unsaved
    from backprop_lab.gui.controller import SimulationController
    from backprop_lab.gui.main_window import MainWindow
    w = MainWindow(SimulationController(load_example("moons")),
                   settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)
    if size:
        w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    qtbot.wait(20)
    return w


def test_the_first_iteration_shows_on_the_loss_plot_and_the_range_holds_the_data(qtbot, tmp_path, monkeypatch):
    w = moons_window(qtbot, tmp_path, monkeypatch)
    lp, c = w.loss_plot, w.controller
    c.step()
    QApplication.processEvents()
    x, y = lp.batch_curve.getData()
    assert list(x) == [1.0] and y[0] == pytest.approx(c.state.batch_loss[0])
    assert list(lp.batch_dots.getData()[0]) == [1.0]  # one point alone: drawn as a dot
    vb = lp.plot.getPlotItem().vb
    for k in range(30):
        (x0, x1), (y0, y1) = vb.viewRange()
        loss = np.asarray(c.state.batch_loss)
        assert x0 <= 1 and len(loss) <= x1 and y0 <= loss.min() and loss.max() * 1.03 < y1, k
        c.step()
        QApplication.processEvents()
    for _ in range(25):
        c.step()
    QApplication.processEvents()
    assert len(c.state.batch_loss) > 50 and not len(lp.batch_dots.getData()[0])  # a line is enough now
    w.close()


def test_the_loss_plot_has_room_at_the_default_size_and_scrolls_in_a_small_window(qtbot, tmp_path, monkeypatch):
    from backprop_lab.gui.loss_plot import MIN_PLOT_HEIGHT
    w = moons_window(qtbot, tmp_path, monkeypatch)
    vb = w.loss_plot.plot.getPlotItem().vb
    assert w.loss_plot.plot.height() >= MIN_PLOT_HEIGHT and vb.height() >= 65  # was 129 and 50 px
    w.resize(800, 560)
    qtbot.wait(20)
    assert w.loss_plot.plot.height() >= MIN_PLOT_HEIGHT and w.height() <= 560
    w.close()


# -- 5. a refusal under a training field goes once the field shows a valid value again ------------------------
def test_a_refused_learning_rate_message_goes_after_esc_a_step_and_undo(win, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    lr = win.training.learning_rate
    shown = lr.text()

    def refuse():
        lr.setFocus()
        lr.selectAll()
        QTest.keyClicks(lr, "-")
        QTest.keyClick(lr, Qt.Key_Return)
        assert lr.error.isVisible() and "not a number" in lr.error.text() and lr.text() == shown

    refuse()
    QTest.keyClick(lr, Qt.Key_Escape)
    assert not lr.error.isVisible() and lr.text() == shown
    refuse()
    win.controller.step()
    QApplication.processEvents()
    assert not lr.error.isVisible()
    refuse()
    win.act_undo.trigger()
    QApplication.processEvents()
    assert not lr.error.isVisible() and lr.text() == shown
    # a refusal still shows until something happens (it is not cleared on the spot)
    refuse()
    QApplication.processEvents()
    assert lr.error.isVisible()


# -- 9. the menu, the README and the example agree on what the symmetry example is ------------------------------
def test_the_symmetry_example_is_named_for_what_it_is():
    from pathlib import Path

    from backprop_lab.core import EXAMPLES, load_example
    net = load_example("symmetry").network
    w_in, w_out = net.weights[0], net.weights[1]
    # every hidden neuron has the same non-zero weights in and out: equal, not zero
    assert (w_in == w_in[0]).all() and (w_out == w_out[0, 0]).all() and np.abs(w_in).min() > 0
    title = EXAMPLES["symmetry"][1]
    assert "equal non-zero starting weights" in title and "zero" not in title.replace("non-zero", "")
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert "| `symmetry.json` | equal non-zero starting weights" in readme and "all weights zero" not in readme


# -- 8. keys come back to the window when an error box closes (Ctrl+N did nothing after a refused CSV) ---------
def test_the_window_is_active_again_when_the_error_box_closes(qtbot, tmp_path, monkeypatch):
    w = moons_window(qtbot, tmp_path, monkeypatch)
    w.controller.error.emit("CSV not imported", "d3.csv has 3 input(s)", "")
    box = w.error_box
    qtbot.waitUntil(box.isVisible)
    box.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is box)
    box.done(0)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2000)
    hits = []
    w.data_features.act_new.triggered.disconnect()
    w.data_features.act_new.triggered.connect(lambda *a: hits.append(1))
    w.data_features.show_dock()
    w.data_features.panel.table.setFocus()
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    QTest.keyClick(QApplication.focusWidget() or w, Qt.Key_N, Qt.ControlModifier)
    assert hits == [1]
    w.close()


# -- 7. Import CSV: a typed path is previewed on Tab and on Enter (which does not import as well) -------------
@pytest.mark.parametrize("key", ["Tab", "Return"])
def test_a_typed_csv_path_is_previewed_and_not_imported_at_once(qtbot, tmp_path, key):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from backprop_lab.gui.csv_import_dialog import CsvImportDialog
    path, x, _ = three_column_csv(tmp_path)
    d = CsvImportDialog()
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    d.activateWindow()
    qtbot.waitUntil(d.isActiveWindow)
    d.path_edit.setFocus()
    qtbot.waitUntil(d.path_edit.hasFocus)
    QTest.keyClicks(d.path_edit, str(path))
    QTest.keyClick(d.path_edit, getattr(Qt, f"Key_{key}"))
    QApplication.processEvents()
    assert d.path() == str(path) and d.preview.rowCount() == len(x) and d.preview.columnCount() == 4
    assert d.preview.item(0, 0).text() == "-0.7"
    assert d.import_button.isEnabled() and d.result() == 0 and d.isVisible() and d.result_data() is None
    d.import_button.click()
    assert d.result_data() is not None and np.array_equal(d.result_data().inputs, x)


def test_the_data_docks_row_buttons_show_at_the_default_size(win):
    f = win.data_features
    f.show_dock()
    QApplication.processEvents()
    scroll = f.dock.widget()
    for b in (f.panel.table.findChildren(type(f.panel.apply_button))):
        bottom = b.mapTo(scroll.viewport(), b.rect().bottomLeft()).y()
        assert b.isVisible() and bottom < scroll.viewport().height(), b.text()


# -- 6. the weight editor's refusal is inside the diagram ------------------------------------------------------
def test_the_weight_editors_refusal_is_inside_the_viewport(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    w = moons_window(qtbot, tmp_path, monkeypatch, size=(1000, 700))
    d = w.diagram
    lay = d.layout_
    # the weight whose label is furthest right: its editor sits by the viewport's right edge
    el = max(lay.edges, key=lambda e: d.mapFromScene(d.label_anchor(e)).x())
    ed = d.open_editor(el)
    ed.setText("a very long text that is certainly not a number at all, and goes on")
    QTest.keyClick(ed, Qt.Key_Return)
    QApplication.processEvents()
    err = d.editor_error
    assert err.isVisible() and err.text()
    assert d.viewport().rect().contains(err.geometry()), (err.geometry(), d.viewport().rect())
    w.close()


# -- 10. a small window: docks keep a usable width, status fields elide instead of overlapping ----------------
def test_a_small_window_keeps_usable_docks_and_status_fields(qtbot, tmp_path, monkeypatch):
    from backprop_lab.gui.data_dock import DATA_MIN_WIDTH
    from backprop_lab.gui.main_window import DOCK_MIN_WIDTH, STATUS_MIN_WIDTH
    w = moons_window(qtbot, tmp_path, monkeypatch)
    w.data_features.show_dock()
    w.resize(800, 560)
    w.controller.step()
    qtbot.wait(30)
    assert w.width() <= 800 and w.height() <= 560
    assert w.training_dock.width() >= DOCK_MIN_WIDTH  # was about 55 px ("Tr…")
    assert w.data_features.dock.widget().width() >= DATA_MIN_WIDTH
    fields = [w.status_iter, w.status_sample, w.status_loss, w.insight.status_summary]
    rects = [f.geometry() for f in fields if f.isVisible()]
    for a, b in zip(rects, rects[1:]):
        assert a.right() < b.left(), (a, b)  # side by side, never over each other
    for f in fields[:3]:
        assert f.width() >= min(STATUS_MIN_WIDTH, f.sizeHint().width())
    assert rects[-1].right() <= w.statusBar().width()
    w.close()
