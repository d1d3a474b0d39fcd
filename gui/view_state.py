"""The immutable view state the controller publishes after each user action (Qt-free).

The controller builds one :class:`ViewState` per action from the Simulation's public API — which records of
which iteration are visible, the current computation, the training-set loss (computed once), the symmetry
groups, counters and display preferences — and hands the same object to every view.  Views draw from it and
never read the engine themselves.  :class:`RedrawOnce` lets a view that listens to several fine signals of one
publication redraw each of its parts once.
"""
from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable

import numpy as np

from backprop_lab.core import SHARED_KINDS, Computation, Element, Network, Trace, TrainingSettings, format_number

#: The fine change signals, in the order the controller emits them.
SIMULATION_REPLACED = "simulation_replaced"
PARAMETERS_CHANGED = "parameters_changed"
HISTORY_CHANGED = "history_changed"
CURSOR_MOVED = "cursor_moved"
SETTINGS_CHANGED = "settings_changed"
SELECTION_CHANGED = "selection_changed"
DISPLAY_CHANGED = "display_changed"
CHANGES = (SIMULATION_REPLACED, PARAMETERS_CHANGED, HISTORY_CHANGED, CURSOR_MOVED, SETTINGS_CHANGED,
           SELECTION_CHANGED, DISPLAY_CHANGED)
EVERYTHING = frozenset(CHANGES)

#: What the window shows of the iteration (``ViewState.mode``).
READY = "ready"              # the next iteration, nothing of it performed (a preview or a pending one at 0)
STEPPING = "stepping"        # part of an iteration performed with Step into
COMPLETE = "complete"        # the iteration just performed
RUNNING = "running"          # a run faster than a person can watch: no trace
UNTRACEABLE = "untraceable"  # too large to record every computation

EDGE_VIEWS = ("weight", "gradient", "delta")
#: Edge names are shown by default up to this many parameters ("small networks").
NAMES_BY_DEFAULT_UP_TO = 40


@dataclass(frozen=True)
class Display:
    """Display preferences (saved in a state file's ``display``)."""

    precision: int = 9
    edge_view: str = "weight"
    edge_names: bool | None = None  # None: automatic, on for small networks
    log_scale: bool = False
    epochs: int = 50
    speed: int = 7
    #: Practice mode: results not yet performed are shown nowhere (a session preference, not saved in files).
    hide_future: bool = False
    #: A second weight or bias selected with Ctrl+click (the loss landscape over both); session only.  Kept here
    #: rather than beside ``ViewState.selection`` so that the publisher passes it on unchanged.
    second: Element | None = None
    #: The training sample (index in the data) the diagram and equations trace whenever the shown batch holds
    #: it (chosen by clicking it in the Input space); None: the batch's first.  Session only.
    traced_sample: int | None = None

    def to_dict(self) -> dict:
        d = {"precision": self.precision, "edge_view": self.edge_view, "log_scale": self.log_scale,
             "epochs": self.epochs, "speed": self.speed}
        if self.edge_names is not None:
            d["edge_names"] = self.edge_names
        return d

    @classmethod
    def from_dict(cls, d: Mapping, base: "Display", max_speed: int) -> "Display":
        """The preferences in *d* (a file's ``display``) over *base*; unknown or ill-typed keys are ignored.

        Practice mode (``hide_future``) is the session's, never the file's: it carries over from *base*.
        """
        def whole(key, lo, hi, default):
            v = d.get(key)
            return max(lo, min(hi, v)) if isinstance(v, int) and not isinstance(v, bool) else default

        def flag(key, default):
            v = d.get(key)
            return v if isinstance(v, bool) else default
        return cls(precision=whole("precision", 2, 15, base.precision),
                   edge_view=d.get("edge_view") if d.get("edge_view") in EDGE_VIEWS else base.edge_view,
                   edge_names=flag("edge_names", None),
                   log_scale=flag("log_scale", base.log_scale),
                   epochs=whole("epochs", 1, 10_000_000, base.epochs),
                   speed=whole("speed", 0, max_speed, base.speed), hide_future=base.hide_future)


