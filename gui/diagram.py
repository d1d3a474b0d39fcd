"""QtNetworkDiagram: the editable drawing of the network.

Neurons are labelled circles by layer, biases are small square nodes feeding
their layer, edges show the weight (or gradient, or last Δw) as text, coloured
by sign, thick by magnitude.  Click selects, double-click edits inline, the
wheel or a vertical drag on the selected weight scrubs it; elsewhere the wheel
zooms and a drag pans.  Everything drawn comes from the controller's
simulation and trace; edits go back through the controller.
"""
from __future__ import annotations

import math
import time

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsObject, QGraphicsScene, QGraphicsView, QLabel, QLineEdit,
                               QStyleOptionGraphicsItem, QToolTip, QWidget)

from backprop_lab.core import Element, format_number

from .controller import SimulationController

POS = QColor("#d0562c")
NEG = QColor("#2f6fb5")
HIGHLIGHT = QColor("#ffc400")
SELECT = QColor("#2ca02c")
SYMMETRY = QColor("#8e44ad")
MAX_DRAWN = 16           # wider layers are drawn collapsed
SHOWN_WHEN_COLLAPSED = (12, 2)
MAX_LABELLED_EDGES = 8  # per layer pair; more are labelled only when selected (and on hover)
COL_SPACING, ROW_SPACING, R = 230.0, 110.0, 36.0
LABEL_MAX_W = 170.0
RUN_REDRAW_INTERVAL = 0.5  # seconds between diagram redraws during a run


class _Item(QGraphicsObject):
    """Base item: knows its Element and draws from a small state dict."""

    def __init__(self, element: Element | None) -> None:
        super().__init__()
        self.element = element
        self.setAcceptHoverEvents(True)
        self.highlighted = False
        self.selected = False


class NeuronItem(_Item):
    def __init__(self, element: Element, name: str, kind: str) -> None:
        super().__init__(element)
        self.name = name
        self.kind = kind  # "input", "hidden", "output"
        self.value_text = ""
        self.symmetric = False
        self.setZValue(2)

    def boundingRect(self) -> QRectF:
        return QRectF(-R - 8, -R - 8, 2 * R + 16, 2 * R + 16)

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        p.addEllipse(QPointF(0, 0), R, R)
        return p

    def paint(self, p: QPainter, opt: QStyleOptionGraphicsItem, w: QWidget | None = None) -> None:
        p.setRenderHint(QPainter.Antialiasing)
        if self.highlighted:
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(255, 196, 0, 150))
            p.drawEllipse(QPointF(0, 0), R + 8, R + 8)
        fill = {"input": QColor("#dbe9f7"), "hidden": QColor("#f4f6f8"), "output": QColor("#fbe3cf")}[self.kind]
        pen = QPen(SELECT if self.selected else QColor("#34495e"), 3.5 if self.selected else 1.6)
        if self.symmetric:
            pen = QPen(SYMMETRY, 3, Qt.DashLine)
        p.setPen(pen)
        p.setBrush(fill)
        p.drawEllipse(QPointF(0, 0), R, R)
        f = QFont(p.font())
        f.setPointSizeF(11)
        f.setBold(True)
        p.setFont(f)
        p.setPen(QColor("#1b2631"))
        p.drawText(QRectF(-R, -R + 8, 2 * R, 24), Qt.AlignCenter, self.name)
        f.setBold(False)
        f.setPointSizeF(8 if len(self.value_text) <= 8 else 7)
        p.setFont(f)
        p.drawText(QRectF(-R - 6, 0, 2 * R + 12, 22), Qt.AlignCenter, self.value_text)
        if self.symmetric:
            f.setPointSizeF(12)
            p.setFont(f)
            p.setPen(SYMMETRY)
            p.drawText(QRectF(R - 10, -R - 8, 22, 22), Qt.AlignCenter, "≡")


class BiasItem(_Item):
    def __init__(self, layer: int, name: str) -> None:
        super().__init__(None)
        self.layer = layer
        self.name = name
        self.setZValue(2)

    def boundingRect(self) -> QRectF:
        return QRectF(-20, -16, 40, 32)

    def paint(self, p: QPainter, opt, w=None) -> None:
        p.setRenderHint(QPainter.Antialiasing)
        p.setPen(QPen(QColor("#7f8c8d"), 1.4))
        p.setBrush(QColor("#fdf6d8"))
        p.drawRoundedRect(QRectF(-18, -14, 36, 28), 6, 6)
        f = QFont(p.font())
        f.setPointSizeF(10)
        f.setBold(True)
        p.setFont(f)
        p.setPen(QColor("#5d4e0b"))
        p.drawText(QRectF(-18, -14, 36, 28), Qt.AlignCenter, self.name)


