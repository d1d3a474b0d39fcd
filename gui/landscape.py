"""QtLossLandscape: the loss as a function of the selected weight (or two), with ∂E/∂w as a tangent.

One parameter: E(w) on the next batch around the current value with every other
parameter fixed, the current point, the tangent whose slope is the engine's ∂E/∂w,
and the point the next update moves to.  Two parameters: the training loss over both
as a heatmap with contour lines, and the path training took through them.  The
numbers come from :mod:`backprop_lab.core.landscape`.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
import PySide6  # noqa: F401  (import before pyqtgraph so it picks this binding)
from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from backprop_lab.core import Element, format_number
from backprop_lab.core.insight import contour_segments
from backprop_lab.core.landscape import (
    ThetaHistory,
    auto_span,
    base_theta,
    loss_along,
    loss_surface,
    next_point,
    param_index,
    path_through,
    tangent,
)

from .identity import Same
from .paced import on_screen
from .plot_style import heatmap_plot, legend_above, plain_axes, style_plot

CURVE_POINTS = 121
#: Redraws requested closer together are coalesced (one parameter / two parameters) …
MIN_INTERVAL = 0.08
MIN_INTERVAL_2D = 0.25
#: … and never closer than this many times the last redraw's duration (at most a fifth of the time).
PACE = 5.0
#: Stacked activations one surface may compute (about 20 ms on the project machines).
SURFACE_BUDGET = 400_000
SURFACE_N = (9, 41)
#: During fast runs the surface is recomputed at most this often (s); the path and point follow every redraw.
LIVE_SURFACE_EVERY = 1.0
CONTOURS = 9
#: Sequential map of the surface: low loss light, high loss deep blue.
SURFACE_LOW, SURFACE_HIGH = (250, 252, 255), (74, 140, 196)

BLUE, ORANGE, GREEN, INK = "#0877bd", "#f59322", "#2ca02c", "#222222"
#: Axis names of the two-parameter view, in the diagram's colours of the selection and the second parameter.
FIRST_COLOR, SECOND_COLOR = "#2ca02c", "#8e24aa"
LABEL_COLOR = "#444444"


#: Under the plot: how to get to the other view (Ctrl+click was found by nobody who was not told).
TIP_1D = ("Ctrl+click a second weight or bias in the diagram (or choose it under Second parameter) "
          "for a contour map of the loss over both.")
TIP_2D = ("Light is low loss, dark blue high (scale on the right). Ctrl+click the second parameter again "
          "for the loss along the selected one.")


def _fmt(v: float) -> str:
    return format_number(v, 6)


def parameter_place(network, e: Element) -> str:
    """A weight or bias with where it sits in the diagram: ``w37 (h1_3 → h2_5)``, ``b_h1_3 (bias of h1_3)``.

    The diagram of a larger network shows values on its edges, not names: a bare ``w37`` cannot be found there.
    """
    name = network.element_name(e)
    if e.kind == "weight":
        return f"{name} ({network.neuron_name(e.layer, e.i)} → {network.neuron_name(e.layer + 1, e.j)})"
    if e.kind == "bias":
        return f"{name} (bias of {network.neuron_name(e.layer + 1, e.j)})"
    return name


def log_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Ticks at 1-2-5 loss values between ``exp(lo)`` and ``exp(hi)``, placed at their logarithms."""
    a, b = np.exp(lo) * (1 - 1e-9), np.exp(hi) * (1 + 1e-9)  # (the ends themselves, despite rounding)
    ticks = []
    for dec in range(int(np.floor(np.log10(a))), int(np.ceil(np.log10(b))) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** dec
            if a <= v <= b:
                ticks.append((float(np.log(v)), format_number(v, 3)))
    return ticks


def surface_resolution(sim, e1: Element, e2: Element) -> int:
    """Grid points per axis so one surface costs about SURFACE_BUDGET stacked activations."""
    first = min(sim.network.element_of_index(param_index(sim.network, e)).layer for e in (e1, e2))
    per = sim.n_samples * max(1, sum(sim.network.sizes[first + 1:]))
    return int(np.clip(np.sqrt(SURFACE_BUDGET / per), *SURFACE_N))


def upsample(grid: np.ndarray, factor: int) -> np.ndarray:
    """Bilinear interpolation of a 2-D grid onto ``factor`` times as many points per interval."""
    ny, nx = grid.shape
    xi = np.linspace(0, nx - 1, (nx - 1) * factor + 1)
    yi = np.linspace(0, ny - 1, (ny - 1) * factor + 1)
    rows = np.array([np.interp(xi, np.arange(nx), r) for r in grid])
    return np.array([np.interp(yi, np.arange(ny), c) for c in rows.T]).T


def _surface_rgb(values: np.ndarray) -> np.ndarray:
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    t = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    a, b = np.array(SURFACE_LOW, dtype=np.float64), np.array(SURFACE_HIGH, dtype=np.float64)
    return np.rint(a + (b - a) * np.clip(t, 0, 1)[..., None]).astype(np.uint8)


class _LegendFitter(QObject):
    """Keeps a plot with a legend above it within its widget: as many legend columns as fit the width.

    A legend's row sets the plot's minimum width; wider than the dock, the plot was drawn past its right
    edge (cut off) instead of being narrowed.
    """

    def __init__(self, plot: pg.PlotWidget, legend: pg.LegendItem, columns: int) -> None:
        super().__init__(plot)
        self.plot, self.legend, self.columns = plot, legend, columns
        plot.installEventFilter(self)

    def eventFilter(self, obj, ev) -> bool:
        if ev.type() in (QEvent.Resize, QEvent.Show):
            self.fit()
        return False

    def fit(self) -> None:
        pi, width = self.plot.getPlotItem(), self.plot.viewport().width()
        for cols in range(self.columns, 0, -1):
            if self.legend.columnCount != cols:
                self.legend.setColumnCount(cols)
            if pi.layout.effectiveSizeHint(Qt.MinimumSize).width() <= width:
                break
        # lay the plot out again at the view's size (it kept the width the wider legend forced)
        r = self.plot.viewport().rect()
        pi.setGeometry(QRectF(0, 0, r.width(), r.height()))


class QtLossLandscape(QWidget):
    """E over the selected weight or bias (or two of them)."""

    #: emitted after each redraw (lets owners pace or count redraws)
    redrawn = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = ThetaHistory()
        self.mode = ""
        self.last: dict = {}
        self._view: tuple | None = None  # the one-parameter plot's (x range, y range)
        self._view_element: Element | None = None
        self._args: tuple | None = None
        self._last_draw = 0.0
        self._draw_seconds = 0.0
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._draw_requested)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.header = QLabel("")
        self.header.setTextFormat(Qt.PlainText)
        self.header.setWordWrap(True)
        self.header.setStyleSheet("QLabel { padding: 3px 6px; color: #333; }")
        lay.addWidget(self.header)
        self.stack = QStackedWidget()
        lay.addWidget(self.stack, 1)
        self.tip = QLabel("")
        self.tip.setTextFormat(Qt.PlainText)
        self.tip.setWordWrap(True)
        self.tip.setStyleSheet("QLabel { padding: 1px 6px; color: #666; }")
        self.tip.hide()
        lay.addWidget(self.tip)
        self.hint = QLabel("Select a weight or a bias in the diagram to see the loss as a function of it "
                           "(Ctrl+click a second one for the loss over both).")
        self.hint.setTextFormat(Qt.PlainText)
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignCenter)
        self.stack.addWidget(self.hint)
        self._build_1d()
        self._build_2d()

    def _build_1d(self) -> None:
        self.plot1 = pg.PlotWidget(background="w", axisItems=plain_axes())
        self.plot1.setAccessibleName("Loss along one parameter")
        pi = self.plot1.getPlotItem()
        style_plot(pi, y_min=0)
        pi.hideButtons()
        self.curve = self.plot1.plot([], [], pen=pg.mkPen(BLUE, width=2.5), antialias=True)
        self.tangent_line = self.plot1.plot([], [], pen=pg.mkPen(ORANGE, width=2.5, style=Qt.DashLine),
                                            antialias=True)
        self.tangent_line.setZValue(5)
        self.step_line = self.plot1.plot([], [], pen=pg.mkPen(GREEN, width=1.5, style=Qt.DashLine), antialias=True)
        self.now_pt = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(INK), pen=pg.mkPen("w", width=1))
        # A ring, so "now" stays visible inside it when the step is too small to separate them.
        self.next_pt = pg.ScatterPlotItem(size=16, brush=None, pen=pg.mkPen(GREEN, width=2.5))
        for item in (self.now_pt, self.next_pt):
            item.setZValue(10)
            self.plot1.addItem(item)
        lg = legend_above(pi, columns=2)
        lg.addItem(self.curve, "E on the next batch, other parameters fixed")
        lg.addItem(self.tangent_line, "tangent, slope ∂E/∂w")
        lg.addItem(self.now_pt, "now")
        lg.addItem(self.next_pt, "after the next update")
        self.legend1 = lg
        self._fit1 = _LegendFitter(self.plot1, lg, 2)
        self.stack.addWidget(self.plot1)

    def _build_2d(self) -> None:
        self.plot2, self.surface = heatmap_plot("Loss over two parameters")
        pi = self.plot2.getPlotItem()
        self.contours = pg.PlotCurveItem(pen=pg.mkPen(70, 90, 120, 150, width=1), connect="pairs", antialias=True)
        self.plot2.addItem(self.contours)
        self.path = self.plot2.plot([], [], pen=pg.mkPen(ORANGE, width=2), symbol="o", symbolSize=4,
                                    symbolBrush=ORANGE, symbolPen=None, antialias=True)
        self.now2 = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(INK), pen=pg.mkPen("w", width=1.5))
        self.plot2.addItem(self.now2)
        lg = legend_above(pi, columns=3)
        lg.addItem(self.contours, "training loss (contours)")
        lg.addItem(self.path, "path of training")
        lg.addItem(self.now2, "now")
        self.legend2 = lg
        # The colour scale: which way the loss goes down (the contours alone do not say).
        cmap = pg.ColorMap([0.0, 1.0], [SURFACE_LOW, SURFACE_HIGH])
        self.scale = pg.ColorBarItem(values=(0.0, 1.0), width=12, colorMap=cmap, interactive=False,
                                     colorMapMenu=False, pen="#999")
        self.scale.axis.enableAutoSIPrefix(False)
        self.scale.axis.setWidth(52)
        self.scale.axis.setTextPen(pg.mkPen("#444"))
        self.scale.setToolTip("Training loss E: light is low, dark blue is high (a log scale when it spans 50×)")
        pi.layout.addItem(self.scale, 2, 5)
        pi.layout.setColumnFixedWidth(4, 5)
        self._fit2 = _LegendFitter(self.plot2, lg, 3)
        self.stack.addWidget(self.plot2)

    # -- updates -----------------------------------------------------------------------------------
    def observe(self, sim) -> None:
        """Record the current parameters for the path (wire to every state change, even when hidden)."""
        self.history.observe(sim)

    def clear_history(self) -> None:
        """Forget the path (a new simulation was opened)."""
        self.history.clear()

    def request_update(self, sim, element: Element | None = None, element2: Element | None = None, *,
                       trace=None, live: bool = False) -> None:
        """Observe *sim* and redraw soon (coalesced; nothing is computed while hidden)."""
        self.history.observe(sim)
        self._args = (sim, element, element2, trace, live)
        if not on_screen(self):
            self._dirty = True
            return
        if self._timer.isActive():
            return
        gap = max(MIN_INTERVAL_2D if element2 is not None else MIN_INTERVAL, PACE * self._draw_seconds)
        wait = gap - (time.perf_counter() - self._last_draw)
        if wait <= 0:
            self._draw_requested()
        else:
            self._timer.start(max(1, int(wait * 1000)))

    def _draw_requested(self) -> None:
        if self._args is not None:
            sim, e1, e2, trace, live = self._args
            self.update_from(sim, e1, e2, trace=trace, live=live)

    def showEvent(self, ev) -> None:
        super().showEvent(ev)
        if self._dirty:
            self._dirty = False
            self._draw_requested()

    def update_from(self, sim, element: Element | None = None, element2: Element | None = None, *,
                    trace=None, live: bool = False, path: list | None = None) -> None:
        """Redraw for *element* (and *element2*) of *sim* now.

        *trace* is the next iteration's trace if the caller has it (the controller's
        preview); *live* (fast runs) skips building one, so the tangent comes from the
        kernel and the next point is left out; *path* overrides the recorded parameter
        history for the two-parameter view.
        """
        self.history.observe(sim)
        self._args = (sim, element, element2, trace, live)
        self._last_draw = time.perf_counter()  # redraws are paced from start to start
        cpu0 = time.process_time()
        ok = [e for e in (element, element2) if isinstance(e, Element) and e.kind in ("weight", "bias")]
        if not ok:
            self.mode = "hint"
            self.stack.setCurrentWidget(self.hint)
            self.header.setText("")
            self.tip.hide()
        elif len(ok) == 1 or ok[0] == ok[1]:
            self._draw_1d(sim, ok[0], trace, live)
        else:
            self._draw_2d(sim, ok[0], ok[1], path, live)
            self.mode = "2d"
        self.redrawn.emit()
        # CPU time: a machine busy with other programs slows the clock, not the view's share of the CPU
        self._draw_seconds = time.process_time() - cpu0

    def _draw_1d(self, sim, e: Element, trace, live: bool) -> None:
        self.mode = "1d"
        self.stack.setCurrentWidget(self.plot1)
        if e != self._view_element:
            self._view, self._view_element = None, e
        w0, e0, slope = tangent(sim, e, trace=trace, preview=not live)
        nxt = next_point(sim, e, trace=trace, preview=not live)
        span = auto_span(w0, nxt[0] if nxt else w0)
        xr = self._x_range(w0, nxt[0] if nxt else w0, span)
        ws, es = loss_along(sim, e, n=CURVE_POINTS, bounds=xr)
        self.last = {"element": e, "w0": w0, "E0": e0, "slope": slope, "next": nxt, "values": ws, "losses": es}
        finite = es[np.isfinite(es)]
        lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        if nxt is not None and np.isfinite(nxt[1]):
            lo, hi = min(lo, nxt[1]), max(hi, nxt[1])
        yr = self._y_range(lo, hi)
        self.curve.setData(ws, es)
        self.tangent_line.setData(*self._tangent_xy(w0, e0, slope, span, *yr))
        self.now_pt.setData([w0], [e0])
        if nxt is None:
            self.next_pt.setData([], [])
            self.step_line.setData([], [])
        else:
            self.next_pt.setData([nxt[0]], [nxt[1]])
            self.step_line.setData([w0, nxt[0]], [e0, nxt[1]])
        pi = self.plot1.getPlotItem()
        name = sim.network.element_name(e)
        self._label(pi, "bottom", name)
        self._label(pi, "left", "E")
        if (xr, yr) != self._view:
            pi.vb.setRange(xRange=xr, yRange=yr, padding=0)
            self._view = (xr, yr)
        text = f"now: {name} = {_fmt(w0)},  E = {_fmt(e0)},  ∂E/∂{name} = {_fmt(slope)}"
        if nxt is not None:
            text += f"\nafter the next update: {name} = {_fmt(nxt[0])},  E = {_fmt(nxt[1])}"
        elif live:
            text += "\n(the next update is shown when the run pauses)"
        self.header.setText(text)
        self._tip(TIP_1D)

    def _tip(self, text: str) -> None:
        if self.tip.text() != text:
            self.tip.setText(text)
        self.tip.show()

    def _x_range(self, w0: float, w1: float, span: float) -> tuple[float, float]:
        """Keep the view while the point stays in its middle 70 % and the wanted width is similar:
        the point then moves along a still curve (and the axis is not laid out again every frame)."""
        old = self._view[0] if self._view else None
        if old is not None:
            a, b = old
            half = 0.5 * (b - a)
            inner = (a + 0.15 * (b - a), b - 0.15 * (b - a))
            if inner[0] <= min(w0, w1) and max(w0, w1) <= inner[1] and 0.7 * half <= span <= 1.4 * half:
                return old
        return (w0 - span, w0 + span)

    def _y_range(self, lo: float, hi: float) -> tuple[float, float]:
        """The loss range with a margin (never below 0), kept while the curve still fills most of it."""
        old = self._view[1] if self._view else None
        if old is not None and old[0] <= lo and hi <= old[1] and (hi - lo) >= 0.6 * (old[1] - old[0]):
            return old
        pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi), 1e-12) * 0.1
        return (max(0.0, lo - pad), hi + pad)

    @staticmethod
    def _label(pi: pg.PlotItem, side: str, text: str, color: str | None = None) -> None:
        ax = pi.getAxis(side)
        if color is None:
            color = LABEL_COLOR
        if ax.labelText != text or ax.labelStyle.get("color") != color:  # setLabel lays the axis out again
            pi.setLabel(side, text, color=color)

    @staticmethod
    def _tangent_xy(w0: float, e0: float, slope: float, span: float, lo: float, hi: float):
        """The tangent over w0 ± 0.3·span, cut where it leaves the plotted loss range."""
        a, b = w0 - 0.3 * span, w0 + 0.3 * span
        if slope != 0 and np.isfinite(slope):
            x1, x2 = sorted((w0 + (lo - e0) / slope, w0 + (hi - e0) / slope))
            a, b = max(a, x1), min(b, x2)
        return [a, b], [e0 + slope * (a - w0), e0 + slope * (b - w0)]

    def _draw_2d(self, sim, e1: Element, e2: Element, path: list | None, live: bool) -> None:
        self.stack.setCurrentWidget(self.plot2)
        self._tip(TIP_2D)
        theta = base_theta(sim)
        now = (theta[param_index(sim.network, e1)], theta[param_index(sim.network, e2)])
        thetas = path if path is not None else self.history.thetas
        p1, p2 = path_through(thetas, e1, e2, network=sim.network) if len(thetas) else (np.empty(0), np.empty(0))
        key = (Same(sim), e1, e2)
        old = self.last if self.mode == "2d" and self.last.get("key") == key else None
        if live and old is not None and time.perf_counter() - old["computed"] < LIVE_SURFACE_EVERY \
                and all(a <= lo and hi <= b for (lo, hi), (a, b) in
                        zip((self._span(c, p, 0.0) for c, p in zip(now, (p1, p2))), old["ranges"])):
            # Fast run, and the path is still on the surface: keep it, move the path and the point.
            self.last["path"] = (p1, p2)
            self.path.setData(p1, p2)
            self.now2.setData([now[0]], [now[1]])
            return
        ranges = [self._span(c, p, 1.0) for c, p in zip(now, (p1, p2))]
        ranges = [(a - 0.08 * (b - a), b + 0.08 * (b - a)) for a, b in ranges]
        g1, g2, losses = loss_surface(sim, e1, e2, n=surface_resolution(sim, e1, e2), ranges=tuple(ranges))
        self.last = {"elements": (e1, e2), "grid1": g1, "grid2": g2, "losses": losses, "path": (p1, p2),
                     "key": key, "ranges": ranges, "computed": time.perf_counter()}
        self._paint_surface(g1, g2, losses)
        self.path.setData(p1, p2)
        self.now2.setData([now[0]], [now[1]])
        pi = self.plot2.getPlotItem()
        n1, n2 = sim.network.element_name(e1), sim.network.element_name(e2)
        # in the colours the diagram marks them with: the selection and the second parameter (Ctrl+click)
        self._label(pi, "bottom", n1, FIRST_COLOR)
        self._label(pi, "left", n2, SECOND_COLOR)
        pi.vb.setRange(xRange=ranges[0], yRange=ranges[1], padding=0)
        self.header.setText(f"training loss over {n1} and {n2}, all other parameters as now: "
                            f"{_fmt(float(losses.min()))} … {_fmt(float(losses.max()))}\n"
                            f"path: {len(p1)} recorded states")

    @staticmethod
    def _span(c: float, p: np.ndarray, reach: float) -> tuple[float, float]:
        """From the current value ± *reach*, widened to hold every finite point of the path."""
        p = p[np.isfinite(p)]
        return min(c - reach, p.min(initial=c)), max(c + reach, p.max(initial=c))

    def _paint_surface(self, g1: np.ndarray, g2: np.ndarray, losses: np.ndarray) -> None:
        """Heatmap (log scale when the loss spans 50×) and contour lines, drawn from a 4× bilinear refinement."""
        fine = upsample(losses, 4)
        fx, fy = np.linspace(g1[0], g1[-1], fine.shape[1]), np.linspace(g2[0], g2[-1], fine.shape[0])
        shown = np.log(np.maximum(fine, 1e-300)) if fine.min() > 0 and fine.max() > 50 * fine.min() else fine
        self.surface.setImage(_surface_rgb(shown), autoLevels=False, levels=(0, 255))
        dx, dy = fx[1] - fx[0], fy[1] - fy[0]
        self.surface.setRect(QRectF(fx[0] - dx / 2, fy[0] - dy / 2, fx[-1] - fx[0] + dx, fy[-1] - fy[0] + dy))
        self._set_scale(float(shown.min()), float(shown.max()), shown is not fine)
        levels = np.linspace(shown.min(), shown.max(), CONTOURS + 2)[1:-1]
        segs = [contour_segments(fx, fy, shown, lv) for lv in levels] if shown.max() > shown.min() else []
        segs = np.concatenate(segs).reshape(-1, 2) if segs else np.empty((0, 2))
        self.contours.setData(segs[:, 0], segs[:, 1], connect="pairs")

    def _set_scale(self, lo: float, hi: float, log: bool) -> None:
        """The colour bar over the painted range; on a log-scaled surface its ticks name losses, not logarithms."""
        if hi <= lo:
            hi = lo + (abs(lo) * 1e-6 or 1e-12)
        self.scale.setLevels((lo, hi))
        self.scale.axis.setTicks([log_ticks(lo, hi)] if log else None)
        self.last["scale"] = (float(np.exp(lo)), float(np.exp(hi))) if log else (lo, hi)