@dataclass(frozen=True)
class ViewState:
    """Everything the views draw, as of one publication (see the module docstring).

    ``theta`` is a read-only copy of the parameters shown; ``batch_loss``, ``epoch_loss`` and ``epoch_end`` are
    read-only views of the history, valid until the next publication.
    """

    serial: int
    changes: frozenset
    network: Network
    theta: np.ndarray
    settings: TrainingSettings
    inputs: np.ndarray
    name: str
    notes: str
    path: str | None
    iteration: int
    epoch: int
    position: int
    n_samples: int
    iterations_per_epoch: int
    batch_loss: np.ndarray
    epoch_loss: np.ndarray
    epoch_end: np.ndarray
    mode: str
    trace: Trace | None
    revealed: int
    current: Computation | None
    values: Mapping
    sample: int
    sample_index: int
    selection: Element | None
    training_loss: float | None
    symmetry: tuple
    display: Display
    running: bool
    fast_running: bool
    traceable: bool
    can_step_back: bool
    can_redo: bool
    undo_label: str
    redo_label: str
    dirty: bool
    test_epoch_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))  # NaN for epochs without a test set
    test_loss: float | None = None  # the test-set loss at the shown weights (None: no test set, or running fast)
    #: The older part of a long history as min/max buckets (``LossHistory.reduced()``: series name -> Buckets);
    #: ``batch_loss`` etc. then hold the entries after them. Empty while nothing is reduced.
    reduced: Mapping = field(default_factory=dict)
    #: Before or early in an iteration: the trace of the one that ended where it starts, when known (its updates
    #: are the last ones performed: the diagram's "last updates" view shows them until this one's come).
    previous_trace: Trace | None = None
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    # -- derived ------------------------------------------------------------------------------
    def fmt(self, value: float, digits: int | None = None) -> str:
        """*value* at the display precision (or *digits*)."""
        return format_number(value, self.display.precision if digits is None else digits)

    def parameter(self, element: Element) -> float:
        """The shown value of a weight or bias."""
        k = self._index.get(element)
        if k is None:
            net = self.network
            k = (net.weight_index(element.layer, element.j, element.i) if element.kind == "weight"
                 else net.bias_index(element.layer, element.j))
            self._index[element] = k
        return float(self.theta[k])

    @property
    def second(self) -> Element | None:
        """The second selected weight or bias (Ctrl+click), or None; it is never the selection itself."""
        return self.display.second

    def value(self, kind: str, element: Element) -> Computation | None:
        """The visible record of *kind* for *element* (for the shown sample), or None."""
        return self.values.get((kind, element))

    @property
    def is_preview(self) -> bool:
        return self.mode == READY

    @property
    def done(self) -> list[Computation]:
        """Records of the shown iteration already performed (none for a preview)."""
        if self.trace is None or self.mode == READY:
            return []
        return self.trace.records[:self.revealed]

    @property
    def todo(self) -> list[Computation]:
        """Records still to come (all of a preview)."""
        if self.trace is None:
            return []
        return self.trace.records if self.mode == READY else self.trace.records[self.revealed:]

    def is_done(self, record: Computation) -> bool:
        return self.mode != READY and record.index < self.revealed

    @property
    def hide_future(self) -> bool:
        """Practice mode: results not yet performed must not be shown anywhere."""
        return self.display.hide_future

    @property
    def shown_training_loss(self) -> float | None:
        """The training-set loss where it may be shown: in practice mode not before this iteration's loss is
        performed (with the whole set in one batch it is the E_total the learner is about to compute)."""
        if self.display.hide_future and self.trace is not None and self.mode != COMPLETE and not any(
                r.kind == "total_loss" for r in self.done):
            return None
        return self.training_loss

    def shows(self, record: Computation) -> bool:
        """Whether *record*'s numbers may be shown: performed, or previewed while nothing is hidden."""
        return self.is_done(record) or (self.mode == READY and not self.display.hide_future)

    @property
    def edge_names(self) -> bool:
        """Whether edge labels show names (the preference, or automatic: small networks)."""
        if self.display.edge_names is not None:
            return self.display.edge_names
        return self.network.n_params <= NAMES_BY_DEFAULT_UP_TO

    @property
    def last_batch_loss(self) -> float | None:
        return float(self.batch_loss[-1]) if len(self.batch_loss) else None

    def updated_what(self) -> str:
        """What an update changes under the current settings (for messages)."""
        return updated_what(self.settings)


def updated_what(settings: TrainingSettings) -> str:
    """What an update changes: every weight, and the biases unless they are fixed."""
    return "every weight and bias was updated" if settings.update_biases else \
        "every weight was updated; biases are fixed"


def shown_position(trace: Trace | None, current: Computation | None, traced_sample: int | None) -> int:
    """The batch position whose numbers the diagram and equations show.

    While a computation of one sample is being stepped into, that sample (the learner follows the computation);
    otherwise the chosen *traced_sample* (an index in the data) when the batch holds it, else the batch's first.
    """
    if current is not None and current.sample is not None:
        return current.sample
    if traced_sample is not None and trace is not None:
        hits = np.flatnonzero(np.asarray(trace.batch) == traced_sample)
        if len(hits):
            return int(hits[0])
    return 0


