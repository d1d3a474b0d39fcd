"""QtLossPlot: the loss falling, live, redrawn from the controller's view state.

Per-iteration batch loss (thin) and per-epoch training-set loss (dots), a
vertical marker at the current iteration that moves back on step back, and a
log-scale toggle.  The axes read plainly (no "×0.001" factor, whole-number iterations, nothing below 0)
and the legend sits above the data.  After a step back the undone future stays, faded, while Redo can bring
it back.  Curves are created once and updated with ``setData``;
very long histories are reduced to min/max pairs per bin (kept from one redraw to the next) before
drawing, so 10⁶ points stay smooth.  The engine's own bounded history keeps older iterations only as
min/max buckets (``ViewState.reduced``): those are drawn as the polyline through each bucket's min and max,
which at screen resolution is the same picture as the full curve.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QMetaObject, Qt, Slot
from PySide6.QtWidgets import QCheckBox, QGraphicsItem, QGraphicsView, QHBoxLayout, QVBoxLayout, QWidget

from .controller import SimulationController
from .decimate import MAX_POINTS, Decimator, decimate  # noqa: F401  (MAX_POINTS: tests)
from .loss_plot_items import Curve, Dots, LightGrid, log10_finite
from .plot_style import legend_above, plain_axes, style_plot
from .text_widgets import QtTextLine
from .theme import colors
from .view_state import RedrawOnce, ViewState

#: During fast runs, texts (counters, last loss) change at most this often: faster is unreadable anyway.
TEXT_INTERVAL = 0.25
#: The plot's least height in pixels, legend and axes included.
MIN_PLOT_HEIGHT = 150
#: Up to this many iterations, each batch loss is drawn with a dot (one point alone has no line to show it).
FEW_POINTS = 50
#: The data's top stays at least this far below the top of a linear axis (a dot on the edge is cut in half).
TOP_ROOM = 1.04


class QtLossPlot(QWidget):
    """See the module docstring; redrawn on ``history_changed`` (and the log-scale display setting)."""

    def __init__(self, controller: SimulationController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        top = QHBoxLayout()
        self.log_box = QCheckBox("Log scale")
        self.log_box.setToolTip("Show the loss on a logarithmic axis (L)")
        self.log_box.setAccessibleName("Logarithmic loss axis")
        self.log_box.toggled.connect(controller.set_log_scale)
        self.info = QtTextLine("iteration 10,000,000 · epoch 1,000,000 · last batch loss 0.000000000")
        top.addWidget(self.info, 1)
        top.addWidget(self.log_box)
        lay.addLayout(top)
        self.summary = QtTextLine("training: accuracy 100.0 % (60000/60000) · loss 0.0000    "
                                  "test: accuracy 100.0 % (10000/10000) · loss 0.0000")
        self.summary.setAccessibleName("Accuracy and loss")
        top.insertWidget(1, self.summary, 1)
        self.set_summary("")  # the text above only sized the line; shown once the window computes it
        self.plot = pg.PlotWidget(background=colors().plot_background,  # the system's light or dark palette
                                axisItems=plain_axes(x_integer=True))
        self.plot.setAccessibleName("Loss plot")
        # A light grid at the axes' major ticks, drawn as plain 1-pixel lines: pyqtgraph's GridItem (three
        # levels of lines) took two thirds of each redraw of this plot (measured: 15 ms against 5.6 ms).
        self.plot.addItem(LightGrid(self.plot.getPlotItem()))
        # The axes change only with the range (in steps): keep them as pixmaps, so that a new point, which
        # repaints the plot area, blits them instead of drawing their ticks and labels again.
        for name in ("left", "bottom"):
            self.plot.getAxis(name).setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.plot.setLabel("bottom", "iteration")
        self.plot.setLabel("left", "loss")
        pi = self.plot.getPlotItem()
        style_plot(pi, x_min=0)
        pi.hideButtons()
        self.legend = legend = legend_above(pi, columns=3, text_color=colors().ink)  # above the data
        self.plot.setClipToView(True)
        # A bare curve (its data set with every key press) and, while there are few points, dots on it.
        # The curve's y is log10 of the loss on a log axis (a PlotCurveItem does not transform by itself).
        self.batch_curve = Curve(pen=pg.mkPen("#5d8aa8", width=1))
        self.plot.addItem(self.batch_curve)
        self.batch_dots = Dots("#5d8aa8")
        self.plot.addItem(self.batch_dots)
        # The epoch curves the same way: on the worked example every iteration ends an epoch, and pyqtgraph's
        # symbols re-rendered the markers with each point (about 1 ms a press).
        self.epoch_curve = Curve(pen=pg.mkPen("#c0392b", width=2))
        self.epoch_dots = Dots("#c0392b")
        self.test_curve = Curve(pen=pg.mkPen("#8e44ad", width=2, style=Qt.DashLine))
        self.test_dots = Dots("#8e44ad", size=6, triangle=True)
        for item in (self.epoch_curve, self.epoch_dots, self.test_curve, self.test_dots):
            self.plot.addItem(item)
        # The undone future after a step back: faded, until a new step replaces it.
        self.future_curve = self.plot.plot([], [], pen=pg.mkPen(93, 138, 168, 70, width=1))
        self.future_curve.setZValue(-3)
        legend.addItem(self.batch_curve, "batch loss (per iteration)")
        legend.addItem(self.epoch_curve, "training loss (per epoch)")
        legend.addItem(self.test_curve, "test loss (per epoch)")
        self._future: np.ndarray | None = None  # batch losses of the undone iterations after the shown ones
        self._future_start = 0  # the iteration before the first undone one (absolute)
        self._prev_y: np.ndarray | None = None
        self._prev_off = 0  # iterations before _prev_y (reduced to buckets)
        self._dec_off = 0
        self.marker = pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#27ae60", width=2, style=Qt.DashLine))
        self.marker.setToolTip("current iteration")
        self.plot.addItem(self.marker)
        # Room for the legend, the axes and about 90 px of data: shorter, the curve is a flat line and the
        # loss labels crowd each other (the dock scrolls or the diagram gives way instead).
        self.plot.setMinimumHeight(MIN_PLOT_HEIGHT)
        lay.addWidget(self.plot)
        self.plot.setToolTip("Double-click to step back to that iteration")
        self.plot.scene().sigMouseClicked.connect(self._on_plot_clicked)
        self._x_max = 10.0
        self._info_time = 0.0
        self._decimator: Decimator | None = None
        self._marked = True  # the epoch points have markers (not with hundreds of epochs nor in a fast run)
        self._epochs_drawn: list = [None, None]  # the (x, y) last set on the epoch curve and on the test curve
        self._y_range: tuple[float, float] | None = None
        self._exact = True  # the next redraw fits the range to the data tightly
        self._log = False
        self._follow = True  # the view follows the data until the user zooms or pans
        self._runs_extent: tuple[float, float, float] | None = None  # earlier runs shown: last x, min y, max y
        vb = self.plot.getPlotItem().vb
        vb.sigRangeChangedManually.connect(self._on_range_changed_manually)
        # View All (the plot's context menu) fits everything and follows the data again, as before a zoom.
        if getattr(vb, "menu", None) is not None and hasattr(vb.menu, "viewAll"):
            vb.menu.viewAll.triggered.connect(self.follow_again)
        self._redraw = RedrawOnce(self)
        # Changes of the plot outside a key press's update (a scale, a zoom, another file): the next update
        # repaints the whole plot (see _in_the_windows_pass)
        self._whole_plot_due = True
        controller.history_changed.connect(self._on_history_changed)
        controller.simulation_replaced.connect(self._on_simulation_replaced)
        controller.display_changed.connect(self._on_display_changed)
        controller.run_finished.connect(self._on_run_finished)
        controller.parameters_changed.connect(self._on_parameters_changed)
        self._update_scale(controller.state)
        self._update_curves(controller.state)

    # -- slots -------------------------------------------------------------------------------------
    def _on_history_changed(self, state: ViewState) -> None:
        self._in_the_windows_pass(lambda: self._redraw.redraw(state, "curves"))

    def _in_the_windows_pass(self, update) -> None:
        """Run *update* so that the plot is repainted with the rest of the window.

        Each graphics scene, when it processes its items' changes after the action, has the window repaint what
        is pending at once; the diagram's scene comes first, so the plot used to be painted in a second pass of
        the whole window's repaint.  Here the plot's view ignores its scene's changes until they are processed
        (a queued call, after the scene's own), and its changed part is marked by hand now: it is painted in the
        first pass.
        """
        view = self.plot
        if view.viewportUpdateMode() == QGraphicsView.NoViewportUpdate:  # already within one
            update()
            return
        vb = self.plot.getPlotItem().vb
        before = vb.viewRange()
        view.setViewportUpdateMode(QGraphicsView.NoViewportUpdate)
        try:
            update()
        finally:
            if self._whole_plot_due or vb.viewRange() != before:
                # new ranges (the axes and grid change too), or a change of this plot made since it was last
                # painted (a new scale, a zoom by hand) whose scene changes are processed with these, unseen
                view.viewport().update()
            else:  # the curves, dots and marker: all inside the data area
                view.viewport().update(view.mapFromScene(vb.sceneBoundingRect()).boundingRect().adjusted(-2, -2, 2, 2))
            self._whole_plot_due = False
            QMetaObject.invokeMethod(self, "_end_pass", Qt.QueuedConnection)

    @Slot()
    def _end_pass(self) -> None:
        self.plot.setViewportUpdateMode(QGraphicsView.MinimalViewportUpdate)  # (pyqtgraph's)

    def _on_parameters_changed(self, state: ViewState) -> None:
        if self._future is not None and not state.can_redo:  # an edit replaced the undone future
            self._future = None
            self.future_curve.setData([], [])

    def _on_simulation_replaced(self, state: ViewState) -> None:
        self._whole_plot_due = True
        self._future, self._prev_y = None, None
        self.future_curve.setData([], [])
        self._follow = self._exact = True
        self._decimator = None
        self._redraw.redraw(state, "scale", "curves")

    def _on_display_changed(self, state: ViewState) -> None:
        self._whole_plot_due = True
        if state.display.log_scale != self._log:
            self._exact = True
            self._redraw.redraw(state, "scale", "curves")

    def _on_run_finished(self, end) -> None:
        self._whole_plot_due = True
        self._exact = True  # the final range fits the data, not the run's
        self._update_curves(self.controller.state)

    def _on_plot_clicked(self, event) -> None:
        if not event.double():
            return
        x = self.plot.getPlotItem().vb.mapSceneToView(event.scenePos()).x()
        self.controller.step_back_to(max(0, int(round(x))))

    def _on_range_changed_manually(self, *args) -> None:
        self._whole_plot_due = True
        self._follow = False

    def follow_again(self) -> None:
        """Fit the axes to everything shown (the faded undone iterations too) and follow new data again."""
        self._whole_plot_due = True
        self._follow = self._exact = True
        self._update_curves(self.controller.state)

    # -- redraw parts ------------------------------------------------------------------------------
    def _update_scale(self, state: ViewState) -> None:
        self._log = state.display.log_scale
        self._epochs_drawn = [None, None]  # the same points, drawn as their logarithms or not
        if self.log_box.isChecked() != self._log:
            self.log_box.blockSignals(True)  # showing the setting must not write it back
            self.log_box.setChecked(self._log)
            self.log_box.blockSignals(False)
        self.plot.setLogMode(y=self._log)
        # No panning below a loss of 0 on a linear axis (on a log axis the limit would be a loss of 1).
        self.plot.getPlotItem().vb.setLimits(yMin=-1e307 if self._log else 0.0)  # -1e307: pyqtgraph's "none"

    def set_summary(self, text: str) -> None:
        """Show the accuracy and loss line above the plot (empty text hides it)."""
        self.summary.setText(text)
        self.summary.setVisible(bool(text))

    def _update_future(self, state: ViewState, y: np.ndarray, off: int) -> None:
        """Keep the undone iterations' losses after a step back while Redo can restore them.

        *y* holds iterations ``off + 1`` … ``off + len(y)`` (the older ones are reduced to buckets).
        """
        n, prev, p_off = off + len(y), self._prev_y, self._prev_off
        if prev is not None and n < p_off + len(prev) and state.can_redo:
            # A step back: the old history's tail is still intact at this publication; keep a copy.
            p_end = p_off + len(prev)
            old_future = self._future if self._future is not None and self._future_start == p_end else None
            start = max(n, p_off)  # undone iterations that were already reduced are not drawn faded
            cut = prev[start - p_off:]
            self._future = np.concatenate([cut, old_future]) if old_future is not None else cut.copy()
            self._future_start = start
        elif self._future is not None:
            fs = self._future_start
            k = n - fs
            if not state.can_redo or k < 0 or k >= len(self._future) or fs < off or \
                    (k > 0 and not np.array_equal(y[fs - off:n - off], self._future[:k])):
                self._future = None  # replaced by new iterations, or all of it redone
            elif k > 0:
                self._future, self._future_start = self._future[k:], n
        self._prev_y, self._prev_off = y, off
        if self._future is None:
            if self.future_curve.xData is not None and len(self.future_curve.xData):
                self.future_curve.setData([], [])  # (only when drawn: an empty setData costs an update per press)
            return
        fx = np.arange(self._future_start + 1, self._future_start + len(self._future) + 1, dtype=np.float64)
        fx, fy = decimate(fx, self._future)
        if len(y) and self._future_start == n:  # from the last shown iteration on: no gap between the two
            fx, fy = np.concatenate([[float(n)], fx]), np.concatenate([[float(y[-1])], fy])
        if self._log:
            fy = np.where(fy > 0, fy, np.nan)
        self.future_curve.setData(fx, fy, connect="finite")

    @property
    def future(self) -> np.ndarray | None:
        """The faded undone batch losses (after the shown iterations), or None."""
        return self._future

    def _batch_points(self, state: ViewState) -> tuple[np.ndarray, np.ndarray, int]:
        """The batch-loss curve to draw, ``(x, y, iterations before state.batch_loss)``."""
        y = state.batch_loss
        n = len(y)
        red = state.reduced.get("batch_loss")
        off = red.covered if red is not None else 0
        # The points are shared out by the span of iterations each part covers (about MAX_POINTS in all).
        share = MAX_POINTS if not off else max(64, MAX_POINTS * n // (n + off))
        # Bins kept from the last redraw: a growing history costs its new points, not all of it.
        if self._decimator is None or not self._decimator.fits(y) or off != self._dec_off:
            self._decimator, self._dec_off = Decimator(share), off
        xd, yd = self._decimator.extend(y) if n > share else (np.arange(1, n + 1, dtype=np.float64), y)
        if red is not None:
            bx, by = decimate(*red.points(), max(64, MAX_POINTS - share))
            xd, yd = np.concatenate([bx, xd + off]), np.concatenate([by, yd])
        return xd, yd, off

    def _epoch_points(self, state: ViewState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x, training loss, test loss)`` per epoch, a reduced part as min/max polylines first."""
        ex, ey, ty = state.epoch_end.astype(np.float64), state.epoch_loss, state.test_epoch_loss
        red, ends = state.reduced.get("epoch_loss"), state.reduced.get("epoch_end")
        if red is None or ends is None:
            return ex, ey, ty
        rx, ry = red.points(ends)
        test = state.reduced.get("test_loss")
        tr = test.points(ends)[1] if test is not None else np.full(len(rx), np.nan)
        if len(ty) != len(ey):
            ty = np.full(len(ey), np.nan)
        return np.concatenate([rx, ex]), np.concatenate([ry, ey]), np.concatenate([tr, ty])

    def _update_curves(self, state: ViewState) -> None:
        y = state.batch_loss
        xd, yd, off = self._batch_points(state)
        n = off + len(y)
        if self._log:  # zero or negative values have no logarithm; leave them out rather than warn
            yd = np.where(yd > 0, yd, np.nan)
        drawn_y = log10_finite(yd) if self._log else yd
        self.batch_curve.setData(xd, drawn_y, connect="finite")
        # A lone first point has no line to show it: with few iterations each gets a dot.
        dots = n <= FEW_POINTS and not state.fast_running
        self.batch_dots.setData(xd if dots else xd[:0], drawn_y if dots else drawn_y[:0])
        ex, ey, ty = self._epoch_points(state)
        if self._log:
            ey = np.where(ey > 0, ey, np.nan)
        exd, eyd = decimate(ex, ey)
        # Markers help with a few epochs; with hundreds, or while a fast run redraws 30 times a second, they
        # only cost drawing time.  (Setting the symbol again on every redraw would render it each time.)
        marked = len(ex) <= 300 and not state.fast_running
        if marked != self._marked:
            self._marked = marked
            self._epochs_drawn = [None, None]
        tey = self._test_points(ty, ex)
        txd, tyd = decimate(ex, tey) if len(tey) else (ex[:0], tey)
        # Most iterations end no epoch: the epoch curves are set again only when their points changed.
        # Each curve is set only when its own points changed (a curve set again, even empty, is measured and
        # repainted again).
        drawn = self._epochs_drawn
        for k, (curve, dots, x, v) in enumerate(((self.epoch_curve, self.epoch_dots, exd, eyd),
                                                 (self.test_curve, self.test_dots, txd, tyd))):
            if drawn[k] is not None and all(np.array_equal(a, b, equal_nan=True) for a, b in zip(drawn[k], (x, v))):
                continue
            drawn[k] = (x.copy(), v.copy())
            v = log10_finite(v) if self._log else v
            curve.setData(x, v, connect="finite")
            dots.setData(x if marked else x[:0], v if marked else v[:0])
        eyd = np.concatenate([eyd, tyd])
        self.marker.setValue(state.iteration)
        self._update_future(state, y, off)
        shown = n if self._future is None else max(n, self._future_start + len(self._future))
        ys = np.concatenate([yd, eyd] if self._future is None else [yd, eyd, self._future])
        # the range keeps the faded future in view
        self._update_range(shown, state.fast_running, ys, exact=self._exact)
        self._exact = False
        now = time.perf_counter()
        if not state.fast_running or now - self._info_time >= TEXT_INTERVAL:  # text a person can read
            self._info_time = now
            last = state.fmt(y[-1]) if len(y) else "–"
            self.info.setText(f"iteration {state.iteration:,} · epoch {state.epoch:,} · last batch loss {last}")

    def _test_points(self, ty: np.ndarray, ex: np.ndarray) -> np.ndarray:
        """The test loss per epoch (NaN where there was no test set); empty when no epoch had one."""
        if len(ty) != len(ex) or not np.isfinite(ty).any():
            return ex[:0]
        return np.where(ty > 0, ty, np.nan) if self._log else ty

    def _update_range(self, n: int, fast: bool, ys: np.ndarray, exact: bool = False) -> None:
        """Follow the data unless the user zoomed or panned the plot by hand.

        The range changes in steps, not with every point: a new range re-lays out the axis ticks and the
        grid, which costs more than drawing the curves.  *exact* fits the data tightly (after a run).
        """
        vb = self.plot.getPlotItem().vb
        if not self._follow and any(vb.autoRangeEnabled()):
            self._follow = True  # pyqtgraph's "A" button turned auto-range back on
        if self._runs_extent is not None:  # earlier runs drawn on this plot stay in view
            n = max(n, int(np.ceil(self._runs_extent[0])))
            ys = np.concatenate([ys, self._runs_extent[1:]])
        if n == 0:  # nothing to scale to yet: a sensible empty frame
            self._x_max, self._y_range = 10.0, None
            self.plot.setRange(xRange=(0, 10), yRange=(0, 1) if not self._log else (-1, 0), padding=0)
            return
        if not self._follow:
            return
        if exact or n > self._x_max or n < self._x_max / 3:
            self._x_max = float(n) if exact else max(10.0, n * 1.5 if fast else n + max(10.0, 0.1 * n))
            self.plot.setXRange(0, self._x_max, padding=0.02)
        finite = ys[np.isfinite(ys)]
        if self._log:
            finite = np.log10(finite[finite > 0])
        if not len(finite):
            return
        lo, hi = float(finite.min()), float(finite.max())
        r = self._y_range
        if self._log:  # decades, with a decade of room to fall into
            fits = r is not None and r[0] <= lo and hi <= r[1] and (hi - lo) >= 0.3 * (r[1] - r[0])
            new = (lo - (0.1 if exact else 1.0), hi + 0.1)
        else:  # a loss is never negative: the axis starts at 0, so only a new maximum moves it
            lo = min(lo, 0.0)
            fits = r is not None and r[0] <= lo and hi * TOP_ROOM <= r[1] and hi >= 0.4 * r[1]
            new = (lo, hi * 1.08 if hi > 0 else 1.0)
        if exact or not fits:
            self._y_range = new
            self.plot.setYRange(*new, padding=0)

    def set_runs_extent(self, extent: tuple[float, float, float] | None) -> None:
        """The earlier runs drawn on this plot end at iteration ``extent[0]`` and span losses ``extent[1:]``
        (None: none shown): the axes hold them as well as the current run, at once (e.g. right after Reset)."""
        if extent != self._runs_extent:
            self._runs_extent = extent
            self._whole_plot_due = True
            self._exact = True
            self._update_curves(self.controller.state)

    @property
    def n_points(self) -> int:
        """Iterations the plot holds (before decimation for drawing; reduced ones included)."""
        state = self.controller.state
        red = state.reduced.get("batch_loss")
        return len(state.batch_loss) + (red.covered if red is not None else 0)
