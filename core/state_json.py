"""State files, first stage: bytes → JSON (size, UTF-8, syntax, duplicate keys) and bounded quoting for messages.

Every message that quotes content from a file goes through :func:`quote` or
:func:`place`, so it stays short (a 10 MB string is quoted by its first few
dozen characters) and shows control characters escaped, as ``repr`` does.
Angle brackets and quotes are shown as they are: the GUI shows messages as
plain text, never as rich text.
"""
from __future__ import annotations

import json
import math
from typing import Any

from .errors import StateFileError

MAX_FILE_BYTES = 64 * 2**20
#: Arrays plus objects in one file: a valid file has at most about 420,000 (one per data row, weight
#: row and layer). The cap stops a file of ``[],[],…`` from costing 64 bytes of memory per 3 bytes read.
MAX_CONTAINERS = 1_000_000
#: Double quotes in one file (two per string): keys, names and notes need far fewer; the cap stops a
#: file of short strings from costing ~60 bytes of memory per 5 bytes read.
MAX_QUOTES = 1_000_000
QUOTE_CHARS = 48  # characters of file content quoted per value in a message
PLACE_CHARS = 160  # characters of a place like network.weights[1][0]


def quote(x: Any, limit: int = QUOTE_CHARS) -> str:
    """*x* for an error message: repr-like, control characters escaped, at most about *limit* characters."""
    if isinstance(x, str):
        r = repr(x[:limit])  # cut before repr: repr of a 10 MB string would itself take time
        if len(r) > limit + 2:  # escapes such as \x00 make the repr longer than the text
            r = r[:limit] + "…" + r[0]
        elif len(x) > limit:
            r = r[:-1] + "…" + r[-1]
        return r if len(x) <= limit else f"{r} ({len(x):,} characters)"
    if isinstance(x, bool) or x is None or isinstance(x, float):
        return repr(x)
    if isinstance(x, int):
        r = repr(x)  # ints from JSON have at most 4,300 digits (Python's own limit)
        return r if len(r) <= limit else f"{r[:limit // 2]}… ({len(r):,} digits)"
    if isinstance(x, dict):
        return f"an object with {len(x):,} keys"
    if isinstance(x, list):
        return f"an array of {len(x):,} entries"
    return f"a {type(x).__name__}"


