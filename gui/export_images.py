"""PNG and SVG pictures of the network diagram and the loss plot, drawn offscreen by the window's own widgets.

Used by ``backprop-lab export … --to x.png`` (and callable from the window):
the simulation is copied to the state the picture shows, a controller and the
widget are built on the copy without a window, and the widget's scene is
rendered into an image or an SVG generator.  Qt is imported only here.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: Pixels per scene unit of PNG diagrams (2 gives a crisp picture at the scene's natural size).
PNG_SCALE = 2.0


def _app():
    # Without a display (a teacher's server, CI) only the offscreen platform can start.
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    from PySide6.QtWidgets import QApplication
    return QApplication.instance() or QApplication(["backprop-lab"])


def _temp_beside(path: Path) -> str:
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                               suffix=path.suffix)
    os.close(fd)
    return tmp


def _commit(tmp: str, path: Path, ok: bool) -> Path:
    from backprop_lab.core.export import ExportError
    if not ok:
        os.unlink(tmp)
        raise ExportError(f"cannot write {path}: Qt could not write the picture")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def render_scene(scene, path: Path) -> Path:
    """Write a QGraphicsScene (all of its items, with a margin) as PNG or SVG."""
    from PySide6.QtCore import QRectF, QSize, Qt
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtWidgets import QGraphicsItem
    source = scene.itemsBoundingRect().adjusted(-24, -24, 24, 24)
    tmp = _temp_beside(path)
    # The diagram's items cache themselves as pixmaps for fast repaints; a picture (an SVG above all)
    # wants them drawn for real, as lines and text.
    for item in scene.items():
        item.setCacheMode(QGraphicsItem.NoCache)
    if path.suffix.lower() == ".svg":
        from PySide6.QtSvg import QSvgGenerator
        gen = QSvgGenerator()
        gen.setFileName(tmp)
        gen.setSize(QSize(int(source.width()), int(source.height())))
        gen.setViewBox(QRectF(0, 0, source.width(), source.height()))
        gen.setTitle("Backprop Lab network diagram")
        p = QPainter(gen)
        p.fillRect(QRectF(0, 0, source.width(), source.height()), QColor("#ffffff"))
        scene.render(p, QRectF(0, 0, source.width(), source.height()), source)
        ok = p.end()
    else:
        img = QImage(int(source.width() * PNG_SCALE), int(source.height() * PNG_SCALE), QImage.Format_ARGB32)
        img.fill(Qt.white)
        p = QPainter(img)
        p.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        scene.render(p, QRectF(img.rect()), source)
        p.end()
        ok = img.save(tmp, "PNG")
    return _commit(tmp, path, ok)


def render_image(sim, out, iteration: int | None = None, *, loss_plot: bool = False) -> Path:
    """The diagram (as it shows iteration *iteration*, before its update) or the loss plot (the history up
    to *iteration*, default: as saved) of *sim* — which is not changed — as PNG or SVG."""
    from backprop_lab.core.export import simulation_at
    from backprop_lab.core.export.iteration import check_iteration

    path = Path(out)
    _app()
    from .controller import SimulationController
    if loss_plot:
        copy = simulation_at(sim, check_iteration(iteration)) if iteration is not None else simulation_at(
            sim, sim.iteration)
        return _render_loss_plot(SimulationController(copy), path)
    n = sim.iteration + 1 if iteration is None else check_iteration(iteration)
    controller = SimulationController(simulation_at(sim, n - 1))
    from .diagram import QtNetworkDiagram
    view = QtNetworkDiagram(controller)
    view.resize(1200, 760)
    from PySide6.QtWidgets import QApplication
    QApplication.processEvents()  # the diagram fills in its numbers on the next turn of the event loop
    return render_scene(view.scene(), path)


def _render_loss_plot(controller, path: Path) -> Path:
    from PySide6.QtCore import QRectF, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QApplication

    from .loss_plot import QtLossPlot
    widget = QtLossPlot(controller)
    widget.resize(1000, 460)
    widget.layout().activate()  # lays the plot out at that size without showing a window
    QApplication.processEvents()
    plot = widget.plot
    tmp = _temp_beside(path)
    if path.suffix.lower() == ".svg":
        # pyqtgraph's own SVG exporter fails on this Qt version's path data; Qt's generator does not.
        from PySide6.QtSvg import QSvgGenerator
        gen = QSvgGenerator()
        gen.setFileName(tmp)
        gen.setSize(QSize(plot.width(), plot.height()))
        gen.setViewBox(QRectF(0, 0, plot.width(), plot.height()))
        gen.setTitle("Backprop Lab loss history")
        p = QPainter(gen)
        plot.render(p)
        ok = p.end()
    else:
        ok = plot.grab().save(tmp, "PNG")
    widget.deleteLater()
    return _commit(tmp, path, ok)
