"""LaTeX and MathML for the parsed notation of :mod:`.mathtext` (inline pieces and aligned rows)."""
from __future__ import annotations

import re
from html import escape

from .mathtext import (
    BINARY,
    GREEK,
    HAT,
    WORDS,
    BigSum,
    Blank,
    Delim,
    Frac,
    Group,
    Hat,
    Ident,
    Node,
    Num,
    Op,
    Partial,
    Ref,
    Row,
    Script,
    Sqrt,
    Word,
    split_ident,
)

_OPS_TEX = {
    "·": r"\cdot", "−": "-", "-": "-", "+": "+", "=": "=", "/": "/", ">": ">", "<": "<", ",": ",\\,",
    "…": r"\dots", "→": r"\to", "×": r"\times", "≥": r"\geq", "≤": r"\leq", "≈": r"\approx",
    "≠": r"\neq", "±": r"\pm", "∞": r"\infty", "⊙": r"\odot", "÷": r"\div", "∈": r"\in", "[": "[",
    "]": "]", "|": "|", "%": r"\%", "#": r"\#", "&": r"\&", "$": r"\$", "{": r"\{", "}": r"\}",
    "_": r"\_", "~": r"\sim", "\\": r"\backslash", "'": "'", ":": ":", ";": ";", "!": "!", "?": "?",
    "*": "*", "@": "@", '"': "''", "^": r"\wedge", "∂": r"\partial", "(": "(", ")": ")",
}


# -- LaTeX ------------------------------------------------------------------------------------------------
def _tex_name(text: str) -> str:
    """A subscript or multi-letter name as upright text (``h2_3`` → ``h2,3``)."""
    parts = []
    for piece in re.split(r"(→|_)", text):
        if piece == "→":
            parts.append(r"{\to}")
        elif piece == "_":
            parts.append(",")
        elif piece:
            parts.append("".join(f"\\{GREEK[ch]} " if ch in GREEK else ch for ch in piece))
    return r"\mathrm{" + "".join(parts) + "}"


def _tex_symbol(base: str) -> str:
    if base.endswith(HAT):  # m̂ → \hat{m}
        return rf"\hat{{{_tex_symbol(base[:-1])}}}"
    if len(base) == 1:
        return f"\\{GREEK[base]} " if base in GREEK else base
    return _tex_name(base)


def _tex_ident(name: str) -> str:
    base, sub = split_ident(name)
    if not sub:
        return _tex_symbol(base)
    if sub[0].isdigit():  # w5 → w_5, b1→h1 → b_{1→h1}
        digits = re.match(r"[0-9]+", sub).group()
        rest = sub[len(digits):]
        return f"{_tex_symbol(base)}_{{{digits}{_tex_name(rest) if rest else ''}}}"
    return f"{_tex_symbol(base)}_{{{_tex_name(sub)}}}"


def _tex_num(text: str) -> str:
    text = text.replace("−", "-")
    if "e" in text:
        mant, exp = text.split("e")
        return f"{mant}\\times 10^{{{int(exp)}}}"
    return text


def tex(nodes: list[Node]) -> str:
    """LaTeX math for *nodes* (to be placed in math mode)."""
    return "".join(_tex(n) for n in nodes).strip()


