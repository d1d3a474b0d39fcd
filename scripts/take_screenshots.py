"""Retake the README's screenshots (docs/*.png) offscreen, in the default window size.

    python scripts/take_screenshots.py
"""
from __future__ import annotations

import os
import sys
import tempfile
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


def settle(app: QApplication) -> None:
    for _ in range(10):
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
