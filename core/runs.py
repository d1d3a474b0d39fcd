"""Earlier training runs kept for comparison: their loss curves, labels and a plain-dict form.

When a learner re-initialises, resets or changes a setting and trains again, the
earlier run's loss history becomes a :class:`RunRecord` labelled with what differed
(:func:`describe_difference`, e.g. ``"η = 0.5"`` or ``"xavier, seed 3"``).  Records
are stored decimated (min/max per bin, so spikes survive) to keep state files
small.  :class:`RunsModel` is the ordered list the views show; ``to_list`` /
``from_list`` give the JSON-ready form for the state file (key ``history.runs``,
schema :data:`RUNS_SCHEMA`).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

import numpy as np

from .errors import ConfigError
from .trace import format_number

#: Points kept per curve of a stored run.
MAX_POINTS = 4000
#: Longest label accepted (a rename in the GUI is cut there).
MAX_LABEL = 120
#: Runs kept at most (the oldest is dropped first).
MAX_RUNS = 20

#: JSON Schema of the list stored under ``history.runs`` (for resources/state-schema.json).
RUNS_SCHEMA: dict = {
    "type": "array", "maxItems": MAX_RUNS,
    "items": {
        "type": "object", "additionalProperties": False,
        "required": ["label", "iterations", "batch_loss", "epoch_end", "epoch_loss"],
        "properties": {
            "label": {"type": "string", "maxLength": MAX_LABEL},
            "iterations": {"type": "array", "maxItems": 2 * MAX_POINTS, "items": {"type": "integer", "minimum": 1}},
            "batch_loss": {"type": "array", "maxItems": 2 * MAX_POINTS, "items": {"type": "number"}},
            "epoch_end": {"type": "array", "maxItems": 2 * MAX_POINTS, "items": {"type": "integer", "minimum": 1}},
            "epoch_loss": {"type": "array", "maxItems": 2 * MAX_POINTS, "items": {"type": "number"}},
            "visible": {"type": "boolean"},
            "settings": {"type": "object"},
            "init": {"type": ["object", "null"]},
        },
    },
}


def decimate(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most about *max_points* points: each bin's minimum and maximum, in order (spikes stay)."""
    n = len(y)
    if n <= max_points:
        return x.copy(), y.copy()
    bins = max(1, max_points // 2)
    per = n // bins
    m = per * bins
    yb, xb = y[:m].reshape(bins, per), x[:m].reshape(bins, per)
    imin, imax = yb.argmin(axis=1), yb.argmax(axis=1)
    lo, hi = np.minimum(imin, imax), np.maximum(imin, imax)
    rows = np.arange(bins)
    xs = np.column_stack([xb[rows, lo], xb[rows, hi]]).ravel()
    ys = np.column_stack([yb[rows, lo], yb[rows, hi]]).ravel()
    keep = np.r_[True, xs[1:] != xs[:-1]]  # a bin whose min and max are one point keeps it once
    return np.concatenate([xs[keep], x[m:]]), np.concatenate([ys[keep], y[m:]])


def _settings_dict(settings: Any) -> dict:
    if settings is None:
        return {}
    if is_dataclass(settings):
        return asdict(settings)
    if isinstance(settings, dict):
        return dict(settings)
    raise ConfigError(f"settings must be TrainingSettings or a dict, got {type(settings).__name__}")


@dataclass
class RunRecord:
    """One earlier run's loss history.

    Attributes
    ----------
    label : str
        What distinguishes it (shown next to its curve).
    iterations : ndarray of int64
        Iteration numbers of the points of *batch_loss* (1-based; decimated runs skip some).
    batch_loss : ndarray
        Batch loss at those iterations.
    epoch_end : ndarray of int64
        The iteration each epoch ended at.
    epoch_loss : ndarray
        Training-set loss after each epoch.
    visible : bool
        Drawn or hidden.
    settings : dict
        The run's training settings (for relabelling); may be empty.
    init : dict or None
        How its weights were initialised, ``{"scheme": ..., "seed": ...}``, or None
        when it started from the weights of the file.
    """

    label: str
    iterations: np.ndarray
    batch_loss: np.ndarray
    epoch_end: np.ndarray
    epoch_loss: np.ndarray
    visible: bool = True
    settings: dict = field(default_factory=dict)
    init: dict | None = None

    @classmethod
    def from_simulation(cls, sim, label: str = "", *, init: dict | None = None,
                        max_points: int = MAX_POINTS) -> "RunRecord":
        """The simulation's loss history now, decimated to about *max_points* per curve.

        The reduced part of a long history (min/max buckets) enters as its polyline (each bucket's
        min at its first iteration, its max at its last), so a record stays bounded whatever the length.
        """
        x, y = sim.batch_loss.points()
        xi, yi = decimate(x.astype(np.int64), y, max_points)
        ex, ey = sim.history.epoch_points(sim.history.epoch_loss)
        exi, eyi = decimate(ex.astype(np.int64), ey, max_points)
        return cls(label, xi, yi, exi, eyi, True, _settings_dict(sim.settings), init)

    @property
    def final_loss(self) -> float | None:
        """Last training-set loss (per epoch), else last batch loss, else None."""
        if len(self.epoch_loss):
            return float(self.epoch_loss[-1])
        return float(self.batch_loss[-1]) if len(self.batch_loss) else None

    def to_dict(self) -> dict:
        """JSON-ready form (plain lists; Python floats keep every bit through ``repr``)."""
        return {"label": self.label, "iterations": self.iterations.tolist(), "batch_loss": self.batch_loss.tolist(),
                "epoch_end": self.epoch_end.tolist(), "epoch_loss": self.epoch_loss.tolist(),
                "visible": bool(self.visible), "settings": dict(self.settings),
                "init": None if self.init is None else dict(self.init)}

    @classmethod
    def from_dict(cls, d: Any, where: str = "run") -> "RunRecord":
        """Validate and build; ConfigError names the place (*where*) and the problem."""
        if not isinstance(d, dict):
            raise ConfigError(f"{where}: expected an object, got {type(d).__name__}")
        unknown = set(d) - set(RUNS_SCHEMA["items"]["properties"])
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
        label = d.get("label")
        if not isinstance(label, str) or len(label) > MAX_LABEL:
            raise ConfigError(f"{where}.label: expected text of at most {MAX_LABEL} characters")
        it = _ints(d.get("iterations"), f"{where}.iterations")
        bl = _floats(d.get("batch_loss"), f"{where}.batch_loss")
        ee = _ints(d.get("epoch_end"), f"{where}.epoch_end")
        el = _floats(d.get("epoch_loss"), f"{where}.epoch_loss")
        for a, b, name in ((it, bl, "batch_loss"), (ee, el, "epoch_loss")):
            if len(a) != len(b):
                raise ConfigError(f"{where}.{name}: expected {len(a)} entries (one per iteration given), "
                                  f"got {len(b)}")
        for arr, name in ((it, "iterations"), (ee, "epoch_end")):
            if len(arr) and (arr.min() < 1 or np.any(np.diff(arr) <= 0)):
                raise ConfigError(f"{where}.{name}: expected increasing iteration numbers ≥ 1")
        visible = d.get("visible", True)
        if not isinstance(visible, bool):
            raise ConfigError(f"{where}.visible: expected true or false, got {visible!r}")
        settings = d.get("settings", {})
        init = d.get("init")
        if not isinstance(settings, dict) or not (init is None or isinstance(init, dict)):
            raise ConfigError(f"{where}: settings must be an object and init an object or null")
        return cls(label, it, bl, ee, el, visible, dict(settings), None if init is None else dict(init))


def _array(v: Any, where: str) -> list:
    if not isinstance(v, list):
        raise ConfigError(f"{where}: expected a list of numbers")
    if len(v) > 2 * MAX_POINTS:
        raise ConfigError(f"{where}: at most {2 * MAX_POINTS} entries, got {len(v)}")
    return v


def _floats(v: Any, where: str) -> np.ndarray:
    v = _array(v, where)
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v):
        raise ConfigError(f"{where}: every entry must be a finite number")
    return np.array(v, dtype=np.float64)


