"""The loss history as CSV: one row per iteration, with the training-set loss where an epoch ended.

A long history whose older iterations are reduced to min/max buckets (see :mod:`..history`) starts with one
row per bucket instead: ``iteration`` (its first iteration), ``last_iteration``, ``batch_loss_min`` and
``batch_loss_max``; those three columns are added only then, and are empty on the rows of single iterations.
"""
from __future__ import annotations

import csv
import io
import math

from ..simulation import Simulation
from .iteration import check_iteration, simulation_at


def _cell(v: float) -> str:
    # repr keeps every bit (a spreadsheet reads it back exactly); a missing value stays empty.
    return "" if not math.isfinite(v) else repr(float(v))


def loss_history_csv(sim: Simulation, iteration: int | None = None) -> str:
    """CSV text: ``iteration, batch_loss, epoch, training_loss`` (+ ``test_loss`` with a test set).

    ``batch_loss`` is the loss of the iteration's batch before its update; ``epoch`` and
    ``training_loss`` (the mean loss over the whole training set after the update) are filled in
    on the rows where an epoch ended.  With *iteration*, the history stops there: a state that has
    not got that far is trained on a copy first.  *sim* itself is never changed.

    When older iterations are reduced to buckets, their rows come first, one per bucket, with the
    columns ``last_iteration``, ``batch_loss_min`` and ``batch_loss_max`` added (the minimum and maximum
    batch loss over iterations ``iteration`` … ``last_iteration``); the epochs they contain have no rows
    of their own (the training loss is given for the epochs after them).
    """
    src = sim
    last = sim.iteration
    if iteration is not None:
        last = check_iteration(iteration)
        if last > sim.iteration:
            src = simulation_at(sim, last)
    batch = src.batch_loss.view()
    epoch_loss = src.epoch_loss.view()
    epoch_end = src.epoch_end.view()
    test = src.test_epoch_loss.view() if src.test_inputs is not None else None
    # The history holds one entry per iteration done; entry k is iteration k + 1 (first..last).
    first = src.iteration - len(batch) + 1
    ends = {int(it): k for k, it in enumerate(epoch_end)}
    e_first = src.epoch_end.offset + 1  # the number of the first epoch kept at full resolution
    buckets = src.batch_loss.buckets()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    head = ["iteration", "batch_loss", "epoch", "training_loss"] + (["test_loss"] if test is not None else [])
    extra = ["last_iteration", "batch_loss_min", "batch_loss_max"] if len(buckets) else []
    w.writerow(head + extra)
    for a, b, lo, hi in zip(buckets.start, buckets.end, buckets.min, buckets.max):
        if a > last:
            break
        w.writerow([str(a)] + [""] * (len(head) - 1) + [str(min(int(b), last)), _cell(lo), _cell(hi)])
    for k, loss in enumerate(batch):
        it = first + k
        if it > last:
            break
        row = [str(it), _cell(loss), "", ""]
        e = ends.get(it)
        if e is not None:
            row[2:4] = [str(e + e_first), _cell(epoch_loss[e])]
        if test is not None:
            row.append(_cell(test[e]) if e is not None and e < len(test) else "")
        w.writerow(row + [""] * len(extra))
    return out.getvalue()
