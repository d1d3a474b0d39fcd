"""The Data panel, the sample table, the CSV import dialog and File ▸ New Network…, driven as a person would."""
import inspect
import math
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QWidget,
)

from backprop_lab.core import ConfigError, Network, Simulation
from backprop_lab.core import datasets as ds
from backprop_lab.core.numbers import parse_int, parse_number
from backprop_lab.gui import csv_import_dialog, data_panel
from backprop_lab.gui.csv_import_dialog import CsvImportDialog
from backprop_lab.gui.data_panel import DataRequest
from backprop_lab.gui.new_network_dialog import NetworkSpec, build_simulation, spec_problems
from backprop_lab.gui.sample_table import SampleTable

CSV = Path(__file__).parent / "data" / "csv"
SIM_TAKES_TEST_SET = "test_inputs" in inspect.signature(Simulation.__init__).parameters


def emitted(signal):
    got = []
    signal.connect(lambda *a: got.append(a))
    return got


def fill(p, **texts):
    fields = {"samples": p.samples, "noise": p.noise, "seed": p.seed, "test": p.test_fraction,
              "classes": p.classes, "degree": p.degree}
    for k, v in texts.items():
        fields[k].set_text(v)


def choose(p, name):
    p.source.setCurrentIndex(p.source.findData(f"gen:{name}"))


def rows(a):
    return sorted(map(tuple, np.asarray(a).tolist()))


def shown(label):
    return label.isVisible() and label.text()


# -- plain numbers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["−5", "-5", "1_000", "abc", "1e3", "1.5", "0", "100001", "", "١٢", "1,000"])
def test_counts_accept_only_plain_whole_numbers(text):
    with pytest.raises(ValueError):
        parse_int(text, "Samples", 1, 100_000)


@pytest.mark.parametrize("text", ["nan", "inf", "1e999", "0x10", "1_0.5", "−0.5", "1,5", "abc", " ", "2"])
def test_fractions_accept_only_plain_finite_numbers_in_range(text):
    with pytest.raises(ValueError):
        parse_number(text, "Noise", 0.0, 1.0)


def test_plain_numbers_that_are_accepted():
    assert parse_int(" 200 ", "n", 1, 1000) == 200
    assert parse_number("-2.5e-1", "v") == -0.25
    assert parse_number(".5", "v") == 0.5 and parse_number("7.", "v") == 7.0
    assert parse_number("0.2", "f", 0.0, 1.0, hi_open=True) == 0.2
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        parse_number("1", "f", 0.0, 1.0, hi_open=True)
    with pytest.raises(ValueError, match="without '_'"):
        parse_int("1_000", "n")
    with pytest.raises(ValueError, match="minus sign"):
        parse_number("−5", "v")


# -- the Data panel --------------------------------------------------------------------------------------
def test_spiral_with_a_20_percent_test_split(panel, qtbot):
    panel.set_network_shape(2, 1, "sigmoid", "mse")
    choose(panel, "spiral")
    fill(panel, samples="200", noise="0.1", seed="7", test="0.2")
    got = emitted(panel.data_requested)
    with qtbot.waitSignal(panel.data_requested, timeout=2000):
        qtbot.mouseClick(panel.apply_button, Qt.LeftButton)
    req = got[0][0]
    assert isinstance(req, DataRequest)
    # ⌈200 · 0.2⌉ = 40 test samples, 160 for training.
    assert req.inputs.shape == (160, 2) and req.targets.shape == (160, 1)
    assert req.test_inputs.shape == (40, 2) and req.test_targets.shape == (40, 1)
    assert req.inputs.dtype == np.float64 and not req.inputs.flags.writeable
    # Together the two parts are exactly the generated set; no sample is in both.
    x, t = ds.make("spiral", n_samples=200, noise=0.1, seed=7)
    both = np.hstack([np.vstack([req.inputs, req.test_inputs]), np.vstack([req.targets, req.test_targets])])
    assert rows(both) == rows(np.hstack([x, t]))
    assert not set(map(tuple, req.inputs.tolist())) & set(map(tuple, req.test_inputs.tolist()))
    assert set(np.unique(req.targets)) == {0.0, 1.0}  # 0/1 for the sigmoid output
    assert req.description.startswith("Spiral: 200 samples, noise 0.1, seed 7")
    assert "40 of 200" in req.description
    # The same seed gives the same data and split; another seed another one.
    again = panel.apply()
    for a, b in zip((req.inputs, req.targets, req.test_inputs, req.test_targets),
                    (again.inputs, again.targets, again.test_inputs, again.test_targets)):
        assert np.array_equal(a, b)
    fill(panel, seed="8")
    other = panel.apply()
    assert not np.array_equal(other.inputs, req.inputs)
    assert len(got) == 3


def test_targets_follow_the_output_activation(panel):
    panel.set_network_shape(2, 1, "tanh", "mse")
    choose(panel, "xor")
    fill(panel, test="0")
    req = panel.apply()
    # The XOR truth table with ±1 targets for a tanh output; no test set.
    assert req.inputs.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert req.targets.ravel().tolist() == [-1, 1, 1, -1]
    assert req.test_inputs is None and req.test_targets is None


