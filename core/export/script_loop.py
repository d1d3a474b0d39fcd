'''The update, batch order and training loop of the exported NumPy script (see :mod:`.numpy_script`).'''
from __future__ import annotations


def _initial_state(spec) -> str:
    if spec.optimizer == "adam":
        have = spec.adam_m is not None and spec.adam_t
        src = ("[m.copy() for m in ADAM_M_W]", "[m.copy() for m in ADAM_M_b]", "[v.copy() for v in ADAM_V_W]",
               "[v.copy() for v in ADAM_V_b]", "ADAM_T") if have else (
            "[np.zeros_like(W) for W in WEIGHTS]", "[np.zeros_like(b) for b in BIASES]",
            "[np.zeros_like(W) for W in WEIGHTS]", "[np.zeros_like(b) for b in BIASES]", "0")
        return f'''def initial_state():
    """Adam's memory: running means of the gradients (m) and of their squares (v), and the update count t."""
    return {{"mW": {src[0]}, "mb": {src[1]},
            "vW": {src[2]}, "vb": {src[3]}, "t": {src[4]}}}'''
    if spec.momentum:
        have = spec.velocity is not None and any(spec.velocity)
        vw = "[v.copy() for v in VELOCITY_W]" if have else "[np.zeros_like(W) for W in WEIGHTS]"
        vb = "[v.copy() for v in VELOCITY_b]" if have else "[np.zeros_like(b) for b in BIASES]"
        return f'''def initial_state():
    """The momentum velocity v of every weight and bias."""
    return {{"vW": {vw}, "vb": {vb}}}'''
    return '''def initial_state():
    """Plain gradient descent remembers nothing between iterations."""
    return {}'''


def _step_rule(spec) -> str:
    """The update of one layer's parameters, in the engine's order of operations (core/optimizer.py)."""
    params = '("W", weights, grad_W), ("b", biases, grad_b)' if spec.update_biases else '("W", weights, grad_W),'
    if spec.optimizer == "adam":
        return f'''    t = state["t"]
    for key, params, grad in ({params}):
        m = state["m" + key][l] = BETA1 * state["m" + key][l] + (1.0 - BETA1) * grad
        v = state["v" + key][l] = BETA2 * state["v" + key][l] + (1.0 - BETA2) * (grad * grad)
        m_hat = m / (1.0 - BETA1 ** t)  # corrects the start from zero
        v_hat = v / (1.0 - BETA2 ** t)
        params[l] = params[l] - lr * m_hat / (np.sqrt(v_hat) + EPSILON)'''
    if spec.momentum:
        return f'''    for key, params, grad in ({params}):
        v = state["v" + key][l] = MOMENTUM * state["v" + key][l] + grad  # v ← μ·v + g
        params[l] = params[l] - lr * v  # w ← w − η·v'''
    if not spec.update_biases:
        return '''    weights[l] = weights[l] - lr * grad_W  # w⁺ = w − η·∂E/∂w'''
    return '''    weights[l] = weights[l] - lr * grad_W  # w⁺ = w − η·∂E/∂w
    biases[l] = biases[l] - lr * grad_b'''


def _penalty_gradient(spec) -> list[str]:
    """The penalty's gradient added to the weights' (never the biases'), as the engine adds it: L2·w + L1·sign(w)."""
    if spec.l2 and spec.l1:
        return ["    grad_W = grad_W + (L2 * weights[l] + L1 * np.sign(weights[l]))  # ∂/∂w of (L2/2)·Σw² + L1·Σ|w|"]
    if spec.l2:
        return ["    grad_W = grad_W + L2 * weights[l]  # ∂/∂w of (L2/2)·Σw²"]
    if spec.l1:
        return ["    grad_W = grad_W + L1 * np.sign(weights[l])  # ∂/∂w of L1·Σ|w| (sign(0) = 0)"]
    return []


