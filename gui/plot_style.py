"""Plot axes that read plainly: no SI factor, integer iteration ticks, no negative ranges, legend outside.

Used by the insight views; the loss plot can adopt the same pieces
(``PlainAxis``, :func:`style_plot`, :func:`legend_above`).
"""
from __future__ import annotations

import math

import pyqtgraph as pg
import PySide6  # noqa: F401  (pyqtgraph must find PySide6, not another binding)
from PySide6.QtGui import QFont, QFontMetrics


def plain_number(v: float, spacing: float) -> str:
    """A tick label: 0.05, 0.1, 12 — or 1e−3 / 2.5e5 notation for tiny and huge magnitudes (never an SI factor)."""
    if v == 0 or abs(v) < 1e-12 * max(abs(spacing), 1e-300):
        return "0"
    a = abs(v)
    if a < 1e-3 or a >= 1e5:
        mant, exp = f"{v:.2e}".split("e")
        text = f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"
    else:
        places = max(0, math.ceil(-math.log10(abs(spacing)))) if spacing > 0 else 3
        text = f"{v:.{places}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return text.replace("-", "−")


class PlainAxis(pg.AxisItem):
    """An axis without the "×0.001" SI prefix factor; with *integer*, ticks only at whole numbers."""

    def __init__(self, orientation: str, *, integer: bool = False, **kw) -> None:
        super().__init__(orientation, **kw)
        self.integer = integer
        self.enableAutoSIPrefix(False)
        self.setStyle(maxTextLevel=0)  # numbers on the major ticks only: a few plain numbers, no clutter

    def tickSpacing(self, minVal: float, maxVal: float, size: float):
        levels = super().tickSpacing(minVal, maxVal, size)
        if levels and self.orientation in ("left", "right"):
            levels = self._readable(levels, abs(maxVal - minVal), size)
        if not self.integer:
            return levels
        # Whole-number steps only: a major spacing below 1 becomes 1, finer levels are dropped.
        out = [(max(1.0, float(round(s))), 0.0) for s, _ in levels[:1]]
        out += [(s, o) for s, o in levels[1:] if s >= 1 and float(s).is_integer()]
        return out

    def _readable(self, levels: list, dif: float, size: float) -> list:
        """The major spacing widened until labels are two text lines apart (a short plot over several decades
        had a label on every decade, touching each other); the finer levels stay as unlabelled ticks."""
        major = levels[0][0]
        room = 2.0 * QFontMetrics(self.style.get("tickFont") or QFont()).height()
        if dif <= 0 or size <= 0 or size * major / dif >= room:
            return levels
        unit = 10.0 ** math.floor(math.log10(major))
        # whole decades on a log axis (1, 2, 3, 5, 10, ...), else 1, 2, 5 times a power of ten
        steps = (1, 2, 3, 5) if self.logMode and unit >= 1 else (1, 2, 5)
        k = 0
        while True:
            wide = steps[k % len(steps)] * unit * 10 ** (k // len(steps))
            if wide >= major and size * wide / dif >= room:
                break
            k += 1
        return [(wide, 0.0)] + [lv for lv in levels if lv[0] < wide]

    def tickStrings(self, values, scale, spacing):
        if self.logMode:
            return super().tickStrings(values, scale, spacing)
        if self.integer:
            return [f"{int(round(v * scale)):,}" for v in values]
        return [plain_number(v * scale, spacing * scale) for v in values]


def plain_axes(x_integer: bool = False) -> dict:
    """``axisItems`` for a PlotWidget: plain numbers on both axes, integer ticks on x if asked."""
    return {"bottom": PlainAxis("bottom", integer=x_integer), "left": PlainAxis("left")}


def style_plot(plot_item: pg.PlotItem, *, x_min: float | None = None, y_min: float | None = None) -> None:
    """Light grid, plain axis text and no panning below *x_min* / *y_min* (e.g. 0 for iterations and loss)."""
    limits = {}
    if x_min is not None:
        limits["xMin"] = x_min
    if y_min is not None:
        limits["yMin"] = y_min
    if limits:
        plot_item.setLimits(**limits)
    for name in ("left", "bottom"):
        ax = plot_item.getAxis(name)
        ax.enableAutoSIPrefix(False)
        ax.setTextPen(pg.mkPen("#444"))
        ax.setPen(pg.mkPen("#999"))


def legend_above(plot_item: pg.PlotItem, columns: int = 4, text_color: str = "#333") -> pg.LegendItem:
    """A legend in a row of its own above the data (where the title goes), so it never covers a curve.

    Items added to the plot with a ``name`` afterwards are not picked up automatically:
    add them with ``legend.addItem(item, name)``.  *text_color*: the labels' colour (a plot on the theme's
    background passes the theme's ink; the default dark grey was unreadable on a dark plot).
    """
    legend = pg.LegendItem(colCount=columns, verSpacing=-6, horSpacing=6, labelTextColor=text_color,
                           labelTextSize="8pt")
    legend.setParentItem(plot_item)
    # The legend takes the title's cell (a plot with a legend above needs no title).
    plot_item.layout.removeItem(plot_item.titleLabel)
    plot_item.titleLabel.hide()
    plot_item.layout.addItem(legend, 0, 1)
    return legend


def heatmap_plot(name: str) -> tuple[pg.PlotWidget, pg.ImageItem]:
    """A plain plot holding one smoothly scaled heatmap behind everything else (input plane, loss surface)."""
    from PySide6.QtGui import QPainter
    plot = pg.PlotWidget(background="w", axisItems=plain_axes())
    plot.setAccessibleName(name)
    # Bilinear scaling of the heatmap: a coarse grid (cheap to compute) looks smooth.
    plot.setRenderHint(QPainter.SmoothPixmapTransform, True)
    pi = plot.getPlotItem()
    style_plot(pi)
    pi.hideButtons()
    image = pg.ImageItem(axisOrder="row-major")
    image.setZValue(-10)
    plot.addItem(image)
    return plot, image
