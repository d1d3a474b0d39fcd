"""File ▸ Export: the worked example, a worksheet, a NumPy script, the loss history and pictures, from the window.

:func:`install_export_menu` adds the submenu to a :class:`~backprop_lab.gui.main_window.MainWindow`.  Each entry
asks for a file (QFileDialog) and, where it matters, the iteration (QInputDialog; default the iteration being
stepped into, else the last one performed), then writes through :func:`backprop_lab.core.export.write_export` or
:func:`~backprop_lab.gui.export_images.render_scene`.  Text exports and PNG encoding run on a worker thread
with a progress dialog (the larger shipped examples take up to ~1.5 s); they work on a copy of the simulation
taken on the GUI thread, so stepping on meanwhile changes nothing of what is written.  Errors go out through
the controller's ``error`` signal; the status bar says where the file went.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QProgressDialog

from backprop_lab.core import BackpropLabError, Simulation
from backprop_lab.core.export import MAX_ITERATION, ExportError, write_export
from backprop_lab.core.export.iteration import independent_copy, simulation_at

from . import gc_guard
from .export_images import PNG_SCALE, render_image, render_scene
from .teach_features import find_menu


@dataclass(frozen=True)
class ExportKind:
    """One entry of the menu: its text, what it writes and which files it offers."""

    key: str
    text: str
    tip: str
    filters: str
    suffix: str          # the extension added when the name has none
    ask_iteration: str   # "lesson", "script" or "" (no question)


KINDS = [
    ExportKind("md", "Worked Example as &Markdown…", "The iteration as a worked example: Markdown with LaTeX math",
               "Markdown (*.md)", ".md", "lesson"),
    ExportKind("tex", "Worked Example as &LaTeX…", "The iteration as a LaTeX document (compiles with pdflatex)",
               "LaTeX (*.tex)", ".tex", "lesson"),
    ExportKind("html", "Worked Example as &HTML…", "The iteration as a standalone HTML page (MathML, works offline)",
               "HTML (*.html *.htm)", ".html", "lesson"),
    ExportKind("worksheet", "Practice &Worksheet…", "The iteration with blanks to fill in, and its answer key "
               "beside it (name-answers.md)", "Markdown (*.md);;HTML (*.html)", ".md", "lesson"),
    ExportKind("py", "&NumPy Script…", "A self-contained NumPy script that trains this network the same way",
               "Python (*.py)", ".py", "script"),
    ExportKind("csv", "Loss &History as CSV…", "Every iteration's batch loss and each epoch's training loss",
               "CSV (*.csv)", ".csv", ""),
    ExportKind("diagram", "&Diagram as PNG/SVG…", "The network diagram as the window shows it now",
               "PNG image (*.png);;SVG drawing (*.svg)", ".png", ""),
    ExportKind("loss_plot", "Loss &Plot as PNG/SVG…", "The loss plot as the window shows it",
               "PNG image (*.png);;SVG drawing (*.svg)", ".png", ""),
]


class _Job(QObject):
    """A text export on a worker thread; its signals arrive on the GUI thread (queued)."""

    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, work: Callable[[], list[Path]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self.thread = threading.Thread(target=self._run, name="backprop-lab-export", daemon=True)

    def start(self) -> None:
        gc_guard.worker_starting()
        self.thread.start()

    def _run(self) -> None:
        try:
            self.finished.emit(self._work())
        except (BackpropLabError, OSError) as e:
            self.failed.emit(str(e))
        except Exception as e:  # a bug must reach the person, not die silently with the thread
            self.failed.emit(f"{type(e).__name__}: {e}")
        finally:
            gc_guard.worker_ended()


class ExportMenu(QObject):
    """File ▸ Export of one window (``window.export_menu``); ``menu`` is the QMenu, ``actions`` by key."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.controller = window.controller
        self.menu = QMenu("E&xport", window)
        self.menu.setToolTipsVisible(True)
        self.actions = {}
        for k, kind in enumerate(KINDS):
            if k in (4, 6):
                self.menu.addSeparator()
            a = self.menu.addAction(kind.text)
            a.setToolTip(kind.tip)
            a.setStatusTip(kind.tip)
            a.triggered.connect(lambda _=False, kind=kind: self.export(kind.key))
            self.actions[kind.key] = a
        file_menu = find_menu(window, "File")
        file_menu.insertMenu(window.act_quit, self.menu)
        file_menu.insertSeparator(window.act_quit)
        self.job: _Job | None = None
        self.progress: QProgressDialog | None = None
        self.last_written: list[Path] = []
        self.last_seconds = 0.0

    # -- the questions ---------------------------------------------------------------------------------
    def default_iteration(self) -> int:
        """The iteration being stepped into, else the last one performed (1 before any)."""
        sim = self.controller.sim
        if sim.pending is not None:
            return sim.iteration + 1
        return max(sim.iteration, 1)

    def _ask_iteration(self, kind: ExportKind) -> int | None:
        sim = self.controller.sim
        if kind.ask_iteration == "script":
            start = sim.iteration
            n, ok = QInputDialog.getInt(self.window, "NumPy script", f"The script starts from this state "
                                        f"(iteration {start:,}) and trains up to iteration:", start + 1, start + 1,
                                        MAX_ITERATION)
        else:
            n, ok = QInputDialog.getInt(self.window, "Worked example", "Iteration to write out:",
                                        self.default_iteration(), 1, MAX_ITERATION)
        return int(n) if ok else None

    def _ask_path(self, kind: ExportKind) -> str | None:
        c = self.controller
        stem = (c.state.name or "network").split(" (")[0].replace(" ", "-").lower()
        if kind.key == "worksheet":
            stem += "-worksheet"
        elif kind.key in ("diagram", "loss_plot"):
            stem += "-" + kind.key.replace("_", "-")
        folder = Path(c.path).parent if c.path else Path.home()
        path, chosen = QFileDialog.getSaveFileName(self.window, kind.text.replace("&", "").rstrip("…"),
                                                   str(folder / (stem + kind.suffix)), kind.filters)
        if not path:
            return None
        if not Path(path).suffix:
            path += ".svg" if "svg" in (chosen or "").lower() else kind.suffix
        return path

    # -- writing ---------------------------------------------------------------------------------------
    def export(self, key: str, path: str | None = None, iteration: int | None = None) -> bool:
        """Export *key* (see :data:`KINDS`); asks for what is not given.  False when cancelled or refused."""
        kind = next(k for k in KINDS if k.key == key)
        c = self.controller
        if self.job is not None:
            c.say("An export is still being written; wait for it to finish.")
            return False
        if c.running:
            c.pause()
        path = path or self._ask_path(kind)
        if not path:
            return False
        if kind.ask_iteration and iteration is None:
            iteration = self._ask_iteration(kind)
            if iteration is None:
                return False
        try:
            if kind.key in ("diagram", "loss_plot"):
                t0 = time.perf_counter()
                work = self._picture(kind, Path(path))
                if not callable(work):  # already written (an SVG: a few tens of milliseconds)
                    self.last_seconds = time.perf_counter() - t0
                    self._done(work)
                    return True
            else:
                work = self._work(kind, path, iteration)
        except (BackpropLabError, OSError) as e:
            self._failed(str(e))
            return False
        self._start(work)
        return True

    def _work(self, kind: ExportKind, path: str, iteration: int | None) -> Callable[[], list[Path]]:
        """What the worker thread runs, on a copy taken now (the person may step on meanwhile)."""
        sim = self.controller.sim
        digits = self.controller.precision
        if kind.key == "py" or kind.key == "csv":
            copy = independent_copy(sim)
        else:
            copy = _copy_before(sim, iteration)
        worksheet = kind.key == "worksheet"
        return lambda: write_export(copy, path, iteration, worksheet=worksheet, digits=digits)

    def _picture(self, kind: ExportKind, path: Path):
        """The window's own diagram or loss plot, as it shows them: drawn here (Qt widgets live on this
        thread), a PNG encoded on the worker (the slow part: ~0.2–0.6 s for the larger diagrams)."""
        ext = path.suffix.lower()
        if ext not in (".png", ".svg"):
            raise ExportError(f"cannot export a picture to {path.name!r}: use .png or .svg")
        if kind.key == "diagram":
            scene = self.window.diagram.scene()
            if ext == ".svg":
                return [render_scene(scene, path)]
            img = scene_image(scene)
        else:
            plot = self.window.loss_plot.plot
            if not plot.isVisible() or ext == ".svg":  # a closed dock has no size: draw one offscreen
                return [render_image(self.controller.sim, path, None, loss_plot=True)]
            img = plot.grab().toImage()
        return lambda: [save_png(img, path)]

    def _start(self, work: Callable[[], list[Path]]) -> None:
        self.job = job = _Job(work, self)
        job.finished.connect(self._done)
        job.failed.connect(self._failed)
        self.progress = dlg = QProgressDialog("Writing the export…", "", 0, 0, self.window)
        dlg.setWindowTitle("Export")
        dlg.setCancelButton(None)  # the work is short and writes atomically: nothing to cancel half-way
        dlg.setWindowModality(Qt.WindowModal)
        dlg.setMinimumDuration(200)
        self._t0 = time.perf_counter()
        job.start()

    def wait(self, timeout: float = 30.0) -> None:
        """Block until the running export (if any) has finished and been reported (for tests and closing)."""
        from PySide6.QtWidgets import QApplication
        end = time.perf_counter() + timeout
        while self.job is not None and time.perf_counter() < end:
            self.job.thread.join(0.01)
            QApplication.processEvents()

    def _finish_job(self) -> None:
        gc_guard.collect_here()  # what piled up while the worker ran, collected on this (the GUI) thread
        if self.progress is not None:
            self.progress.reset()
            self.progress.deleteLater()
            self.progress = None
        if self.job is not None:
            self.last_seconds = time.perf_counter() - self._t0
            self.job.deleteLater()
            self.job = None

    def _done(self, written: list[Path]) -> None:
        self._finish_job()
        self.last_written = [Path(p) for p in written]
        names = " and ".join(str(p) for p in self.last_written)
        self.controller.say(f"Exported to {names}.")

    def _failed(self, message: str) -> None:
        self._finish_job()
        self.controller.error.emit("Cannot export", message, "Nothing was written.")


