"""Numbers from text, as a person writes them: the one rule for CSV fields, dialog fields and typed answers.

Two grammars, both refusing with a reason a person can act on:

* **plain** (:func:`parse_number`, :func:`parse_int`, :func:`number_problem`):
  ASCII digits, an optional ``+``/``-``, a decimal point, an exponent
  (``-2.5e-1``, ``.5``, ``7.``), white space around. Python's ``float`` also
  takes ``1_000``, other scripts' digits (``١٢``), ``nan`` and ``inf``: those
  are refused, so a data file or a field means exactly what it shows.
* **typed** (:func:`parse_typed`), for practice answers: also any dash as the
  minus sign, a decimal comma and ``5×10^-3``; the value is an exact
  :class:`~decimal.Decimal`.

Every refusal is a :class:`~backprop_lab.core.errors.NumberError` (a ``ValueError``).
"""
from __future__ import annotations

import math
import re
from decimal import Decimal

from .errors import NumberError

__all__ = ["MAX_TYPED_CHARS", "NumberError", "is_number_text", "number_problem", "parse_int", "parse_number",
           "parse_typed", "shown"]

#: Longest text :func:`parse_typed` reads (a typed answer, not a data file).
MAX_TYPED_CHARS = 64

_PLAIN = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"[0-9]+")
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]+")
_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+")
#: Dashes people type (or their keyboards produce) for a minus sign, and full-width signs.
_DASHES = "−–—‒﹣－"
_SIGNS = str.maketrans({**{d: "-" for d in _DASHES}, "＋": "+"})
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_TYPED = re.compile(r"(?P<m>[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+))"
                    r"(?:[eE](?P<e>[+-]?\d{1,4})|[×x*·]10(?:\^|\*\*)(?P<p>[+-]?\d{1,4}))?")


def shown(text: str, limit: int = 40) -> str:
    """*text* quoted for a message, cut to about *limit* characters."""
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


# -- plain numbers ----------------------------------------------------------------------------------
def is_number_text(text: str) -> bool:
    """Whether *text* reads as a number, NaN and infinity included (numbers, if in the wrong place).

    For guessing, e.g. whether a CSV row is a header; :func:`number_problem`
    says whether the number is acceptable.
    """
    s = text.strip()
    return bool(_PLAIN.fullmatch(s) or _NON_FINITE.fullmatch(s))


def number_problem(text: str) -> str | None:
    """Why *text* is not a plain finite number, or None when it is one.

    Examples: ``"a number is missing"``, ``"NaN is not allowed: every value
    must be a finite number"``, ``"'1e999' is too large for a 64-bit float"``,
    ``"'1,5' is not a number (use a decimal point, not a comma)"``.
    """
    s = text.strip()
    if not s:
        return "a number is missing"
    if _PLAIN.fullmatch(s):
        if math.isfinite(float(s)):
            return None
        return f"{shown(s)} is too large for a 64-bit float"
    if _NON_FINITE.fullmatch(s):
        if s.lower().lstrip("+-") == "nan":
            return "NaN is not allowed: every value must be a finite number"
        return "infinite values are not allowed"
    return f"{shown(s)} is not a number{_hint(s)}"


def _hint(s: str) -> str:
    """What to change in *s*, which is not a plain number, when a common habit explains it."""
    if "_" in s:
        return " (write it without '_')"
    if any(d in s for d in _DASHES):
        return " (type the minus sign as '-')"
    if _DECIMAL_COMMA.fullmatch(s):
        return " (use a decimal point, not a comma)"
    if _THOUSANDS.fullmatch(s):
        return " (write it without thousands separators)"
    return ""


def _where(what: str, text: str) -> str:
    return f"{what}: {text}" if what else text