@pytest.mark.parametrize("field, text, reason", [
    ("samples", "−5", "whole number"), ("samples", "-5", "whole number"), ("samples", "1_000", "_"),
    ("samples", "abc", "not a number"), ("samples", "0", "from 1"), ("samples", "100001", "100,000"),
    ("noise", "2", "[0, 1]"), ("noise", "nan", "NaN is not allowed"), ("seed", "1.5", "whole number"),
    ("test", "1", "[0, 1)"), ("test", "abc", "not a number"),
])
def test_bad_fields_are_refused_beside_the_field_and_nothing_is_emitted(panel, qtbot, field, text, reason):
    panel.set_network_shape(2, 1, "sigmoid", "mse")
    choose(panel, "spiral")
    fill(panel, **{field: text})
    got = emitted(panel.data_requested)
    qtbot.mouseClick(panel.apply_button, Qt.LeftButton)
    assert got == []
    widget = {"test": panel.test_fraction}.get(field) or getattr(panel, field)
    assert widget.error.isVisible() and reason in widget.error.text()
    assert widget.error.textFormat() == Qt.PlainText
    assert "Not applied" in panel.status.text()
    # Corrected, the reason goes away and Apply works.
    widget.set_text({"samples": "50", "noise": "0", "seed": "3", "test": "0.2"}[field])
    assert not widget.error.isVisible()
    assert panel.apply() is not None and len(got) == 1


def test_tiny_sets_get_no_test_split_and_the_fraction_comes_back(panel, new_dialog):
    for dialog_or_panel, pick in ((panel, lambda n: choose(panel, n)), (new_dialog, new_dialog.set_dataset)):
        field = dialog_or_panel.test_fraction
        field.set_text("0.3")
        pick("worked_example")
        assert field.text() == "0"
        pick("xor")
        assert field.text() == "0"
        pick("spiral")
        assert field.text() == "0.3"
    req = panel.apply()
    assert len(req.test_inputs) == 60  # ⌈200 · 0.3⌉


def test_a_fraction_that_leaves_no_training_sample_is_refused(panel):
    choose(panel, "and")
    fill(panel, samples="4", test="0.9")  # ⌈4 · 0.9⌉ = 4 test samples: none left to train on
    got = emitted(panel.data_requested)
    assert panel.apply() is None and got == []
    assert "no training samples" in panel.test_fraction.error.text()


def test_data_that_does_not_fit_the_network_is_refused_with_the_reason(panel):
    got = emitted(panel.data_requested)
    panel.set_network_shape(1, 1, "linear", "mse")
    choose(panel, "spiral")
    assert "2 input(s)" in panel.fit.text() and "1 input(s)" in panel.fit.text()
    assert panel.apply() is None and "Not applied" in panel.status.text()
    choose(panel, "sine")  # 1 → 1 fits
    assert panel.fit_problem() == ""
    req = panel.apply()
    assert req.inputs.shape[1] == 1 and req.targets.shape[1] == 1
    assert len(got) == 1


def test_blobs_adapt_to_the_number_of_outputs(panel):
    panel.set_network_shape(2, 4, "softmax", "cross_entropy")
    choose(panel, "blobs")
    assert panel.classes.text() == "4"
    fill(panel, samples="40", test="0")
    req = panel.apply()
    assert req.targets.shape == (40, 4)
    assert np.array_equal(req.targets.sum(axis=1), np.ones(40)) and set(np.unique(req.targets)) == {0.0, 1.0}
    assert np.array_equal(np.bincount(req.targets.argmax(axis=1)), [10, 10, 10, 10])  # balanced classes
    # A class count that does not fit is explained, and the adapted one offered.
    fill(panel, classes="5")
    panel._update_fit()
    assert "5 target(s)" in panel.fit.text() and panel.adapt_button.isVisible()
    assert panel.adapt_button.text() == "Use 4 classes"
    assert panel.apply() is None
    panel.adapt_button.click()
    assert panel.classes.text() == "4" and panel.fit_problem() == ""
    # Blobs cannot have 1 class: refused with the reason.
    panel.set_network_shape(2, 1, "sigmoid", "mse")
    assert "3 to 20 outputs" in panel.fit.text() and not panel.adapt_button.isVisible()
    assert panel.apply() is None


def test_cross_entropy_targets_are_checked_before_emitting(panel):
    panel.set_network_shape(1, 1, "sigmoid", "cross_entropy")
    choose(panel, "sine")
    fill(panel, samples="100", noise="0.5", seed="1", test="0")  # (sin πx + 1)/2 + noise leaves [0, 1]
    got = emitted(panel.data_requested)
    assert panel.apply() is None and got == []
    assert "outside [0, 1]" in panel.status.text()
    fill(panel, noise="0")
    req = panel.apply()
    assert req.targets.min() >= 0 and req.targets.max() <= 1


def test_scaling_is_applied_to_the_data_with_the_training_sets_statistics(panel):
    panel.set_network_shape(2, 1, "sigmoid", "mse")
    choose(panel, "gaussians")
    fill(panel, samples="100", noise="0.4", seed="2", test="0.25")
    raw = panel.apply()
    panel.scaling.setCurrentIndex(panel.scaling.findData("standardise"))
    req = panel.apply()
    mean, sd = raw.inputs.mean(axis=0), np.sqrt(((raw.inputs - raw.inputs.mean(axis=0)) ** 2).mean(axis=0))
    assert np.allclose(req.inputs, (raw.inputs - mean) / sd, rtol=0, atol=1e-12)
    assert np.allclose(req.test_inputs, (raw.test_inputs - mean) / sd, rtol=0, atol=1e-12)
    assert np.array_equal(req.targets, raw.targets)
    assert "x1' = (x1 − " in req.description and "standardised" in req.description
    panel.scaling.setCurrentIndex(panel.scaling.findData("minmax"))
    req = panel.apply()
    assert np.allclose(req.inputs.min(axis=0), 0) and np.allclose(req.inputs.max(axis=0), 1)