class EllipsisItem(_Item):
    def __init__(self, hidden: int) -> None:
        super().__init__(None)
        self.text = f"⋮\n{hidden} more"

    def boundingRect(self) -> QRectF:
        return QRectF(-40, -26, 80, 52)

    def paint(self, p: QPainter, opt, w=None) -> None:
        p.setPen(QPen(QColor("#95a5a6"), 1, Qt.DashLine))
        p.setBrush(QColor("#fafafa"))
        p.drawRoundedRect(self.boundingRect().adjusted(2, 2, -2, -2), 10, 10)
        p.setPen(QColor("#566573"))
        p.drawText(self.boundingRect(), Qt.AlignCenter, self.text)


class LossItem(_Item):
    def __init__(self) -> None:
        super().__init__(Element("loss"))
        self.text = "E"
        self.setZValue(2)

    def boundingRect(self) -> QRectF:
        return QRectF(-70, -34, 140, 68)

    def paint(self, p: QPainter, opt, w=None) -> None:
        p.setRenderHint(QPainter.Antialiasing)
        if self.highlighted:
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(255, 196, 0, 150))
            p.drawRoundedRect(self.boundingRect(), 14, 14)
        p.setPen(QPen(SELECT if self.selected else QColor("#922b21"), 3 if self.selected else 1.6))
        p.setBrush(QColor("#fdecea"))
        p.drawRoundedRect(self.boundingRect().adjusted(5, 5, -5, -5), 10, 10)
        p.setPen(QColor("#641e16"))
        f = QFont(p.font())
        f.setPointSizeF(9)
        p.setFont(f)
        p.drawText(self.boundingRect(), Qt.AlignCenter, self.text)


class EdgeItem(_Item):
    """A weight (or bias) connection, with its value label."""

    def __init__(self, element: Element, a: QPointF, b: QPointF, name: str, label_at: float,
                 dashed: bool = False) -> None:
        super().__init__(element)
        self.a, self.b = a, b
        self.name = name
        self.label_at = label_at
        self.dashed = dashed
        self.value = 0.0
        self.width = 1.5
        self.label = ""
        self.show_label = True
        self.setZValue(0)
        self._path = QPainterPath(a)
        self._path.lineTo(b)
        # A fixed bounding rect, big enough for any label and line width: the item's
        # geometry then never changes, so prepareGeometryChange() is never needed (in
        # PySide6 6.12.0 each call of it drops a reference to None and eventually aborts
        # the interpreter).
        lp = self.label_pos()
        self._bounds = (QRectF(a, b).normalized().adjusted(-14, -14, 14, 14)
                        .united(QRectF(lp.x() - LABEL_MAX_W / 2 - 4, lp.y() - 14, LABEL_MAX_W + 8, 28)))

    def label_pos(self) -> QPointF:
        return self.a + (self.b - self.a) * self.label_at

    def label_rect(self) -> QRectF:
        fm = QFontMetricsF(_label_font())
        w = min(fm.horizontalAdvance(self.label) + 10, LABEL_MAX_W)
        c = self.label_pos()
        return QRectF(c.x() - w / 2, c.y() - 10, w, 20)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        s = QPainterPathStroker()
        s.setWidth(max(10.0, self.width + 6))
        path = s.createStroke(self._path)
        if self.show_label:
            path.addRect(self.label_rect())
        return path

    def paint(self, p: QPainter, opt, w=None) -> None:
        p.setRenderHint(QPainter.Antialiasing)
        color = POS if self.value >= 0 else NEG
        if self.highlighted:
            p.setPen(QPen(HIGHLIGHT, self.width + 10, Qt.SolidLine, Qt.RoundCap))
            p.drawPath(self._path)
        if self.selected:
            p.setPen(QPen(SELECT, self.width + 6, Qt.SolidLine, Qt.RoundCap))
            p.drawPath(self._path)
        c = QColor(color)
        c.setAlpha(110 if self.dashed else 200)
        p.setPen(QPen(c, self.width, Qt.DashLine if self.dashed else Qt.SolidLine, Qt.RoundCap))
        p.drawPath(self._path)
        if self.show_label and self.label:
            r = self.label_rect()
            p.setPen(QPen(SELECT if self.selected else c, 2 if self.selected else 1))
            p.setBrush(QColor(255, 255, 255, 235))
            p.drawRoundedRect(r, 5, 5)
            p.setFont(_label_font())
            p.setPen(QColor("#1b2631"))
            p.drawText(r, Qt.AlignCenter, self.label)