def _ints(v: Any, where: str) -> np.ndarray:
    v = _array(v, where)
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        raise ConfigError(f"{where}: every entry must be a whole number")
    return np.array(v, dtype=np.int64)


# -- labels ---------------------------------------------------------------------------------------------
def _num(v: Any) -> str:
    return format_number(v, 6) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


_LOSS_NAMES = {"mse": "½·squared error", "cross_entropy": "cross-entropy"}

#: How each training setting reads in a label (the value is the earlier run's).
_FORMATS = {
    "learning_rate": lambda v: f"η = {_num(v)}",
    "batch_size": lambda v: f"batch {v}",
    "momentum": lambda v: f"μ = {_num(v)}",
    "loss": lambda v: _LOSS_NAMES.get(v, str(v)),
    "update_biases": lambda v: "biases trained" if v else "biases fixed",
    "shuffle": lambda v: "shuffled" if v else "not shuffled",
    "seed": lambda v: f"shuffle seed {v}",
    "optimizer": lambda v: {"sgd": "SGD", "adam": "Adam"}.get(v, str(v)),
    "beta1": lambda v: f"β1 = {_num(v)}",
    "beta2": lambda v: f"β2 = {_num(v)}",
    "epsilon": lambda v: f"ε = {_num(v)}",
    "l2": lambda v: f"L2 = {_num(v)}",
    "l1": lambda v: f"L1 = {_num(v)}",
    "schedule": lambda v: "constant η" if v == "constant" else f"{v} decay",
    "decay_rate": lambda v: f"decay × {_num(v)}",
    "decay_every": lambda v: f"decay every {v}",
    "hidden_delta_weights": lambda v: "deltas from updated weights" if v == "updated" else "deltas from old weights",
}