def test_the_table_follows_set_data_and_current_data_can_be_split_again(panel):
    x = np.arange(20.0).reshape(10, 2)
    t = np.arange(10.0)[:, None] % 2
    panel.set_data(x, t, description="Ten points")
    assert panel.table.model.rowCount() == 10 and panel.table.model.columnCount() == 3
    assert panel.current.text() == "Ten points" and "10 samples, no test set" in panel.current_details.text()
    panel.set_data(x[:3], t[:3], x[3:5], t[3:5], "Fewer")
    assert panel.table.model.rowCount() == 3  # no stale rows
    assert "3 training + 2 test" in panel.current_details.text()
    panel.source.setCurrentIndex(panel.source.findData("current"))
    fill(panel, test="0.4", seed="0")
    req = panel.apply()
    # The test rows are put back, then ⌈5 · 0.4⌉ = 2 held out again.
    assert len(req.inputs) == 3 and len(req.test_inputs) == 2
    assert rows(np.vstack([req.inputs, req.test_inputs])) == rows(x[:5])
    assert req.description.startswith("Fewer")


def test_export_writes_training_then_test_rows(panel, tmp_path):
    assert not panel.export_csv(tmp_path / "none.csv")  # no data yet
    x, t = np.array([[0.1, 0.2], [0.3, 1e-300]]), np.array([[1.0], [0.0]])
    panel.set_data(x, t, np.array([[5.0, 6.0]]), np.array([[1.0]]))
    assert panel.export_csv(tmp_path / "d.csv")
    assert (tmp_path / "d.csv").read_text().splitlines() == ["x1,x2,t1", "0.1,0.2,1.0", "0.3,1e-300,0.0",
                                                             "5.0,6.0,1.0"]
    assert "Exported 3 samples" in panel.status.text()


def test_an_imported_csv_becomes_the_source_and_is_applied(panel):
    panel.set_network_shape(2, 3, "softmax", "cross_entropy")
    fill(panel, test="0")
    data = ds.read_csv_data(CSV / "classes.csv", one_hot="species")
    got = emitted(panel.data_requested)
    req = panel.use_imported(data, str(CSV / "classes.csv"))
    assert got and req.inputs.tolist() == [[5.1, 1.4], [7.0, 4.7], [6.3, 6.0], [4.9, 1.4]]
    assert req.targets.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]
    assert panel.source.currentText() == "CSV: classes.csv"
    panel.set_network_shape(3, 3, "softmax", "cross_entropy")  # now 2 input columns do not fit
    assert "classes.csv has 2 input(s)" in panel.fit.text()


# -- the sample table ------------------------------------------------------------------------------------
@pytest.fixture
def table(qtbot):
    w = SampleTable()
    qtbot.addWidget(w)
    w.resize(400, 300)
    w.show()
    qtbot.waitExposed(w)
    w.set_data(np.array([[0.05, 0.1], [1.0, 2.0], [3.0, 4.0]]), np.array([[0.01, 0.99], [1.0, 0.0], [0.0, 1.0]]))
    return w


def test_a_typed_edit_emits_the_sample_and_changes_nothing_by_itself(table, qtbot):
    got = emitted(table.sample_edited)
    m = table.model
    assert m.headerData(0, Qt.Horizontal) == "i1" and m.headerData(3, Qt.Horizontal) == "t2"
    idx = m.index(1, 2)
    table.view.setFocus()
    table.view.setCurrentIndex(idx)
    table.view.edit(idx)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "1.0"
    editor.selectAll()
    qtbot.keyClicks(editor, "0.25")
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: got != [], timeout=2000)  # the delegate commits through a queued call
    assert got == [(1, 2, 0.25)]
    assert m.targets[1, 0] == 1.0  # unchanged until the owner answers with set_data
    x, t = m.inputs.copy(), m.targets.copy()
    t[1, 0] = 0.25
    table.set_data(x, t)
    assert m.data(idx, Qt.DisplayRole) == "0.25" and table.view.currentIndex() == idx


@pytest.mark.parametrize("text", ["abc", "1_000", "−1", "nan", "inf", "1,5", ""])
def test_a_bad_edit_is_refused_with_the_reason(table, text):
    got = emitted(table.sample_edited)
    assert not table.model.setData(table.model.index(0, 0), text, Qt.EditRole)
    assert got == [] and table.model.inputs[0, 0] == 0.05
    assert table.message.isVisible() and "i1 of sample 1" in table.message.text()
    assert "unchanged" in table.message.text()


def test_cross_entropy_targets_are_refused_in_the_table(table):
    got = emitted(table.sample_edited)
    m = table.model
    table.set_target_rule("cross_entropy", "sigmoid")
    assert not m.setData(m.index(0, 2), "1.5", Qt.EditRole)
    assert "outside [0, 1]" in table.message.text()
    assert m.setData(m.index(0, 2), "0.5", Qt.EditRole)
    table.set_target_rule("cross_entropy", "softmax")
    assert not m.setData(m.index(1, 2), "0.5", Qt.EditRole)  # 0.5 + 0 ≠ 1
    assert "sum to 0.5" in table.message.text()
    assert m.setData(m.index(1, 0), "-7", Qt.EditRole)  # inputs are free
    assert got == [(0, 2, 0.5), (1, 0, -7.0)]


