"""Retake the README's screenshots (docs/*.png) offscreen, in the default window size.

    python scripts/take_screenshots.py
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from backprop_lab.core import Element, load_example  # noqa: E402
from backprop_lab.gui.controller import SimulationController  # noqa: E402
from backprop_lab.gui.main_window import MainWindow  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs"


def settle(app: QApplication, seconds: float = 0.6) -> None:
    # Paced views (neuron pictures, input space, the accuracy line) draw a moment after each change.
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()


def shot(app: QApplication, sim, out: Path, f11: int = 0, select: Element | None = None) -> None:
    ini = Path(tempfile.mkdtemp()) / "settings.ini"
    win = MainWindow(SimulationController(sim), settings=QSettings(str(ini), QSettings.IniFormat))
    win.resize(1400, 880)
    win.show()
    settle(app)
    for _ in range(f11):
        QTest.keyClick(win.diagram, Qt.Key_F11)
    if select is not None:
        win.controller.select(select)
    settle(app)
    win.grab().save(str(out))
    print(f"wrote {out}")
    win.hide()
    win.deleteLater()


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    shot(app, load_example("mazur"), DOCS / "screenshot-step-into.png", f11=21)  # ∂E/∂w7 is being computed
    moons = load_example("moons")
    moons.run_epochs(60)
    shot(app, moons, DOCS / "screenshot-moons.png", select=Element("neuron", 2, 3))
    build(app, DOCS / "screenshot-build.png")
    return 0


def build(app: QApplication, out: Path) -> None:
    """What File ▸ New Network… makes (2-4-4-1 tanh on the circle, 20 % test), trained, then a neuron added."""
    from backprop_lab.gui.network_spec import NetworkSpec, build_simulation
    spec = NetworkSpec(sizes=(2, 4, 4, 1), activations=("tanh", "tanh", "tanh"), loss="mse", init_scheme="xavier",
                       init_seed=0, dataset_name="circle", dataset_options={"n_samples": 200, "noise": 0.05, "seed": 1},
                       test_fraction=0.2)
    sim = build_simulation(spec)
    sim.set_training(learning_rate=0.1, batch_size=10, shuffle=True)
    sim.run_epochs(150)
    ini = Path(tempfile.mkdtemp()) / "settings.ini"
    win = MainWindow(SimulationController(sim), settings=QSettings(str(ini), QSettings.IniFormat))
    win.resize(1400, 880)
    win.show()
    settle(app)
    win.controller.add_neuron(1)
    win.data_features.dock.show()
    win.data_features.dock.raise_()
    settle(app)
    win.grab().save(str(out))
    print(f"wrote {out}")
    win.hide()
    win.deleteLater()


if __name__ == "__main__":
    sys.exit(main())
