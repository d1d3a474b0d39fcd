"""Plain-number parsing for the data widgets (no Qt): digits, a sign, a decimal point, an exponent; nothing else.

Python's ``float`` and ``int`` also take ``1_000``, ``١٢`` (Arabic-Indic
digits), ``nan`` and ``inf``; those are refused here with a reason to show
beside the field, so what a field shows is exactly the value used.
"""
from __future__ import annotations

import math
import re

_INT = re.compile(r"[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 24 else text[:21] + "...")


def _why_not_plain(s: str) -> str:
    """The reason *s* (stripped, not empty) is not a plain number."""
    if "_" in s:
        return f"{_shown(s)} is not a plain number: write it without '_'"
    if "\u2212" in s:
        return f"{_shown(s)} is not a plain number: type the minus sign as '-'"
    if re.fullmatch(r"[+-]?[0-9]+,[0-9]+", s):
        return f"{_shown(s)} is not a plain number: use a decimal point, not a comma"
    if re.fullmatch(r"[+-]?[0-9]{1,3}(,[0-9]{3})+", s):
        return f"{_shown(s)} is not a plain number: write it without thousands separators"
    return f"{_shown(s)} is not a number"


def parse_float(text: str, what: str = "value", lo: float = -math.inf, hi: float = math.inf,
                hi_open: bool = False) -> float:
    """*text* as a finite float in [lo, hi] (or [lo, hi) when *hi_open*).

    Raises
    ------
    ValueError
        With a short reason to show next to the field.
    """
    s = text.strip()
    if not s:
        raise ValueError(f"{what}: a number is needed")
    if not _FLOAT.fullmatch(s):
        raise ValueError(f"{what}: {_why_not_plain(s)}")
    v = float(s)
    if not math.isfinite(v):
        raise ValueError(f"{what}: {_shown(s)} is too large")
    if v < lo or v > hi or (hi_open and v == hi):
        right = ")" if hi_open else "]"
        raise ValueError(f"{what} must be in [{lo:g}, {hi:g}{right}")
    return v


def parse_int(text: str, what: str = "value", lo: int = 0, hi: int = 2**31 - 1) -> int:
    """*text* as a whole number in [lo, hi], digits only (no sign, no separators, no exponent).

    Raises
    ------
    ValueError
        With a short reason to show next to the field.
    """
    s = text.strip()
    if not s:
        raise ValueError(f"{what}: a whole number is needed")
    if not _INT.fullmatch(s):
        if _FLOAT.fullmatch(s) or s.startswith(("-", "\u2212")):
            raise ValueError(f"{what} must be a whole number from {lo:,} to {hi:,}")
        raise ValueError(f"{what}: {_why_not_plain(s)}")
    v = int(s)
    if not lo <= v <= hi:
        raise ValueError(f"{what} must be a whole number from {lo:,} to {hi:,}")
    return v
