"""Structure editing on the diagram: context menus on neurons and layers, +/− buttons by each layer, new-weight halos.

:class:`StructureEditing` adds to a :class:`~backprop_lab.gui.diagram.QtNetworkDiagram`, without changing it:
a context menu (add or remove a neuron, an activation per layer, insert or remove a hidden layer, the loss),
small − / + buttons under each layer (as TensorFlow Playground has) and yellow halos on the parameters the last
structure edit created (``sim.new_parameters``), until the next step.  Every action calls one controller
method; a refusal is explained by the controller (status bar and error dialog) and nothing changes.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QActionGroup, QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QMenu, QToolTip

from backprop_lab.core import Element

from .build_edits import ACTIVATION_CHOICES, LOSS_CHOICES

__all__ = ["StructureEditing", "LayerButton", "HALO_COLOR"]

HALO_COLOR = QColor(255, 196, 0, 150)
BUTTON = 26.0          # button size in scene units
BUTTON_GAP = 14.0      # above the highest title or bias box
NEW_LAYER_SIZE = 3


class LayerButton(QGraphicsItem):
    """A small round − or + button in the scene; a left click calls *action*."""

    def __init__(self, text: str, center: QPointF, tip: str, action: Callable[[], None]) -> None:
        super().__init__()
        self.text, self.tip, self.action = text, tip, action
        self.setPos(center)
        self.setZValue(5)
        self.setCursor(Qt.PointingHandCursor)
        self.setAcceptedMouseButtons(Qt.LeftButton)

    def boundingRect(self) -> QRectF:
        return QRectF(-BUTTON / 2 - 1, -BUTTON / 2 - 1, BUTTON + 2, BUTTON + 2)

    def paint(self, p: QPainter, opt, w=None) -> None:
        p.setPen(QPen(QColor("#7f8c8d"), 1.2))
        p.setBrush(QBrush(QColor("#f4f6f7")))
        p.drawEllipse(QRectF(-BUTTON / 2, -BUTTON / 2, BUTTON, BUTTON))
        f = QFont()
        f.setPixelSize(18)
        f.setBold(True)
        p.setFont(f)
        p.setPen(QColor("#2c3e50"))
        p.drawText(QRectF(-BUTTON / 2, -BUTTON / 2 - 1, BUTTON, BUTTON), Qt.AlignCenter, self.text)

    def mousePressEvent(self, event) -> None:
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if self.boundingRect().contains(event.pos()):
            self.action()
        event.accept()


class StructureEditing(QObject):
    """Structure editing for one diagram and its controller (see the module docstring)."""

    def __init__(self, diagram, controller) -> None:
        super().__init__(diagram)
        self.diagram, self.controller = diagram, controller
        self.buttons: dict[tuple[int, str], LayerButton] = {}
        self.halo: QGraphicsPathItem | None = None
        self._layout = None
        self.menu: QMenu | None = None
        #: ``adapt(sizes) -> (request or None)``: data for a new input/output size (the Data panel's generator)
        self.adapt: Callable[[tuple], object] | None = None
        diagram.viewport().installEventFilter(self)
        c = controller
        # connected after the diagram's own slots, so the diagram has rebuilt its scene when these run
        for sig in (c.simulation_replaced, c.parameters_changed, c.cursor_moved, c.history_changed,
                    c.display_changed):
            sig.connect(self._on_published)
        self._on_published(c.state)

    # -- scene items -------------------------------------------------------------------------------
    def _on_published(self, state) -> None:
        if self.diagram.layout_ is not self._layout:
            self._layout = self.diagram.layout_
            self._make_buttons(state)
            self.halo = None  # the scene was cleared with it
        self._update_halo()

    def _make_buttons(self, state) -> None:
        lay, scene = self._layout, self.diagram.scene()
        self.buttons = {}
        if lay is None:
            return
        net = state.network
        bounds = scene.sceneRect()
        # one row above the titles and bias boxes, as TensorFlow Playground puts them above its layers
        tops = [r.y for r, _ in lay.titles] + [r.y for r in lay.bias_boxes.values()]
        y = min(tops) - BUTTON_GAP - BUTTON / 2
        for l in range(len(net.sizes)):
            name = self._layer_name(l, len(net.sizes) - 1)
            for sign, dx, tip, act in (("−", -BUTTON * 0.65, f"Remove the last neuron of {name}",
                                        lambda l=l: self._remove_last(l)),
                                       ("+", BUTTON * 0.65, f"Add a neuron to {name}",
                                        lambda l=l: self.add_neuron(l))):
                b = LayerButton(sign, QPointF(lay.col_x[l] + dx, y), tip, act)
                scene.addItem(b)
                self.buttons[(l, sign)] = b
                bounds = bounds.united(b.sceneBoundingRect().adjusted(-8, -8, 8, 8))
        scene.setSceneRect(bounds)

    def _remove_last(self, layer: int) -> None:
        self.remove_neuron(layer, self.controller.state.network.sizes[layer] - 1)

    def _adapted(self, layer: int, delta: int) -> dict | None:
        """Data for the input or output layer's new size, when the Data panel's generator can make it.

        ``{}`` for a hidden layer (the data stays); None when the data cannot fit the new size (the reason is
        shown in plain words, and nothing changes).
        """
        sizes = list(self.controller.state.network.sizes)
        if layer not in (0, len(sizes) - 1) or not 0 <= layer < len(sizes):
            return {}
        sizes[layer] += delta
        req = self.adapt(tuple(sizes)) if self.adapt is not None and sizes[layer] >= 1 else None
        if req is not None:
            return {"data": (req.inputs, req.targets, req.test_inputs, req.test_targets),
                    "description": req.description}
        if sizes[layer] < 1:
            return {}  # the engine's own refusal (a layer needs a neuron) says it best
        title = "Cannot add a neuron" if delta > 0 else "Cannot remove the neuron"
        text = self.refusal(layer, sizes[layer])
        self.controller.message.emit(f"{title}: {text}")
        self.controller.error.emit(title, text, "")
        return None

    def refusal(self, layer: int, size: int) -> str:
        """Why the input or output layer cannot have *size* neurons with the data, and what to do instead."""
        sim = self.controller.sim
        if layer == 0:
            have = sim.inputs.shape[1]
            return (f"The data has {have} input column(s), so a network with {size} inputs cannot train on it. "
                    f"First choose data with {size} inputs: in the Data panel, Gaussian clusters or Linear "
                    f"regression (they take any number of inputs) or a CSV file with {size} input columns; "
                    f"or make a new network with File ▸ New Network….")
        have = sim.targets.shape[1]
        return (f"The data has {have} target column(s), so a network with {size} outputs cannot train on it. "
                f"First choose data with {size} target column(s) in the Data panel (Gaussian blobs has one per "
                f"class), or make a new network with File ▸ New Network….")

    def add_neuron(self, layer: int) -> bool:
        """Add a neuron to *layer*; in the input or output layer with data adapted where it can be."""
        data = self._adapted(layer, +1)
        return data is not None and self.controller.add_neuron(layer, **data)

    def remove_neuron(self, layer: int, j: int) -> bool:
        """Remove neuron *j* of *layer*; in the input or output layer with data adapted where it can be."""
        data = self._adapted(layer, -1)
        return data is not None and self.controller.remove_neuron(layer, j, **data)

    def new_elements(self) -> list[Element]:
        """The weights and biases the last structure edit created (highlighted until the next step)."""
        mask = self.controller.sim.new_parameters
        net = self.controller.sim.network
        if len(mask) != net.n_params:
            return []
        return [net.element_of_index(int(k)) for k in mask.nonzero()[0]]

    def halo_shown(self) -> bool:
        """Whether new parameters are highlighted now."""
        return self.halo is not None and self.halo.isVisible() and not self.halo.path().isEmpty()

    def _update_halo(self) -> None:
        lay = self._layout
        new = self.new_elements() if lay is not None else []
        if not new:
            if self.halo is not None:
                self.halo.setVisible(False)
            return
        path = QPainterPath()
        for el in new:
            if el.kind == "weight" and el in lay.edges:
                s = lay.edges[el].segment
                path.moveTo(s.x1, s.y1)
                path.lineTo(s.x2, s.y2)
            elif el.kind == "bias" and (el.layer + 1, el.j) in lay.neurons:
                c = lay.neurons[(el.layer + 1, el.j)]
                path.addEllipse(QPointF(c.x, c.y), c.r + 7, c.r + 7)
        if self.halo is None:
            self.halo = QGraphicsPathItem()
            pen = QPen(HALO_COLOR, 11)
            pen.setCapStyle(Qt.RoundCap)
            self.halo.setPen(pen)
            self.halo.setZValue(-10)  # under the edges and neurons
            self.diagram.scene().addItem(self.halo)
        self.halo.setPath(path)
        self.halo.setVisible(True)

    # -- the context menu ------------------------------------------------------------------------------
    def button_at(self, pos) -> LayerButton | None:
        """The − / + button under a viewport point, or None."""
        p = self.diagram.mapToScene(pos)
        return next((b for b in self.buttons.values() if b.sceneBoundingRect().contains(p)), None)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.ToolTip:  # the diagram answers tooltips itself; the buttons' come first
            b = self.button_at(event.pos())
            if b is not None:
                QToolTip.showText(event.globalPos(), b.tip, self.diagram.viewport())
                return True
            return False
        if event.type() == QEvent.ContextMenu and self._layout is not None:
            menu = self.menu_at(event.pos())
            if menu is not None:
                menu.popup(event.globalPos())
                return True
        return False

    def menu_at(self, pos) -> QMenu | None:
        """The menu for a viewport point: a neuron's, or the nearest layer's, or the network's."""
        el = self.diagram._element_at(pos)
        if el is not None and el.kind == "neuron":
            return self.menu_for(el.layer, el.j)
        x = self.diagram.mapToScene(pos).x()
        cols = self._layout.col_x
        l = min(range(len(cols)), key=lambda k: abs(cols[k] - x))
        return self.menu_for(l)

    @staticmethod
    def _layer_name(l: int, L: int) -> str:
        return "the input layer" if l == 0 else "the output layer" if l == L else f"hidden layer {l}"

    def menu_for(self, layer: int, j: int | None = None) -> QMenu:
        """The context menu of neuron *j* of *layer* (or of the layer when *j* is None); kept as ``menu``."""
        c, net = self.controller, self.controller.state.network
        L = len(net.sizes) - 1
        if self.menu is not None:
            self.menu.deleteLater()
        m = QMenu(self.diagram)
        m.setToolTipsVisible(True)
        name = self._layer_name(layer, L)
        m.addAction(f"Add a neuron to {name}", lambda: self.add_neuron(layer))
        if j is not None:
            m.addAction(f"Remove neuron {net.neuron_name(layer, j)}", lambda: self.remove_neuron(layer, j))
        else:
            m.addAction(f"Remove the last neuron of {name}", lambda: self._remove_last(layer))
        if layer > 0:
            acts = m.addMenu("Activation")
            group = QActionGroup(acts)
            current = net.activation_names[layer - 1]
            for a in ACTIVATION_CHOICES:
                if a == "softmax" and layer != L:
                    continue  # softmax only on the output
                act = acts.addAction(a, lambda a=a: c.set_activation(layer, a))
                act.setCheckable(True)
                act.setChecked(a == current)
                group.addAction(act)
        m.addSeparator()
        hidden_act = next((a for a in net.activation_names[:-1]), "tanh")
        if layer >= 1:
            m.addAction(f"Insert a hidden layer before {name}",
                        lambda: c.insert_layer(layer, NEW_LAYER_SIZE, hidden_act))
        if layer < L:
            m.addAction(f"Insert a hidden layer after {name}",
                        lambda: c.insert_layer(layer + 1, NEW_LAYER_SIZE, hidden_act))
        if 0 < layer < L:
            m.addAction(f"Remove {name}", lambda: c.remove_layer(layer))
        m.addSeparator()
        loss = m.addMenu("Loss")
        group = QActionGroup(loss)
        for key, title in LOSS_CHOICES:
            act = loss.addAction(title, lambda k=key: c.set_loss(k))
            act.setCheckable(True)
            act.setChecked(key == self.controller.state.settings.loss)
            group.addAction(act)
        self.menu = m
        return m


def find_action(menu: QMenu, text: str) -> QAction | None:
    """The action of *menu* (or its submenus) whose text starts with *text* (for tests and the tour)."""
    for a in menu.actions():
        if a.menu() is not None:
            found = find_action(a.menu(), text)
            if found is not None:
                return found
        elif a.text().startswith(text):
            return a
    return None
