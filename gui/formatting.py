"""Turn the engine's plain equation text into rich text (HTML) or LaTeX (Qt-free).

The engine writes symbols like ``net_h1``, ``∂E/∂w5``, ``δ_o1⁽²⁾``; these
functions only re-typeset them, they never compute anything.
"""
from __future__ import annotations

import html
import re

from backprop_lab.core import Computation, format_number

#: Colours of an equation's numbers and result; the Qt side sets them for a dark palette (this module stays
#: Qt-free), see :func:`set_ink`.
INK = {"number": "#555555", "result": "#0b5394"}


def set_ink(number: str, result: str) -> None:
    """Use these colours (``#rrggbb``) for the numbers and results of equations from now on."""
    INK.update(number=number, result=result)


_SYMBOL = re.compile(r"(?<![\w.])([A-Za-zδ]+)_([A-Za-z0-9_]+)|(?<![\w.])([a-zA-Z])(\d+)(?![\w.])")
_SUPS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9",
         "⁽": "(", "⁾": ")", "ˢ": "s", "⁺": "+"}


def _sub_html(m: re.Match) -> str:
    if m.group(1):
        return f"{m.group(1)}<sub>{m.group(2)}</sub>"
    return f"{m.group(3)}<sub>{m.group(4)}</sub>"


def to_html(text: str) -> str:
    """Plain equation text → Qt rich text with subscripts (``net_h1`` → net<sub>h1</sub>)."""
    out = html.escape(text)
    return _SYMBOL.sub(_sub_html, out)


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


def _sub_latex(m: re.Match) -> str:
    if m.group(1):
        return f"{m.group(1)}_{{{m.group(2)}}}"
    return f"{m.group(3)}_{{{m.group(4)}}}"


_LATEX = [("∂", r"\partial "), ("σ", r"\sigma"), ("δ", r"\delta "), ("η", r"\eta "), ("μ", r"\mu "),
          ("Σₛ", r"\sum_s "), ("Σ", r"\sum "), ("·", r" \cdot "), ("−", "-"), ("½", r"\tfrac{1}{2}"),
          ("→", r"{\to}"), ("…", r"\dots "), ("²", "^2"), ("ₖ", "_k")]


def to_latex(text: str) -> str:
    """Plain equation text → LaTeX math (no surrounding ``$``)."""
    # superscripts like ⁽¹⁾ and ⁺ become ^{(1)} and ^{+}
    text = re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ˢ⁺]+", lambda m: "^{" + "".join(_SUPS[ch] for ch in m.group(0)) + "}"
                  if m.group(0) != "²" else "²", text)
    text = re.sub(r"e\^\(([^()]*)\)", r"e^{\1}", text)
    text = _SYMBOL.sub(_sub_latex, text)
    for a, b in _LATEX:
        text = text.replace(a, b)
    text = text.replace("δ ", r"\delta ")
    return text


def computation_latex(c: Computation, digits: int) -> str:
    parts = [c.target, c.expansion]
    sub = c.substituted(digits)
    if sub != c.expansion:
        parts.append(sub)
    parts.append(format_number(c.result, digits))
    return " = ".join(to_latex(p) for p in parts)