def test_add_and_remove_rows(table, qtbot):
    added, removed = emitted(table.sample_added), emitted(table.sample_removed)
    table.view.setCurrentIndex(table.model.index(1, 0))
    qtbot.mouseClick(table.add_button, Qt.LeftButton)
    assert len(added) == 1
    assert added[0][0].tolist() == [1.0, 2.0] and added[0][1].tolist() == [1.0, 0.0]
    table.view.setCurrentIndex(table.model.index(2, 1))
    qtbot.mouseClick(table.remove_button, Qt.LeftButton)
    assert removed == [(2,)]
    table.set_data(np.array([[1.0, 2.0]]), np.array([[0.0, 1.0]]))
    qtbot.mouseClick(table.remove_button, Qt.LeftButton)  # the last sample stays
    assert removed == [(2,)] and "at least one sample" in table.message.text()
    assert table.model.rowCount() == 1 and table.count_label.text() == "1 sample"


def test_outputs_are_read_only_columns(table):
    m = table.model
    table.set_outputs(np.array([[0.1, 0.9], [0.2, 0.8], [0.3, 0.7]]))
    assert m.columnCount() == 6 and m.headerData(4, Qt.Horizontal) == "o1"
    assert not m.flags(m.index(0, 4)) & Qt.ItemIsEditable and m.flags(m.index(0, 0)) & Qt.ItemIsEditable
    assert not m.setData(m.index(0, 4), "0.5", Qt.EditRole)
    assert m.data(m.index(2, 5), Qt.DisplayRole) == "0.7"
    with pytest.raises(ValueError):
        table.set_outputs(np.zeros((2, 2)))
    table.set_data(np.zeros((5, 2)), np.zeros((5, 2)))  # other rows: the stale outputs go
    assert m.columnCount() == 4
    table.set_outputs(None)
    assert m.columnCount() == 4


def test_the_table_with_100000_rows_asks_only_for_the_visible_cells(table, monkeypatch):
    """What makes 100,000 rows cheap, counted instead of timed: a reset, an answered edit and new outputs each
    ask the model only for the cells on screen, as many as with 10,000 rows (the view never measures every
    row; the row header looks at a fixed sample of its sections for its width)."""
    rng = np.random.default_rng(4)
    x, t = rng.normal(size=(100_000, 2)), rng.normal(size=(100_000, 1))
    app = QApplication.instance()
    calls = []
    m = table.model
    real_data, real_header = m.data, m.headerData
    monkeypatch.setattr(m, "data", lambda *a: calls.append(a[0].row()) or real_data(*a))
    monkeypatch.setattr(m, "headerData", lambda *a: calls.append(-1) or real_header(*a))

    def asked(f):
        app.processEvents()
        calls.clear()
        f()
        app.processEvents()  # includes the repaint of the visible rows
        return len(calls), max(calls, default=0)

    counts = {}
    for n in (10_000, 100_000):
        table.set_data(x[:7], t[:7])
        reset = asked(lambda: table.set_data(x[:n], t[:n]))                # a new shape: a reset
        edit = asked(lambda: table.set_data(x[:n] + 1.0, t[:n]))           # an answered edit: same shape
        table.set_outputs(x[:n, :1])
        outputs = asked(lambda: table.set_outputs(x[:n, 1:]))
        counts[n] = (reset, edit, outputs)
    assert table.model.rowCount() == 100_000
    for small, big in zip(counts[10_000], counts[100_000]):
        assert big[0] <= small[0] + 20, counts  # the same cells
        assert big[1] < 40, counts  # never a row below the visible ones


# -- the CSV import dialog -------------------------------------------------------------------------------
@pytest.fixture
def csv_dialog(qtbot):
    d = CsvImportDialog()
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


def test_csv_import_with_a_class_column(csv_dialog):
    d = csv_dialog
    assert d.set_path(CSV / "classes.csv")
    assert d.preview.rowCount() == 4 and d.preview.horizontalHeaderItem(2).text() == "species"
    assert d.preview.item(1, 2).text() == "versicolor"
    assert d.chosen() == ([0, 1], [], 2)  # text labels in the last column: one-hot by default
    assert d.import_data() and d.result() == QDialog.Accepted
    data = d.result_data()
    assert data.inputs.tolist() == [[5.1, 1.4], [7.0, 4.7], [6.3, 6.0], [4.9, 1.4]]
    assert data.targets.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]
    assert data.classes == ["setosa", "versicolor", "virginica"]


def test_csv_import_with_chosen_columns_and_header_modes(csv_dialog):
    d = csv_dialog
    d.set_path(CSV / "header.csv")
    assert d.chosen() == ([0, 1], [2], None) and d.header.currentText() == "Detect (found a header row)"
    d.set_columns([1], [0, 2])
    assert d.import_data()
    assert d.result_data().inputs.ravel().tolist() == [-1.25, 3.0, 7.0]
    assert d.result_data().targets.tolist() == [[0.5, 1.0], [0.002, 0.0], [0.5, 1.0]]
    d.set_header(False)  # the header row becomes data: "x1" is not a number
    assert d.preview.rowCount() == 4
    assert not d.import_data() and d.result_data() is None
    assert "line 1" in d.error.text() and "'x1' is not a number" in d.error.text()


@pytest.mark.parametrize("name, where", [("ragged.csv", "line 3, column 3"), ("abc.csv", "line 3, column 2")])
def test_bad_csv_files_are_refused_naming_the_line(csv_dialog, name, where):
    d = csv_dialog
    assert d.set_path(CSV / name)  # the preview shows the rows as they are
    assert not d.import_data()
    assert d.result_data() is None and d.result() != QDialog.Accepted
    assert d.error.isVisible() and where in d.error.text() and "Nothing was imported" in d.error.text()
    assert d.error.textFormat() == Qt.PlainText