def describe(x: Any) -> str:
    """``a string 'abc'``, ``an integer 3``, ``an array``: what a value is, quoted briefly."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "an integer", float: "a number", type(None): "null"}
    if isinstance(x, (dict, list)):
        return names[type(x)]
    return f"{names.get(type(x), type(x).__name__)} {quote(x)}"


def _is_name(key: str) -> bool:
    return key.isidentifier() and key.isascii() and len(key) <= 40


def place(path) -> str:
    """``network.weights[1][0]`` from a JSON path like ``['network', 'weights', 1, 0]``.

    Keys that are not plain names are quoted (``display['<b>']``); the result is cut to
    :data:`PLACE_CHARS` characters.
    """
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        elif _is_name(p):
            out += ("." if out else "") + p
        else:
            out += f"[{quote(p, 32)}]"
        if len(out) > PLACE_CHARS:
            return out[:PLACE_CHARS] + "…"
    return out or "(top level)"


def clean_source(source: str | None) -> str | None:
    """A file name for messages: control characters escaped, at most 300 characters."""
    if source is None:
        return None
    if source.isprintable() and len(source) <= 300:
        return source
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in source[:300])
    return text if len(source) <= 300 else text + "…"


def fail(message: str, where: str = "", source: str | None = None) -> StateFileError:
    """A :class:`StateFileError`, with the file name cleaned for display (to ``raise``)."""
    return StateFileError(message, where=where, source=clean_source(source))


# -- bytes → JSON ------------------------------------------------------------------------------
class _BadConstant(ValueError):
    pass


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_constant(name: str) -> float:
    raise _BadConstant(f"{name} is not allowed (only finite numbers)")


def _pairs(pairs: list) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise _Duplicate(k)
            seen.add(k)
    return d


def parse_json(raw: bytes, source: str | None = None) -> Any:
    """Decode and parse state-file bytes, refusing anything that is not plain JSON.

    Refused: more than :data:`MAX_FILE_BYTES`, empty files, bytes that are not UTF-8,
    syntax errors, ``NaN``/``Infinity``, integers over 4,300 digits, nesting too
    deep, duplicate keys in an object, and more than :data:`MAX_CONTAINERS` arrays
    and objects or :data:`MAX_QUOTES` quote characters (both checked before
    parsing, as they bound the memory parsing takes).  Numbers too large for a
    float (``1e999``) parse as infinity and are refused by the validation that
    follows, which names their place.
    """
    return parse_text(decode(raw, source), source)


def decode(raw: bytes, source: str | None = None) -> str:
    """The text of state-file bytes: the checks of :func:`parse_json` that come before parsing."""
    if len(raw) > MAX_FILE_BYTES:
        raise fail(f"file is {len(raw) / 2**20:.1f} MB; state files are limited to "
                   f"{MAX_FILE_BYTES // 2**20} MB", source=source)
    if not raw or raw.isspace():  # (strip() would copy 64 MB)
        raise fail("the file is empty", source=source)
    containers = raw.count(b"[") + raw.count(b"{")
    if containers > MAX_CONTAINERS:
        raise fail(f"the file has {containers:,} arrays and objects; the limit is {MAX_CONTAINERS:,}",
                   source=source)
    if raw.count(b'"') > MAX_QUOTES:
        raise fail(f"the file has over {MAX_QUOTES:,} quote characters; a state file needs far fewer",
                   source=source)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise fail(f"not UTF-8 text (bad byte at offset {e.start})", source=source) from None


def parse_text(text: str, source: str | None = None) -> Any:
    """Parse state-file text from :func:`decode` (the checks of :func:`parse_json` from syntax on)."""
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_pairs)
    except _BadConstant as e:
        raise fail(str(e), source=source) from None
    except _Duplicate as e:
        raise fail(f"duplicate key {quote(e.key)} (a key may appear only once in an object)",
                   where=_find_place(text), source=source) from None
    except json.JSONDecodeError as e:
        raise fail(f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}", source=source) from None
    except RecursionError:
        raise fail("JSON is nested too deeply", source=source) from None
    except ValueError:  # an integer of more than 4,300 digits (Python's int-from-text limit)
        raise fail("an integer in the file is too large", source=source) from None


def _find_place(text: str) -> str:
    """Where the first object with a duplicate key is: parse again, recording it instead of failing.

    Only runs on the error path, so the second parse costs nothing for good files.
    """
    found: list[tuple[dict, str]] = []

    def pairs(p: list) -> dict:
        d = dict(p)
        if len(d) != len(p) and not found:
            seen: set = set()
            key = next(k for k, _ in p if k in seen or seen.add(k))
            found.append((d, key))
        return d
    try:
        doc = json.loads(text, parse_constant=lambda c: 0.0, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return ""
    if not found:
        return ""
    path = _path_to(doc, found[0][0])
    return place(path + [found[0][1]]) if path is not None else ""


def _path_to(doc: Any, target: dict) -> list | None:
    """JSON path of the object *target* (by identity) inside *doc*; lists of plain numbers are skipped."""
    stack: list[tuple[Any, list]] = [(doc, [])]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if isinstance(node, dict):
            stack.extend((v, path + [k]) for k, v in node.items() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            kinds = set(map(type, node))
            if dict in kinds or list in kinds:
                stack.extend((v, path + [i]) for i, v in enumerate(node) if isinstance(v, (dict, list)))
    return None


def check_finite(doc: Any, source: str | None) -> None:
    """Refuse numbers that parsed as infinity (``1e999``), naming the place.

    Walks every object and array; meant for the small part of a document (the heavy
    number arrays are checked vectorised where they become numpy arrays).
    """
    stack: list[tuple[Any, list]] = [(doc, [])]
    while stack:
        node, path = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            if type(v) is float and not math.isfinite(v):
                raise fail("the number is too large (only finite numbers)", where=place(path + [k]),
                           source=source)
            if isinstance(v, (dict, list)):
                stack.append((v, path + [k]))
