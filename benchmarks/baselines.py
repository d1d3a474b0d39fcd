"""Reference training loops the engine is compared against, doing the same math.

``numpy_loop`` is the floor for a numpy engine: a minimal hand-written loop with
no tracing, timeline, history or checks.  ``torch_loop`` uses autograd and
``torch.optim.SGD`` (only when PyTorch is installed).
"""
from __future__ import annotations

import os

import numpy as np

ACT = {"sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda a: a * (1 - a)),
       "tanh": (np.tanh, lambda a: 1 - a * a)}


def numpy_loop(Ws, bs, acts, X, T, lr, batch, iterations, record=False):
    """Minimal mini-batch SGD on ½·squared error (mean over the batch); returns iterations done.

    With *record*, it also produces what the engine records: each batch's loss and, at
    the end of each epoch, the loss over the whole training set.
    """
    Ws = [W.copy() for W in Ws]
    bs = [b.copy() for b in bs]
    N = X.shape[0]
    pos = 0
    f = [ACT[a] for a in acts]
    history, epochs = [], []
    for _ in range(iterations):
        x, t = X[pos:pos + batch], T[pos:pos + batch]
        B = x.shape[0]
        end_of_epoch = pos + B >= N
        pos = 0 if end_of_epoch else pos + B
        outs = [x]
        for W, b, (fn, _) in zip(Ws, bs, f):
            outs.append(fn(outs[-1] @ W.T + b))
        if record:
            history.append(float((0.5 * (t - outs[-1]) ** 2).sum() / B))
        d = (outs[-1] - t) * f[-1][1](outs[-1])
        for l in range(len(Ws) - 1, -1, -1):
            gW = d.T @ outs[l] / B
            gb = d.sum(0) / B
            if l:
                d = (d @ Ws[l]) * f[l - 1][1](outs[l])
            Ws[l] -= lr * gW
            bs[l] -= lr * gb
        if record and end_of_epoch:
            a = X
            for W, b, (fn, _) in zip(Ws, bs, f):
                a = fn(a @ W.T + b)
            epochs.append(float((0.5 * (T - a) ** 2).sum() / N))
    return iterations


def torch_available() -> bool:
    # Idle OpenMP threads of PyTorch otherwise spin after each torch window and slow the
    # numpy windows measured next to it (seen: 784-128-10 numpy at half speed).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


def torch_loop(Ws, bs, acts, X, T, lr, batch, iterations):
    import torch
    params = []
    layers = []
    for W, b in zip(Ws, bs):
        w = torch.tensor(W, dtype=torch.float64, requires_grad=True)
        bb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        params += [w, bb]
        layers.append((w, bb))
    fns = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}
    opt = torch.optim.SGD(params, lr=lr)
    Xt = torch.tensor(X, dtype=torch.float64)
    Tt = torch.tensor(T, dtype=torch.float64)
    N = X.shape[0]
    pos = 0
    for _ in range(iterations):
        x, t = Xt[pos:pos + batch], Tt[pos:pos + batch]
        pos = 0 if pos + x.shape[0] >= N else pos + x.shape[0]
        a = x
        for (w, bb), act in zip(layers, acts):
            a = fns[act](a @ w.T + bb)
        loss = 0.5 * ((a - t) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return iterations
