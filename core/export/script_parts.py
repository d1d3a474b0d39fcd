'''The pieces of the exported NumPy script (see :mod:`.numpy_script`), each a block of Python source.

Every piece generates only what the network and its settings use: the
activation functions of its layers, its loss, momentum or Adam, penalties and
schedules only when they are switched on.  The code mirrors the engine's
arithmetic operation for operation (``backprop_lab.core.kernel``), which is
why the numbers agree to rounding.
'''
from __future__ import annotations

NETWORK_HEADER = "# ---- The network " + "-" * 80
DATA_HEADER = "# ---- The training data (one sample per row) " + "-" * 52

_ACTIVATIONS = {
    "sigmoid": '''
def sigmoid(net):
    """σ(net) = 1 / (1 + e^(−net))."""
    with np.errstate(over="ignore"):  # e^(−net) overflows to inf for net < −709: σ is then 0
        return 1.0 / (1.0 + np.exp(-net))


def sigmoid_derivative(net, out):
    """∂out/∂net = out · (1 − out)."""
    return out * (1.0 - out)
''',
    "tanh": '''
def tanh(net):
    return np.tanh(net)


def tanh_derivative(net, out):
    """∂out/∂net = 1 − out²."""
    return 1.0 - out * out
''',
    "relu": '''
def relu(net):
    return np.maximum(net, 0.0)


def relu_derivative(net, out):
    """1 where net > 0, else 0 (also at exactly 0)."""
    return (net > 0.0).astype(np.float64)
''',
    "leaky_relu": '''
def leaky_relu(net):
    return np.where(net > 0.0, net, 0.01 * net)


def leaky_relu_derivative(net, out):
    return np.where(net > 0.0, 1.0, 0.01)
''',
    "linear": '''
def linear(net):
    return net


def linear_derivative(net, out):
    return np.ones_like(net)
''',
    "softmax": '''
def softmax(net):
    """e^net_k / Σ_j e^net_j for each sample (shifted by the maximum so e^ cannot overflow)."""
    e = np.exp(net - net.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
''',
}


def header(spec) -> str:
    what = (f"iteration {spec.last_iteration}" if spec.last_iteration == spec.start_iteration + 1
            else f"iterations {spec.start_iteration + 1} to {spec.last_iteration}")
    return f'''#!/usr/bin/env python3
"""Backprop Lab, exported as code: train a small neural network with plain NumPy.

The network, its weights and biases, the training data and the settings are
those of the lab (NAME below). The training loop does exactly what the lab
does, step by step, for {what}; then it prints, as its last line, the
weights and biases as one JSON object in the layout of a Backprop Lab state
file. Run it with:  python3 this_file.py
"""
import json

import numpy as np

NAME = {spec.name!r}'''


def settings_block(spec) -> str:
    lines = ["# ---- Training settings " + "-" * 75]
    loss = {"mse": "E = Σ ½(t − out)² per sample", "cross_entropy": "cross-entropy, from the net inputs"}
    lines.append(f"LOSS = {spec.loss!r}  # {loss.get(spec.loss, spec.loss)}; the batch loss: the mean over the batch")
    lines.append(f"LEARNING_RATE = {float(spec.learning_rate)!r}  # η")
    lines.append(f"BATCH_SIZE = {int(spec.batch_size)}  # the last batch of an epoch may be smaller")
    if not spec.update_biases:
        lines.append("UPDATE_BIASES = False  # the biases keep their values: only the weights are updated")
    if spec.shuffle:
        lines.append(f"SEED = {int(spec.seed)}  # each epoch's order comes from a generator seeded with (SEED, epoch)")
    if spec.momentum:
        lines.append(f"MOMENTUM = {float(spec.momentum)!r}  # μ: v ← μ·v + g, w ← w − η·v")
    if spec.optimizer == "adam":
        lines.append(f"BETA1, BETA2, EPSILON = {float(spec.beta1)!r}, {float(spec.beta2)!r}, "
                     f"{float(spec.epsilon)!r}  # Adam")
    if spec.l2:
        lines.append(f"L2 = {float(spec.l2)!r}  # the loss gains (L2/2)·Σw² over the weights (not the biases)")
    if spec.l1:
        lines.append(f"L1 = {float(spec.l1)!r}  # the loss gains L1·Σ|w| over the weights (not the biases)")
    if spec.schedule != "constant":
        rule = "η·rate^floor(t/every)" if spec.schedule == "step" else "η·rate^(t/every)"
        lines.append(f"DECAY_RATE, DECAY_EVERY = {float(spec.decay_rate)!r}, {int(spec.decay_every)}  "
                     f"# {spec.schedule} schedule: {rule}, t = updates done before")
    lines += ["",
              "# ---- Where training starts and stops " + "-" * 61,
              f"START_ITERATION = {int(spec.start_iteration)}  # iterations the lab had already done",
              f"START_EPOCH = {int(spec.start_epoch)}",
              f"START_POSITION = {int(spec.start_position)}  # samples of that epoch already used",
              f"LAST_ITERATION = {int(spec.last_iteration)}  # train up to and including this iteration"]
    return "\n".join(lines)


