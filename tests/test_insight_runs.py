"""Compared runs: setting changes marked mid-run, runs labelled with what they trained through, edits unsaved."""
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from backprop_lab.core import TrainingSettings, load_example
from backprop_lab.core.run_marks import SettingMark, SettingsLog
from backprop_lab.gui import dialogs as gui_dialogs
from backprop_lab.gui.controller import SimulationController
from backprop_lab.gui.main_window import MainWindow


# -- the Qt-free log --------------------------------------------------------------------------------------
def test_the_log_marks_a_mid_run_change_and_forgets_it_when_stepped_back_over():
    log = SettingsLog(TrainingSettings(learning_rate=0.5))
    assert log.note(0, TrainingSettings(learning_rate=2.0)) is None  # nothing trained yet: the run starts so
    assert log.start["learning_rate"] == 2.0 and log.marks == []
    m = log.note(150, TrainingSettings(learning_rate=0.5))
    assert m == SettingMark(150, "η = 0.5", log.marks[0].settings) and m.settings["learning_rate"] == 0.5
    assert log.settings_at(149)["learning_rate"] == 2.0 and log.settings_at(150)["learning_rate"] == 0.5
    assert log.note(150, TrainingSettings(learning_rate=0.5)) is None and len(log.marks) == 1  # no change
    log.note(200, TrainingSettings(learning_rate=0.5, momentum=0.9))
    assert [x.label for x in log.marks] == ["η = 0.5", "μ = 0.9"]
    # undo of the first change (announced at its iteration with the settings before it): both marks go
    assert log.note(150, TrainingSettings(learning_rate=2.0)) is None and log.marks == []
    # a step back to before a mark with other settings: the old mark goes, a new one (at the earlier point) comes
    log.note(150, TrainingSettings(learning_rate=0.5))
    m = log.note(100, TrainingSettings(learning_rate=1.0))
    assert [(x.iteration, x.label) for x in log.marks] == [(100, "η = 1")] and m is log.marks[0]


def test_a_kept_run_is_labelled_with_its_start_and_the_changes_it_trained_through():
    log = SettingsLog(TrainingSettings(learning_rate=0.5))
    log.note(150, TrainingSettings(learning_rate=2.0))
    # reset to the file's settings (η = 0.5): only the change differs
    assert log.describe_run(300, TrainingSettings(learning_rate=0.5)) == "η = 2 after iteration 150"
    # re-initialise (η stays 2): it started with η = 0.5, then changed
    assert log.describe_run(300, TrainingSettings(learning_rate=2.0), None, {"scheme": "xavier", "seed": 3}) == \
        "η = 0.5, weights from the file; η = 2 after iteration 150"
    # a change at the very end trained nothing: not part of the label
    assert log.describe_run(150, TrainingSettings(learning_rate=2.0)) == "η = 0.5"
    assert log.trained_marks(150) == [] and len(log.trained_marks(151)) == 1


# -- in the window ----------------------------------------------------------------------------------------
@pytest.fixture
def asked(monkeypatch):
    """The questions the window asked (answered Cancel: nothing is closed or lost)."""
    questions = []

    def question(*args, **kwargs):
        questions.append(args[2] if len(args) > 2 else "")
        return QMessageBox.Cancel
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: QMessageBox.Ok))
    monkeypatch.setattr(gui_dialogs, "show_plain_warning", lambda *a, **k: None)
    return questions


def window(qtbot, settings, sim):
    w = MainWindow(SimulationController(sim), settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.insight.runs_dock in w.tabifiedDockWidgets(w.plot_dock))
    return w


def close_discarding(w, monkeypatch):
    """Close the window, discarding its changes (a window left open keeps later tests' windows inactive)."""
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Discard))
    assert w.close()


def shown_marks(overlay):
    return [(line.value(), line.label.toPlainText()) for line in overlay._marks if line.isVisible()]