def _label_font() -> QFont:
    f = QFont()
    f.setPointSizeF(8.5)
    return f


class QtNetworkDiagram(QGraphicsView):
    """The central view of the network; see the module docstring."""

    def __init__(self, controller: SimulationController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._scene = QGraphicsScene(self)  # parented, or it is collected and nothing shows
        self.setScene(self._scene)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.BoundingRectViewportUpdate)
        self.setBackgroundBrush(QColor("#ffffff"))
        self.setMinimumSize(420, 300)
        self.setAccessibleName("Network diagram")
        self.setToolTip("")
        self.neurons: dict[tuple[int, int], NeuronItem] = {}
        self.edges: dict[Element, EdgeItem] = {}
        self.bias_nodes: list[BiasItem] = []
        self.loss_item: LossItem | None = None
        self.highlighted: Element | None = None
        self.editor: QLineEdit | None = None
        self.editor_error = QLabel(self.viewport())
        self.editor_error.setStyleSheet("background:#fdecea; color:#922b21; border:1px solid #e6b0aa;"
                                        "border-radius:4px; padding:3px 6px;")
        self.editor_error.hide()
        self._editing: Element | None = None
        self._scrub: tuple[Element, float, float] | None = None
        self._user_zoomed = False
        self._last_run_redraw = 0.0
        c = controller
        c.simulation_replaced.connect(self._on_simulation_replaced)
        c.state_changed.connect(self._on_state_changed)
        c.computation_stepped.connect(self._on_state_changed)
        c.selection_changed.connect(self._on_selection_changed)
        c.display_changed.connect(self._on_state_changed)
        self._build()
        self._update_values()

    # -- structure ----------------------------------------------------------------------------
    def _drawn(self, layer: int) -> list[int | None]:
        n = self.controller.sim.network.sizes[layer]
        if n <= MAX_DRAWN:
            return list(range(n))
        a, b = SHOWN_WHEN_COLLAPSED
        return list(range(a)) + [None] + list(range(n - b, n))

    def _build(self) -> None:
        self.close_editor()
        self._scene.clear()
        self.neurons.clear()
        self.edges.clear()
        self.bias_nodes.clear()
        net = self.controller.sim.network
        L = net.n_layers
        pos: dict[tuple[int, int], QPointF] = {}
        drawn = [self._drawn(l) for l in range(L + 1)]
        tallest = max(len(d) for d in drawn)
        # Big networks get a tighter grid so that "fit to window" stays legible.
        row_dy = ROW_SPACING if tallest <= 8 else 0.76 * ROW_SPACING
        col_dx = COL_SPACING if L <= 4 else 0.74 * COL_SPACING
        for l in range(L + 1):
            col = drawn[l]
            top = -(len(col) - 1) * row_dy / 2
            x = l * col_dx
            for k, j in enumerate(col):
                y = top + k * row_dy
                if j is None:
                    e = EllipsisItem(net.sizes[l] - sum(1 for v in col if v is not None))
                    e.setPos(x, y)
                    self._scene.addItem(e)
                    continue
                kind = "input" if l == 0 else "output" if l == L else "hidden"
                item = NeuronItem(Element("neuron", l, j), net.neuron_name(l, j), kind)
                item.setPos(x, y)
                self._scene.addItem(item)
                self.neurons[(l, j)] = item
                pos[(l, j)] = QPointF(x, y)
            title = "Inputs" if l == 0 else ("Outputs" if l == L else f"Hidden layer {l}")
            if l > 0:
                title += f"\n{net.activations[l - 1].name}"
            t = self._scene.addSimpleText(title)
            t.setBrush(QColor("#566573"))
            t.setPos(x - t.boundingRect().width() / 2, -(tallest - 1) * row_dy / 2 - R - 96)
        for l in range(L):
            n_edges = (len(drawn[l]) * len(drawn[l + 1]))
            labelled = n_edges <= MAX_LABELLED_EDGES
            for rank, j in enumerate(drawn[l + 1]):
                if j is None:
                    continue
                for i in drawn[l]:
                    if i is None:
                        continue
                    a, b = pos[(l, i)], pos[(l + 1, j)]
                    d = b - a
                    length = math.hypot(d.x(), d.y())
                    # Labels sit near the source end, each target at its own spot, so they do not collide.
                    frac = (R + 24 + 26 * (rank % 4)) / max(length, 1.0) if len(drawn[l]) > 1 else 0.5
                    el = Element("weight", l, j, i)
                    e = EdgeItem(el, a + d * (R / length), b - d * (R / length), net.weight_name(l, j, i),
                                 min(frac, 0.6))
                    e.show_label = labelled
                    self._scene.addItem(e)
                    self.edges[el] = e
            # bias node of dense layer l sits above the source column
            col = drawn[l]
            bx = l * col_dx + col_dx * 0.45
            by = -(len(drawn[l + 1]) - 1) * row_dy / 2 - row_dy * 0.75
            bn = BiasItem(l, net.bias_name(l))
            bn.setPos(bx, by)
            self._scene.addItem(bn)
            self.bias_nodes.append(bn)
            for j in drawn[l + 1]:
                if j is None:
                    continue
                b = pos[(l + 1, j)]
                a = QPointF(bx, by)
                d = b - a
                length = math.hypot(d.x(), d.y())
                el = Element("bias", l, j)
                e = EdgeItem(el, a + d * (18 / length), b - d * (R / length), f"{net.bias_name(l)}→{net.neuron_name(l + 1, j)}",
                             0.55, dashed=True)
                e.show_label = len(drawn[l + 1]) <= 4
                self._scene.addItem(e)
                self.edges[el] = e
        self.loss_item = LossItem()
        self.loss_item.setPos(L * col_dx + 190, 0)
        self._scene.addItem(self.loss_item)
        self._scene.setSceneRect(self._scene.itemsBoundingRect().adjusted(-30, -30, 30, 30))
        self._user_zoomed = False
        QTimer.singleShot(0, self.fit)

    # -- values ----------------------------------------------------------------------------------
    def _values(self):
        """Engine values for the shown sample: {(kind, element): result} from the revealed records."""
        c = self.controller
        tr = c.trace
        if tr is None:
            return {}, None
        recs = tr.records if c.is_preview else tr.records[:c.revealed]
        s = c.sample
        vals = {}
        for r in recs:
            if r.sample is None or r.sample == s or r.kind == "total_loss":
                vals[(r.kind, r.element)] = r
        return vals, tr

    def _update_values(self) -> None:
        c = self.controller
        sim = c.sim
        net = sim.network
        digits = c.precision
        vals, tr = self._values()
        s = c.sample
        sym = {(l, j) for l, js in c.symmetry for j in js}
        current = c.current
        self.highlighted = current.element if current is not None else None
        for (l, j), item in self.neurons.items():
            el = item.element
            if l == 0:
                idx = self._input_index(tr, s)
                item.value_text = format_number(sim.inputs[idx, j], min(digits, 6))
            else:
                r_out = vals.get(("activation", el))
                item.value_text = format_number(r_out.result, min(digits, 6)) if r_out else ""
            item.symmetric = (l, j) in sym
            item.highlighted = self.highlighted == el
            item.selected = c.selection == el
            item.update()
        # edges
        groups: dict[tuple[int, bool], list[EdgeItem]] = {}
        for el, e in self.edges.items():
            w = sim.parameter(el)
            g = vals.get(("gradient", el))
            u = vals.get(("update", el))
            if c.edge_view == "gradient":
                shown = g.result if g else None
            elif c.edge_view == "delta":
                shown = (u.result - u.old_value) if u and not c.is_preview else None
            else:
                shown = w
            e.value = shown if shown is not None else 0.0
            e.label = "" if shown is None else format_number(shown, digits)
            if c.edge_view == "gradient" and shown is not None:
                e.label = "∂ " + e.label
            elif c.edge_view == "delta" and shown is not None:
                e.label = "Δ " + e.label
            e.highlighted = self.highlighted == el
            e.selected = c.selection == el
            groups.setdefault((el.layer, el.kind == "bias"), []).append(e)
        for items in groups.values():
            m = max((abs(e.value) for e in items), default=0.0) or 1.0
            for e in items:
                e.width = 1.0 + 5.0 * min(abs(e.value) / m, 1.0)
                e.show_label = e.show_label if len(items) <= MAX_LABELLED_EDGES else e.selected
                e.update()
        # loss box
        if self.loss_item is not None:
            r = vals.get(("total_loss", Element("loss")))
            text = f"E_total\n{format_number(r.result, digits)}" if r else "E_total\n–"
            text += f"\n(training set: {format_number(sim.loss(), min(digits, 6))})" if not c.fast_running else ""
            self.loss_item.text = text
            self.loss_item.highlighted = self.highlighted == Element("loss")
            self.loss_item.update()
        self._scene.update()

    def _input_index(self, tr, s: int) -> int:
        sim = self.controller.sim
        if tr is not None and len(tr.batch) > s:
            return int(tr.batch[s])
        return int(sim.next_batch()[0])

    def tooltip_for(self, element: Element) -> str:
        """Rich-text tooltip of a neuron, weight, bias or the loss, built when it is asked for."""
        c = self.controller
        net = c.sim.network
        d = c.precision
        vals, tr = self._values()
        if element.kind == "neuron":
            l, j = element.layer, element.j
            name = net.neuron_name(l, j)
            if l == 0:
                idx = self._input_index(tr, c.sample)
                tip = f"<b>{name}</b> = {format_number(c.sim.inputs[idx, j], d)} (input of sample #{idx + 1})"
            else:
                r_net, r_out = vals.get(("weighted_sum", element)), vals.get(("activation", element))
                r_d = vals.get(("output_delta", element)) or vals.get(("hidden_delta", element))
                tip = f"<b>{name}</b>"
                if r_net:
                    tip += f"<br>net = {format_number(r_net.result, d)}"
                if r_out:
                    tip += f"<br>out = {format_number(r_out.result, d)}"
                if r_d:
                    tip += f"<br>δ = ∂E/∂net = {format_number(r_d.result, d)}"
                tip += f"<br>bias {net.bias_name(l - 1)} = {format_number(net.biases[l - 1][j], d)}"
                tip += "<br><i>Double-click to edit its bias.</i>"
            if any(l == layer and j in js for layer, js in c.symmetry):
                tip += ("<br><span style='color:#8e44ad'>≡ identical to another neuron of this layer: same "
                        "weights in and out, so the same value, delta and update forever.</span>")
            return tip
        if element.kind in ("weight", "bias"):
            e = self.edges.get(element)
            name = e.name if e is not None else net.element_name(element)
            g, u = vals.get(("gradient", element)), vals.get(("update", element))
            tip = f"<b>{name}</b> = {format_number(c.sim.parameter(element), d)}"
            tip += f"<br>∂E/∂{name} = {format_number(g.result, d)}" if g else "<br>∂E/∂w: not computed yet"
            if u:
                tip += (f"<br>{'next ' if c.is_preview else 'last '}Δ = {format_number(u.result - u.old_value, d)}"
                        f" (→ {format_number(u.result, d)})")
            return tip + "<br><i>Click to select, double-click to edit; wheel or drag on a selected weight scrubs it.</i>"
        return ("Loss of the current batch before the update; below it, the mean loss over the whole training set "
                "at the current weights.")

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.ToolTip:
            el = self._element_at(event.pos())
            if el is not None:
                QToolTip.showText(event.globalPos(), self.tooltip_for(el), self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def edge_label(self, element: Element) -> str:
        """The text an edge shows (tests and accessibility)."""
        return self.edges[element].label

    def neuron_text(self, layer: int, j: int) -> str:
        return self.neurons[(layer, j)].value_text

    # -- slots -------------------------------------------------------------------------------------
    def _on_simulation_replaced(self) -> None:
        self._build()

    def _on_state_changed(self, *args) -> None:
        # While running, the plot shows progress; repainting every edge 30 times a second
        # would cost more than the training itself. The final state is drawn when the run ends.
        if self.controller.fast_running:
            now = time.perf_counter()
            if now - self._last_run_redraw < RUN_REDRAW_INTERVAL:
                return
            self._last_run_redraw = now
        self._update_values()

    def _on_selection_changed(self, element) -> None:
        self._update_values()

    # -- view --------------------------------------------------------------------------------------
    def fit(self) -> None:
        """Fit the whole network into the window (Ctrl+0)."""
        self.fitInView(self._scene.sceneRect(), Qt.KeepAspectRatio)
        if self.transform().m11() > 1.4:  # don't blow small networks up beyond readable size
            self.resetTransform()
            self.scale(1.4, 1.4)
            self.centerOn(self._scene.sceneRect().center())
        self._user_zoomed = False

    def zoom(self, factor: float) -> None:
        self.scale(factor, factor)
        self._user_zoomed = True

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._user_zoomed:
            self.fit()

    def _element_at(self, pos) -> Element | None:
        for item in self.items(pos):
            if isinstance(item, _Item) and item.element is not None:
                return item.element
        return None

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            el = self._element_at(event.position().toPoint())
            if el is not None:
                if el == self.controller.selection and el.kind in ("weight", "bias"):
                    self._scrub = (el, event.position().y(), self.controller.sim.parameter(el))
                self.controller.select(el)
                event.accept()
                return
            self.controller.select(None)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._scrub is not None and event.buttons() & Qt.LeftButton:
            el, y0, v0 = self._scrub
            dy = y0 - event.position().y()
            step = 0.001 if event.modifiers() & Qt.ShiftModifier else 0.005
            self.controller.edit_parameter(el, repr(round(v0 + dy * step, 6)), merge=True)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self._scrub = None
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        el = self._element_at(event.position().toPoint())
        if el is not None and el.kind == "neuron" and el.layer > 0:
            el = Element("bias", el.layer - 1, el.j)
        if el is not None and el.kind in ("weight", "bias"):
            self.open_editor(el)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def wheelEvent(self, event) -> None:
        el = self._element_at(event.position().toPoint())
        sel = self.controller.selection
        if el is not None and el == sel and el.kind in ("weight", "bias"):
            notches = event.angleDelta().y() / 120
            step = 0.1 if event.modifiers() & Qt.ControlModifier else 0.01
            self.controller.nudge_parameter(el, notches * step)
            event.accept()
            return
        self.zoom(1.15 ** (event.angleDelta().y() / 120))
        event.accept()

    # -- inline editor -----------------------------------------------------------------------------
    def open_editor(self, element: Element) -> QLineEdit:
        """Open the inline editor on a weight or bias (Enter commits, Esc cancels)."""
        self.close_editor()
        self.controller.select(element)
        item = self.edges.get(element)
        anchor = item.label_pos() if item is not None else QPointF(0, 0)
        ed = _InlineEditor(self.viewport())
        ed.setText(repr(self.controller.sim.parameter(element)))
        ed.selectAll()
        ed.setAccessibleName(f"Edit {self.controller.sim.network.element_name(element)}")
        ed.setToolTip("Type a number; Enter to apply, Esc to cancel")
        p = self.mapFromScene(anchor)
        ed.setFixedWidth(150)
        ed.move(max(0, p.x() - 75), max(0, p.y() - 14))
        ed.committed.connect(self._on_editor_commit)
        ed.cancelled.connect(self.close_editor)
        ed.show()
        ed.setFocus()
        self.editor = ed
        self._editing = element
        return ed

    def close_editor(self) -> None:
        if self.editor is not None:
            self.editor.hide()
            self.editor.deleteLater()
            self.editor = None
        self._editing = None
        self.editor_error.hide()

    def _on_editor_commit(self, text: str) -> None:
        if self._editing is None:
            return
        err = self.controller.edit_parameter(self._editing, text)
        if err:
            self.editor_error.setText(err)
            self.editor_error.adjustSize()
            self.editor_error.move(self.editor.x(), self.editor.y() + self.editor.height() + 2)
            self.editor_error.show()
            self.editor_error.raise_()
            self.editor.selectAll()
            return
        self.close_editor()



class _InlineEditor(QLineEdit):
    committed = Signal(str)
    cancelled = Signal()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            self.committed.emit(self.text())
            return
        if event.key() == Qt.Key_Escape:
            self.cancelled.emit()
            return
        super().keyPressEvent(event)
