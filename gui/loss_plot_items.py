"""The loss plot's drawing items: a light grid, bare curves and painted dots (cheaper than pyqtgraph's own)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen

from .theme import colors


class LightGrid(pg.GraphicsObject):
    """Horizontal and vertical lines at the major ticks of the plot's axes."""

    def __init__(self, plot_item) -> None:
        super().__init__()
        self._pi = plot_item
        self._pen = QPen(QColor(colors().plot_grid), 0)  # cosmetic: one pixel whatever the zoom
        self._key: tuple = ()
        self._lines: list[QLineF] = []
        self.setZValue(-100)

    def boundingRect(self) -> QRectF:
        return self._pi.vb.viewRect()

    def paint(self, p: QPainter, *args) -> None:
        vb = self._pi.vb
        r = vb.viewRect()
        key = (r.left(), r.top(), r.width(), r.height(), vb.width(), vb.height())
        if key != self._key:  # the tick positions change only with the range (or the plot's size)
            self._key, self._lines = key, self._grid_lines(r, vb)
        p.setRenderHint(QPainter.Antialiasing, False)
        p.setPen(self._pen)
        p.drawLines(self._lines)

    def _grid_lines(self, r: QRectF, vb) -> list[QLineF]:
        lines = []
        for name, horizontal in (("left", True), ("bottom", False)):
            lo, hi = (r.top(), r.bottom()) if horizontal else (r.left(), r.right())
            ticks = self._pi.getAxis(name).tickValues(min(lo, hi), max(lo, hi), vb.height() if horizontal
                                                      else vb.width())
            for v in (ticks[0][1] if ticks else []):
                lines.append(QLineF(r.left(), v, r.right(), v) if horizontal else QLineF(v, r.top(), v, r.bottom()))
        return lines


def log10_finite(y: np.ndarray) -> np.ndarray:
    """log10 of the finite values, NaN elsewhere (curves on a log axis are given their logarithms)."""
    return np.log10(y, where=np.isfinite(y), out=np.full(len(y), np.nan))


def view_rect(item: pg.GraphicsObject) -> QRectF:
    """The visible range of the view box holding *item* (an empty rectangle before it is in one)."""
    vb = item.getViewBox()
    return vb.viewRect() if vb is not None else QRectF()


class Curve(pg.PlotCurveItem):
    """A bare curve whose bounds are the plot's visible range.

    pyqtgraph works a curve's bounds out from all of its data (a NaN-aware minimum and maximum per axis, the
    pen's width in pixels) whenever the data or the range changed: ~70 µs a call, ~9 calls a key press.  The
    view box clips its children to the visible range anyway, so nothing outside it is ever painted.
    """

    def boundingRect(self) -> QRectF:
        return view_rect(self)


class Dots(pg.GraphicsObject):
    """Round dots of a fixed size in pixels at a few data points, painted in one call.

    pyqtgraph's symbols (a PlotDataItem with ``symbol``) cost about 1 ms per ``setData`` for 40 points, and
    the batch loss gets a new point with every key press; these dots cost a few microseconds to set.
    """

    def __init__(self, color: str, size: float = 5.0, triangle: bool = False) -> None:
        super().__init__()
        self._brush = QBrush(QColor(color))
        self._r = size / 2
        self._dot_pen = QPen(QColor(color), size, Qt.SolidLine, Qt.RoundCap)
        self._triangle = triangle
        self._x = self._y = np.zeros(0)

    def setData(self, x: np.ndarray, y: np.ndarray) -> None:
        ok = np.isfinite(y)
        if not len(self._x) and not ok.any():
            return  # (nothing shown, nothing to show)
        self.prepareGeometryChange()
        self._x, self._y = np.asarray(x, dtype=np.float64)[ok], np.asarray(y, dtype=np.float64)[ok]
        self.update()

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._y

    def viewTransformChanged(self) -> None:
        self.prepareGeometryChange()  # a new range: new bounds

    def boundingRect(self) -> QRectF:
        # the visible range (as a curve's): what lies outside is clipped by the view box, and the dots at its
        # edges need no margin computed from the zoom
        return view_rect(self) if len(self._x) else QRectF()

    def paint(self, p: QPainter, *args) -> None:
        if not len(self._x):
            return
        tr = p.transform()  # the axes' scales and offsets (no rotation): all points mapped at once
        poly = pg.functions.create_qpolygonf(len(self._x))
        xy = pg.functions.ndarray_from_qpolygonf(poly)
        xy[:, 0] = self._x * tr.m11() + tr.dx()
        xy[:, 1] = self._y * tr.m22() + tr.dy()
        p.resetTransform()  # round dots in pixels, whatever the axes' scales
        p.setRenderHint(QPainter.Antialiasing, True)
        r = self._r
        if not self._triangle:  # every dot in one call: a point drawn with a round pen as wide as the dot
            p.setPen(self._dot_pen)
            p.drawPoints(poly)
            return
        p.setPen(Qt.NoPen)
        p.setBrush(self._brush)
        for x, y in xy.tolist():  # pointing down, as pyqtgraph's "t"
            p.drawPolygon([QPointF(x - r, y - r * 0.6), QPointF(x + r, y - r * 0.6), QPointF(x, y + r)])
