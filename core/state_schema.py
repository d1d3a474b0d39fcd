"""State files, first stage: the document's skeleton against the shipped JSON Schema, big arrays only counted.

The skeleton is the document with every heavy array (:data:`HEAVY`: weights, data, history, optimizer state)
replaced by ``[]``, so the schema's validator never walks millions of numbers; their lengths are checked here
against the schema's ``minItems``/``maxItems``, their numbers later (:mod:`.state_validation`).
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from .history import SERIES
from .state_json import check_finite, describe, fail, place, quote

FORMAT = "backprop-lab-state"
VERSION = 1
DISPLAY_MAX_DEPTH = 4
DISPLAY_MAX_BYTES = 16 * 1024

# Arrays that can hold many numbers (by their path), with their nesting depth: counted in stage 2, read in stage 3.
HEAVY: dict[tuple[str, ...], int] = {
    ("network", "weights"): 3, ("network", "biases"): 2,
    ("data", "inputs"): 2, ("data", "targets"): 2, ("data", "test_inputs"): 2, ("data", "test_targets"): 2,
    ("history", "batch_loss"): 1, ("history", "epoch_loss"): 1, ("history", "epoch_end"): 1,
    ("history", "test_loss"): 1,
    **{("history", f"{name}_reduced", part): 1 for name in SERIES for part in ("start", "end", "min", "max")},
    ("optimizer", "velocity"): 1, ("optimizer", "m"): 1, ("optimizer", "v"): 1,
}


@lru_cache(maxsize=1)
def schema() -> dict:
    """The state-file JSON Schema shipped in ``backprop_lab.resources``."""
    text = (resources.files("backprop_lab.resources") / "state-schema.json").read_text("utf-8")
    return json.loads(text)


def schema_at(path: tuple[str, ...]) -> dict:
    """The schema of the value at *path* (keys of nested objects), e.g. ``("history", "epoch_end")``."""
    node = schema()
    for key in path:
        node = node["properties"][key]
    return node


@lru_cache(maxsize=1)
def _skeleton_validator():
    """A validator of the schema with each heavy array reduced to ``{"type": "array"}``."""
    import jsonschema
    s = copy.deepcopy(schema())
    for path in HEAVY:
        node = s
        for key in path[:-1]:
            node = node["properties"][key]
        node["properties"][path[-1]] = {"type": "array"}
    return jsonschema.validators.validator_for(s)(s)


# -- stage 1: the skeleton against the schema ----------------------------------------------------------
def _schema_message(err) -> str:
    """A short message for a jsonschema error; file content only through :func:`quote`."""
    v, inst, val = err.validator, err.instance, err.validator_value
    if v == "type":
        return f"expected {val if isinstance(val, str) else ' or '.join(val)}, got {describe(inst)}"
    if v == "required":
        missing = [k for k in val if isinstance(inst, dict) and k not in inst]
        return f"missing required key {missing[0]!r}" if missing else "missing a required key"
    if v == "dependentRequired":
        for k, needs in val.items():
            missing = [n for n in needs if k in inst and n not in inst]
            if missing:
                return f"{k!r} needs {' and '.join(map(repr, missing))} as well"
    if v == "enum":
        return f"unknown value {quote(inst)}; expected one of {', '.join(map(repr, val))}"
    if v == "anyOf":
        opts = [repr(x) for sub in val for x in sub.get("enum", [])] + \
               [f"a {sub['type']}" for sub in val if "type" in sub]
        return f"expected {', '.join(opts[:-1])} or {opts[-1]}, got {describe(inst)}"
    if v == "const":
        return f"expected {val!r}, got {quote(inst)}"
    if v == "additionalProperties":
        known = err.schema.get("properties", {})
        extra = [k for k in inst if k not in known]
        shown = ", ".join(quote(k, 32) for k in extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
        return f"unknown key(s) {shown}; expected {', '.join(map(repr, known))}"
    if v == "maxItems":
        return f"too many entries ({len(inst):,}; the limit is {val:,})"
    if v == "minItems":
        return f"needs at least {val} entries, got {len(inst)}"
    if v == "maxLength":
        return f"too long ({len(inst):,} characters; the limit is {val:,})"
    if v in ("maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"):
        rel = {"maximum": "≤", "exclusiveMaximum": "<", "minimum": "≥", "exclusiveMinimum": ">"}[v]
        return f"must be {rel} {val}, got {quote(inst)}"
    return f"does not satisfy the schema's {v!r} rule"


def _split(doc: dict, source: str | None) -> tuple[dict, dict[tuple[str, ...], list]]:
    """The skeleton (heavy arrays replaced by ``[]``) and the heavy arrays, whose lengths are checked here."""
    skel = dict(doc)
    heavy: dict[tuple[str, ...], list] = {}
    for path in HEAVY:
        part: Any = doc
        for key in path[:-1]:
            part = part.get(key) if isinstance(part, dict) else None
        if not isinstance(part, dict) or not isinstance(part.get(path[-1]), (list, np.ndarray)):
            continue  # absent, or not an array: the schema reports it (arrays come from the saver)
        value = part[path[-1]]
        node = schema_at(path)
        if len(value) > node.get("maxItems", len(value)):
            raise fail(f"too many entries ({len(value):,}; the limit is {node['maxItems']:,})",
                       where=place(list(path)), source=source)
        if len(value) < node.get("minItems", 0):
            raise fail(f"needs at least {node['minItems']} entries, got {len(value)}",
                       where=place(list(path)), source=source)
        heavy[path] = value
        sk, orig = skel, doc
        for key in path[:-1]:  # copy the skeleton's objects on the way, once (the document stays as it is)
            orig = orig[key]
            if sk[key] is orig:
                sk[key] = dict(orig)
            sk = sk[key]
        sk[path[-1]] = []
    return skel, heavy


def display_problem(display: Any) -> str | None:
    """Why *display* cannot be kept (too deep, too big, not plain JSON), or None.

    Walks iteratively, so a display nested 500 deep is refused here rather than
    breaking the JSON writer later with a RecursionError.
    """
    if not isinstance(display, dict):
        return f"expected object, got {describe(display)}"
    stack: list[tuple[Any, int]] = [(display, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > DISPLAY_MAX_BYTES:  # each value takes at least a byte: too big, whatever else is wrong
            return f"takes more than {DISPLAY_MAX_BYTES:,} bytes as JSON"
        if depth > DISPLAY_MAX_DEPTH:
            return f"nested more than {DISPLAY_MAX_DEPTH} levels deep"
        values = node.values() if isinstance(node, dict) else node
        if isinstance(node, dict) and not all(type(k) is str for k in node):
            return "has a key that is not a string"
        for v in values:
            if isinstance(v, (dict, list)):
                stack.append((v, depth + 1))
            elif not (v is None or type(v) in (str, bool, int, float)):
                return f"holds a {type(v).__name__}, which is not a JSON value"
    try:
        size = len(json.dumps(display, allow_nan=False))
    except (ValueError, TypeError, RecursionError) as e:
        return f"cannot be written as JSON ({quote(str(e))})"
    if size > DISPLAY_MAX_BYTES:
        return f"takes {size:,} bytes as JSON; the limit is {DISPLAY_MAX_BYTES:,}"
    return None


def check_skeleton(doc: dict, source: str | None, trusted: bool) -> tuple[dict, dict]:
    """Stage 1: format and version, the display, array lengths, then the skeleton against the schema.

    Returns the skeleton (heavy arrays replaced by ``[]``) and the heavy arrays by path; *trusted* skips the
    schema (the shipped examples).
    """
    if not isinstance(doc, dict):
        raise fail(f"a state file must be a JSON object, got {describe(doc)}", source=source)
    if doc.get("format") != FORMAT:
        raise fail(f"not a Backprop Lab state file (format is {quote(doc.get('format'))}, expected {FORMAT!r})",
                   where="format", source=source)
    ver = doc.get("version")
    if type(ver) is int and ver > VERSION:
        raise fail(f"file format version {quote(ver)} is newer than this Backprop Lab understands "
                   f"(version {VERSION}); please update the app", where="version", source=source)
    if "display" in doc:
        problem = display_problem(doc["display"])
        if problem:
            raise fail(problem, where="display", source=source)
    skel, heavy = _split(doc, source)
    check_finite(skel, source)
    if not trusted:
        try:
            import jsonschema
            err = jsonschema.exceptions.best_match(
                _skeleton_validator().iter_errors(skel),
                key=lambda e: (-len(e.absolute_path), e.validator != "type"))
        except RecursionError:
            raise fail("JSON is nested too deeply", source=source) from None
        if err is not None:
            raise fail(_schema_message(err), where=place(err.absolute_path), source=source)
    return skel, heavy