def test_a_file_that_cannot_be_previewed(csv_dialog, tmp_path):
    d = csv_dialog
    bad = tmp_path / '<img src="x">.csv'
    bad.write_bytes(b"a,b\n1,\x00\n")
    assert not d.set_path(bad)
    assert "binary content" in d.error.text() and '<img src="x">' in d.error.text()
    assert d.error.textFormat() == Qt.PlainText and not d.import_button.isEnabled()
    assert not d.set_path(tmp_path / "missing.csv") and "cannot read" in d.error.text()


def test_csv_choices_that_cannot_import(csv_dialog):
    d = csv_dialog
    d.set_path(CSV / "header.csv")
    d.set_columns([], [2])
    assert not d.import_data() and "at least one input" in d.error.text()
    d.set_columns([0], [])
    assert not d.import_data() and "target" in d.error.text()


# -- File ▸ New Network… ---------------------------------------------------------------------------------
def test_new_network_2_4_4_1_tanh_on_the_spiral_with_a_test_split_trains(new_dialog, qtbot):
    d = new_dialog
    d.set_dataset("spiral")
    assert d.set_sizes_text("2-4-4-1")
    assert [c.currentText() for c in d.act_combos] == ["tanh", "tanh", "tanh"]
    d.test_fraction.set_text("0.2")
    d.data_seed.set_text("3")
    d._refresh()
    assert d.problems() == [] and d.create_button.isEnabled()
    qtbot.mouseClick(d.create_button, Qt.LeftButton)
    sim = d.simulation()
    assert d.result() == QDialog.Accepted and sim is not None
    assert sim.network.sizes == (2, 4, 4, 1) and sim.network.activation_names == ["tanh", "tanh", "tanh"]
    assert sim.name == "2-4-4-1 tanh on spiral"
    assert sim.inputs.shape == (160, 2) and sim.targets.shape == (160, 1)
    assert set(np.unique(sim.targets)) == {-1.0, 1.0}  # ±1 targets for the tanh output
    if SIM_TAKES_TEST_SET:
        assert sim.test_inputs.shape == (40, 2) and sim.test_targets.shape == (40, 1)
        assert "; 40 test samples held out." in sim.notes
    else:  # the notes must not claim a test set the simulation does not have
        assert "40 samples held out for a test set, which this version of the engine does not keep" in sim.notes
    # Xavier weights: within ±√(6/(n_in + n_out)) per layer, zero biases, not all equal.
    for l, (n_in, n_out) in enumerate([(2, 4), (4, 4), (4, 1)]):
        w = sim.network.weights[l]
        assert np.abs(w).max() <= math.sqrt(6 / (n_in + n_out)) and len(np.unique(w)) == w.size
        assert not sim.network.biases[l].any()
    before, theta = sim.loss(), sim.network.theta.copy()
    sim.run(10)
    assert sim.iteration == 10 and sim.loss() != before and not np.array_equal(sim.network.theta, theta)
    # The spec builds the same simulation again (same seeds, same numbers).
    twin = build_simulation(d.spec())
    assert np.array_equal(twin.network.theta, theta) and np.array_equal(twin.inputs, sim.inputs)


def test_softmax_is_only_offered_on_the_output_layer(new_dialog):
    d = new_dialog
    d.set_sizes_text("2-4-4-3")
    hidden, output = d.act_combos[0], d.act_combos[-1]
    assert hidden.findText("softmax") < 0 and output.findText("softmax") >= 0
    assert "output layer" in d.set_activation(1, "softmax")
    assert hidden.currentText() == "tanh"
    spec = NetworkSpec((2, 4, 3), ("softmax", "softmax"), "mse", "xavier", 0, "blobs",
                       {"n_samples": 30, "noise": 0.0, "seed": 0, "classes": 3}, 0.0)
    assert any("Hidden layer 1: softmax is only allowed on the output" in p for p in spec_problems(spec))
    with pytest.raises(ConfigError, match="softmax is only allowed on the output"):
        build_simulation(spec)


def test_cross_entropy_needs_a_sigmoid_or_softmax_output(new_dialog):
    d = new_dialog
    d.set_sizes_text("2-3-1")
    ce = d.loss.model().item(d.loss.findData("cross_entropy"))
    assert d.act_combos[-1].currentText() == "tanh" and not ce.isEnabled() and "sigmoid or softmax" in ce.toolTip()
    assert "sigmoid or softmax" in d.set_loss("cross_entropy") and d.loss.currentData() == "mse"
    assert d.set_activation(2, "sigmoid") == "" and ce.isEnabled()
    assert d.set_loss("cross_entropy") == ""
    d.set_activation(2, "tanh")  # now the combination is invalid: said, and Create refuses
    assert any("Cross-entropy needs a sigmoid or softmax output" in p for p in d.problems())
    assert d.problems_label.isVisible() and not d.create_button.isEnabled()
    assert d.create() is None and d.simulation() is None
    spec = NetworkSpec((2, 3, 1), ("tanh", "tanh"), "cross_entropy", "xavier", 0, "spiral",
                       {"n_samples": 20, "noise": 0.0, "seed": 0}, 0.0)
    with pytest.raises(ConfigError, match="Cross-entropy needs"):
        build_simulation(spec)