def scene_image(scene) -> QImage:
    """A QGraphicsScene (all its items, with a margin) drawn into an image at PNG_SCALE (on the GUI thread)."""
    source = scene.itemsBoundingRect().adjusted(-24, -24, 24, 24)
    img = QImage(int(source.width() * PNG_SCALE), int(source.height() * PNG_SCALE), QImage.Format_ARGB32)
    img.fill(Qt.white)
    p = QPainter(img)
    p.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    scene.render(p, QRectF(img.rect()), source)
    p.end()
    return img


def save_png(img: QImage, path: Path) -> Path:
    """Encode *img* as PNG into *path* atomically (a QImage may be saved from a worker thread)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                                   suffix=".png")
    except OSError as e:
        raise ExportError(f"cannot write {path}: {e.strerror or e}") from None
    os.close(fd)
    if not img.save(tmp, "PNG"):
        os.unlink(tmp)
        raise ExportError(f"cannot write {path}: Qt could not encode the picture")
    try:
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as e:
        os.unlink(tmp)
        raise ExportError(f"cannot write {path}: {e.strerror or e}") from None
    return path


def _copy_before(sim: Simulation, iteration: int) -> Simulation:
    """An independent copy of *sim* just before *iteration* when that lies in the past (it needs the timeline,
    read here on the GUI thread), else in its committed state (the worker trains forwards on it)."""
    if iteration - 1 < sim.iteration:
        return simulation_at(sim, iteration - 1)  # raises ExportError before the earliest state kept
    return independent_copy(sim)


def install_export_menu(window) -> ExportMenu:
    """Add File ▸ Export to *window* (before Quit); ``window.export_menu`` holds it."""
    window.export_menu = ExportMenu(window)
    return window.export_menu
