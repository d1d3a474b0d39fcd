"""State files: a versioned JSON format, validated before anything changes.

Loading is three checks, each failing with a :class:`StateFileError` that names
the file and the place:

1. bytes → JSON (size cap, UTF-8, syntax, no NaN/Infinity, nesting depth);
2. the shipped JSON Schema (``resources/state-schema.json``) via ``jsonschema``:
   types, required keys, known names, value ranges, size caps;
3. what a schema cannot say: shapes that must agree with the layer sizes,
   caps on the total size, and settings that must agree with each other.

Saving is atomic: a temporary file in the same folder, flushed and fsynced,
then renamed over the target.  Nothing in a file is ever executed.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .errors import BackpropLabError, ConfigError, StateFileError

FORMAT = "backprop-lab-state"
VERSION = 1
MAX_FILE_BYTES = 64 * 2**20
MAX_PARAMS = 2_000_000
MAX_DATA_NUMBERS = 20_000_000

#: Built-in examples: key -> (file name, title)
EXAMPLES: dict[str, tuple[str, str]] = {
    "mazur": ("mazur.json", "Worked example: 2-2-2 sigmoid (Mazur)"),
    "xor": ("xor.json", "XOR with a 2-3-1 sigmoid network"),
    "symmetry": ("symmetry.json", "The symmetry problem: all weights zero"),
    "moons": ("moons.json", "Two moons: 2-8-8-1 tanh, 300 points, mini-batches"),
    "blobs": ("blobs.json", "Three classes: 2-6-3 softmax with cross-entropy"),
}


class SaveError(BackpropLabError, OSError):
    """Saving failed; the previous file (if any) is untouched."""


# -- reading ------------------------------------------------------------------------------
class _BadConstant(ValueError):
    pass


def _reject_constant(name: str) -> float:
    raise _BadConstant(f"{name} is not allowed (only finite numbers)")


def _parse_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise _BadConstant(f"the number {text} is too large (only finite numbers)")
    return v


def _parse_int(text: str) -> int:
    if len(text) > 30:
        raise _BadConstant(f"the integer {text[:20]}… is too large")
    return int(text)


def parse_json(raw: bytes, source: str | None = None) -> Any:
    """Decode and parse state-file bytes, rejecting anything that is not plain finite JSON."""
    if len(raw) > MAX_FILE_BYTES:
        raise StateFileError(f"file is {len(raw) / 2**20:.1f} MB; state files are limited to "
                             f"{MAX_FILE_BYTES // 2**20} MB", source=source)
    if not raw.strip():
        raise StateFileError("the file is empty", source=source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise StateFileError(f"not UTF-8 text (bad byte at offset {e.start})", source=source) from None
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_parse_float,
                          parse_int=_parse_int)
    except _BadConstant as e:
        raise StateFileError(str(e), source=source) from None
    except json.JSONDecodeError as e:
        raise StateFileError(f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}",
                             source=source) from None
    except RecursionError:
        raise StateFileError("JSON is nested too deeply", source=source) from None


@lru_cache(maxsize=1)
def schema() -> dict:
    """The state-file JSON Schema shipped in ``backprop_lab.resources``."""
    text = (resources.files("backprop_lab.resources") / "state-schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator():
    import jsonschema
    cls = jsonschema.validators.validator_for(schema())
    return cls(schema())


def place(path) -> str:
    """``network.weights[1][0]`` from a JSON path like ``['network', 'weights', 1, 0]``."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "(top level)"


def _schema_message(err) -> str:
    v = err.validator
    inst = err.instance
    if v == "type":
        return f"expected {err.validator_value}, got {_describe(inst)}"
    if v == "required":
        missing = [k for k in err.validator_value if isinstance(inst, dict) and k not in inst]
        return f"missing required key {missing[0]!r}" if missing else err.message
    if v == "enum":
        return f"unknown value {_short(inst)}; expected one of {', '.join(map(repr, err.validator_value))}"
    if v == "const":
        return f"expected {err.validator_value!r}, got {_short(inst)}"
    if v == "additionalProperties":
        return f"unknown key(s) {err.message.split('(')[-1].rstrip(')').replace(' were unexpected', '').replace(' was unexpected', '')}"
    if v == "maxItems":
        return f"too many entries ({len(inst)}; the limit is {err.validator_value})"
    if v == "minItems":
        return f"needs at least {err.validator_value} entries, got {len(inst)}"
    if v in ("maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"):
        rel = {"maximum": "≤", "exclusiveMaximum": "<", "minimum": "≥", "exclusiveMinimum": ">"}[v]
        return f"must be {rel} {err.validator_value}, got {_short(inst)}"
    return err.message