@pytest.mark.parametrize("text, reason", [("2-2000-1", "1 to 1,024"), ("2-abc-1", "not a number"),
                                          ("2", "at least an input and an output"),
                                          ("-".join(["2"] * 18), "at most 16 layers"), ("2-0-1", "1 to 1,024")])
def test_sizes_outside_the_limits_are_refused(new_dialog, text, reason):
    d = new_dialog
    d.sizes_edit.setText(text)  # typed, then Enter or Tab
    assert not d.set_sizes_text(text)
    assert d.sizes_error.isVisible() and reason in d.sizes_error.text()
    assert d._sizes == [2, 4, 4, 1]
    # (a new-user tester: Create stayed enabled and built the last accepted sizes, 2-4-4-1)
    assert not d.create_button.isEnabled() and any(reason in p for p in d.problems())
    assert d.create() is None and d.simulation() is None
    d.sizes_edit.setText("2-3-1")  # typed, not applied yet: Create waits for Enter
    assert d.problems()[0].startswith("Sizes: press Enter") and d.create() is None
    assert d.set_sizes_text("2-3-1") and d.create_button.isEnabled() and d.create() is not None


def test_hidden_layers_are_added_and_removed_up_to_the_limit(new_dialog, qtbot):
    d = new_dialog
    d.set_sizes_text("2-1")
    assert len(d.act_combos) == 1
    for _ in range(15):
        qtbot.mouseClick(d.add_layer, Qt.LeftButton)
    assert len(d._sizes) == 17 and not d.add_layer.isEnabled()  # 16 dense layers
    d._on_remove_layer(3)
    assert len(d._sizes) == 16 and d.add_layer.isEnabled() and d.sizes_edit.text().count("-") == 15


def test_blobs_take_one_class_per_output(new_dialog):
    d = new_dialog
    d.set_activation(2, "softmax")
    d.set_dataset("blobs")
    assert d._sizes[-1] == 3
    d.size_spins[-1].setValue(4)
    d.set_activation(3, "softmax")
    assert d.set_loss("cross_entropy") == ""
    sim = d.create()
    assert sim.targets.shape[1] == 4 and np.array_equal(sim.targets.sum(axis=1), np.ones(len(sim.targets)))
    assert sim.settings.loss == "cross_entropy"


def test_keep_the_current_data(new_dialog):
    d = new_dialog
    x, t = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]), np.array([[0.5, -0.5], [1.0, 2.0]])
    d.set_current_data(x, t, description="My data")
    d.set_dataset("")
    assert d._sizes[0] == 3 and d._sizes[-1] == 2 and not d.test_fraction.isEnabled()
    sim = d.create()
    assert np.array_equal(sim.inputs, x) and np.array_equal(sim.targets, t)
    assert sim.name == "3-4-4-2 tanh on the current data"


def inside_a_compound_widget(w, root):
    """Parts of a combo box (its popup list) or a spin box (its line edit) are named by their owner."""
    p = w.parentWidget()
    while p is not None and p is not root:
        if isinstance(p, (QComboBox, QAbstractSpinBox)):
            return True
        p = p.parentWidget()
    return False


def test_every_control_has_a_name_and_a_tooltip(qtbot, panel, new_dialog, csv_dialog):
    csv_dialog.set_path(CSV / "classes.csv")
    panel.set_data(np.zeros((3, 2)), np.zeros((3, 1)), description="<b>bold?</b>")
    assert panel.current.textFormat() == Qt.PlainText
    for root in (panel, new_dialog, csv_dialog):
        kinds = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView)
        controls = [w for w in root.findChildren(QWidget) if isinstance(w, kinds)
                    and w.focusPolicy() != Qt.NoFocus and not inside_a_compound_widget(w, root)]
        assert len(controls) > 8
        for w in controls:
            assert w.accessibleName(), (root, w, getattr(w, "text", lambda: "")())
            assert w.toolTip(), (root, w, w.accessibleName())
        for label in root.findChildren(QLabel):
            if label.accessibleName():  # labels that show data or file content
                assert label.textFormat() == Qt.PlainText, label.accessibleName()


def test_tab_order_of_the_new_network_dialog_follows_the_screen(new_dialog):
    d = new_dialog
    d.set_sizes_text("2-4-4-1")
    expected = [d.sizes_edit, d.size_spins[0], d.size_spins[1], d.act_combos[0], d.size_spins[2], d.act_combos[1],
                d.size_spins[3], d.act_combos[2], d.add_layer, d.loss, d.scheme, d.init_seed.edit, d.dataset,
                d.samples.edit, d.noise.edit]
    chain, w = [], d.sizes_edit
    for _ in range(200):
        if w in expected and w not in chain:
            chain.append(w)
        w = w.nextInFocusChain()
    assert chain == expected


def test_networks_built_from_a_spec_are_reproducible():
    spec = NetworkSpec((1, 8, 1), ("tanh", "linear"), "mse", "he", 5, "sine",
                       {"n_samples": 50, "noise": 0.1, "seed": 9, "targets": "pm1"}, 0.2)
    a, b = build_simulation(spec), build_simulation(spec)
    assert np.array_equal(a.network.theta, b.network.theta) and np.array_equal(a.inputs, b.inputs)
    assert a.inputs.shape == (40, 1) and spec.title() == "1-8-1 tanh/linear on sine"
    assert spec.n_params == (1 + 1) * 8 + (8 + 1) * 1 == Network(spec.sizes, spec.activations).n_params
    other = build_simulation(NetworkSpec(*[getattr(spec, f) for f in ("sizes", "activations", "loss", "init_scheme")],
                                         6, spec.dataset_name, spec.dataset_options, spec.test_fraction))
    assert not np.array_equal(other.network.theta, a.network.theta) and np.array_equal(other.inputs, a.inputs)