def _tex(n: Node) -> str:
    if isinstance(n, Num):
        return _tex_num(n.text)
    if isinstance(n, Ident):
        return _tex_ident(n.name)
    if isinstance(n, Word):
        if n.text in WORDS:
            return rf"\ \text{{{n.text}}}\ "
        if n.text in ("log", "ln", "exp", "tanh", "max", "min"):
            return f"\\{n.text} "
        return rf"\operatorname{{{n.text}}}" if n.text else "{}"
    if isinstance(n, Op):
        if n.sym in _OPS_TEX:
            s = _OPS_TEX[n.sym]
            return f" {s} " if n.sym in BINARY else s
        return _tex_text_char(n.sym)
    if isinstance(n, Group):
        inner = tex(n.items)
        big = any(isinstance(x, (Frac, BigSum)) for x in n.items)
        if big:
            o, c = "\\left" + _tex_delim(n.open), "\\right" + _tex_delim(n.close)
        elif n.open == "|":  # \lvert/\rvert are opening/closing symbols: a minus right after one is a sign
            o, c = r"\lvert ", r"\rvert "
        else:
            o, c = _tex_delim(n.open), _tex_delim(n.close)
        return f"{o}{inner}{c}"
    if isinstance(n, Frac):
        return rf"\frac{{{tex(n.num)}}}{{{tex(n.den)}}}"
    if isinstance(n, Script):
        base = _tex(n.base)
        if isinstance(n.base, (Frac, Script, Partial, Hat, Sqrt, BigSum)):
            base = "{" + base + "}"
        has_sub = isinstance(n.base, Ident) and "_{" in base
        out = base
        if n.sub is not None:
            out += ("{}" if has_sub else "") + "_{" + tex(n.sub) + "}"
        if n.sup is not None:
            out += "^{" + tex(n.sup) + "}"
        return out
    if isinstance(n, Partial):
        return r"\partial " + _tex(n.of)
    if isinstance(n, Sqrt):
        return rf"\sqrt{{{_tex(n.of)}}}"
    if isinstance(n, Hat):
        return rf"\hat{{{_tex(n.of)}}}"
    if isinstance(n, BigSum):
        return r"\sum" + (f"_{{{tex(n.sub)}}}" if n.sub else "") + " "
    if isinstance(n, Blank):
        return r"\boxed{\phantom{0.000000000}}"
    if isinstance(n, Ref):
        return rf"\langle {n.k}\rangle "
    if isinstance(n, Delim):
        return (r"\bigl" if n.sym in "([⌊" else r"\bigr") + _tex_delim(n.sym)
    return ""


def _tex_delim(d: str) -> str:
    return {"(": "(", ")": ")", "[": "[", "]": "]", "⌊": r"\lfloor ", "⌋": r"\rfloor ", "|": "|"}.get(d, ".")


def _tex_text_char(ch: str) -> str:
    if ch in GREEK:
        return f"\\{GREEK[ch]} "
    if ch.isascii() and ch.isprintable():
        return ch
    return r"\text{?}"  # a character this module does not know; pdflatex could not typeset it


def tex_rows(rows: list[Row], aligned: bool) -> str:
    """The body of an ``align*``/``aligned`` environment (or one line when not *aligned*)."""
    if not aligned:
        r = rows[0]
        return f"{tex(r.lhs or [])} = {tex(r.rhs)}"
    lines = []
    for r in rows:
        left = tex(r.lhs) if r.lhs else ""
        if r.rel:
            lines.append(f"{left} &= {tex(r.rhs)}")
        else:
            lines.append(rf"&\qquad {{}}{tex(r.rhs)}")
    return " \\\\\n".join(lines)


# -- MathML ------------------------------------------------------------------------------------------
def _ml_name(text: str) -> str:
    shown = text.replace("_", ",")
    return f"<mi>{escape(shown)}</mi>"


def _ml_symbol(base: str) -> str:
    if base.endswith(HAT):  # m̂: the letter with an accent over it
        return f'<mover accent="true">{_ml_symbol(base[:-1])}<mo>^</mo></mover>'
    return f"<mi>{escape(base)}</mi>"


def _ml_ident_parts(name: str) -> tuple[str, str | None]:
    """MathML of a name's base and of its subscript (None when it has none)."""
    base, sub = split_ident(name)
    if not sub:
        return _ml_symbol(base), None
    digits = re.match(r"[0-9]*", sub).group()
    rest = sub[len(digits):]
    parts = [f"<mn>{digits}</mn>"] if digits else []
    for k, piece in enumerate(rest.split("→")):
        if k:
            parts.append("<mo>→</mo>")
        if piece:
            parts.append(_ml_name(piece))
    return _ml_symbol(base), parts[0] if len(parts) == 1 else f"<mrow>{''.join(parts)}</mrow>"


def _ml_ident(name: str) -> str:
    base, sub = _ml_ident_parts(name)
    return base if sub is None else f"<msub>{base}{sub}</msub>"


def _ml_num(text: str) -> str:
    if "e" in text:
        mant, exp = text.split("e")
        exp_ml = f"<mrow><mo>−</mo><mn>{exp[1:]}</mn></mrow>" if exp.startswith(("−", "-")) else f"<mn>{exp}</mn>"
        return f"<mrow><mn>{mant}</mn><mo>×</mo><msup><mn>10</mn>{exp_ml}</msup></mrow>"
    return f"<mn>{escape(text)}</mn>"


