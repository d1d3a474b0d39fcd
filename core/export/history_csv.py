"""The loss history as CSV: one row per iteration, with the training-set loss where an epoch ended."""
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
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["iteration", "batch_loss", "epoch", "training_loss"] + (["test_loss"] if test is not None else []))
    for k, loss in enumerate(batch):
        it = first + k
        if it > last:
            break
        row = [str(it), _cell(loss), "", ""]
        e = ends.get(it)
        if e is not None:
            row[2:4] = [str(e + 1), _cell(epoch_loss[e])]
        if test is not None:
            row.append(_cell(test[e]) if e is not None and e < len(test) else "")
        w.writerow(row)
    return out.getvalue()