def update(spec) -> str:
    out = ["# ---- Update " + "-" * 85, _initial_state(spec)]
    if spec.schedule != "constant":
        expo = "done // DECAY_EVERY" if spec.schedule == "step" else "done / DECAY_EVERY"
        out.append(f'''def learning_rate(done):
    """η for the update that follows `done` updates ({spec.schedule} schedule)."""
    return LEARNING_RATE * DECAY_RATE ** ({expo})''')
    name = "Adam" if spec.optimizer == "adam" else "gradient descent" + (" with momentum" if spec.momentum else "")
    what = "weights and biases" if spec.update_biases else "weights (the biases stay fixed)"
    body = "\n".join(_penalty_gradient(spec) + [_step_rule(spec)])
    out.append(f'''def update_layer(l, weights, biases, grad_W, grad_b, state, lr):
    """Move the {what} of layer l against their gradients ({name})."""
{body}''')
    return "\n\n\n".join(out)


def batches(spec) -> str:
    if spec.shuffle:
        body = '''    order = np.random.default_rng([SEED, epoch]).permutation(len(INPUTS))  # the lab's order
    return order[position:position + size]'''
    else:
        body = '''    return np.arange(position, position + size)  # in the order of the data'''
    return f'''# ---- Mini-batches {"-" * 80}
def batch_rows(epoch, position):
    """Rows of the data in the next batch: the next BATCH_SIZE samples of this epoch."""
    size = min(BATCH_SIZE, len(INPUTS) - position)
{body}'''


def _loss_call(spec, weights: str = "weights") -> str:
    return "batch_loss(nets, outs, t)" + (f" + penalty({weights})" if spec.l2 or spec.l1 else "")


def train_step(spec) -> str:
    lr = "learning_rate(done)" if spec.schedule != "constant" else "LEARNING_RATE"
    tick = '\n    state["t"] += 1  # Adam counts its updates' if spec.optimizer == "adam" else ""
    if spec.hidden_delta_weights == "updated":
        return f'''def train_step(x, t, weights, biases, state, done):
    """One iteration WITH THE CLASSIC MISTAKE: each layer is updated as soon as its gradient is known,
    so the deltas of the layer below are computed from weights that were already updated."""
    nets, outs = forward(x, weights, biases)
    loss = {_loss_call(spec)}
    lr = {lr}{tick}
    delta = output_delta(nets, outs, t)
    for l in range(len(weights) - 1, -1, -1):
        if l < len(weights) - 1:
            delta = hidden_delta(l, nets, outs, delta, weights[l + 1])  # weights[l + 1] already updated!
        grad_W, grad_b = layer_gradient(delta, outs[l])
        update_layer(l, weights, biases, grad_W, grad_b, state, lr)
    return loss'''
    return f'''def train_step(x, t, weights, biases, state, done):
    """One iteration on the batch (x, t): forward pass, loss, backward pass, update.
    Returns the batch loss before the update."""
    nets, outs = forward(x, weights, biases)
    loss = {_loss_call(spec)}
    gradients = backward(nets, outs, t, weights)  # every gradient first, from the weights before the update
    lr = {lr}{tick}
    for l, (grad_W, grad_b) in enumerate(gradients):
        update_layer(l, weights, biases, grad_W, grad_b, state, lr)
    return loss'''


def main(spec) -> str:
    return f'''# ---- Training {"-" * 84}
{train_step(spec)}


def main():
    weights = [W.copy() for W in WEIGHTS]
    biases = [b.copy() for b in BIASES]
    state = initial_state()
    epoch, position = START_EPOCH, START_POSITION
    report_every = max(1, (LAST_ITERATION - START_ITERATION) // 10)
    for iteration in range(START_ITERATION + 1, LAST_ITERATION + 1):
        rows = batch_rows(epoch, position)
        loss = train_step(INPUTS[rows], TARGETS[rows], weights, biases, state, iteration - 1)
        position += len(rows)
        if position >= len(INPUTS):  # the epoch is over: start the next one
            epoch, position = epoch + 1, 0
        if (iteration - START_ITERATION) % report_every == 0 or iteration == LAST_ITERATION:
            print(f"iteration {{iteration}}: batch loss {{loss:.9g}}")
    nets, outs = forward(INPUTS, weights, biases)
    final = {_loss_call(spec).replace("(nets, outs, t)", "(nets, outs, TARGETS)")}
    print(f"loss over the training set after iteration {{LAST_ITERATION}}: {{final:.9g}}")
    print(json.dumps({{"weights": [W.tolist() for W in weights], "biases": [b.tolist() for b in biases]}}))


if __name__ == "__main__":
    main()'''