def mathml(nodes: list[Node]) -> str:
    """Presentation MathML for *nodes* (the content of a ``<math>`` or ``<mtd>`` element)."""
    out = []
    k = 0
    while k < len(nodes):
        n = nodes[k]
        prev = nodes[k - 1] if k else None
        unary = (isinstance(n, Op) and n.sym in ("−", "-") and k + 1 < len(nodes)
                 and (prev is None or isinstance(prev, (Op, Delim))))
        if unary:  # a sign: first in its own mrow, so it is spaced as a prefix, not as a subtraction
            out.append(f"<mrow><mo>−</mo>{_ml(nodes[k + 1])}</mrow>")
            k += 2
            continue
        out.append(_ml(n))
        k += 1
    return "".join(out)


def _row(nodes: list[Node]) -> str:
    inner = mathml(nodes)
    return inner if len(nodes) == 1 else f"<mrow>{inner}</mrow>"


def _ml(n: Node) -> str:
    if isinstance(n, Num):
        return _ml_num(n.text)
    if isinstance(n, Ident):
        return _ml_ident(n.name)
    if isinstance(n, Word):
        if n.text in WORDS:
            return f'<mtext>&#160;{escape(n.text)}&#160;</mtext>'
        return f"<mi>{escape(n.text)}</mi><mo>&#x2061;</mo>" if n.text else "<mrow></mrow>"
    if isinstance(n, Op):
        sym = {"-": "−", "*": "∗"}.get(n.sym, n.sym)
        return f"<mo>{escape(sym)}</mo>"
    if isinstance(n, Group):
        tall = any(isinstance(x, (Frac, BigSum)) for x in n.items)  # only then should the brackets grow
        mo = "<mo>" if tall else '<mo stretchy="false">'
        return f"<mrow>{mo}{escape(n.open)}</mo>{mathml(n.items)}{mo}{escape(n.close)}</mo></mrow>"
    if isinstance(n, Frac):
        return f"<mfrac>{_row(n.num)}{_row(n.den)}</mfrac>"
    if isinstance(n, Script):
        base = _ml(n.base)
        if isinstance(n.base, Ident) and n.sub is None and n.sup is not None:
            b, sub = _ml_ident_parts(n.base.name)
            if sub is not None:  # net_h1⁽¹⁾: subscript and superscript on one base
                return f"<msubsup>{b}{sub}{_row(n.sup)}</msubsup>"
        if n.sub is not None and n.sup is not None:
            return f"<msubsup>{base}{_row(n.sub)}{_row(n.sup)}</msubsup>"
        if n.sub is not None:
            return f"<msub>{base}{_row(n.sub)}</msub>"
        return f"<msup>{base}{_row(n.sup or [])}</msup>"
    if isinstance(n, Partial):
        return f"<mrow><mo>∂</mo>{_ml(n.of)}</mrow>"
    if isinstance(n, Sqrt):
        return f"<msqrt>{_ml(n.of)}</msqrt>"
    if isinstance(n, Hat):
        return f'<mover accent="true">{_ml(n.of)}<mo>^</mo></mover>'
    if isinstance(n, BigSum):
        return f"<msub><mo>∑</mo>{_row(n.sub)}</msub>" if n.sub else "<mo>∑</mo>"
    if isinstance(n, Blank):
        return '<mtext class="blank">__________</mtext>'
    if isinstance(n, Ref):
        tag = "mn" if isinstance(n.k, int) else "mi"
        return f'<mrow class="ref"><mo>⟨</mo><{tag}>{n.k}</{tag}><mo>⟩</mo></mrow>'
    if isinstance(n, Delim):
        return f'<mo stretchy="false">{escape(n.sym)}</mo>'
    return ""


def mathml_rows(rows: list[Row]) -> str:
    """The content of a display ``<math>``: one row, or an ``mtable`` aligned at ``=``."""
    if len(rows) == 1:
        r = rows[0]
        return f"<mrow>{mathml(r.lhs or [])}<mo>=</mo>{mathml(r.rhs)}</mrow>"
    trs = []
    for r in rows:
        left = mathml(r.lhs) if r.lhs else ""
        right = ("<mo>=</mo>" if r.rel else '<mspace width="2em"></mspace>') + mathml(r.rhs)
        trs.append(f'<mtr><mtd class="l">{left}</mtd><mtd class="r">{right}</mtd></mtr>')
    return f'<mtable displaystyle="true" columnalign="right left" columnspacing="0.2em">{"".join(trs)}</mtable>'
