"""Reading numbers a person types (Qt-free): what counts as a number, and why a text is refused.

Only what a person would call a number is accepted: a plain decimal with an optional sign (the real minus
"−" too) and an optional exponent: "0.5", "−3", "+2.", ".25", "1e-3".  "1,5", "1_000", "0x10", "nan",
"inf" and other digits than 0-9 are refused, although Python's ``float`` takes some of them.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

_NUMBER = re.compile(r"[+\-−]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+\-−]?[0-9]+)?")


@dataclass(frozen=True)
class Validation:
    """The outcome of checking a typed value: ``ok`` with ``value``, or a ``reason`` to show beside the field."""

    ok: bool
    value: float | int | None = None
    reason: str = ""

    @classmethod
    def refuse(cls, reason: str) -> "Validation":
        return cls(False, None, reason)


def parse_number(text: str, what: str = "the value") -> Validation:
    """A finite number from *text*, or the reason it is not one (*what* names the field in the reason)."""
    t = str(text).strip()
    if not t:
        return Validation.refuse(f"Type a number for {what}.")
    if not _NUMBER.fullmatch(t):
        return Validation.refuse(f"“{t}” is not a number; {what} is unchanged.")
    v = float(t.replace("−", "-"))
    if not math.isfinite(v):
        return Validation.refuse(f"{t} is too large (not a finite number); {what} is unchanged.")
    return Validation(True, v)


def parse_whole(text: str, what: str, minimum: int, maximum: int | None = None) -> Validation:
    """A whole number in [*minimum*, *maximum*] from *text*, or the reason it is not one."""
    v = parse_number(text, what)
    if not v.ok:
        return v
    x = v.value
    limits = f"≥ {minimum:,}" if maximum is None else f"from {minimum:,} to {maximum:,}"
    if x != math.floor(x) or x < minimum or (maximum is not None and x > maximum):
        return Validation.refuse(f"{what[:1].upper()}{what[1:]} must be a whole number {limits}; "
                                 f"“{str(text).strip()}” is refused.")
    return Validation(True, int(x))
