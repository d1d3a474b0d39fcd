"""Large state files are parsed by a child process (parsing holds the interpreter lock, so a worker thread would
still stall the window): same result as loading in-process, errors and Cancel handled, the child never left running."""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from backprop_lab.core import (
    Cancelled,
    Simulation,
    StateFileError,
    load_example,
    load_in_process,
    load_process,
    save_in_process,
)


def _saved(tmp_path, name: str, steps: int = 3) -> str:
    sim = load_example(name)
    for _ in range(steps):
        sim.step()
    path = tmp_path / f"{name}.json"
    sim.save(path)
    return str(path)


@pytest.mark.parametrize("name", ["moons", "mazur"])  # mazur's plain-Python kernel does not pickle: loaded here
def test_the_child_gives_what_loading_here_gives(tmp_path, name):
    path = _saved(tmp_path, name)
    got, want = load_in_process(path), Simulation.load(path)
    assert np.array_equal(got.network.theta, want.network.theta)
    assert np.array_equal(got.inputs, want.inputs) and np.array_equal(got.targets, want.targets)
    assert np.array_equal(got.batch_loss.view(), want.batch_loss.view())
    assert (got.iteration, got.epoch, got.settings) == (want.iteration, want.epoch, want.settings)
    got.step()
    want.step()
    assert np.array_equal(got.network.theta, want.network.theta)  # and it trains on identically


def test_an_invalid_file_is_refused_with_the_childs_message(tmp_path):
    path = tmp_path / "bad.json"
    with open(_saved(tmp_path, "moons"), encoding="utf-8") as f:
        doc = json.load(f)
    doc["network"]["weights"][0][0][0] = "abc"
    path.write_text(json.dumps(doc))
    with pytest.raises(StateFileError, match=r"network\.weights\[0\]\[0\]\[0\]"):
        load_in_process(str(path))


def test_cancel_stops_and_kills_the_child(tmp_path, monkeypatch):
    children = []
    real = subprocess.Popen

    def popen(*a, **k):
        children.append(real(*a, **k))
        return children[-1]

    monkeypatch.setattr(load_process.subprocess, "Popen", popen)
    asked = []
    with pytest.raises(Cancelled):
        load_in_process(_saved(tmp_path, "moons"), cancel=lambda: asked.append(1) or len(asked) > 1)
    assert len(children) == 1 and children[0].poll() is not None  # ended, not left running


def test_the_window_opens_a_large_file_through_the_child(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    from backprop_lab.gui import long_work
    from backprop_lab.gui.controller import SimulationController
    from backprop_lab.gui.main_window import MainWindow

    used = []
    monkeypatch.setattr(long_work, "OPEN_IN_BACKGROUND_BYTES", 0)
    monkeypatch.setattr(long_work, "OPEN_IN_PROCESS_BYTES", 0)  # every file counts as very large
    monkeypatch.setattr(long_work, "load_in_process", lambda *a, **k: used.append(1) or load_in_process(*a, **k))
    w = MainWindow(SimulationController(load_example("mazur")),
                   settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)
    path = _saved(tmp_path, "moons", steps=5)
    assert long_work.open_file(w, path)
    assert used and w.controller.sim.iteration == 5 and w.controller.path == path
    assert np.array_equal(w.controller.sim.network.theta, Simulation.load(path).network.theta)
    w.controller.pause()


def test_the_child_writes_the_same_file_and_reports_failures(tmp_path):
    from backprop_lab.core.statefile import SaveError, dumps, state_document
    sim = load_example("moons")
    for _ in range(4):
        sim.step()
    doc = state_document(sim, arrays=True)
    target = tmp_path / "saved.json"
    save_in_process(doc, target)
    assert target.read_text(encoding="utf-8") == dumps(doc)  # the text the in-process writer makes
    assert np.array_equal(Simulation.load(target).network.theta, sim.network.theta)
    with pytest.raises(SaveError, match="missing"):
        save_in_process(doc, tmp_path / "missing" / "x.json")  # no such folder: the child's message comes back


def test_a_cancelled_save_kills_the_child_and_leaves_the_old_file(tmp_path, monkeypatch):
    from backprop_lab.core.statefile import state_document
    children = []
    real = subprocess.Popen
    monkeypatch.setattr(load_process.subprocess, "Popen",
                        lambda *a, **k: children.append(real(*a, **k)) or children[-1])
    target = tmp_path / "old.json"
    target.write_text("old", encoding="utf-8")
    asked = []
    with pytest.raises(Cancelled):
        save_in_process(state_document(load_example("moons"), arrays=True), target,
                        cancel=lambda: asked.append(1) or len(asked) > 1)
    assert children[0].poll() is not None and target.read_text(encoding="utf-8") == "old"