def test_building_from_a_spec_needs_no_qt():
    code = ("import sys; from backprop_lab.gui.network_spec import NetworkSpec, build_simulation; "
            "s = build_simulation(NetworkSpec((2, 3, 1), ('tanh', 'sigmoid'), 'cross_entropy', 'xavier', 1, 'xor', "
            "{'n_samples': 8, 'noise': 0.1, 'seed': 2, 'targets': '01'}, 0.25)); "
            "print(s.name, s.inputs.shape, any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "2-3-1 tanh/sigmoid on xor (6, 2) False"


@pytest.mark.parametrize("change, message", [
    ({"sizes": (2, "4", 1)}, "whole numbers"), ({"sizes": "2-4-1"}, "sequence"), ({"init_seed": 1.5}, "seed"),
    ({"test_fraction": "0.2"}, "test fraction"), ({"sizes": (2, 2000, 1)}, "1 to 1,024"),
    ({"dataset_name": "nope"}, "unknown dataset"), ({"init_scheme": "magic"}, "Unknown initialisation"),
])
def test_bad_specs_are_refused_with_a_config_error(change, message):
    fields = dict(sizes=(2, 4, 1), activations=("tanh", "tanh"), loss="mse", init_scheme="xavier", init_seed=0,
                  dataset_name="spiral", dataset_options={"n_samples": 20}, test_fraction=0.0)
    fields.update(change)
    with pytest.raises(ConfigError, match=message):
        build_simulation(NetworkSpec(**fields))


def test_the_import_and_export_buttons(panel, qtbot, monkeypatch, tmp_path):
    def fake_exec(dialog):  # what a person does in the modal dialog: choose the file, press Import
        dialog.set_path(CSV / "classes.csv")
        return QDialog.Accepted if dialog.import_data() else QDialog.Rejected

    monkeypatch.setattr(CsvImportDialog, "exec", fake_exec)
    panel.set_network_shape(2, 3, "softmax", "cross_entropy")
    fill(panel, test="0.25")
    with qtbot.waitSignal(panel.data_requested, timeout=2000) as blocker:
        qtbot.mouseClick(panel.import_button, Qt.LeftButton)
    req = blocker.args[0]
    assert len(req.inputs) == 3 and len(req.test_inputs) == 1  # ⌈4 · 0.25⌉ = 1
    assert "classes.csv: 4 rows" in req.description
    panel.set_data(req.inputs, req.targets, req.test_inputs, req.test_targets, req.description)
    out = tmp_path / "out.csv"
    monkeypatch.setattr("backprop_lab.gui.data_panel.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), ""))
    qtbot.mouseClick(panel.export_button, Qt.LeftButton)
    x, t = ds.read_csv(out, targets=[2, 3, 4])
    assert rows(np.hstack([x, t])) == rows(np.hstack([np.vstack([req.inputs, req.test_inputs]),
                                                      np.vstack([req.targets, req.test_targets])]))


# -- slow file work stays off the GUI thread ---------------------------------------------------------------
def test_a_large_csv_is_imported_while_the_window_stays_responsive(csv_dialog, qtbot, monkeypatch):
    """The read blocks until the GUI thread's own timer releases it: a read on the GUI thread never would."""
    d = csv_dialog
    assert d.set_path(CSV / "classes.csv")
    monkeypatch.setattr(csv_import_dialog, "BACKGROUND_BYTES", 0)  # "large": any file with a byte in it
    release, seen = threading.Event(), {}
    real = ds.read_csv_data

    def slow_read(*args, **kwargs):
        seen["released"] = release.wait(5)
        seen["thread"] = threading.current_thread()
        return real(*args, **kwargs)

    monkeypatch.setattr(ds, "read_csv_data", slow_read)
    QTimer.singleShot(50, release.set)  # runs only if the event loop is free while the file is read
    with qtbot.waitSignal(d.import_finished, timeout=10_000) as blocker:
        assert d.import_data() is None  # started, not done
        assert not d.import_button.isEnabled() and "Importing" in d.summary.text()
    assert blocker.args == [True] and seen["released"] and seen["thread"] is not threading.main_thread()
    assert d.result() == QDialog.Accepted and d.result_data().classes == ["setosa", "versicolor", "virginica"]


def test_a_bad_large_csv_is_refused_after_the_background_read(csv_dialog, qtbot, monkeypatch):
    d = csv_dialog
    assert d.set_path(CSV / "abc.csv")
    monkeypatch.setattr(csv_import_dialog, "BACKGROUND_BYTES", 0)
    with qtbot.waitSignal(d.import_finished, timeout=10_000) as blocker:
        assert d.import_data() is None
    assert blocker.args == [False] and d.result_data() is None and d.result() != QDialog.Accepted
    assert "Nothing was imported" in d.error.text() and "line 3, column 2" in d.error.text()
    assert d.import_button.isEnabled()  # ready for another try


def test_a_large_export_is_written_in_the_background(panel, qtbot, monkeypatch, tmp_path):
    monkeypatch.setattr(data_panel, "BACKGROUND_NUMBERS", 0)
    x, t = np.array([[0.1, 0.2], [0.3, 1e-300]]), np.array([[1.0], [0.0]])
    panel.set_data(x, t)
    with qtbot.waitSignal(panel.export_finished, timeout=10_000) as blocker:
        assert panel.export_csv(tmp_path / "d.csv") is None
        assert "Exporting 2 samples" in panel.status.text()
    assert blocker.args == [True] and "Exported 2 samples" in panel.status.text()
    assert (tmp_path / "d.csv").read_text().splitlines() == ["x1,x2,t1", "0.1,0.2,1.0", "0.3,1e-300,0.0"]
    with qtbot.waitSignal(panel.export_finished, timeout=10_000) as blocker:
        panel.export_csv(tmp_path / "no-such-folder" / "d.csv")
    assert blocker.args == [False] and "Not exported" in panel.status.text() and "no-such-folder" in panel.status.text()


def test_an_export_too_large_to_import_again_says_so(panel, monkeypatch, tmp_path):
    monkeypatch.setattr(ds, "MAX_CSV_BYTES", 10)
    panel.set_data(np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[1.0], [0.0]]))
    assert panel.export_csv(tmp_path / "d.csv")
    assert "Exported 2 samples" in panel.status.text() and "that Import CSV reads back" in panel.status.text()