def parse_number(text: str, what: str = "", lo: float = -math.inf, hi: float = math.inf,
                 hi_open: bool = False) -> float:
    """*text* as a plain, finite float in [lo, hi] (or [lo, hi) when *hi_open*).

    Parameters
    ----------
    text : str
        What was written; white space around it is ignored.
    what : str
        The name of the value, to begin messages with (e.g. ``"Noise"``).
    lo, hi : float
        The range allowed.
    hi_open : bool
        Refuse *hi* itself.

    Raises
    ------
    NumberError
        With a short reason to show, e.g. ``Noise: 'abc' is not a number`` or
        ``Noise must be in [0, 1]``.
    """
    why = number_problem(text)
    if why:
        raise NumberError(_where(what, why), text=text)
    v = float(text.strip())
    if v < lo or v > hi or (hi_open and v == hi):
        right = ")" if hi_open else "]"
        raise NumberError(f"{what or 'the value'} must be in [{lo:g}, {hi:g}{right}", text=text)
    return v


def parse_int(text: str, what: str = "", lo: int = 0, hi: int = 2**31 - 1) -> int:
    """*text* as a whole number in [lo, hi]: digits only (no sign, no separators, no exponent).

    Raises
    ------
    NumberError
        With a short reason to show, e.g. ``Samples must be a whole number from 1 to 100,000``.
    """
    s = text.strip()
    if not s:
        raise NumberError(_where(what, "a whole number is needed"), text=text)
    in_range = f"{what or 'the value'} must be a whole number from {lo:,} to {hi:,}"
    if not _WHOLE.fullmatch(s):
        if _PLAIN.fullmatch(s) or s.startswith(("-", *_DASHES)):
            raise NumberError(in_range, text=text)
        raise NumberError(_where(what, number_problem(s) or f"{shown(s)} is not a whole number"), text=text)
    v = int(s)
    if not lo <= v <= hi:
        raise NumberError(in_range, text=text)
    return v


# -- typed answers ----------------------------------------------------------------------------------
def parse_typed(text: str) -> Decimal:
    """The number a person typed as an answer, exactly, as a :class:`~decimal.Decimal`.

    Accepts ``0.5933``, ``-0.1`` and ``−0.1`` (any dash as minus), ``+2``,
    ``.5``, a decimal comma (``0,5933``), ``5e-3``, ``5E-3`` and ``5×10^-3``
    (also ``*10^``, ``·10**``, and superscripts as in ``5×10⁻³``); spaces
    around the text and around ``e``/``×10^`` are ignored.

    Raises
    ------
    NumberError
        For anything else (empty text, words, ``nan``/``inf``, two decimal
        separators, digit grouping, exponents of more than four digits, more
        than :data:`MAX_TYPED_CHARS` characters), with a sentence for the learner.
    """
    raw = text if isinstance(text, str) else str(text)
    s = raw.strip()
    quoted = s if len(s) <= 24 else s[:21] + "…"
    if not s:
        raise NumberError("Type a number first, e.g. 0.5933.", text=raw)
    if len(s) > MAX_TYPED_CHARS:
        raise NumberError(f"That is too long for a number ({len(s)} characters).", text=raw)
    s = s.translate(_SIGNS)
    s = re.sub(r"10([⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)$", lambda m: "10^" + m.group(1).translate(_SUPERSCRIPT), s)
    s = re.sub(r"\s*([eE×x*·^]|\*\*)\s*", r"\1", s)
    m = _TYPED.fullmatch(s)
    if m is None:
        if s.count(".") + s.count(",") > 1 and re.fullmatch(r"[+-]?[\d.,]+", s):
            raise NumberError(f"“{quoted}” has more than one separator: write the decimal point once "
                              f"(. or ,) and no digit grouping.", text=raw)
        raise NumberError(f"“{quoted}” is not a number. Type a decimal such as 0.5933, −0.1 or 5e-3.", text=raw)
    exp = m.group("e") or m.group("p") or "0"
    return Decimal(m.group("m").replace(",", ".") + "E" + exp)