def _describe(x: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "an integer", float: "a number", type(None): "null"}
    return f"{names.get(type(x), type(x).__name__)} {_short(x)}" if not isinstance(x, (dict, list)) else names[type(x)]


def _short(x: Any) -> str:
    r = repr(x)
    return r if len(r) <= 40 else r[:37] + "…"


# Arrays that can hold millions of numbers, with their nesting depth. jsonschema checks a
# number in microseconds; these are checked here in a tight loop instead (same messages,
# limits read from the schema), and jsonschema sees only their first entry.
_HEAVY = ((("data", "inputs"), 2), (("data", "targets"), 2), (("network", "weights"), 3),
          (("history", "batch_loss"), 1), (("history", "epoch_loss"), 1), (("optimizer", "velocity"), 1))


def _schema_at(path: tuple[str, ...]) -> dict:
    node = schema()
    for key in path:
        node = node["properties"][key]
    return node


def _check_numbers(value: Any, where: list, depth: int, node: dict, source: str | None) -> None:
    """*value* must be arrays nested *depth* deep with numbers (not booleans) at the bottom."""
    if type(value) is not list:
        raise StateFileError(f"expected array, got {_describe(value)}", where=place(where), source=source)
    limit = node.get("maxItems")
    if limit is not None and len(value) > limit:
        raise StateFileError(f"too many entries ({len(value)}; the limit is {limit})", where=place(where),
                             source=source)
    if len(value) < node.get("minItems", 0):
        raise StateFileError(f"needs at least {node['minItems']} entries, got {len(value)}", where=place(where),
                             source=source)
    if depth == 1:
        for k, v in enumerate(value):
            t = type(v)
            if t is not float and t is not int:
                raise StateFileError(f"expected number, got {_describe(v)}", where=place(where + [k]), source=source)
        return
    for k, row in enumerate(value):
        _check_numbers(row, where + [k], depth - 1, node["items"], source)


def _light_copy(doc: dict, source: str | None) -> dict:
    """Check the heavy arrays here; return a copy of *doc* where each holds only its first entry."""
    light = dict(doc)
    for (section, key), depth in _HEAVY:
        part = doc.get(section)
        if not isinstance(part, dict) or key not in part:
            continue
        _check_numbers(part[key], [section, key], depth, _schema_at((section, key)), source)
        light[section] = dict(light[section])
        light[section][key] = part[key][:1]
    return light


def validate(doc: Any, source: str | None = None) -> None:
    """Raise :class:`StateFileError` unless *doc* is a valid version-1 state (all checks)."""
    if not isinstance(doc, dict):
        raise StateFileError(f"a state file must be a JSON object, got {_describe(doc)}", source=source)
    if doc.get("format") != FORMAT:
        raise StateFileError(f"not a Backprop Lab state file (format is {_short(doc.get('format'))}, "
                             f"expected {FORMAT!r})", where="format", source=source)
    ver = doc.get("version")
    if isinstance(ver, int) and not isinstance(ver, bool) and ver > VERSION:
        raise StateFileError(f"file format version {ver} is newer than this Backprop Lab understands "
                             f"(version {VERSION}); please update the app", where="version", source=source)
    light = _light_copy(doc, source)
    try:
        import jsonschema
        err = jsonschema.exceptions.best_match(_validator().iter_errors(light),
                                               key=lambda e: (-len(e.absolute_path), e.validator != "type"))
    except RecursionError:
        raise StateFileError("JSON is nested too deeply", source=source) from None
    if err is not None:
        raise StateFileError(_schema_message(err), where=place(err.absolute_path), source=source)
    _check_shapes(doc, source)