def _describe_init(init: dict | None) -> str:
    if not init:
        return "weights from the file"
    text = str(init.get("scheme", "?"))
    if "seed" in init:
        text += f", seed {init['seed']}"
    for key in ("value", "scale"):
        if key in init:
            text += f", {key} {_num(init[key])}"
    return text


def describe_difference(settings_a: Any, settings_b: Any, init_a: dict | None = None,
                        init_b: dict | None = None) -> str:
    """A short label for run A saying how it differs from run B, in A's values.

    ``describe_difference(TrainingSettings(learning_rate=0.5), TrainingSettings(learning_rate=0.1))``
    is ``"η = 0.5"``; different initialisations add e.g. ``"xavier, seed 3"``.  Settings
    are ``TrainingSettings`` or dicts (fields unknown here read ``name = value``);
    *init* is ``{"scheme", "seed", ...}`` or None for weights from a file.  Returns
    ``"same settings"`` when nothing differs.
    """
    a, b = _settings_dict(settings_a), _settings_dict(settings_b)
    parts = []
    for key in list(_FORMATS) + sorted(set(a) - set(_FORMATS)):
        if key in a and a.get(key) != b.get(key):
            fmt = _FORMATS.get(key, lambda v, k=key: f"{k} = {_num(v)}")
            parts.append(fmt(a[key]))
    if (init_a or None) != (init_b or None):
        parts.append(_describe_init(init_a))
    return ", ".join(parts) if parts else "same settings"


class RunsModel:
    """The ordered list of compared runs (oldest first), at most :data:`MAX_RUNS`."""

    def __init__(self, runs: list[RunRecord] | None = None) -> None:
        self.runs: list[RunRecord] = list(runs or [])

    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self):
        return iter(self.runs)

    def __getitem__(self, k: int) -> RunRecord:
        return self.runs[k]

    def add(self, record: RunRecord) -> None:
        """Append a run; the oldest is dropped past :data:`MAX_RUNS`.  Empty runs are not kept."""
        if len(record.batch_loss) == 0 and len(record.epoch_loss) == 0:
            return
        self.runs.append(record)
        del self.runs[:-MAX_RUNS]

    def capture(self, sim, settings_now: Any, init_then: dict | None = None,
                init_now: dict | None = None) -> RunRecord | None:
        """Keep *sim*'s history as a run labelled against the settings that replace it.

        Call it just before a re-initialise, reset or settings change, with the new
        settings (*settings_now*) and initialisations; returns the record (None when
        the history is empty).
        """
        rec = RunRecord.from_simulation(sim, init=init_then)
        if len(rec.batch_loss) == 0 and len(rec.epoch_loss) == 0:
            return None
        rec.label = describe_difference(rec.settings, settings_now, init_then, init_now)
        self.add(rec)
        return rec

    def remove(self, k: int) -> None:
        del self.runs[k]

    def rename(self, k: int, label: str) -> None:
        self.runs[k].label = str(label)[:MAX_LABEL]

    def set_visible(self, k: int, visible: bool) -> None:
        self.runs[k].visible = bool(visible)

    def clear(self) -> None:
        self.runs.clear()

    def to_list(self) -> list[dict]:
        return [r.to_dict() for r in self.runs]

    @classmethod
    def from_list(cls, items: Any, where: str = "history.runs") -> "RunsModel":
        if not isinstance(items, list):
            raise ConfigError(f"{where}: expected a list of runs")
        if len(items) > MAX_RUNS:
            raise ConfigError(f"{where}: at most {MAX_RUNS} runs, got {len(items)}")
        return cls([RunRecord.from_dict(d, f"{where}[{k}]") for k, d in enumerate(items)])
