"""The same pass as :mod:`.kernel` in plain Python floats, for tiny networks where numpy's call overhead dominates.

For a network of a dozen parameters plain Python arithmetic is about twice as
fast as numpy.  The iteration engine picks this kernel from the network's
shape, its activations, the loss and the configured batch size alone, and the
traced and fast paths both use it, so they stay bit-identical with each other.
All the math (activations, loss terms, output delta) is read from the
activation and loss objects; only the loops are here.
"""
from __future__ import annotations

from operator import mul
from typing import Sequence

import numpy as np

from .activations import Activation
from .kernel import Pass
from .losses import Loss, OutputDelta

#: A network qualifies when parameters × batch size is at most this.
MAX_WORK = 64


def qualifies(activations: Sequence[Activation], loss: Loss, rule: OutputDelta, batch_size: int,
              n_params: int) -> bool:
    """Whether the scalar kernel is used for this shape, loss and configured batch size."""
    return (n_params * batch_size <= MAX_WORK and all(a.elementwise for a in activations)
            and rule.has_scalar and loss.scalar_terms(activations[-1]) is not None)


class ScalarKernel:
    """Precomputed layout of one network shape; :meth:`run` does one batch."""

    def __init__(self, sizes: Sequence[int], activations: Sequence[Activation],
                 offsets: Sequence[tuple[int, int, int]], loss: Loss, rule: OutputDelta) -> None:
        self.sizes = tuple(sizes)
        self.f = [a.scalar for a in activations]
        self.d = [a.scalar_derivative for a in activations]
        self.offsets = list(offsets)
        self.terms = loss.scalar_terms(activations[-1])
        self.output_delta = rule.scalar
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

    def run(self, theta: list[float], xs: list[list[float]], ts: list[list[float]], detail: bool = False,
            forwards: list | None = None):
        """Returns ``(loss, grad)``; with *detail*, a :class:`Pass` of numpy arrays instead.

        *forwards* are the per-sample forward passes of *xs* at *theta* when already
        computed (by :meth:`loss_only`): the same numbers, not computed twice.
        """
        L = len(self.offsets)
        B = len(xs)
        grad = [0.0] * self.n_params
        total = 0.0
        keep = [] if detail else None
        if forwards is None:
            forwards = [self._forward(theta, x) for x in xs]
        for (nets, outs), t in zip(forwards, ts):
            terms = self.terms(nets[-1], outs[-1], t)
            sl = sum(terms)
            total += sl
            errors, fprimes, deltas = self._backward(theta, nets, outs, t)
            if B == 1:  # the worked example's case, inline: no accumulation needed
                for l, (w0, b0, end) in enumerate(self.offsets):
                    a_in = outs[l]
                    grad[w0:b0] = [dj * ai for dj in deltas[l] for ai in a_in]
                    grad[b0:end] = deltas[l]
            else:
                self._accumulate(grad, outs, deltas)
            if detail:
                keep.append((nets, outs, terms, sl, errors, fprimes, deltas))
        if B != 1:
            grad = [g / B for g in grad]
        loss = total / B
        if not detail:
            return loss, grad
        return self._as_pass(keep, loss, grad, L)

    def _backward(self, theta, nets, outs, t):
        sizes, offs, d = self.sizes, self.offsets, self.d
        L = len(offs)
        errors: list = [None] * L
        fprimes: list = [None] * L
        deltas: list = [None] * L
        errors[-1], fprimes[-1], deltas[-1] = self.output_delta(nets[-1], outs[-1], t)
        for l in range(L - 2, -1, -1):
            w0, b0, _ = offs[l + 1]
            n = sizes[l + 1]
            dn = deltas[l + 1]
            # column j of the next weight matrix is theta[w0 + j : b0 : n]
            err = [sum(map(mul, dn, theta[w0 + j:b0:n])) for j in range(n)]
            fp = list(map(d[l], nets[l], outs[l + 1]))
            errors[l], fprimes[l] = err, fp
            deltas[l] = list(map(mul, err, fp))
        return errors, fprimes, deltas

    def _accumulate(self, grad: list[float], outs, deltas) -> None:
        """Add one sample's gradient (of a batch of several) into *grad*."""
        for l, (w0, b0, end) in enumerate(self.offsets):
            a_in = outs[l]
            n = self.sizes[l]
            for j, dj in enumerate(deltas[l]):
                base = w0 + j * n
                for i in range(n):
                    grad[base + i] += dj * a_in[i]
                grad[b0 + j] += dj

    def loss_only(self, theta: list[float], xs: list[list[float]], ts: list[list[float]]) -> tuple[float, list]:
        """Mean loss over the samples, computed as :meth:`run` computes it, and the forward passes."""
        total = 0.0
        forwards = [self._forward(theta, x) for x in xs]
        for (nets, outs), t in zip(forwards, ts):
            total += sum(self.terms(nets[-1], outs[-1], t))
        return total / len(xs), forwards

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
