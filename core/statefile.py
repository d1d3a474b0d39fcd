"""State files: load and save a Simulation as versioned JSON, checked completely before anything changes.

Loading is three stages, each failing with a :class:`StateFileError` that names
the file and the place:

1. the file → bytes → JSON (:mod:`.state_json`): only a regular file is opened,
   size cap, UTF-8, syntax, no NaN/Infinity, no duplicate keys;
2. the document → checked arrays (:mod:`.state_validation`): the skeleton against
   the shipped JSON Schema, sizes and the memory work estimate from lengths alone,
   then the numbers, vectorised, then what needs the numbers;
3. the arrays → a :class:`Simulation`, through its public constructor and
   ``restore_progress``.

Saving builds the document from the Simulation's arrays, checks it with the same
rules (so every saved file opens again), and streams it into a temporary file
that is renamed over the target (:mod:`.atomic_save`).  Every failure is a
:class:`SaveError`.  Nothing in a file is ever executed.
"""
from __future__ import annotations

import inspect
import json
import math
import os
import stat
from importlib import resources
from typing import Any, Callable, Iterator

import numpy as np

from .atomic_save import SaveError, write_atomic
from .errors import Cancelled, ConfigError, StateFileError
from .state_arrays import nulls
from .state_json import MAX_FILE_BYTES, clean_source, decode, fail, parse_json, parse_text, place, quote
from .state_validation import (
    DISPLAY_MAX_BYTES,
    DISPLAY_MAX_DEPTH,
    FORMAT,
    MAX_DATA_NUMBERS,
    MAX_NEURON_VALUES,
    MAX_PARAMS,
    TARGET_SUM_TOLERANCE,
    VERSION,
    Checked,
    check,
    display_problem,
    schema,
    validate,
)

__all__ = [
    "FORMAT", "VERSION", "MAX_FILE_BYTES", "MAX_PARAMS", "MAX_DATA_NUMBERS", "MAX_NEURON_VALUES",
    "DISPLAY_MAX_DEPTH", "DISPLAY_MAX_BYTES", "TARGET_SUM_TOLERANCE", "EXAMPLES", "SaveError", "StateFileError",
    "parse_json", "schema", "place", "validate", "simulation_from_dict", "load_simulation", "simulation_to_dict",
    "state_document", "dumps", "iter_dumps", "save_atomic", "save_simulation", "settings_kwargs",
    "training_section", "example_path", "load_example",
]

#: Built-in examples: key -> (file name, title)
EXAMPLES: dict[str, tuple[str, str]] = {
    "mazur": ("mazur.json", "Worked example: 2-2-2 sigmoid (Mazur)"),
    "xor": ("xor.json", "XOR with a 2-3-1 sigmoid network"),
    "symmetry": ("symmetry.json", "The symmetry problem: equal non-zero starting weights"),
    "moons": ("moons.json", "Two moons: 2-8-8-1 tanh, 300 points, mini-batches"),
    "blobs": ("blobs.json", "Three classes: 2-6-3 softmax with cross-entropy"),
}

# TrainingSettings fields a file may set beyond the original seven, with the defaults that mean
# "as before" (CONTRACT.md). Only values that differ are passed to TrainingSettings or written.
_EXTRA_DEFAULTS: dict[str, Any] = {
    "optimizer": "sgd", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "l2": 0.0, "l1": 0.0,
    "schedule": "constant", "decay_rate": 0.5, "decay_every": 1000, "hidden_delta_weights": "original",
}
_EXTRA_PLACE = {"optimizer": "optimizer", "beta1": "optimizer.beta1", "beta2": "optimizer.beta2",
                "epsilon": "optimizer.epsilon", "l2": "l2", "l1": "l1", "schedule": "schedule",
                "decay_rate": "schedule.rate", "decay_every": "schedule.every",
                "hidden_delta_weights": "hidden_delta_weights"}


