"""How numbers and formulas are written: number format, sum templates and operand substitution."""
from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Sequence

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
MAX_TERMS = 10  # longer sums are shown with "…" in the middle

_PLACEHOLDER = re.compile(r"\{(\d+)\}")


def format_number(value: float, digits: int = 9) -> str:
    """*value* as the worked example prints it.

    *digits* decimal places, trailing zeros dropped, a real minus sign;
    scientific notation (with *digits* significant digits) for magnitudes below
    1e-4 or from 1e6.  Zero (also −0.0) is written ``0``.
    """
    v = float(value)
    if v == 0.0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    a = abs(v)
    if 1e-4 <= a < 1e6:
        text = f"{v:.{digits}f}".rstrip("0").rstrip(".")
        if text in ("", "-", "-0", "0"):
            text = f"{v:.{max(digits - 1, 0)}e}"
    else:
        text = f"{v:.{max(digits - 1, 0)}e}"
    if "e" in text:
        mant, exp = text.split("e")
        if "." in mant:
            mant = mant.rstrip("0").rstrip(".")
        text = f"{mant}e{int(exp)}"
    return text.replace("-", "−")


def substitute(template: str, values: Sequence[float], digits: int = 9) -> str:
    """Fill *template*'s ``{k}`` placeholders with formatted *values*.

    A negative value is put in parentheses unless its placeholder already is
    a whole parenthesised or comma-separated argument (``tanh(−0.9)``, not
    ``tanh((−0.9))``) or the leading term of an expression (``(−0.5·0 + …)``).
    A unary minus written before a placeholder whose value is zero is
    dropped, so the text never shows ``e^(−0)`` or ``−0·log``.
    """
    out: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        start, end = m.span()
        v = float(values[int(m.group(1))])
        text = format_number(v, digits)
        before = template[pos:start]
        unary = before.endswith("−") and (start == 1 or template[start - 2] in "( ^·")
        if unary and v == 0.0:
            before = before[:-1]
        elif v < 0.0 and text.startswith("−"):
            left = template[start - 1] if start > 0 else ""
            right = template[end] if end < len(template) else ""
            after_comma = left == " " and start >= 2 and template[start - 2] == ","
            whole_argument = ((left == "(" or after_comma) and right in (")", ",")) or (left == right == "|")
            # A leading term (−0.5·x, −0.5 + y) needs none, unless a power binds tighter than the sign.
            leading = left in ("", "(") and right not in ("²", "^")
            if unary or not (whole_argument or leading):
                text = f"({text})"
        out.append(before)
        out.append(text)
        pos = end
    out.append(template[pos:])
    return "".join(out)


@lru_cache(maxsize=512)
def sum_template(n: int, start: int = 0, per_term: int = 2, sep: str = " + ") -> tuple[str, tuple[int, ...]]:
    """Template ``{0}·{1} + {2}·{3} + …`` for *n* terms of *per_term* factors.

    Elides the middle of long sums.  Returns the template and the term indices
    it shows (operands are expected in that order, starting at ``{start}``).
    """
    shown = list(range(n)) if n <= MAX_TERMS else list(range(MAX_TERMS - 2)) + [n - 1]
    parts = []
    k = start
    for pos, _ in enumerate(shown):
        if n > MAX_TERMS and pos == MAX_TERMS - 2:
            parts.append("…")
        parts.append("·".join(f"{{{k + f}}}" for f in range(per_term)))
        k += per_term
    return sep.join(parts), tuple(shown)


def elide(symbols: list[str], n: int) -> list[str]:
    """*symbols* (one per shown term) with "…" where :func:`sum_template` elides terms."""
    if n > MAX_TERMS:
        return symbols[:MAX_TERMS - 2] + ["…"] + symbols[MAX_TERMS - 2:]
    return symbols


def sample_suffix(s: int, batch_size: int) -> str:
    """``⁽³⁾`` for sample 3 of a batch; empty for a batch of one."""
    return "" if batch_size == 1 else f"⁽{s + 1}⁾".translate(SUPERSCRIPT)