def _check_shapes(doc: dict, source: str | None) -> None:
    def fail(where: str, msg: str) -> None:
        raise StateFileError(msg, where=where, source=source)

    net = doc["network"]
    layers = net["layers"]
    sizes = [ly["size"] for ly in layers]
    for k, ly in enumerate(layers[1:], start=1):
        if "activation" not in ly:
            fail(f"network.layers[{k}]", "missing required key 'activation'")
        if ly["activation"] == "softmax" and k != len(layers) - 1:
            fail(f"network.layers[{k}].activation", "softmax is only allowed on the output layer")
    n_params = sum(sizes[k] * sizes[k + 1] + sizes[k + 1] for k in range(len(sizes) - 1))
    if n_params > MAX_PARAMS:
        fail("network.layers", f"the network has {n_params} parameters; the limit is {MAX_PARAMS}")
    W, b = net["weights"], net["biases"]
    if len(W) != len(sizes) - 1:
        fail("network.weights", f"expected {len(sizes) - 1} weight matrices (one per dense layer), got {len(W)}")
    if len(b) != len(sizes) - 1:
        fail("network.biases", f"expected {len(sizes) - 1} bias vectors (one per dense layer), got {len(b)}")
    for l in range(len(sizes) - 1):
        if len(W[l]) != sizes[l + 1]:
            fail(f"network.weights[{l}]", f"expected {sizes[l + 1]} rows (layer {l + 1} has {sizes[l + 1]} "
                                          f"neurons), got {len(W[l])}")
        for j, row in enumerate(W[l]):
            if len(row) != sizes[l]:
                fail(f"network.weights[{l}][{j}]", f"expected {sizes[l]} numbers, got {len(row)}")
        if len(b[l]) != sizes[l + 1]:
            fail(f"network.biases[{l}]", f"expected {sizes[l + 1]} numbers, got {len(b[l])}")
    data = doc["data"]
    X, T = data["inputs"], data["targets"]
    if len(X) != len(T):
        fail("data.targets", f"expected {len(X)} rows (one per input row), got {len(T)}")
    if len(X) * (sizes[0] + sizes[-1]) > MAX_DATA_NUMBERS:
        fail("data", f"the dataset has {len(X) * (sizes[0] + sizes[-1])} numbers; the limit is {MAX_DATA_NUMBERS}")
    for name, rows, n in (("inputs", X, sizes[0]), ("targets", T, sizes[-1])):
        for k, row in enumerate(rows):
            if len(row) != n:
                fail(f"data.{name}[{k}]", f"expected {n} numbers, got {len(row)}")
    N = len(X)
    prog = doc.get("progress", {})
    it = prog.get("iteration", 0)
    if prog.get("position", 0) >= N:
        fail("progress.position", f"must be less than the number of samples ({N}), got {prog['position']}")
    hist = doc.get("history")
    if hist is not None:
        bl = hist.get("batch_loss", [])
        if len(bl) != it:
            fail("history.batch_loss", f"expected {it} entries (one per iteration), got {len(bl)}")
        el, ee = hist.get("epoch_loss", []), hist.get("epoch_end", [])
        if len(el) != len(ee):
            fail("history.epoch_end", f"expected {len(el)} entries (one per epoch loss), got {len(ee)}")
        if len(el) > prog.get("epoch", 0):
            fail("history.epoch_loss", f"has {len(el)} entries but progress.epoch is {prog.get('epoch', 0)}")
        if any(e > it for e in ee):
            fail("history.epoch_end", f"an epoch ends after iteration {it}, the current one")
    vel = doc.get("optimizer", {}).get("velocity")
    if vel is not None and len(vel) != n_params:
        fail("optimizer.velocity", f"expected {n_params} numbers (one per parameter), got {len(vel)}")


def simulation_from_dict(doc: Any, *, source: str | None = None, trusted: bool = False):
    """Validate *doc* fully, then build a :class:`Simulation` from it.

    *trusted* is only for the examples shipped inside the package: they are
    checked against the schema by the test suite, so start-up need not import
    the validator.  Their shapes are still checked.
    """
    from .network import Network
    from .settings import TrainingSettings
    from .simulation import Simulation

    if trusted:
        _check_shapes(doc, source)
    else:
        validate(doc, source)
    net_d = doc["network"]
    sizes = [ly["size"] for ly in net_d["layers"]]
    acts = [ly["activation"] for ly in net_d["layers"][1:]]
    theta = np.concatenate([np.concatenate([np.asarray(W, dtype=np.float64).ravel(),
                                            np.asarray(b, dtype=np.float64)])
                            for W, b in zip(net_d["weights"], net_d["biases"])])
    tr = doc["training"]
    settings = TrainingSettings(
        loss=tr["loss"], learning_rate=float(tr["learning_rate"]), batch_size=int(tr.get("batch_size", 1)),
        momentum=float(tr.get("momentum", 0.0)), update_biases=bool(tr.get("update_biases", True)),
        shuffle=bool(tr.get("shuffle", False)), seed=int(tr.get("seed", 0)))
    try:
        network = Network(sizes, acts, theta)
        sim = Simulation(network, doc["data"]["inputs"], doc["data"]["targets"], settings,
                         name=doc.get("name", ""), notes=doc.get("notes", ""))
    except ConfigError as e:
        where = "training.loss" if "loss" in str(e) else "training"
        raise StateFileError(str(e), where=where, source=source) from None
    prog = doc.get("progress", {})
    hist = doc.get("history")
    if hist is None:
        # No history in the file: the plot starts here, so the counters do too.
        hist = {"batch_loss": np.full(prog.get("iteration", 0), np.nan)}
    try:
        sim.restore_progress(prog.get("iteration", 0), prog.get("epoch", 0), prog.get("position", 0),
                             hist.get("batch_loss", []), hist.get("epoch_loss", []), hist.get("epoch_end", []),
                             optimizer_state=doc.get("optimizer"))
    except ConfigError as e:
        raise StateFileError(str(e), where="progress", source=source) from None
    sim.display = dict(doc.get("display", {}))
    return sim