# -- training settings <-> the file's training section -------------------------------------------------
def settings_kwargs(training: dict) -> dict[str, Any]:
    """Keyword arguments for ``TrainingSettings`` from a checked ``training`` section.

    The original seven settings are always given; the later ones (optimizer, l2, l1,
    schedule, hidden_delta_weights) only where they differ from their defaults.
    """
    tr = training
    kw: dict[str, Any] = dict(
        loss=tr["loss"], learning_rate=float(tr["learning_rate"]), batch_size=int(tr.get("batch_size", 1)),
        momentum=float(tr.get("momentum", 0.0)), update_biases=bool(tr.get("update_biases", True)),
        shuffle=bool(tr.get("shuffle", False)), seed=int(tr.get("seed", 0)))
    extra: dict[str, Any] = {}
    if "optimizer" in tr:
        extra["optimizer"] = tr["optimizer"]["name"]
        extra.update({k: float(tr["optimizer"][k]) for k in ("beta1", "beta2", "epsilon") if k in tr["optimizer"]})
    extra.update({k: float(tr[k]) for k in ("l2", "l1") if k in tr})
    if "schedule" in tr:
        sch = tr["schedule"]
        extra["schedule"] = sch["name"]
        if "rate" in sch:
            extra["decay_rate"] = float(sch["rate"])
        if "every" in sch:
            extra["decay_every"] = int(sch["every"])
    if "hidden_delta_weights" in tr:
        extra["hidden_delta_weights"] = tr["hidden_delta_weights"]
    kw.update({k: v for k, v in extra.items() if v != _EXTRA_DEFAULTS[k]})
    return kw


def training_section(settings) -> dict[str, Any]:
    """The file's ``training`` section for *settings*; later settings only where they differ from the defaults."""
    s = settings
    d: dict[str, Any] = {"loss": s.loss, "learning_rate": s.learning_rate, "batch_size": int(s.batch_size),
                         "momentum": s.momentum, "update_biases": s.update_biases, "shuffle": s.shuffle,
                         "seed": int(s.seed)}

    def get(key: str) -> Any:
        return getattr(s, key, _EXTRA_DEFAULTS[key])
    if get("optimizer") != "sgd":
        d["optimizer"] = {"name": get("optimizer"), "beta1": float(get("beta1")), "beta2": float(get("beta2")),
                          "epsilon": float(get("epsilon"))}
    for key in ("l2", "l1"):
        if get(key) != 0.0:
            d[key] = float(get(key))
    if get("schedule") != "constant":
        d["schedule"] = {"name": get("schedule"), "rate": float(get("decay_rate")), "every": int(get("decay_every"))}
    if get("hidden_delta_weights") != "original":
        d["hidden_delta_weights"] = get("hidden_delta_weights")
    return d


# -- loading -----------------------------------------------------------------------------------------------
def _settings(c: Checked, source: str | None):
    from .settings import TrainingSettings
    kw = settings_kwargs(c.training)
    fields = TrainingSettings.__dataclass_fields__
    for key in kw:
        if key not in fields:  # the engine predates this setting (disappears once the core refactor lands)
            raise fail(f"{quote(kw[key])} is not supported by this engine", where=f"training.{_EXTRA_PLACE[key]}",
                       source=source)
    return TrainingSettings(**kw)


def _network(c: Checked, source: str | None):
    from .network import Network, initialize
    network = Network(c.sizes, c.activations, c.theta)
    if c.init is not None:
        opts = {k: c.init[k] for k in ("value", "scale", "biases") if k in c.init}
        try:
            network.theta[:] = initialize(network, c.init["scheme"], np.random.default_rng(c.init["seed"]), **opts)
        except (ConfigError, ValueError) as e:
            raise fail(quote(str(e), 200), where="network.init", source=source) from None
    return network


def _runs(items: Any, source: str | None) -> list[dict]:
    """``history.runs`` (earlier runs for comparison) checked into plain dicts; [] when absent."""
    if items is None:
        return []
    from .runs import RunsModel
    try:
        return RunsModel.from_list(items).to_list()
    except ConfigError as e:
        raise fail(str(e)[:300], where="history.runs", source=source) from None


def _simulation(c: Checked, source: str | None, runs: Any = None):
    from .simulation import Simulation
    settings = _settings(c, source)
    network = _network(c, source)
    kwargs: dict[str, Any] = {"name": c.name, "notes": c.notes}
    if c.test_inputs is not None:
        if "test_inputs" not in inspect.signature(Simulation).parameters:
            raise fail("a test set is not supported by this engine", where="data.test_inputs", source=source)
        kwargs.update(test_inputs=c.test_inputs, test_targets=c.test_targets)
    try:
        sim = Simulation(network, c.inputs, c.targets, settings, **kwargs)
    except ConfigError as e:
        where = "training.loss" if "loss" in str(e) else "training"
        raise fail(str(e)[:300], where=where, source=source) from None
    opt = None
    if "m" in c.optimizer:
        opt = {"m": c.optimizer["m"], "v": c.optimizer["v"], "t": int(c.optimizer["t"])}
    elif "velocity" in c.optimizer and settings.momentum != 0.0:
        opt = {"velocity": c.optimizer["velocity"]}
    h = c.history or {"batch_loss": np.empty(0), "epoch_loss": np.empty(0), "epoch_end": np.empty(0, np.int64)}
    try:
        sim.restore_progress(c.iteration, c.epoch, c.position, h["batch_loss"], h["epoch_loss"], h["epoch_end"],
                             optimizer_state=opt, test_loss=h.get("test_loss"), reduced=h.get("reduced"))
    except ConfigError as e:
        raise fail(str(e)[:300], where="progress", source=source) from None
    sim.display = dict(c.display)
    sim.runs = _runs(runs, source)
    return sim


