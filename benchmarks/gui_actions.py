"""Per-action latency of the real window: a key press (or click) handled and repainted, offscreen.

Each sample is ``QTest.keyClick`` (or ``mouseClick``) and ``QApplication.processEvents()`` timed together,
which is what a person waits for after pressing a key.  About 50 presses of each of F10, F11, Shift+F10,
Shift+F11, a weight edit (Enter in the inline editor) and a selection (click on an edge), on the moons example
and on the worked example.

    python -m benchmarks.gui_actions            # prints a table (presses back to back)
    python -m benchmarks.gui_actions --gap 300  # 300 ms idle between presses: a person stepping and looking

Back to back, nothing the window does while idle can help the next press; with a gap it can (it computes the
next iteration's trace ahead, so F10 then only shows it).  The gap itself is not timed.

Each press is also split in two: the window's repaint pass (Qt paints every changed widget when the top-level
window handles its UpdateRequest event; timed by a benchmark-side subclass of the window) and the rest (the key's
handling: the controller and the views' updates).  The repaint pass is what no handling code can save: it is the
cost of drawing what the press changed, as the window draws it, on this machine.
"""
from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

ACTIONS = ("F10", "F11", "Shift+F10", "Shift+F11", "edit", "select")


def _window(example: str):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    from PySide6.QtCore import QEvent, QSettings

    from backprop_lab.core import load_example
    from backprop_lab.gui.controller import SimulationController
    from backprop_lab.gui.main_window import MainWindow

    class TimedWindow(MainWindow):
        """The window, with the milliseconds of its repaint passes added up in ``painted_ms``."""

        painted_ms = 0.0

        def event(self, event) -> bool:
            if event.type() != QEvent.UpdateRequest:
                return super().event(event)
            t = time.perf_counter()
            try:
                return super().event(event)
            finally:
                self.painted_ms += (time.perf_counter() - t) * 1e3

    ini = os.path.join(os.environ.get("TMPDIR", "/tmp"), "bpl-bench-actions.ini")
    if os.path.exists(ini):
        os.remove(ini)
    win = TimedWindow(SimulationController(load_example(example)), settings=QSettings(ini, QSettings.IniFormat))
    win.resize(1400, 880)
    win.show()
    return win


def _settle(app, rounds: int = 5) -> None:
    for _ in range(rounds):
        app.processEvents()
        time.sleep(0.002)
    app.processEvents()


def _idle(app, ms: float) -> None:
    """Let the event loop run for *ms* milliseconds (timers fire), as between two presses of a person."""
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)


def _timed(app, win, fn) -> tuple[float, float, float]:
    """Wall-clock and process CPU milliseconds of *fn* and the event processing after it, and the wall-clock
    milliseconds of the window's repaint passes within them."""
    before = win.painted_ms
    t, c = time.perf_counter(), time.process_time()
    fn()
    app.processEvents()
    return (time.perf_counter() - t) * 1e3, (time.process_time() - c) * 1e3, win.painted_ms - before


def _edges(win):
    """Two weights of the first layer pair, in the diagram's scene, and where to click them."""
    from backprop_lab.core import Element
    a, b = Element("weight", 0, 0, 0), Element("weight", 0, 1, 1)
    return [(el, win.diagram.mapFromScene(win.diagram.label_anchor(el))) for el in (a, b)]


def measure(example: str, presses: int = 50, gap_ms: float = 0.0) -> dict:
    """Median, p95 and max milliseconds per action on *example* (a fresh window), *gap_ms* idle between presses."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before the application exists
    app = QApplication.instance() or QApplication([])
    win = _window(example)
    _settle(app, 20)
    from backprop_lab.gui import gc_guard
    gc_guard.keep_off_long_lived()  # as the application does (its window settles half a second after showing)
    gc_guard.settle()
    target = win.diagram
    target.setFocus()
    keys = {"F10": (Qt.Key_F10, Qt.NoModifier), "F11": (Qt.Key_F11, Qt.NoModifier),
            "Shift+F10": (Qt.Key_F10, Qt.ShiftModifier), "Shift+F11": (Qt.Key_F11, Qt.ShiftModifier)}
    out = {}
    for name in ("F10", "Shift+F10", "F11", "Shift+F11"):
        key, mod = keys[name]
        samples = []
        for _ in range(presses):
            samples.append(_timed(app, win, lambda: QTest.keyClick(target, key, mod)))
            if gap_ms:
                _idle(app, gap_ms)
        out[name] = samples
        _settle(app)
    edges = _edges(win)
    samples = []
    for k in range(presses):  # a weight edit: Enter in the inline editor (opening it is not timed)
        el, _ = edges[k % 2]
        ed = win.diagram.open_editor(el)
        ed.setText(repr(0.1 + 0.01 * (k % 7)))
        _settle(app, 1)
        samples.append(_timed(app, win, lambda: QTest.keyClick(ed, Qt.Key_Return)))
        win.diagram.close_editor()
        if gap_ms:
            _idle(app, gap_ms)
    out["edit"] = samples
    _settle(app)
    samples = []
    for k in range(presses):
        _, pos = _edges(win)[k % 2]
        samples.append(_timed(app, win, lambda: QTest.mouseClick(target.viewport(), Qt.LeftButton, Qt.NoModifier, pos)))
        if gap_ms:
            _idle(app, gap_ms)
    out["select"] = samples
    win.controller.pause()
    win.hide()
    win.deleteLater()
    gc_guard.keep_off_long_lived(False)
    _settle(app)
    return {name: _summary(v) for name, v in out.items()}


def _summary(samples: list[tuple[float, float, float]]) -> dict:
    """Wall-clock median, p95 and max, the CPU-time median (less sensitive to other load), and the median of the
    repaint passes' share."""
    wall = np.asarray([w for w, _, _ in samples])
    cpu = [c for _, c, _ in samples]
    paint = [p for _, _, p in samples]
    return {"median_ms": float(np.median(wall)), "p95_ms": float(np.percentile(wall, 95)),
            "max_ms": float(wall.max()), "cpu_median_ms": float(statistics.median(cpu)),
            "repaint_median_ms": float(statistics.median(paint)), "n": len(samples)}


def run(quick: bool = False, gap_ms: float = 0.0) -> dict:
    presses = 12 if quick else 50
    return {ex: measure(ex, presses, gap_ms) for ex in ("moons", "mazur")}


def report(res: dict) -> str:
    lines = [f"{'example':8} " + " ".join(f"{a:>27}" for a in ACTIONS), f"{'':8} "
             + " ".join(f"{'median/p95 (cpu) repaint':>27}" for _ in ACTIONS)]
    for ex, r in res.items():
        cells = [f"{r[a]['median_ms']:6.1f}/{r[a]['p95_ms']:6.1f} ({r[a]['cpu_median_ms']:5.1f}) "
                 f"{r[a]['repaint_median_ms']:4.1f}" for a in ACTIONS]
        lines.append(f"{ex:8} " + " ".join(f"{c:>22}" for c in cells))
    return "\n".join(lines)


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    gap = float(sys.argv[sys.argv.index("--gap") + 1]) if "--gap" in sys.argv else 0.0
    print(report(run(quick, gap)))