def load_simulation(path: str | os.PathLike):
    """Read and validate a state file; every failure is a :class:`StateFileError`."""
    path = Path(path)
    src = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise StateFileError(f"file is {size / 2**20:.1f} MB; state files are limited to "
                                 f"{MAX_FILE_BYTES // 2**20} MB", source=src)
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise StateFileError(f"cannot read the file: {e.strerror or e}", source=src) from None
    return simulation_from_dict(parse_json(raw, src), source=src)


# -- writing ---------------------------------------------------------------------------------
def simulation_to_dict(sim) -> dict:
    """The JSON-ready state of *sim* (floats kept exactly: they are written with repr)."""
    net = sim.network
    # Mid-iteration (after some Step into), the weights already updated belong to an
    # iteration that is not complete: save the state before it, which is what the counters say.
    saved = net.copy()
    saved.theta[:] = sim.committed_theta()
    layers = [{"size": net.sizes[0]}] + [{"size": n, "activation": a}
                                         for n, a in zip(net.sizes[1:], net.activation_names)]
    s = sim.settings
    d = {
        "format": FORMAT,
        "version": VERSION,
        "name": sim.name,
        "notes": sim.notes,
        "network": {
            "layers": layers,
            "weights": [W.tolist() for W in saved.weights],
            "biases": [b.tolist() for b in saved.biases],
        },
        "training": {"loss": s.loss, "learning_rate": s.learning_rate, "batch_size": int(s.batch_size),
                     "momentum": s.momentum, "update_biases": s.update_biases, "shuffle": s.shuffle,
                     "seed": int(s.seed)},
        "data": {"inputs": sim.inputs.tolist(), "targets": sim.targets.tolist()},
        "progress": {"iteration": sim.iteration, "epoch": sim.epoch, "position": sim.position},
        "history": {"batch_loss": sim.batch_loss.view().tolist(), "epoch_loss": sim.epoch_loss.view().tolist(),
                    "epoch_end": sim.epoch_end.view().tolist()},
    }
    if s.momentum != 0.0:
        d["optimizer"] = {"velocity": sim.velocity.tolist()}
    display = getattr(sim, "display", None)
    if display:
        d["display"] = display
    return d


def dumps(doc: Any) -> str:
    """Human-readable JSON: objects indented, innermost number arrays on one line."""
    def enc(x: Any, ind: int) -> str:
        pad = "  " * ind
        if isinstance(x, dict):
            if not x:
                return "{}"
            if all(not isinstance(v, (list, dict)) for v in x.values()):
                flat = json.dumps(x, allow_nan=False)
                if len(flat) <= 60:
                    return flat
            items = [f'{pad}  {json.dumps(k)}: {enc(v, ind + 1)}' for k, v in x.items()]
            return "{\n" + ",\n".join(items) + f"\n{pad}}}"
        if isinstance(x, list):
            if all(not isinstance(v, (list, dict)) for v in x):
                return "[" + ", ".join(json.dumps(v, allow_nan=False) for v in x) + "]"
            return "[\n" + ",\n".join(f"{pad}  {enc(v, ind + 1)}" for v in x) + f"\n{pad}]"
        return json.dumps(x, allow_nan=False)
    return enc(doc, 0) + "\n"


def save_atomic(doc: dict, path: str | os.PathLike) -> None:
    """Write *doc* to *path* so that a crash leaves either the old or the new file."""
    path = Path(path)
    text = dumps(doc).encode("utf-8")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise SaveError(f"cannot save {path}: {e.strerror or e} (is the folder writable?)") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise SaveError(f"cannot save {path}: {e.strerror or e}") from None
    try:  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


# -- examples ----------------------------------------------------------------------------------
def example_path(name: str):
    """A :class:`importlib.resources` Traversable for the built-in example *name*."""
    if name not in EXAMPLES:
        raise KeyError(f"no example {name!r}; choose from {sorted(EXAMPLES)}")
    return resources.files("backprop_lab.resources") / "examples" / EXAMPLES[name][0]


def load_example(name: str):
    """Load a built-in example by key (``"mazur"``, ``"xor"``, ...)."""
    raw = example_path(name).read_bytes()
    return simulation_from_dict(parse_json(raw, f"example {name}"), source=f"example {name}", trusted=True)