def simulation_from_dict(doc: Any, *, source: str | None = None, trusted: bool = False):
    """Check *doc* completely, then build a :class:`Simulation` from it.

    *trusted* is only for the examples shipped inside the package: they are
    checked against the schema by the test suite, so start-up need not import
    the validator.  Every other check still runs.
    """
    return _simulation(check(doc, source, trusted=trusted), source, _runs_of(doc))


#: Bytes read between two looks at the cancel flag of :func:`load_simulation`.
READ_CHUNK = 4 * 2**20

Cancel = Callable[[], bool] | None


def poll(cancel: Cancel) -> None:
    """Raise :class:`Cancelled` when *cancel* (a flag-reading function, or None) says so."""
    if cancel is not None and cancel():
        raise Cancelled("cancelled")


def read_state_bytes(path: str | os.PathLike, cancel: Cancel = None) -> bytes:
    """The bytes of the state file *path*; refuses anything but a regular file before opening it.

    A FIFO would block ``open()`` forever and a device could be endless, so the
    type is checked with ``os.stat`` first, the file is opened non-blocking and
    checked again on the open descriptor (it may have been swapped in between).
    Read in pieces of :data:`READ_CHUNK` bytes, asking *cancel* before each.
    """
    src = os.fspath(path)
    try:
        st = os.stat(src)
        _check_regular(st, src)
        fd = os.open(src, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as f:
            _check_regular(os.fstat(f.fileno()), src)
            parts, size = [], 0
            while size <= MAX_FILE_BYTES:
                poll(cancel)
                part = f.read(min(READ_CHUNK, MAX_FILE_BYTES + 1 - size))
                if not part:
                    break
                parts.append(part)
                size += len(part)
            return b"".join(parts)
    except OSError as e:
        raise fail(f"cannot read the file: {e.strerror or e}", source=src) from None


def _check_regular(st: os.stat_result, src: str) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise fail("cannot read the file: it is a folder", source=src)
    if not stat.S_ISREG(st.st_mode):
        raise fail("cannot read the file: it is not a regular file (a FIFO, device or socket)", source=src)
    if st.st_size > MAX_FILE_BYTES:
        raise fail(f"file is {st.st_size / 2**20:.1f} MB; state files are limited to {MAX_FILE_BYTES // 2**20} MB",
                   source=src)


def load_simulation(path: str | os.PathLike, *, cancel: Cancel = None):
    """Read and check a state file; every failure is a :class:`StateFileError` naming the file and place.

    *cancel*, a function returning True when the load should stop (e.g. ``threading.Event().is_set``),
    is asked between pieces of the work (every few MB read, between the stages, between the big arrays
    checked); once it says so, :class:`~.errors.Cancelled` is raised and nothing more is done.
    """
    src = os.fspath(path)
    # Each stage drops what the previous one made as soon as it is done: the bytes once decoded, the
    # text once parsed, the parsed lists (~32 bytes per number) once checked into arrays, before the
    # Simulation makes its own copies. This keeps the peak memory of loading low.
    raw = read_state_bytes(src, cancel)
    poll(cancel)
    text = decode(raw, src)
    del raw
    poll(cancel)
    doc = parse_text(text, src)
    del text
    poll(cancel)
    checked = check(doc, src, cancel=cancel)
    runs = _runs_of(doc)
    del doc
    poll(cancel)
    return _simulation(checked, src, runs)


def _runs_of(doc: Any) -> Any:
    h = doc.get("history") if isinstance(doc, dict) else None
    return h.get("runs") if isinstance(h, dict) else None


# -- saving ------------------------------------------------------------------------------------------------
def state_document(sim, *, arrays: bool = False) -> dict:
    """The state-file document of *sim*: numpy arrays where the file has number arrays (with *arrays*),
    else plain lists (JSON-ready).  Mid-iteration, the state before that iteration (what the counters say).

    Raises :class:`SaveError` when the state cannot be written (a ``display`` that is not plain JSON,
    nested too deeply or too large).
    """
    from .network import Network
    conv = (lambda a: a) if arrays else (lambda a: a.tolist())
    net = sim.network
    saved = Network(net.sizes, net.activation_names, sim.committed_theta())
    layers = [{"size": net.sizes[0]}] + [{"size": n, "activation": a}
                                         for n, a in zip(net.sizes[1:], net.activation_names)]
    test = getattr(sim, "test_inputs", None) is not None
    d: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "name": sim.name, "notes": sim.notes,
        "network": {"layers": layers, "weights": [conv(W) for W in saved.weights],
                    "biases": [conv(b) for b in saved.biases]},
        "training": training_section(sim.settings),
        "data": {"inputs": conv(sim.inputs), "targets": conv(sim.targets)},
        "progress": {"iteration": int(sim.iteration), "epoch": int(sim.epoch), "position": int(sim.position)},
        "history": {"batch_loss": conv(sim.batch_loss.view()), "epoch_loss": conv(sim.epoch_loss.view()),
                    "epoch_end": conv(sim.epoch_end.view())},
    }
    if test:
        d["data"].update(test_inputs=conv(sim.test_inputs), test_targets=conv(sim.test_targets))
        d["history"]["test_loss"] = nulls(conv(sim.test_epoch_loss.view()))
    for name, b in sim.history.reduced().items():  # the older part of a long history, as min/max buckets
        if name != "test_loss" or test:
            d["history"][f"{name}_reduced"] = {k: nulls(conv(v)) if name == "test_loss" else conv(v)
                                               for k, v in b.as_dict().items()}
    runs = getattr(sim, "runs", None)
    if runs:
        d["history"]["runs"] = json.loads(json.dumps(runs))  # a plain copy (the runs view keeps its own)
    opt = sim.optimizer_state()
    if opt.get("t", None) == 0:
        opt = {}  # Adam before its first update: m = v = 0, nothing to save (files stay as written)
    if opt:
        d["optimizer"] = {k: int(v) if k == "t" else conv(np.asarray(v, dtype=np.float64)) for k, v in opt.items()}
    display = getattr(sim, "display", None)
    if display:
        problem = display_problem(display)
        if problem:
            raise SaveError(f"display: {problem}")
        d["display"] = json.loads(json.dumps(display))  # a plain copy: later changes don't leak in
    return d


