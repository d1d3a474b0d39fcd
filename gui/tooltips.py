"""Tooltips of the diagram's elements, as rich text built from a view state (Qt-free)."""
from __future__ import annotations

import html

from backprop_lab.core import Element, shared_bias_layers

from .diagram_layout import parameter_name
from .view_state import ViewState


def element_tooltip(state: ViewState, element: Element) -> str:
    """The tooltip of a neuron, weight, bias or the loss: its name, values and what a click does."""
    if element.kind == "neuron":
        return _neuron_tooltip(state, element)
    if element.kind in ("weight", "bias"):
        return _parameter_tooltip(state, element)
    tip = ("<b>E_total</b>: loss of the current batch before the update; below it, the mean loss over the whole "
           "training set at the current weights.")
    return tip


def _neuron_tooltip(state: ViewState, element: Element) -> str:
    net, d = state.network, state.display.precision
    l, j = element.layer, element.j
    name = html.escape(net.neuron_name(l, j))
    if l == 0:
        idx = state.sample_index
        tip = f"<b>{name}</b> = {state.fmt(state.inputs[idx, j], d)} (input of sample #{idx + 1})"
    else:
        r_net, r_out = state.value("weighted_sum", element), state.value("activation", element)
        r_d = state.value("output_delta", element) or state.value("hidden_delta", element)
        tip = f"<b>{name}</b>"
        if r_net:
            tip += f"<br>net = {state.fmt(r_net.result, d)}"
        if r_out:
            tip += f"<br>out = {state.fmt(r_out.result, d)}"
        if r_d:
            tip += f"<br>δ = ∂E/∂net = {state.fmt(r_d.result, d)}"
        bias = Element("bias", l - 1, j)
        name = parameter_name(net, bias, shared_bias_layers(net, state.settings))
        tip += f"<br>bias {html.escape(name)} = {state.fmt(state.parameter(bias), d)}"
        tip += "<br><i>Double-click to edit its bias.</i>"
    if any(l == layer and j in js for layer, js in state.symmetry):
        tip += ("<br><span style='color:#8e44ad'>≡ identical to another neuron of this layer: same "
                "weights in and out, so the same value, delta and update forever.</span>")
    return tip


def _parameter_tooltip(state: ViewState, element: Element) -> str:
    net, d = state.network, state.display.precision
    if element.kind == "weight":
        name = net.weight_name(element.layer, element.j, element.i)
        where = f"from {net.neuron_name(element.layer, element.i)} to {net.neuron_name(element.layer + 1, element.j)}"
    else:
        name = parameter_name(net, element, shared_bias_layers(net, state.settings))
        where = f"bias of {net.neuron_name(element.layer + 1, element.j)}"
    name = html.escape(name)
    g, u = state.value("gradient", element), state.value("update", element)
    tip = f"<b>{name}</b> = {state.fmt(state.parameter(element), d)} ({html.escape(where)})"
    tip += f"<br>∂E/∂{name} = {state.fmt(g.result, d)}" if g else f"<br>∂E/∂{name}: not computed yet"
    if u:
        tip += (f"<br>{'next ' if state.is_preview else 'last '}Δ = {state.fmt(u.result - u.old_value, d)}"
                f" (→ {state.fmt(u.result, d)})")
    return tip + "<br><i>Click to select, double-click to edit; wheel or drag on a selected weight scrubs it.</i>"