def test_logic_gates_need_their_truth_table(panel, new_dialog):
    choose(panel, "and")
    fill(panel, samples="3", test="0")
    assert panel.apply() is None
    assert "Samples: Logic gate AND needs at least 4" in panel.samples.error.text()
    new_dialog.set_dataset("xor")
    new_dialog.samples.set_text("2")
    assert "Logic gate XOR needs at least 4 samples (its truth table)." in new_dialog.problems()
    assert ds.min_samples("xnor") == 4 and ds.min_samples("spiral") == 1


def test_the_preview_guesses_numbers_by_the_import_rule(csv_dialog, tmp_path):
    """float() takes '1_000' and Arabic-Indic digits; the import does not, so the preview must not call them numbers."""
    p = tmp_path / "labels.csv"
    p.write_text("x,label\n0.5,1_000\n1.5,\u0661\u0662\n", encoding="utf-8")
    d = csv_dialog
    assert d.set_path(p)
    assert d.preview.item(0, 0).foreground().color() != QColor(Qt.darkGray)  # 0.5: a number
    assert d.preview.item(0, 1).foreground().color() == QColor(Qt.darkGray)  # shown as text
    assert d.chosen() == ([0], [], 1)  # text labels: a one-hot class column by default
    assert d.import_data() and d.result_data().classes == ["1_000", "\u0661\u0662"]


def test_cancel_during_a_background_import_drops_its_outcome(csv_dialog, qtbot, monkeypatch):
    d = csv_dialog
    assert d.set_path(CSV / "classes.csv")
    monkeypatch.setattr(csv_import_dialog, "BACKGROUND_BYTES", 0)
    release = threading.Event()
    real = ds.read_csv_data
    monkeypatch.setattr(ds, "read_csv_data", lambda *a, **k: (release.wait(5), real(*a, **k))[1])
    finished = emitted(d.import_finished)
    assert d.import_data() is None
    job = d._job
    d.reject()
    release.set()
    assert job.wait(5)
    qtbot.wait(50)  # the outcome's queued delivery, if it were still connected
    assert finished == [] and d.result() == QDialog.Rejected and d.result_data() is None


def test_the_data_panel_starts_from_the_open_files_data_and_forgets_old_results(qtbot, win):
    # (a third new-user tester: after New Network on circle data the panel's source was still Spiral; changing
    # only the test fraction and Apply made spiral data; "Applied: …" stayed after Ctrl+Z and after another file)
    import numpy as np
    c, p = win.controller, win.data_features.panel
    c.open_example("moons")
    assert p.source.currentData() == "current"
    x = c.sim.inputs.copy()
    n = len(x) + (0 if c.sim.test_inputs is None else len(c.sim.test_inputs))
    p.test_fraction.set_text("0.25")
    assert p.apply() is not None and p.status.text().startswith("Applied")
    both = np.vstack([c.sim.inputs] + ([c.sim.test_inputs] if c.sim.test_inputs is not None else []))
    assert len(both) == n and len(c.sim.test_inputs) == round(0.25 * n)  # the same samples, split again
    assert {tuple(r) for r in both} >= {tuple(r) for r in x}
    c.undo()
    assert p.status.text() == ""  # the data it spoke of is gone
    p.source.setCurrentIndex(p.source.findData("gen:spiral"))
    c.open_example("xor")
    assert p.source.currentData() == "current" and p.status.text() == ""


def test_a_refused_edit_in_a_scrolled_panel_brings_its_reason_into_view(qtbot):
    # (a third new-user tester: "abc" in a cell just reverted it; the reason sat below the visible part of the
    # Data dock, found only by scrolling)
    from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget
    area = QScrollArea()
    qtbot.addWidget(area)
    area.setWidgetResizable(True)
    inner = QWidget()
    lay = QVBoxLayout(inner)
    table = SampleTable()
    lay.addWidget(table)
    table.setMinimumHeight(900)  # taller than the area: the line below the table is out of view
    area.setWidget(inner)
    area.resize(400, 300)
    area.show()
    qtbot.waitExposed(area)
    table.set_data(np.array([[0.05, 0.1], [1.0, 2.0]]), np.array([[0.01], [1.0]]))
    assert not table.model.setData(table.model.index(0, 0), "abc", Qt.EditRole)
    view = area.viewport()

    def in_view():
        top = table.message.mapTo(view, table.message.rect().topLeft()).y()
        return table.message.isVisible() and 0 <= top and top + table.message.height() <= view.height()
    qtbot.waitUntil(in_view, timeout=2000)