def simulation_to_dict(sim) -> dict:
    """The JSON-ready state of *sim* (floats kept exactly: they are written with repr).

    Raises :class:`SaveError` (and nothing else) when the state cannot be written.
    """
    try:
        return state_document(sim, arrays=False)
    except SaveError:
        raise
    except Exception as e:  # noqa: BLE001 - e.g. MemoryError while copying a large dataset to lists
        raise SaveError(f"the state cannot be written: {type(e).__name__}: {str(e)[:200]}") from None


_CHUNK = 8192  # numbers per piece of text: big arrays are written piecewise, never as one string


def _scalar(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
        if not math.isfinite(x):
            raise SaveError(f"{x} is not a finite number")
        return float.__repr__(float(x))  # what json.dumps writes: the shortest repr that reads back exactly
    if isinstance(x, np.integer):
        return str(int(x))
    if isinstance(x, np.bool_):
        return json.dumps(bool(x))
    return json.dumps(x)


_FLOAT_REPR = float.__repr__
_CONTAINERS = {list, dict, np.ndarray}


def _numbers(x, kinds: set | None = None) -> Iterator[str]:
    """``a, b, c`` for a flat list or 1-D array of scalars, in pieces of :data:`_CHUNK`."""
    for k in range(0, len(x), _CHUNK):
        part = x[k:k + _CHUNK]
        if isinstance(part, np.ndarray):
            if part.dtype.kind == "f" and not np.isfinite(part).all():
                raise SaveError("a number that is not finite (NaN or infinity) cannot be saved")
            part = part.tolist()
            kinds = None
        if kinds is None or k:
            kinds = set(map(type, part))
        if kinds == {float}:
            if not all(map(math.isfinite, part)):
                raise SaveError("a number that is not finite (NaN or infinity) cannot be saved")
            text = ", ".join(map(_FLOAT_REPR, part))
        elif kinds == {int}:
            text = ", ".join(map(int.__repr__, part))
        else:
            text = ", ".join(map(_scalar, part))
        yield text if k == 0 else ", " + text


def _enc(x: Any, ind: int) -> Iterator[str]:
    pad = "  " * ind
    if isinstance(x, dict):
        if not x:
            yield "{}"
            return
        if not _CONTAINERS.intersection(map(type, x.values())):
            flat = "{" + ", ".join(f"{json.dumps(k)}: {_scalar(v)}" for k, v in x.items()) + "}"
            if len(flat) <= 60:
                yield flat
                return
        yield "{\n"
        for n, (k, v) in enumerate(x.items()):
            yield (",\n" if n else "") + f"{pad}  {json.dumps(k)}: "
            yield from _enc(v, ind + 1)
        yield f"\n{pad}}}"
    elif isinstance(x, np.ndarray) and x.ndim > 0:
        if x.ndim == 1 or len(x) == 0:
            yield "["
            yield from _numbers(x.reshape(-1))
            yield "]"
            return
        yield "[\n"
        for k, row in enumerate(x):  # a row per piece: a writer on a worker thread gives way often
            yield ("" if k == 0 else ",\n") + f"{pad}  " + "".join(_enc(row, ind + 1))
        yield f"\n{pad}]"
    elif isinstance(x, list):
        kinds = set(map(type, x))
        if not kinds & _CONTAINERS:
            yield "["
            yield from _numbers(x, kinds)
            yield "]"
            return
        yield "[\n"
        for n, v in enumerate(x):
            yield f",\n{pad}  " if n else f"{pad}  "
            yield from _enc(v, ind + 1)
        yield f"\n{pad}]"
    else:
        yield _scalar(x)


def iter_dumps(doc: Any) -> Iterator[str]:
    """:func:`dumps` in pieces (for writing large documents without building one string)."""
    yield from _enc(doc, 0)
    yield "\n"


def dumps(doc: Any) -> str:
    """Human-readable JSON: objects indented, innermost number arrays on one line; numpy arrays allowed."""
    return "".join(iter_dumps(doc))


def _check_for_save(doc: dict) -> None:
    try:
        check(doc)
    except StateFileError as e:
        raise SaveError(f"the state could not be opened again ({e})") from None


def save_atomic(doc: dict, path: str | os.PathLike) -> None:
    """Check the state document *doc* and write it to *path* atomically; every failure is a :class:`SaveError`.

    A crash leaves either the old or the new file; the target keeps its mode, a
    symbolic link stays a link, stale temporary files of killed saves are removed.
    """
    try:
        _check_for_save(doc)
    except SaveError as e:
        raise SaveError(f"cannot save {clean_source(os.fspath(path))}: {e}") from None
    except Exception as e:  # noqa: BLE001 - a document that cannot even be checked cannot be saved
        raise SaveError(f"cannot save {clean_source(os.fspath(path))}: {type(e).__name__}: {str(e)[:200]}") from None
    n = len(doc.get("history", {}).get("batch_loss", ()))
    why = f" (the loss history of {n:,} iterations takes much of it)" if n > 1_000_000 else ""
    write_atomic(iter_dumps(doc), path, max_bytes=MAX_FILE_BYTES, too_big=why)


def save_simulation(sim, path: str | os.PathLike) -> None:
    """Save *sim* to *path* atomically, streaming from its arrays (no list copy of the data).

    Every failure, whatever its cause, is a :class:`SaveError`; the old file stays as it was.
    """
    try:
        doc = state_document(sim, arrays=True)
    except SaveError as e:
        raise SaveError(f"cannot save {clean_source(os.fspath(path))}: {e}") from None
    except Exception as e:  # noqa: BLE001 - e.g. MemoryError: a save never fails with anything but SaveError
        raise SaveError(f"cannot save {clean_source(os.fspath(path))}: {type(e).__name__}: {str(e)[:200]}") from None
    save_atomic(doc, path)


# -- examples ----------------------------------------------------------------------------------------------
def example_path(name: str):
    """A :class:`importlib.resources` Traversable for the built-in example *name*."""
    if name not in EXAMPLES:
        raise KeyError(f"no example {name!r}; choose from {sorted(EXAMPLES)}")
    return resources.files("backprop_lab.resources") / "examples" / EXAMPLES[name][0]


def load_example(name: str):
    """Load a built-in example by key (``"mazur"``, ``"xor"``, ...)."""
    raw = example_path(name).read_bytes()
    return simulation_from_dict(parse_json(raw, f"example {name}"), source=f"example {name}", trusted=True)
