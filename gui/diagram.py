"""QtNetworkDiagram: the editable drawing of the network, redrawn from the controller's view state.

Neurons are labelled circles by layer, biases are small boxes feeding their layer, edges show their name and
the weight (or gradient, or last Δw), coloured by sign, thick by magnitude.  Geometry comes from the Qt-free
:class:`~backprop_lab.gui.diagram_layout.DiagramLayout`; the items only paint.  Click selects, Ctrl+click adds
(or lets go) a second weight or bias for the loss landscape over both, double-click edits inline, the wheel
or a vertical drag on the selected weight scrubs it; elsewhere the wheel zooms and a drag pans.  Edits go
through the controller.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QLabel, QLineEdit, QToolTip, QWidget

from backprop_lab.core import Element, shared_bias_layers

from .controller import SimulationController
from .diagram_items import (
    BiasItem,
    EdgeItem,
    EdgesLayer,
    LabelItem,
    LossItem,
    NeuronItem,
    TextItem,
    measure,
    qrect,
)
from .diagram_layout import DiagramLayout, parameter_name
from .diagram_note import QtEdgeNote, edge_view_note
from .identity import Same
from .theme import colors
from .tooltips import element_tooltip
from .view_state import RedrawOnce, ViewState

MAX_ZOOM_ON_FIT = 1.6
HIT_TOLERANCE_PX = 7.0  # how close (on screen) to a line a click still picks it
DRAG_PX = 4  # a press on empty canvas that moves less than this before its release is a click (deselects)
PREFIX = {"weight": "", "gradient": "∂ ", "delta": "Δ "}


class QtNetworkDiagram(QGraphicsView):
    """The central view of the network; see the module docstring."""

    #: the scene was built again (another network, or labels of another size): items others put in it are gone
    rebuilt = Signal()

    def __init__(self, controller: SimulationController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._scene = QGraphicsScene(self)  # parented, or it is collected and nothing shows
        self.setScene(self._scene)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.DontSavePainterState)
        self.setBackgroundBrush(QColor(colors().background))  # the system's light or dark palette
        self.setMinimumSize(420, 300)
        self.setAccessibleName("Network diagram")
        self.layout_: DiagramLayout | None = None
        self.neurons: dict[tuple[int, int], NeuronItem] = {}
        self.edges: dict[Element, EdgeItem] = {}
        self.labels: dict[Element, LabelItem] = {}
        self.loss_item: LossItem | None = None
        self.highlighted: Element | None = None
        self._shown_labels: set[Element] = set()
        self._edges_drawn: tuple | None = None
        self._layout_key: tuple = ()
        self.editor: QLineEdit | None = None
        self.editor_error = QLabel(self.viewport())
        self.editor_error.setTextFormat(Qt.PlainText)
        self.editor_error.setStyleSheet("background:#fdecea; color:#922b21; border:1px solid #e6b0aa;"
                                        "border-radius:4px; padding:3px 6px;")
        self.editor_error.hide()
        self.edge_note = QtEdgeNote(self, self._refit)  # why the gradient or update view shows no number
        self._editing: Element | None = None
        self._scrub: tuple[Element, float, float] | None = None
        self._empty_press: QPointF | None = None  # where a press on empty canvas began (a click or a pan)
        self._user_zoomed = False
        self._redraw = RedrawOnce(self)
        c = controller
        c.simulation_replaced.connect(self._on_simulation_replaced)
        c.parameters_changed.connect(self._on_parameters_changed)
        c.cursor_moved.connect(self._on_cursor_moved)
        c.selection_changed.connect(self._on_selection_changed)
        c.display_changed.connect(self._on_display_changed)
        app = QGuiApplication.instance()
        if app is not None:
            app.paletteChanged.connect(self._on_palette_changed)
        self._build(c.state)
        self._redraw.redraw(c.state, "edges", "neurons", "loss")

    # -- slots -------------------------------------------------------------------------------------
    def _on_simulation_replaced(self, state: ViewState) -> None:
        self._build(state)
        self._redraw.redraw(state, "edges", "neurons", "loss")

    def _on_parameters_changed(self, state: ViewState) -> None:
        self._redraw.redraw(state, "edges", "neurons", "loss")

    def _on_cursor_moved(self, state: ViewState) -> None:
        self._redraw.redraw(state, "edges", "neurons", "loss")

    def _on_selection_changed(self, state: ViewState) -> None:
        self._redraw.redraw(state, "edges", "neurons", "loss")

    def _on_display_changed(self, state: ViewState) -> None:
        if self._key(state) != self._layout_key:  # label texts got wider or narrower: place them again
            self._build(state)
        self._redraw.redraw(state, "edges", "neurons", "loss")

    # -- structure ---------------------------------------------------------------------------------
    @staticmethod
    def _key(state: ViewState) -> tuple:
        return Same(state.network), state.display.precision, state.display.edge_view, state.edge_names

    def _build(self, state: ViewState) -> None:
        """Lay the network out and create its items (on a new simulation, or when label sizes change)."""
        self.close_editor()
        self._scene.clear()
        self.neurons.clear()
        self.edges.clear()
        self.labels.clear()
        self._shown_labels = set()
        self._edges_drawn = None  # (drawn from, (current, selection, second), largest |v|s, (signs, widths))
        net = state.network
        digits = state.display.precision
        prefix = PREFIX[state.display.edge_view]
        names = state.edge_names

        def label_sample(el: Element) -> str:
            # room for the name and a value at this precision; longer values get a smaller font
            return (parameter_name(net, el, shared) + " " if names else "") + prefix + "−0." + "0" * digits

        shared = shared_bias_layers(net, state.settings)
        lay = DiagramLayout(net, label_sample, measure, shared)
        self.layout_ = lay
        self._theta_index = np.array([net.weight_index(el.layer, el.j, el.i) if el.kind == "weight"
                                      else net.bias_index(el.layer, el.j) for el in lay.edges], dtype=np.intp)
        self._layout_key = self._key(state)
        self._edge_order = list(lay.edges)
        self._edge_groups = [(el.layer, el.kind) for el in lay.edges]
        L = net.n_layers
        for (l, j), circle in lay.neurons.items():
            kind = "input" if l == 0 else "output" if l == L else "hidden"
            item = NeuronItem(Element("neuron", l, j), circle, net.neuron_name(l, j), kind)
            self._scene.addItem(item)
            self.neurons[(l, j)] = item
        for rect, hidden in lay.ellipses:
            self._scene.addItem(TextItem(rect, f"⋮\n{hidden} more", boxed=True))
        for rect, title in lay.titles:
            self._scene.addItem(TextItem(rect, title))
        for l, rect in lay.bias_boxes.items():
            self._scene.addItem(BiasItem(rect, net.bias_name(l)))
        edge_layer = EdgesLayer()
        self._scene.addItem(edge_layer)
        for el, geo in lay.edges.items():
            self.edges[el] = EdgeItem(geo, edge_layer)
            label = LabelItem(el, lay.label_size(el))
            self._scene.addItem(label)
            self.labels[el] = label
        self.loss_item = LossItem(lay.loss_box)
        self._scene.addItem(self.loss_item)
        self._scene.setSceneRect(qrect(lay.bounds))
        if not self._user_zoomed:
            QTimer.singleShot(0, self.fit)
        self.rebuilt.emit()

    # -- redraw parts (each once per publication, through RedrawOnce) --------------------------------------
    def _edge_values(self, state: ViewState) -> dict[Element, float | None]:
        """What each edge shows: its weight, its gradient or its last update (None: not computed yet)."""
        return self._shown_values(state)[0]

    def _shown_values(self, state: ViewState) -> tuple[dict[Element, float | None], bool]:
        """:meth:`_edge_values`, and whether they are the previous iteration's updates (this one has updated
        nothing yet: the last updates performed are the previous iteration's)."""
        view = state.display.edge_view
        if view == "weight":
            return dict(zip(self.edges, state.theta[self._theta_index].tolist())), False
        out: dict[Element, float | None] = {}
        for el in self.edges:
            r = state.value("gradient" if view == "gradient" else "update", el)
            if r is None or (view == "delta" and state.is_preview):
                out[el] = None
            else:
                out[el] = r.result if view == "gradient" else r.result - r.old_value
        previous = view == "delta" and state.previous_trace is not None and all(v is None for v in out.values())
        if previous:
            done = {r.element: r.result - r.old_value for r in state.previous_trace.shared_records()
                    if r.kind == "update"}
            out = {el: done.get(el) for el in self.edges}
        return out, previous

    def _update_edges(self, state: ViewState) -> None:
        prefix = PREFIX[state.display.edge_view]
        cur = state.current.element if state.current is not None else None
        sel, second = state.selection, state.second
        values, previous = self._shown_values(state)
        key = (self.layout_, values, state.display, state.edge_names)
        last = self._edges_drawn
        if last is not None and last[0] == key:
            # Stepping into an iteration mostly moves the highlight: only the edges that were or become
            # current or selected change (values, widths and the labels of the others stay as drawn).
            touched = {*last[1], cur, sel, second} - {None}
            elements = [el for el in touched if el in self.edges]
            biggest, looks = last[2], last[3]
        else:
            biggest = {}
            for el, v in values.items():
                if v is not None:
                    k = (el.layer, el.kind)
                    biggest[k] = max(biggest.get(k, 0.0), abs(v))
            looks = self._edge_looks(values, biggest)
            if last is not None and last[0][0] is self.layout_ and last[0][2:] == key[2:]:
                # Only the values changed (a step, an edit): the edges whose sign or width changed, those that
                # were or become current or selected, and the labels shown; the others look as drawn.
                changed = np.flatnonzero((looks[0] != last[3][0]) | (looks[1] != last[3][1]))
                order = self._edge_order
                keep = {order[k] for k in changed} | {*last[1], cur, sel, second} | set(self.layout_.labels) \
                    | self._shown_labels
                elements = [el for el in keep if el in self.edges]
            else:
                elements = list(self.edges)
        self._edges_drawn = (key, (cur, sel, second), biggest, looks)
        self._draw_edges(state, elements, values, biggest, prefix, cur, sel, second)
        self.highlighted = cur
        self.edge_note.show_text(edge_view_note(state, values, previous))

    def _edge_looks(self, values: dict, biggest: dict) -> tuple[np.ndarray, np.ndarray]:
        """``(positive, width)`` of every edge, in the order of ``self.edges``, as :meth:`_draw_edges` sets
        them (the same arithmetic, for all edges at once)."""
        v = np.array([np.nan if x is None else x for x in values.values()], dtype=np.float64)
        m = np.array([biggest.get(k) or 1.0 for k in self._edge_groups], dtype=np.float64)
        width = np.round(4.0 * (1.0 + 5.0 * np.minimum(np.abs(np.nan_to_num(v)) / m, 1.0))) / 4.0
        return ~(v < 0), width

    def _draw_edges(self, state: ViewState, elements: list[Element], values: dict, biggest: dict, prefix: str,
                    cur: Element | None, sel: Element | None, second: Element | None) -> None:
        lay = self.layout_
        labels = self._shown_labels
        for el in elements:
            item = self.edges[el]
            v = values[el]
            m = biggest.get((el.layer, el.kind)) or 1.0
            # widths in quarter pixels: a change too small to see does not repaint the edge
            width = round(4.0 * (1.0 + 5.0 * min(abs(v or 0.0) / m, 1.0))) / 4.0
            chosen = 1 if el == sel else 2 if el == second else 0  # the selection, the second parameter
            item.set_look(v is None or v >= 0, width, el == cur, chosen)
            label = self.labels[el]
            if v is not None and (lay.label_shown(el, sel, cur) or chosen):  # texts only for the labels shown
                labels.add(el)
                name = lay.edges[el].name if state.edge_names else ""
                label.set_look(name, prefix + state.fmt(v), item.color().rgb(), chosen)
                label.place(lay.label_rect(el))
            else:
                labels.discard(el)
                label.place(None)

    def _update_neurons(self, state: ViewState) -> None:
        sym = {(l, j) for l, js in state.symmetry for j in js}
        cur = state.current.element if state.current is not None else None
        digits = min(state.display.precision, 6)
        for (l, j), item in self.neurons.items():
            el = item.element
            if l == 0:
                v = float(state.inputs[state.sample_index, j])
            else:
                r = state.value("activation", el)
                v = r.result if r is not None else None
            text = "" if v is None else state.fmt(v, digits)
            if len(text) > 10:  # e.g. −1.23456e−100: fewer digits, so that it fits inside the circle
                text = state.fmt(v, 3)
            item.set_look(text, (l, j) in sym, el == cur, el == state.selection)

    def _update_loss(self, state: ViewState) -> None:
        if self.loss_item is None:
            return
        r = state.value("total_loss", Element("loss"))
        lines = ("E_total", state.fmt(r.result) if r is not None else "–")
        if state.shown_training_loss is not None:
            lines += (f"training set: {state.fmt(state.shown_training_loss, min(state.display.precision, 6))}",)
        cur = state.current.element if state.current is not None else None
        self.loss_item.set_look(lines, cur == Element("loss"), state.selection == Element("loss"))

    # -- queries (tests, accessibility) ------------------------------------------------------------------
    def edge_label(self, element: Element) -> str:
        """The value text an edge shows, or would show if its label were shown (without its name)."""
        state = self.controller.state
        v = self._edge_values(state)[element]
        return "" if v is None else PREFIX[state.display.edge_view] + state.fmt(v)

    def edge_text(self, element: Element) -> str:
        """Everything an edge's label shows, name included ('' when the label is hidden)."""
        label = self.labels[element]
        name, text = label.look[:2]
        return "" if not label.isVisible() else (f"{name} {text}" if name else text)

    def neuron_text(self, layer: int, j: int) -> str:
        return self.neurons[(layer, j)].look[0]

    def label_anchor(self, element: Element) -> QPointF:
        """Scene point at the centre of an edge's label spot (where a click or the editor goes)."""
        x, y = self.layout_.label_rect(element).center
        return QPointF(x, y)

    def shown_labels(self) -> set[Element]:
        return set(self._shown_labels)

    def tooltip_for(self, element: Element) -> str:
        """Rich-text tooltip of a neuron, weight, bias or the loss, built when it is asked for."""
        return element_tooltip(self.controller.state, element)

    # -- view --------------------------------------------------------------------------------------------
    def _on_palette_changed(self, *_: object) -> None:
        """The system switched between light and dark: new canvas, every item in the new colours.

        Connected to the application's ``paletteChanged`` (the colours follow the application's palette), not
        to this view's palette events, which the focus frame's style sheet keeps from reaching it."""
        self.setBackgroundBrush(QColor(colors().background))
        self._edges_drawn = None  # label colours are set from the theme when drawn: all again next time
        for edge in self.edges.values():
            edge.refresh_pens()  # (an edge's pens are made when its look changes, in the theme's colours)
        for item in self._scene.items():
            item.update()
        state = self.controller.state  # (drawn for this state already: redrawn here, past RedrawOnce)
        self._update_edges(state)
        self._update_neurons(state)
        self._update_loss(state)
        self.edge_note.place()  # (its colours too)

    def fit(self) -> None:
        """Fit the whole network into the window (Ctrl+0), up to a readable zoom."""
        self._user_zoomed = False
        self._refit()
        self.edge_note.place()

    def _refit(self) -> None:
        """Fit the network into the viewport again, unless the person zoomed it."""
        if self._user_zoomed:
            return
        rect = self._scene.sceneRect()
        self.fitInView(rect, Qt.KeepAspectRatio)
        if self.transform().m11() > MAX_ZOOM_ON_FIT:
            self.resetTransform()
            self.scale(MAX_ZOOM_ON_FIT, MAX_ZOOM_ON_FIT)
            self.centerOn(rect.center())

    def zoom(self, factor: float) -> None:
        self.scale(factor, factor)
        self._user_zoomed = True
        self.edge_note.place()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._refit()  # (unless the person zoomed)
        self.edge_note.place()

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.ToolTip:
            el = self._element_at(event.pos())
            if el is not None:
                QToolTip.showText(event.globalPos(), self.tooltip_for(el), self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def _element_at(self, pos) -> Element | None:
        """The element nearest to a viewport point (labels and neurons first, then the closest line)."""
        if self.layout_ is None:
            return None
        p = self.mapToScene(pos)
        tol = HIT_TOLERANCE_PX / max(self.transform().m11(), 1e-6)
        return self.layout_.hit(p.x(), p.y(), tol, self._shown_labels)

    # -- mouse -------------------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            el = self._element_at(event.position().toPoint())
            if el is not None and event.modifiers() & Qt.ControlModifier:
                self.controller.toggle_second(el)  # a second parameter: the loss landscape over both
                event.accept()
                return
            if el is not None:
                if el == self.controller.selection and el.kind in ("weight", "bias"):
                    self._scrub = (el, event.position().y(), self.controller.state.parameter(el))
                self.controller.select(el)
                event.accept()
                return
            # On empty canvas: a click lets the selection go, a drag pans and keeps it (decided on release).
            self._empty_press = event.position()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._scrub is not None and event.buttons() & Qt.LeftButton:
            el, y0, v0 = self._scrub
            dy = y0 - event.position().y()
            step = 0.001 if event.modifiers() & Qt.ShiftModifier else 0.005
            self.controller.edit_parameter(el, round(v0 + dy * step, 6), merge=True)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self._scrub = None
        press, self._empty_press = self._empty_press, None
        if press is not None and event.button() == Qt.LeftButton and \
                (event.position() - press).manhattanLength() < DRAG_PX:
            self.controller.select(None)
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

    # -- inline editor -----------------------------------------------------------------------------------
    def open_editor(self, element: Element) -> QLineEdit:
        """Open the inline editor on a weight or bias (Enter commits, Esc cancels)."""
        self.close_editor()
        self.controller.select(element)
        state = self.controller.state
        ed = _InlineEditor(self.viewport())
        ed.setText(repr(state.parameter(element)))
        ed.selectAll()
        ed.setAccessibleName(f"Edit {state.network.element_name(element)}")
        ed.setToolTip("Type a number; Enter to apply, Esc to cancel")
        p = self.mapFromScene(self.label_anchor(element))
        ed.setFixedWidth(150)
        ed.move(max(0, p.x() - 75), max(0, p.y() - 14))
        ed.committed.connect(self._on_editor_committed)
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

    def _on_editor_committed(self, text: str) -> None:
        if self._editing is None:
            return
        check = self.controller.check_parameter(self._editing, text)
        if not check.ok:  # the reason goes next to the field; nothing changes
            self._place_editor_error(check.reason)
            self.editor_error.show()
            self.editor_error.raise_()
            self.editor.selectAll()
            return
        element = self._editing
        self.close_editor()
        self.controller.edit_parameter(element, check.value)


    def _place_editor_error(self, reason: str) -> None:
        """Put *reason* under the editor, wrapped and moved so that all of it is inside the viewport."""
        err, vp = self.editor_error, self.viewport().rect()
        err.setText(reason)
        err.setWordWrap(False)
        err.adjustSize()
        if err.width() > vp.width() - 8:  # too wide for one line: wrap to the viewport's width
            err.setWordWrap(True)
            err.setFixedWidth(max(vp.width() - 8, 60))
            err.setFixedHeight(err.heightForWidth(err.width()))
        else:
            err.setMinimumSize(0, 0)
            err.setMaximumSize(16777215, 16777215)
            err.adjustSize()
        x = min(max(self.editor.x(), 4), vp.width() - err.width() - 4)
        y = self.editor.y() + self.editor.height() + 2
        if y + err.height() > vp.height() - 4:  # no room below the editor: above it
            y = self.editor.y() - err.height() - 2
        err.move(max(x, 4), max(y, 4))


def item_name(state: ViewState, el: Element) -> str:
    """The name of a weight or bias as the equations write it (``b1`` where a layer's biases are shared)."""
    return parameter_name(state.network, el, shared_bias_layers(state.network, state.settings))


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

