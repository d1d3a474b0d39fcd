"""Keyboard and screen-reader access: every control named and explained, the diagram walkable with arrow keys.

:func:`install` sets up both on a main window:

* every button, field, box, spin box and slider of the window gets an accessible name (from its text, its action
  or the form label next to it) and a tooltip when its author left them out (:func:`name_controls` does the same
  for a dialog);
* :class:`DiagramKeyboard`, a keyboard cursor over the diagram: the selection moves with the arrow keys
  (Left/Right along the signal: neuron → its outgoing weights → the next neuron; Up/Down within a layer or
  among the weights of one layer), Enter (or F2) opens the inline editor on a weight or bias, Esc cancels the
  editor or clears the selection; the status bar names where the cursor is.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollBar,
    QToolButton,
    QWidget,
)

from backprop_lab.core import Element

from .plain_text import plain_tooltip

CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractSlider)


def is_control(w: QWidget) -> bool:
    """A control a person operates (scroll bars and the line edit inside a spin box belong to another one)."""
    if not isinstance(w, CONTROLS) or isinstance(w, QScrollBar):
        return False
    return not (isinstance(w, QLineEdit) and isinstance(w.parent(), (QAbstractSpinBox, QComboBox)))


def _form_label(w: QWidget) -> str:
    """The text of the label next to *w* in a form layout (looking through a wrapper widget too)."""
    for widget in (w, w.parentWidget()):
        if widget is None or widget.parentWidget() is None:
            continue
        lay = widget.parentWidget().layout()
        if isinstance(lay, QFormLayout):
            label = lay.labelForField(widget)
            if isinstance(label, QLabel) and label.text():
                return label.text().replace("&", "")
    return ""


def describe(w: QWidget) -> tuple[str, str]:
    """(accessible name, tooltip) worked out for a control that lacks them."""
    text = ""
    if isinstance(w, QToolButton) and w.defaultAction() is not None:
        a = w.defaultAction()
        text, tip = a.text().replace("&", ""), a.toolTip()
        return text, tip or text
    if isinstance(w, QAbstractButton):
        text = w.text().replace("&", "")
    dock = w.parentWidget()
    if isinstance(dock, QDockWidget) and w.objectName().startswith("qt_dockwidget_"):
        what = "Detach" if "float" in w.objectName() else "Close"
        name = f"{what} the {dock.windowTitle()} panel"
        return name, f"{name} (the View menu brings it back)"
    text = text or _form_label(w) or w.whatsThis()
    return text, text


def name_control(w: QWidget) -> None:
    """Fill in a missing accessible name and tooltip of control *w* (never overwrites its author's)."""
    if not is_control(w):
        return
    name, tip = describe(w)
    if not w.accessibleName() and name:
        w.setAccessibleName(name)
    if not w.toolTip() and (tip or w.accessibleName()):
        w.setToolTip(plain_tooltip(tip or w.accessibleName()))


# -- the diagram's keyboard cursor --------------------------------------------------------------------------------
class DiagramKeyboard(QObject):
    """Arrow keys move the selection over the diagram's neurons, weights and biases; Enter edits, Esc cancels."""

    def __init__(self, diagram, controller) -> None:
        super().__init__(diagram)
        self.diagram, self.controller = diagram, controller
        diagram.setFocusPolicy(Qt.StrongFocus)
        # visible focus: a highlight-coloured frame while the diagram takes the keys
        diagram.setStyleSheet("QGraphicsView { border: 2px solid transparent; }"
                              "QGraphicsView:focus { border: 2px solid palette(highlight); }")
        diagram.installEventFilter(self)

    # what exists in the drawn diagram (collapsed layers hide some neurons and edges)
    def _exists(self, el: Element) -> bool:
        if el.kind == "neuron":
            return (el.layer, el.j) in self.diagram.neurons
        if el.kind == "loss":
            return self.diagram.loss_item is not None
        return el in self.diagram.edges

    def _layer_edges(self, layer: int) -> list[Element]:
        return [el for el in self.diagram.edges if el.layer == layer]

    def _layer_neurons(self, layer: int) -> list[Element]:
        return [Element("neuron", l, j) for (l, j) in sorted(self.diagram.neurons) if l == layer]

    def target(self, el: Element | None, key: int) -> Element | None:
        """Where *key* moves the cursor from *el* (None: stay)."""
        if el is None:
            first = self._layer_neurons(0)
            return first[0] if first else None
        if el.kind == "neuron":
            same = self._layer_neurons(el.layer)
            if key in (Qt.Key_Up, Qt.Key_Down):
                k = same.index(el) + (1 if key == Qt.Key_Down else -1)
                return same[k] if 0 <= k < len(same) else None
            if key == Qt.Key_Right:
                out = [e for e in self._layer_edges(el.layer) if e.kind == "weight" and e.i == el.j]
                if out:
                    return out[0]
                return Element("loss") if self._exists(Element("loss")) else None
            ins = [e for e in self._layer_edges(el.layer - 1) if e.kind == "weight" and e.j == el.j]
            return ins[0] if ins else None
        if el.kind == "loss":
            last = max((l for l, _ in self.diagram.neurons), default=0)
            outs = self._layer_neurons(last)
            return outs[0] if key == Qt.Key_Left and outs else None
        # a weight or a bias: Up/Down through the edges of its layer, Left/Right to its neurons
        edges = self._layer_edges(el.layer)
        if key in (Qt.Key_Up, Qt.Key_Down):
            k = edges.index(el) + (1 if key == Qt.Key_Down else -1)
            return edges[k] if 0 <= k < len(edges) else None
        if key == Qt.Key_Right:
            n = Element("neuron", el.layer + 1, el.j)
        else:
            n = Element("neuron", el.layer, el.i) if el.kind == "weight" else None
        return n if n is not None and self._exists(n) else None

    def eventFilter(self, obj, event) -> bool:
        if event.type() != QEvent.KeyPress or event.modifiers() & ~Qt.KeypadModifier:
            return False
        key, c = event.key(), self.controller
        if key in (Qt.Key_Left, Qt.Key_Right, Qt.Key_Up, Qt.Key_Down):
            el = self.target(c.selection, key)
            if el is not None:
                c.select(el)
                self._show(el)
            return True
        if key in (Qt.Key_Return, Qt.Key_Enter, Qt.Key_F2) and c.selection is not None:
            el = c.selection
            if el.kind == "neuron" and el.layer > 0:
                el = Element("bias", el.layer - 1, el.j)
            if el.kind in ("weight", "bias") and self._exists(el):
                self.diagram.open_editor(el)
            return True
        if key == Qt.Key_Escape and c.selection is not None:
            c.select(None)
            return True
        return False

    def _show(self, el: Element) -> None:
        item = (self.diagram.neurons.get((el.layer, el.j)) if el.kind == "neuron" else
                self.diagram.loss_item if el.kind == "loss" else self.diagram.labels.get(el))
        if item is not None:
            self.diagram.ensureVisible(item, 20, 20)
        name = self.controller.state.network
        what = ("the loss E_total" if el.kind == "loss" else name.neuron_name(el.layer, el.j) if el.kind == "neuron"
                else name.element_name(el))
        self.controller.say(f"Keyboard cursor on {what}" + (": Enter edits it, Esc clears." if el.kind in
                                                             ("weight", "bias") else "."))


def name_controls(root: QWidget) -> None:
    """Give every control under *root* its missing accessible name and tooltip."""
    for w in root.findChildren(QWidget):
        name_control(w)


def install(window) -> None:
    """Name *window*'s controls (now and once the event loop runs, after any late construction) and give its
    diagram the keyboard cursor."""
    name_controls(window)
    QTimer.singleShot(0, lambda: name_controls(window))
    window.diagram_keyboard = DiagramKeyboard(window.diagram, window.controller)
