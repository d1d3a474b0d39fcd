"""Turn the engine's plain equation text into rich text (HTML) or LaTeX (Qt-free; LaTeX as the lessons write it).

The engine writes symbols like ``net_h1``, ``∂E/∂w5``, ``δ_o1⁽²⁾``; these
functions only re-typeset them, they never compute anything.
"""
from __future__ import annotations

import html
import re

from backprop_lab.core import Computation, format_number
from backprop_lab.core.export import mathrender, mathtext

#: Colours of an equation's numbers and result; the Qt side sets them for a dark palette (this module stays
#: Qt-free), see :func:`set_ink`.
INK = {"number": "#555555", "result": "#0b5394"}


def set_ink(number: str, result: str) -> None:
    """Use these colours (``#rrggbb``) for the numbers and results of equations from now on."""
    INK.update(number=number, result=result)


# (a letter may carry a combining hat: Adam's m̂_w1 is m̂ with the subscript w1)
_SYMBOL = re.compile(r"(?<![\w.])((?:[A-Za-zδ]\u0302?)+)_([A-Za-z0-9_]+)|(?<![\w.])([a-zA-Z])(\d+)(?![\w.])")


def _sub_html(m: re.Match) -> str:
    if m.group(1):
        return f"{m.group(1)}<sub>{m.group(2)}</sub>"
    return f"{m.group(3)}<sub>{m.group(4)}</sub>"


_HAT = re.compile("([A-Za-z])\u0302")


def hats_html(escaped: str) -> str:
    """Letters with a combining hat (Adam's m̂) in italics, in already escaped text: the upright DejaVu Sans, a
    common default font, draws the hat a line too high over m and v (its italic and bold place it right)."""
    return _HAT.sub("<i>\\1\u0302</i>", escaped) if "\u0302" in escaped else escaped


def to_html(text: str) -> str:
    """Plain equation text → Qt rich text with subscripts (``net_h1`` → net<sub>h1</sub>)."""
    out = html.escape(text)
    return hats_html(_SYMBOL.sub(_sub_html, out))


def computation_html(c: Computation, digits: int) -> str:
    """One computation in the worked example's form, as rich text."""
    parts = [f"<b>{to_html(c.target)}</b>", to_html(c.expansion)]
    sub = c.substituted(digits)
    if sub != c.expansion:
        parts.append(f"<span style='color:{INK['number']}'>{to_html(sub)}</span>")
    parts.append(f"<b style='color:{INK['result']}'>{html.escape(format_number(c.result, digits))}</b>")
    return " = ".join(parts)


def symbols_html(c: Computation) -> str:
    """A computation's first line as rich text: "target = symbols" (the same in every iteration)."""
    return f"<b>{to_html(c.target)}</b> = {to_html(c.expansion)}"


def computation_lines_html(c: Computation, digits: int, plain_colours: bool = False) -> tuple[str, str]:
    """One computation as two lines of rich text: "target = symbols" and "= numbers = result".

    With *plain_colours* nothing is coloured (the painter's pen greys computations still to come).
    """
    first = symbols_html(c)
    sub = c.substituted(digits)
    result = html.escape(format_number(c.result, digits))
    result = f"<b>{result}</b>" if plain_colours else f"<b style='color:{INK['result']}'>{result}</b>"
    second = f"= {to_html(sub)} = {result}" if sub != c.expansion else f"= {result}"
    return first, second


def to_latex(text: str) -> str:
    """Plain equation text → LaTeX math (no surrounding ``$``), as the exported lessons write it."""
    return mathrender.tex(mathtext.parse(text))


def computation_latex(c: Computation, digits: int) -> str:
    parts = [c.target, c.expansion]
    sub = c.substituted(digits)
    if sub != c.expansion:
        parts.append(sub)
    parts.append(format_number(c.result, digits))
    return " = ".join(to_latex(p) for p in parts)