def visible_values(trace: Trace | None, revealed: int, mode: str, sample: int,
                   hide_future: bool = False) -> Mapping:
    """``{(kind, element): record}`` of the records shown for batch position *sample* (with *hide_future*,
    a preview shows none)."""
    return VisibleValues().get(trace, revealed, mode, sample, hide_future)


class VisibleValues:
    """:func:`visible_values`, with each (trace, sample)'s records filtered once.

    One key press moves the cursor by one record; filtering a 1,000-record trace again for every press
    would cost more than drawing the change, so the filtered list is kept for the last trace and sample.
    """

    def __init__(self) -> None:
        self._trace: Trace | None = None
        self._key: tuple = ()  # (sample, number of records) of the filtered list
        self._own: _Filtered | None = None  # the sample's records and the loss
        self._shared: _Filtered | None = None  # gradients and updates (made when first asked for)

    def get(self, trace: Trace | None, revealed: int, mode: str, sample: int, hide_future: bool = False) -> Mapping:
        if trace is None:
            return MappingProxyType({})
        if self._trace is not trace or self._key != (sample, len(trace.records)):
            self._trace, self._key = trace, (sample, len(trace.records))
            # (of a lazily made trace only this sample's segments are made; the gradients and updates, which
            # the diagram shows only in its gradient and update views, when a value of theirs is asked for)
            self._own = _Filtered(trace.sample_records(sample, shared=False))
            self._shared = _Filtered(None, trace)
        if mode == READY:
            limit = -1 if hide_future else len(trace.records)
        else:
            limit = revealed
        return _Values(self._own, self._shared, limit)


class _Filtered:
    """Records in index order and their ``(kind, element)`` keys (made from *trace* when first needed)."""

    def __init__(self, records: list[Computation] | None, trace: Trace | None = None) -> None:
        self._records, self._trace = records, trace
        self._indices: list[int] = []
        self._entries: list[tuple[tuple, Computation]] = []
        self._dicts: dict[int, dict] = {}

    def upto(self, limit: int) -> dict:
        """``{key: record}`` of the records with an index below *limit* (the later of equal keys wins)."""
        if self._records is None:
            self._records = self._trace.shared_records()
            self._trace = None
        if not self._entries and self._records:
            self._indices = [r.index for r in self._records]
            self._entries = [((r.kind, r.element), r) for r in self._records]
        n = 0 if limit < 0 else bisect.bisect_left(self._indices, limit)
        d = self._dicts.get(n)
        if d is None:
            if len(self._dicts) > 8:
                self._dicts.clear()
            d = self._dicts[n] = dict(self._entries[:n])
        return d


class _Values(Mapping):
    """The visible values of one state: ``get((kind, element))`` (read-only)."""

    __slots__ = ("_own", "_shared", "_limit")

    def __init__(self, own: _Filtered, shared: _Filtered, limit: int) -> None:
        self._own, self._shared, self._limit = own, shared, limit

    def _part(self, kind: str) -> dict:
        return (self._shared if kind in SHARED_KINDS else self._own).upto(self._limit)

    def __getitem__(self, key: tuple) -> Computation:
        return self._part(key[0])[key]

    def get(self, key, default=None):
        return self._part(key[0]).get(key, default)

    def __iter__(self):
        yield from self._own.upto(self._limit)
        yield from self._shared.upto(self._limit)

    def __len__(self) -> int:
        return len(self._own.upto(self._limit)) + len(self._shared.upto(self._limit))


def frozen(a: np.ndarray) -> np.ndarray:
    """A read-only view of *a*."""
    v = a.view()
    v.flags.writeable = False
    return v


class RedrawOnce:
    """Per-view bookkeeping so that each part redraws once per publication.

    A view connects several fine signals; one user action may emit three of them with the same state.
    ``redraw(state, "edges", "neurons")`` calls ``self._update_edges(state)`` and ``self._update_neurons(state)``
    unless they were already redrawn for this state's serial.
    """

    def __init__(self, owner) -> None:
        self._owner = owner
        self._serial = -1
        self._done: set[str] = set()

    def redraw(self, state: ViewState, *parts: str) -> None:
        if state.serial != self._serial:
            self._serial = state.serial
            self._done = set()
        for part in parts:
            if part in self._done:
                continue
            self._done.add(part)
            update: Callable[[ViewState], None] = getattr(self._owner, f"_update_{part}")
            update(state)