def activation_functions(spec) -> str:
    used = list(dict.fromkeys(spec.activations))
    out = ["# ---- Activation functions and their derivatives " + "-" * 49]
    out += [_ACTIVATIONS[a].strip("\n") + "\n\n" for a in used]
    pairs = ", ".join(f'"{a}": ({a}, {a + "_derivative" if a != "softmax" else "None"})' for a in used)
    out.append(f"ACTIVATION = {{{pairs}}}")
    return "\n".join(out)


def forward_and_loss(spec) -> str:
    out = ['''
# ---- Forward pass and loss ---------------------------------------------------------------
def forward(x, weights, biases):
    """Net inputs and outputs of every layer for a batch x (one sample per row)."""
    nets, outs = [], [x]
    for W, b, name in zip(weights, biases, ACTIVATIONS):
        net = outs[-1] @ W.T + b  # net_j = Σ_i w_ji · out_i + b_j, for every sample at once
        nets.append(net)
        outs.append(ACTIVATION[name][0](net))
    return nets, outs

''']
    if spec.loss == "mse":
        body = '''    terms = 0.5 * (targets - outs[-1]) ** 2  # ½(t − out)² for every output'''
    elif spec.activations[-1] == "softmax":
        body = '''    net = nets[-1]
    top = net.max(axis=1, keepdims=True)
    log_out = net - (top + np.log(np.exp(net - top).sum(axis=1, keepdims=True)))  # log softmax
    terms = -targets * log_out  # −t·log out'''
    else:
        body = '''    net = nets[-1]
    softplus = np.maximum(net, 0.0) + np.log1p(np.exp(-np.abs(net)))  # log(1 + e^net), without overflow
    terms = softplus - targets * net  # = −t·log out − (1 − t)·log(1 − out) for out = σ(net)'''
    out.append(f'''def batch_loss(nets, outs, targets):
    """The loss of the batch: each sample's error (the sum over its outputs), averaged."""
{body}
    return terms.sum(axis=1).mean()''')
    if spec.l2 or spec.l1:
        terms = [t for on, t in ((spec.l2, "0.5 * L2 * float((W * W).sum())"), (spec.l1, "L1 * float(np.abs(W).sum())"))
                 if on]
        what = " + ".join(w for on, w in ((spec.l2, "(L2/2)·Σw²"), (spec.l1, "L1·Σ|w|")) if on)
        out.append(f'''

def penalty(weights):
    """The regularisation term of the loss, {what}, over every weight (not the biases)."""
    return sum({" + ".join(terms)} for W in weights)''')
    return "\n".join(out)


def _output_delta(spec) -> str:
    if spec.loss == "cross_entropy":
        body = '''    return outs[-1] - targets  # cross-entropy with its output activation: δ = out − t'''
    elif spec.activations[-1] == "softmax":
        body = '''    error = outs[-1] - targets  # ∂E/∂out
    out = outs[-1]  # softmax couples the outputs: δ = out ⊙ (∂E/∂out − Σ_k ∂E/∂out_k · out_k)
    return out * (error - (error * out).sum(axis=1, keepdims=True))'''
    else:
        body = '''    error = outs[-1] - targets  # ∂E/∂out = out − t
    local = ACTIVATION[ACTIVATIONS[-1]][1](nets[-1], outs[-1])  # ∂out/∂net
    return error * local  # δ = ∂E/∂out · ∂out/∂net'''
    return f'''def output_delta(nets, outs, targets):
    """δ = ∂E/∂net of the output neurons, one row per sample."""
{body}


def hidden_delta(l, nets, outs, next_delta, next_weights):
    """δ of layer l + 1 (a hidden layer) from the δ of the layer it feeds."""
    error = next_delta @ next_weights  # ∂E/∂out: the next δs, each times its connecting weight
    local = ACTIVATION[ACTIVATIONS[l]][1](nets[l], outs[l + 1])  # ∂out/∂net
    return error * local


def layer_gradient(delta, inputs):
    """∂E/∂w = δ · input, and ∂E/∂b = δ, averaged over the batch."""
    B = len(delta)
    return delta.T @ inputs / B, delta.sum(axis=0) / B'''


def backward(spec) -> str:
    head = "# ---- Backward pass " + "-" * 78
    if spec.hidden_delta_weights == "updated":
        return head + "\n" + _output_delta(spec)  # the loop in train_step interleaves updates
    return f'''{head}
{_output_delta(spec)}


def backward(nets, outs, targets, weights):
    """The gradient of the batch loss for every weight and bias, by the chain rule, last layer first."""
    L = len(weights)
    deltas = [None] * L
    deltas[-1] = output_delta(nets, outs, targets)
    for l in range(L - 2, -1, -1):
        deltas[l] = hidden_delta(l, nets, outs, deltas[l + 1], weights[l + 1])  # weights before the update
    return [layer_gradient(deltas[l], outs[l]) for l in range(L)]'''
