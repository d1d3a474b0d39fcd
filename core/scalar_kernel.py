"""The same iteration as :mod:`.kernel`, in plain Python floats, for tiny networks.

For a network of a dozen parameters, numpy's per-call overhead dominates and
plain Python arithmetic is about twice as fast.  The Simulation picks this
kernel from the network's shape and the configured batch size alone, and the
traced and fast paths both use it, so they stay bit-identical with each other.

Only element-wise output activations are handled here (no softmax).
"""
from __future__ import annotations

import math
from operator import mul

import numpy as np

from .kernel import Pass

#: A network qualifies when parameters × batch size is at most this.
MAX_WORK = 64


def _sigmoid(z: float) -> float:
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


_F = {
    "sigmoid": _sigmoid,
    "tanh": math.tanh,
    "relu": lambda z: z if z > 0.0 else 0.0,
    "leaky_relu": lambda z: z if z > 0.0 else 0.01 * z,
    "linear": lambda z: z,
}
_D = {  # local derivative from (net, out)
    "sigmoid": lambda z, a: a * (1.0 - a),
    "tanh": lambda z, a: 1.0 - a * a,
    "relu": lambda z, a: 1.0 if z > 0.0 else 0.0,
    "leaky_relu": lambda z, a: 1.0 if z > 0.0 else 0.01,
    "linear": lambda z, a: 1.0,
}


def qualifies(sizes, activations, batch_size: int, n_params: int) -> bool:
    """Whether the scalar kernel is used for this shape and configured batch size."""
    return n_params * batch_size <= MAX_WORK and all(a in _F for a in activations)


def _softplus(z: float) -> float:
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


class ScalarKernel:
    """Precomputed layout of one network shape; :meth:`run` does one batch."""

    def __init__(self, sizes, activations, offsets, loss: str) -> None:
        self.sizes = tuple(sizes)
        self.f = [_F[a] for a in activations]
        self.d = [_D[a] for a in activations]
        self.offsets = list(offsets)
        self.loss = loss
        self.n_params = offsets[-1][2]

    def _forward(self, theta: list[float], x: list[float]):
        sizes, offs, f = self.sizes, self.offsets, self.f
        nets, outs = [], [x]
        a = x
        for l in range(len(offs)):
            w0, b0, _ = offs[l]
            n = sizes[l]
            fl = f[l]
            z = [sum(map(mul, theta[w0 + j * n:w0 + j * n + n], a)) + theta[b0 + j] for j in range(sizes[l + 1])]
            a = [fl(v) for v in z]
            nets.append(z)
            outs.append(a)
        return nets, outs

    def _terms(self, z: list[float], o: list[float], t: list[float]) -> list[float]:
        if self.loss == "cross_entropy":
            return [_softplus(zk) - tk * zk for zk, tk in zip(z, t)]
        return [0.5 * (tk - ok) * (tk - ok) for tk, ok in zip(t, o)]

    def run(self, theta: list[float], xs: list[list[float]], ts: list[list[float]], detail: bool = False):
        """Returns ``(loss, grad)``; with *detail*, a :class:`Pass` of numpy arrays instead."""
        sizes, offs, d = self.sizes, self.offsets, self.d
        L = len(offs)
        B = len(xs)
        grad = [0.0] * self.n_params
        total = 0.0
        keep = [] if detail else None
        ce = self.loss == "cross_entropy"
        for x, t in zip(xs, ts):
            nets, outs = self._forward(theta, x)
            zL, o = nets[-1], outs[-1]
            terms = self._terms(zL, o, t)
            sl = sum(terms)
            total += sl
            errors: list = [None] * L
            fprimes: list = [None] * L
            deltas: list = [None] * L
            if ce:
                deltas[-1] = [ok - tk for ok, tk in zip(o, t)]
            else:
                err = [ok - tk for ok, tk in zip(o, t)]
                fp = list(map(d[-1], zL, o))
                errors[-1], fprimes[-1] = err, fp
                deltas[-1] = list(map(mul, err, fp))
            for l in range(L - 2, -1, -1):
                w0, b0, _ = offs[l + 1]
                n = sizes[l + 1]
                dn = deltas[l + 1]
                # column j of the next weight matrix is theta[w0 + j : b0 : n]
                err = [sum(map(mul, dn, theta[w0 + j:b0:n])) for j in range(n)]
                fp = list(map(d[l], nets[l], outs[l + 1]))
                errors[l], fprimes[l] = err, fp
                deltas[l] = list(map(mul, err, fp))
            for l in range(L):
                w0, b0, end = offs[l]
                a_in = outs[l]
                dl = deltas[l]
                if B == 1:
                    grad[w0:b0] = [dj * ai for dj in dl for ai in a_in]
                    grad[b0:end] = dl
                else:
                    n = sizes[l]
                    for j, dj in enumerate(dl):
                        base = w0 + j * n
                        for i in range(n):
                            grad[base + i] += dj * a_in[i]
                        grad[b0 + j] += dj
            if detail:
                keep.append((nets, outs, terms, sl, errors, fprimes, deltas))
        if B != 1:
            grad = [g / B for g in grad]
        loss = total / B
        if not detail:
            return loss, grad
        return self._as_pass(keep, loss, grad, L)

    def loss_only(self, theta: list[float], xs: list[list[float]], ts: list[list[float]]) -> float:
        """Mean loss over the samples (forward pass only), computed as :meth:`run` computes it."""
        total = 0.0
        for x, t in zip(xs, ts):
            nets, outs = self._forward(theta, x)
            total += sum(self._terms(nets[-1], outs[-1], t))
        return total / len(xs)

    @staticmethod
    def _as_pass(keep, loss, grad, L) -> Pass:
        def stack(k, l):
            rows = [s[k][l] for s in keep]
            return None if rows[0] is None else np.array(rows, dtype=np.float64)
        nets = [stack(0, l) for l in range(L)]
        outs = [stack(1, l) for l in range(L + 1)]
        return Pass(nets, outs, np.array([s[2] for s in keep]), np.array([s[3] for s in keep]), float(loss),
                    [stack(4, l) for l in range(L)], [stack(5, l) for l in range(L)],
                    [stack(6, l) for l in range(L)], np.array(grad, dtype=np.float64))