def test_a_setting_changed_mid_run_is_marked_on_the_loss_plots_and_follows_undo(qtbot, settings, asked,
                                                                                     monkeypatch):
    sim = load_example("xor")  # η = 2
    w = window(qtbot, settings, sim)
    c, ins = w.controller, w.insight
    msgs = []
    c.message.connect(msgs.append)
    for _ in range(5):
        c.step()
    assert c.set_training(learning_rate=0.5)
    assert msgs[-1].startswith("η = 0.5 from iteration 6 on: marked on the loss plot")
    for _ in range(3):
        c.step()
    # between iterations 5 and 6, on the main loss plot and on the compared-runs plot
    assert shown_marks(ins.main_overlay) == [(5.5, "η = 0.5")] == shown_marks(ins.runs.overlay)
    assert len(ins.runs.model) == 0  # the curve goes on: nothing is kept as an earlier run
    for _ in range(3):
        c.step_back()
    assert shown_marks(ins.main_overlay) == [(5.5, "η = 0.5")]  # the change is still in effect
    c.step_back()  # undoes the change itself
    assert sim.settings.learning_rate == 2.0 and shown_marks(ins.main_overlay) == []
    c.redo()
    assert shown_marks(ins.main_overlay) == [(5.5, "η = 0.5")]
    for _ in range(2):
        c.step()
    # Reset: the run is kept, labelled with the change it trained through; the new run has no marks
    c.reset()
    assert [r.label for r in ins.runs.model] == ["η = 0.5 after iteration 5"]
    assert ins.runs.model[0].settings["learning_rate"] == 0.5  # what its last iteration trained with
    np.testing.assert_array_equal(ins.runs.model[0].iterations, np.arange(1, 8))
    assert shown_marks(ins.main_overlay) == [] and shown_marks(ins.runs.overlay) == []
    # a change before any training starts the run with it: no mark; kept later, against a run with η = 2
    c.set_training(learning_rate=1.0)
    assert shown_marks(ins.main_overlay) == []
    for _ in range(2):
        c.step()
    c.set_training(learning_rate=2.0)  # at the end of the run: it trained nothing, so it is not in the label
    c.reinitialize("xavier", 1)
    assert ins.runs.model[1].label == "η = 1, weights from the file"
    close_discarding(w, monkeypatch)


def test_hiding_renaming_or_removing_a_run_is_an_unsaved_change(qtbot, settings, asked, tmp_path, monkeypatch):
    sim = load_example("xor")
    w = window(qtbot, settings, sim)
    c, runs = w.controller, w.insight.runs
    for _ in range(3):
        c.step()
    c.reinitialize("xavier", 3)
    for _ in range(2):
        c.step()
    c.reinitialize("xavier", 4)
    path = str(tmp_path / "runs.json")
    assert c.save(path) and not c.dirty and not w.isWindowModified()
    lst = runs.list.list

    def saved_again():
        assert c.save(path) and not c.dirty

    # hide: untick the first run's box (a click on its check box)
    item = lst.item(0)
    item.setCheckState(Qt.Unchecked)
    assert c.dirty and w.isWindowModified() and not runs.model[0].visible
    assert not w.maybe_save() and asked == ["The network has changes that are not saved. Save them first?"]
    saved_again()
    # rename (what the editor of a double-click commits)
    lst.item(1).setText("seed 3 run")
    assert c.dirty and runs.model[1].label == "seed 3 run"
    saved_again()
    # remove
    lst.setCurrentRow(0)
    runs.list.remove_button.click()
    assert c.dirty and len(runs.model) == 1
    saved_again()
    # the saved file has the edits; opening it is not a change
    assert c.open(path)
    assert [r.label for r in w.insight.runs.model] == ["seed 3 run"] and not c.dirty
    # undo does not bring a removed run back (like the display preferences, runs are not on the timeline)
    runs.list.remove_all()
    c.step_back()
    assert len(w.insight.runs.model) == 0 and c.dirty
    close_discarding(w, monkeypatch)


def test_a_run_kept_by_reset_is_an_unsaved_change_even_when_the_weights_are_the_files(qtbot, settings, asked,
                                                                                       tmp_path, monkeypatch):
    sim = load_example("xor")
    w = window(qtbot, settings, sim)
    c = w.controller
    path = str(tmp_path / "xor.json")
    assert c.save(path) and not c.dirty
    for _ in range(3):
        c.step()
    c.reset()  # back to the file's weights and counters, but a run was kept that the file does not have
    assert len(w.insight.runs.model) == 1 and c.dirty
    close_discarding(w, monkeypatch)
