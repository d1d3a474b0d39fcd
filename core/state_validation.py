"""State files, second stage: a parsed document → checked numpy arrays, sizes first, numbers last.

The order is what keeps a hostile file cheap to refuse:

1. the document's skeleton — everything except the big number arrays, which are
   only counted — against the shipped JSON Schema (``resources/state-schema.json``), in :mod:`.state_schema`;
2. sizes, from the layers and the lengths of the arrays alone: parameters, dataset
   numbers, the work estimate (samples × Σ layer sizes), history and optimizer
   lengths, progress counters;
3. the numbers, vectorised: types, shapes, finiteness, ranges;
4. what needs the numbers: cross-entropy targets, the order of epoch ends.

Every failure is a :class:`StateFileError` naming the place; nothing is built
before all checks pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .errors import Cancelled
from .history import SERIES, Buckets, reduced_problem
from .state_arrays import matrix, vector
from .state_json import fail, quote
from .state_schema import (
    DISPLAY_MAX_BYTES,
    DISPLAY_MAX_DEPTH,
    FORMAT,
    VERSION,
    check_skeleton,
    display_problem,
    schema,
    schema_at,
)

__all__ = [
    "FORMAT", "VERSION", "MAX_PARAMS", "MAX_DATA_NUMBERS", "MAX_NEURON_VALUES", "DISPLAY_MAX_DEPTH",
    "DISPLAY_MAX_BYTES", "TARGET_SUM_TOLERANCE", "Checked", "check", "check_targets", "display_problem", "schema",
    "validate",
]

MAX_PARAMS = 2_000_000
MAX_DATA_NUMBERS = 20_000_000
#: samples (training + test) × Σ layer sizes (inputs included): about the values one pass over the whole
#: dataset computes. A full-batch iteration takes about 55 bytes per value (net input, output, error,
#: derivative and delta, plus temporaries; measured), so 4M keeps it under 256 MB.
MAX_NEURON_VALUES = 4_000_000
#: A softmax cross-entropy target row must sum to 1 within this.
TARGET_SUM_TOLERANCE = 1e-6

_BUCKET_PARTS = ("start", "end", "min", "max")


@dataclass
class Checked:
    """A fully checked state document, with its numbers as float64 arrays (``int64`` for epoch ends)."""

    sizes: list[int]
    activations: list[str]
    theta: np.ndarray | None  # None when network.init gives the parameters
    init: dict | None
    training: dict
    inputs: np.ndarray
    targets: np.ndarray
    test_inputs: np.ndarray | None
    test_targets: np.ndarray | None
    iteration: int
    epoch: int
    position: int
    history: dict[str, Any] | None  # the arrays by key, and "reduced": {series name: Buckets}
    optimizer: dict[str, Any] = field(default_factory=dict)
    display: dict = field(default_factory=dict)
    name: str = ""
    notes: str = ""


# -- stage 2: sizes, from lengths alone ------------------------------------------------------------------
def _check_sizes(skel: dict, heavy: dict, source: str | None) -> tuple[list[int], int]:
    """Layer sizes and parameter count; every limit that needs no number read. Returns ``(sizes, n_params)``."""
    def need(where: str, msg: str) -> None:
        raise fail(msg, where=where, source=source)

    net = skel["network"]
    layers = net["layers"]
    sizes = [ly["size"] for ly in layers]
    for k, ly in enumerate(layers[1:], start=1):
        if "activation" not in ly:
            need(f"network.layers[{k}]", "missing required key 'activation'")
        if ly["activation"] == "softmax" and k != len(layers) - 1:
            need(f"network.layers[{k}].activation", "softmax is only allowed on the output layer")
    L = len(sizes) - 1
    n_params = sum(sizes[k] * sizes[k + 1] + sizes[k + 1] for k in range(L))
    if n_params > MAX_PARAMS:
        need("network.layers", f"the network has {n_params:,} parameters; the limit is {MAX_PARAMS:,}")
    if "init" in net:
        for key in ("weights", "biases"):
            if key in net:
                need(f"network.{key}", "network.init gives the weights and biases: leave out either "
                                       "network.init or network.weights and network.biases")
    else:
        for key, what in (("weights", "weight matrices"), ("biases", "bias vectors")):
            if ("network", key) not in heavy:
                need("network", f"missing required key {key!r}")
            n = len(heavy[("network", key)])
            if n != L:
                need(f"network.{key}", f"expected {L} {what} (one per dense layer), got {n}")
    N = len(heavy[("data", "inputs")])
    if len(heavy[("data", "targets")]) != N:
        need("data.targets", f"expected {N} rows (one per input row), got {len(heavy[('data', 'targets')])}")
    n_test = 0
    if ("data", "test_inputs") in heavy:
        n_test = len(heavy[("data", "test_inputs")])
        if len(heavy[("data", "test_targets")]) != n_test:
            need("data.test_targets", f"expected {n_test} rows (one per test input row), "
                                      f"got {len(heavy[('data', 'test_targets')])}")
    numbers = (N + n_test) * (sizes[0] + sizes[-1])
    if numbers > MAX_DATA_NUMBERS:
        need("data", f"the dataset has {numbers:,} numbers; the limit is {MAX_DATA_NUMBERS:,}")
    work = (N + n_test) * sum(sizes)
    if work > MAX_NEURON_VALUES:
        need("data", f"{N + n_test:,} samples × {sum(sizes):,} neurons = {work:,} values in one pass over the "
                     f"data; the limit is {MAX_NEURON_VALUES:,}, which keeps training within 256 MB "
                     f"(use fewer samples or a smaller network)")
    for key in ("velocity", "m", "v"):
        arr = heavy.get(("optimizer", key))
        if arr is not None and len(arr) != n_params:
            need(f"optimizer.{key}", f"expected {n_params:,} numbers (one per parameter), got {len(arr):,}")
    _check_progress(skel, heavy, N, n_test > 0, source)
    return sizes, n_params


def _check_progress(skel: dict, heavy: dict, N: int, has_test: bool, source: str | None) -> None:
    """Counters and history lengths must agree; a history is never made up from a counter."""
    def need(where: str, msg: str) -> None:
        raise fail(msg, where=where, source=source)

    prog = skel.get("progress", {})
    it, ep, pos = prog.get("iteration", 0), prog.get("epoch", 0), prog.get("position", 0)
    if pos >= N:
        need("progress.position", f"must be less than the number of samples ({N}), got {quote(pos)}")
    if ep > it:
        need("progress.epoch", f"is {ep:,} but only {it:,} iterations are done (each epoch takes at least one)")
    if "history" not in skel:
        if it > 0:
            need("progress.iteration", f"is {it:,} but the file has no history: give history.batch_loss "
                                       f"(one loss per iteration) and the per-epoch lists, or leave out "
                                       f"progress to start at iteration 0")
        return

    def n(key: str) -> int:
        return len(heavy.get(("history", key), ()))

    def buckets(name: str) -> int:  # buckets of a reduced series (each covers at least one entry); 0 without
        return len(heavy.get(("history", f"{name}_reduced", "start"), ()))
    hist = skel["history"]
    b_batch, b_epoch = buckets("batch_loss"), buckets("epoch_loss")
    if "batch_loss_reduced" in hist:  # exact counts need the buckets' numbers: stage 4
        if n("batch_loss") + b_batch > it:
            need("history.batch_loss", f"{n('batch_loss'):,} entries after {b_batch:,} buckets of "
                                       f"batch_loss_reduced are more than the {it:,} iterations done")
    elif n("batch_loss") != it:
        need("history.batch_loss", f"expected {it:,} entries (one per iteration), got {n('batch_loss'):,}")
    if n("epoch_end") != n("epoch_loss"):
        need("history.epoch_end", f"expected {n('epoch_loss'):,} entries (one per epoch loss), got {n('epoch_end'):,}")
    if "epoch_loss_reduced" in hist or "epoch_end_reduced" in hist:
        if n("epoch_loss") + b_epoch > ep:
            need("history.epoch_loss", f"{n('epoch_loss'):,} entries after {b_epoch:,} buckets of "
                                       f"epoch_loss_reduced are more than the {ep:,} epochs done")
    elif n("epoch_loss") != ep:
        need("history.epoch_loss", f"expected {ep:,} entries (one per epoch; progress.epoch is {ep:,}), "
                                   f"got {n('epoch_loss'):,}")
    if ("history", "test_loss") in heavy:
        if not has_test:
            need("history.test_loss", "there is no test set (data.test_inputs) for a test loss")
        if n("test_loss") != n("epoch_loss"):
            need("history.test_loss", f"expected {n('epoch_loss'):,} entries (one per epoch loss), "
                                      f"got {n('test_loss'):,}")
        if ("epoch_loss_reduced" in hist) != ("test_loss_reduced" in hist):
            need("history.test_loss_reduced", "with a test loss, test_loss_reduced and epoch_loss_reduced go together")
    elif "test_loss_reduced" in hist:
        need("history.test_loss_reduced", "there is no test_loss (and no test set) for a reduced test loss")


# -- stage 3: the numbers (vectorised, in .state_arrays) ----------------------------------------------------
def _item_rule(*path: str) -> tuple[bool, float | None]:
    items = schema_at(path)["items"]
    return items.get("type") == "integer", items.get("minimum")


# -- stage 4: what needs the numbers --------------------------------------------------------------------------
def check_targets(targets: np.ndarray, output: str, where: str, source: str | None) -> None:
    """Cross-entropy targets the loss can handle, else a message naming the sample.

    softmax: every row a probability distribution (entries in [0, 1] summing to 1
    within :data:`TARGET_SUM_TOLERANCE`; one-hot rows are); sigmoid: every target in [0, 1].
    """
    out_of_range = (targets < 0.0) | (targets > 1.0)
    if output == "softmax":
        sums = targets.sum(axis=1)
        bad = out_of_range.any(axis=1) | (np.abs(sums - 1.0) > TARGET_SUM_TOLERANCE)
        if bad.any():
            k = int(bad.argmax())
            j = int(out_of_range[k].argmax())
            why = f"entry {j} is {float(targets[k, j])!r}" if out_of_range[k].any() else \
                f"this row sums to {float(sums[k])!r}"
            raise fail(f"cross-entropy with a softmax output needs each target row (sample {k}) to be a probability "
                       f"distribution: entries between 0 and 1 summing to 1 (within {TARGET_SUM_TOLERANCE:g}); "
                       f"{why}", where=f"{where}[{k}]", source=source)
    elif output == "sigmoid" and out_of_range.any():
        k, j = divmod(int(out_of_range.argmax()), targets.shape[1])
        raise fail(f"cross-entropy with a sigmoid output needs targets between 0 and 1 (sample {k}), "
                   f"got {float(targets[k, j])!r}", where=f"{where}[{k}][{j}]", source=source)


def _check_training(tr: dict, source: str | None) -> None:
    """Settings that belong to one choice only (Adam's betas, a decaying schedule's rate)."""
    opt = tr.get("optimizer", {"name": "sgd"})
    if opt["name"] != "adam":
        for key in ("beta1", "beta2", "epsilon"):
            if key in opt:
                raise fail(f"only the 'adam' optimizer has {key}", where=f"training.optimizer.{key}", source=source)
    sch = tr.get("schedule", {"name": "constant"})
    if sch["name"] == "constant":
        for key in ("rate", "every"):
            if key in sch:
                raise fail(f"a constant learning rate has no {key}", where=f"training.schedule.{key}", source=source)


def _reduced(heavy: dict, source: str | None) -> dict[str, Buckets]:
    """The reduced parts of the history (``history.<name>_reduced``), as checked arrays."""
    out = {}
    for name in SERIES:
        if ("history", f"{name}_reduced", "start") not in heavy:
            continue
        parts = []
        for part in _BUCKET_PARTS:
            path = ("history", f"{name}_reduced", part)
            integer, minimum = _item_rule(*path)
            parts.append(vector(heavy[path], list(path), source, integer=integer, minimum=minimum,
                                missing=name == "test_loss" and part in ("min", "max")))
        out[name] = Buckets(*parts)
    return out


def _history(heavy: dict, it: int, ep: int, source: str | None) -> dict[str, Any]:
    hist: dict[str, Any] = {}
    for key in ("batch_loss", "epoch_loss", "epoch_end", "test_loss"):
        if ("history", key) in heavy or key != "test_loss":
            integer, minimum = _item_rule("history", key)
            # an epoch trained before there was a test set has no test loss: null in the file
            hist[key] = vector(heavy.get(("history", key), []), ["history", key], source,
                               integer=integer, minimum=minimum, missing=key == "test_loss")
    ends = hist["epoch_end"]
    if len(ends) > 1 and not (np.diff(ends) > 0).all():
        k = int((np.diff(ends) <= 0).argmax()) + 1
        raise fail(f"epoch ends must increase (an epoch takes at least one iteration); {ends[k]} follows "
                   f"{ends[k - 1]}", where=f"history.epoch_end[{k}]", source=source)
    if len(ends) and ends[-1] > it:
        raise fail(f"an epoch ends at iteration {ends[-1]:,}, after the current one ({it:,})",
                   where=f"history.epoch_end[{len(ends) - 1}]", source=source)
    reduced = _reduced(heavy, source)
    problem = reduced_problem(reduced, ends, it)
    if problem:
        raise fail(problem[1], where=f"history.{problem[0]}", source=source)
    for name, total, what in (("batch_loss", it, "iteration"), ("epoch_loss", ep, "epoch")):
        if name in reduced:
            done, got = reduced[name].covered, len(hist[name])
            if done + got != total:
                raise fail(f"expected {total - done:,} entries (one per {what} after the {done:,} that "
                           f"{name}_reduced covers; {total:,} in all), got {got:,}", where=f"history.{name}",
                           source=source)
    hist["reduced"] = reduced
    return hist


def _parameters(heavy: dict, sizes: list[int], source: str | None,
                cancel: Callable[[], bool] | None = None) -> np.ndarray:
    parts = []
    for l in range(len(sizes) - 1):
        _poll(cancel)
        W = heavy[("network", "weights")][l]
        parts.append(matrix(W, ["network", "weights", l], (sizes[l + 1], sizes[l]), source,
                            f" (layer {l + 1} has {sizes[l + 1]} neurons)").ravel())
        b = heavy[("network", "biases")][l]
        if not isinstance(b, np.ndarray) and type(b) is list and len(b) != sizes[l + 1]:
            raise fail(f"expected {sizes[l + 1]} numbers, got {len(b)}", where=f"network.biases[{l}]", source=source)
        parts.append(vector(b, ["network", "biases", l], source))
        if parts[-1].shape != (sizes[l + 1],):
            raise fail(f"expected {sizes[l + 1]} numbers", where=f"network.biases[{l}]", source=source)
    return np.concatenate(parts)


def _poll(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled("cancelled")


def check(doc: Any, source: str | None = None, *, trusted: bool = False,
          cancel: Callable[[], bool] | None = None) -> Checked:
    """Check *doc* completely (see the module docstring) and return its contents as arrays.

    *trusted* skips only the JSON Schema stage, for the examples shipped inside the
    package (the test suite checks them against the schema).  *cancel* is asked
    between the stages and the big arrays (:class:`Cancelled` once it returns True).
    """
    skel, heavy = check_skeleton(doc, source, trusted)
    _poll(cancel)
    sizes, _ = _check_sizes(skel, heavy, source)
    net, tr = skel["network"], skel["training"]
    acts = [ly["activation"] for ly in net["layers"][1:]]
    _check_training(tr, source)
    _poll(cancel)
    theta = None if "init" in net else _parameters(heavy, sizes, source, cancel)
    n0, nL = sizes[0], sizes[-1]
    data = {}
    for key, n in (("inputs", n0), ("targets", nL), ("test_inputs", n0), ("test_targets", nL)):
        _poll(cancel)
        if ("data", key) in heavy:
            rows = heavy[("data", key)]
            data[key] = matrix(rows, ["data", key], (len(rows), n), source)
    if tr["loss"] == "cross_entropy":
        for key in ("targets", "test_targets"):
            if key in data:
                check_targets(data[key], acts[-1], f"data.{key}", source)
    prog = skel.get("progress", {})
    it = prog.get("iteration", 0)
    _poll(cancel)
    history = _history(heavy, it, prog.get("epoch", 0), source) if "history" in skel else None
    opt: dict[str, Any] = {k: v for k, v in skel.get("optimizer", {}).items() if k == "t"}
    for key in ("velocity", "m", "v"):
        if ("optimizer", key) in heavy:
            integer, minimum = _item_rule("optimizer", key)
            opt[key] = vector(heavy[("optimizer", key)], ["optimizer", key], source, minimum=minimum)
    if "m" in opt and tr.get("optimizer", {}).get("name") != "adam":
        raise fail("Adam's state (m, v, t) needs training.optimizer {\"name\": \"adam\"}", where="optimizer.m",
                   source=source)
    return Checked(sizes=sizes, activations=acts, theta=theta, init=net.get("init"), training=tr,
                   inputs=data["inputs"], targets=data["targets"], test_inputs=data.get("test_inputs"),
                   test_targets=data.get("test_targets"), iteration=it, epoch=prog.get("epoch", 0),
                   position=prog.get("position", 0), history=history, optimizer=opt,
                   display=skel.get("display", {}), name=skel.get("name", ""), notes=skel.get("notes", ""))


def validate(doc: Any, source: str | None = None) -> None:
    """Raise :class:`StateFileError` unless *doc* is a valid version-1 state (all checks)."""
    check(doc, source)
