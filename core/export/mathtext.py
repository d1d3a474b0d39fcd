"""The trace's plain-text notation (``net_h1 = w1·i1 + …``) as a small tree, written as LaTeX or MathML.

The engine writes every equation in one compact Unicode notation (see
:mod:`backprop_lab.core.trace`).  This module parses that notation — names
with subscripts (``net_h1``, ``b1→h1``), superscript characters (``⁽¹⁾``,
``⁺``, ``²``), ``∂A/∂B``, ``1/(…)``, ``e^x``, ``Σₛ`` — into nodes, breaks long
equations into rows at top-level ``+``/``−``, and renders rows as LaTeX
(``align``/``aligned`` bodies) or MathML (``mtable``).  Unknown characters are
kept as text, so new notation degrades to something readable, never to an
error.  Two worksheet markers are understood: ``□`` (a blank to fill in) and
``⟦k⟧`` (the learner's answer to exercise *k*).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

BLANK = "□"
REF_OPEN, REF_CLOSE = "⟦", "⟧"

LETTERS = "A-Za-z\u0391-\u03a9\u03b1-\u03c9\u00b5"
#: The combining circumflex: ``m̂_w5`` (Adam's bias-corrected moment of w5) is one name with a hatted letter.
HAT = "\u0302"
#: Opening brackets and their closers; ``⌊t/every⌋`` is the step schedule's floor, ``|w1|`` an absolute
#: value (a ``|`` opens a group unless it closes the one it is in; the notation never nests them).
BRACKETS = {"(": ")", "[": "]", "⌊": "⌋", "|": "|"}
_SUPERS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ˢᵗᵏᵀ"
_SUBS = "₀₁₂₃₄₅₆₇₈₉ₛₖₜⱼᵢ"
_SUP_PLAIN = str.maketrans(_SUPERS, "0123456789+-()stkT")
_SUB_PLAIN = str.maketrans(_SUBS, "0123456789sktji")
_TOKEN = re.compile(rf"""
   (?P<ws>\s+)
 | (?P<ref>{REF_OPEN}(?:\d+|k){REF_CLOSE})
 | (?P<num>\d+(?:\.\d+)?(?:e[−-]?\d+)?)
 | (?P<ident>[{LETTERS}]{HAT}?[{LETTERS}0-9]*(?:_[{LETTERS}0-9]+)*(?:→[{LETTERS}0-9]+(?:_[{LETTERS}0-9]+)*)?)
 | (?P<sup>[{_SUPERS}]+)
 | (?P<sub>[{_SUBS}]+)
 | (?P<op>.)
""", re.X | re.S)

#: Multi-letter names shown as upright function names.
FUNCTIONS = {"log", "ln", "exp", "tanh", "max", "min", "softmax", "ReLU", "LeakyReLU", "id", "sign", "sqrt"}
#: Words shown as text between the symbols.
WORDS = {"if", "else", "or", "and", "for", "otherwise"}
GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "varepsilon", "ζ": "zeta", "η": "eta",
    "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "ξ": "xi",
    "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "varsigma", "τ": "tau", "υ": "upsilon", "φ": "varphi",
    "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda",
    "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}
BINARY = {"+", "−", "-", "=", "·", "×", ">", "<", "≥", "≤", "≈", "≠", "±", "→", "⊙", "÷"}


# -- nodes ------------------------------------------------------------------------------------------
@dataclass
class Node:
    """Base class of the parsed notation."""


@dataclass
class Num(Node):
    text: str


@dataclass
class Ident(Node):
    name: str


@dataclass
class Word(Node):
    text: str


@dataclass
class Op(Node):
    sym: str


@dataclass
class Group(Node):
    open: str
    close: str
    items: list = field(default_factory=list)


@dataclass
class Frac(Node):
    num: list
    den: list


@dataclass
class Script(Node):
    base: Node
    sup: list | None = None
    sub: list | None = None


@dataclass
class Partial(Node):
    of: Node


@dataclass
class BigSum(Node):
    sub: list | None = None


@dataclass
class Sqrt(Node):
    of: Node


@dataclass
class Hat(Node):
    of: Node


@dataclass
class Blank(Node):
    pass


@dataclass
class Ref(Node):
    k: int | str  # (the letter k in the text saying what the mark means)


@dataclass
class Delim(Node):
    """A parenthesis of a group opened up so that a long equation can break inside it."""
    sym: str


# -- parsing ----------------------------------------------------------------------------------------
def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text) if m.lastgroup != "ws"]


def parse(text: str) -> list[Node]:
    """Parse trace notation into a list of nodes (never raises)."""
    toks = _tokens(text)
    pos = 0

    def seq(closer: str | None) -> list[Node]:
        nonlocal pos
        items: list[Node] = []
        while pos < len(toks):
            kind, val = toks[pos]
            pos += 1
            if kind == "op" and val == closer:
                return items
            if kind == "op" and val in BRACKETS:
                inner = seq(BRACKETS[val])
                if val == "(" and len(inner) == 1 and isinstance(inner[0], Group) and inner[0].open == "(":
                    items.append(inner[0])  # ((x)) shows as (x)
                elif val == "(" and len(inner) == 3 and isinstance(inner[1], Op) and inner[1].sym == "/":
                    items.append(_combine(inner)[0])  # (1/15) is a fraction: its bar groups it already
                else:
                    items.append(Group(val, BRACKETS[val], inner))
            elif kind == "num":
                items.append(Num(val))
            elif kind == "ident":
                if val in ("Σ", "∑"):
                    items.append(Op(val))  # a sum sign, not the letter
                elif val in FUNCTIONS or val in WORDS or val in ("inf", "nan"):
                    items.append(Word(val))
                else:
                    items.append(Ident(val))
            elif kind == "sup":
                items.append(_Marker("sup", val.translate(_SUP_PLAIN)))
            elif kind == "sub":
                items.append(_Marker("sub", val.translate(_SUB_PLAIN)))
            elif kind == "ref":
                items.append(Ref(int(val[1:-1]) if val[1:-1].isdigit() else val[1:-1]))
            elif val == BLANK:
                items.append(Blank())
            elif val == "½":
                items.append(Frac([Num("1")], [Num("2")]))
            else:
                items.append(Op(val))
        return items

    out = seq(None)
    while pos < len(toks):  # an unmatched closing bracket: keep it as a symbol and go on
        out.append(Op(toks[pos - 1][1]) if pos else Op(""))
        out += seq(None)
    return _combine(out)


@dataclass
class _Marker(Node):
    kind: str
    text: str


def _combine(items: list[Node]) -> list[Node]:
    """Attach scripts, ∂, √, hats, Σ and fractions to their neighbours (recursively)."""
    for it in items:
        if isinstance(it, Group):
            it.items = _combine(it.items)
    out: list[Node] = []
    k = 0
    while k < len(items):
        it = items[k]
        if isinstance(it, _Marker):
            script = [Op("+")] if it.text == "+" else parse(it.text)
            base = out.pop() if out else Word("")
            if isinstance(base, Script) and (base.sup if it.kind == "sup" else base.sub) is None:
                setattr(base, it.kind, script)
                out.append(base)
            else:
                out.append(Script(base, **{it.kind: script}))
        elif isinstance(it, Op) and it.sym == "^" and out and k + 1 < len(items):
            exp = items[k + 1]
            k += 1
            out.append(Script(out.pop(), sup=_strip(exp)))
        elif isinstance(it, Op) and it.sym == "\u0302" and out:
            out.append(Hat(out.pop()))
        else:
            out.append(it)
        k += 1
    # ∂ and √ bind to the next node; Σ takes a following subscript.
    res: list[Node] = []
    k = 0
    while k < len(out):
        it = out[k]
        nxt = out[k + 1] if k + 1 < len(out) else None
        if isinstance(it, Op) and it.sym == "∂" and nxt is not None and not isinstance(nxt, Op):
            res.append(Partial(nxt))
            k += 2
            continue
        if isinstance(it, Op) and it.sym == "√" and nxt is not None and not isinstance(nxt, Op):
            res.append(Sqrt(nxt))
            k += 2
            continue
        if isinstance(it, Op) and it.sym in "Σ∑":
            res.append(BigSum())
        elif isinstance(it, Script) and isinstance(it.base, Op) and it.base.sym in "Σ∑" and it.sup is None:
            res.append(BigSum(it.sub))
        else:
            res.append(it)
        k += 1
    # a / b as a fraction of its two neighbours
    fin: list[Node] = []
    k = 0
    while k < len(res):
        it = res[k]
        if isinstance(it, Op) and it.sym == "/" and fin and k + 1 < len(res) and not isinstance(fin[-1], Op) \
                and not isinstance(res[k + 1], Op):
            fin.append(Frac(_strip(fin.pop()), _strip(res[k + 1])))
            k += 2
            continue
        fin.append(it)
        k += 1
    return fin


def _strip(node: Node) -> list[Node]:
    """The contents of a parenthesised group (the bar of a fraction groups already), else the node."""
    if isinstance(node, Group) and node.open == "(":
        return node.items
    return [node]


# -- size and line breaking -----------------------------------------------------------------------
def width(nodes: list[Node]) -> float:
    """Printed width in units of a digit's width (for line breaking; calibrated on LaTeX at 11 pt)."""
    total = 0.0
    for k, n in enumerate(nodes):
        unary = isinstance(n, Op) and n.sym in ("−", "-") and (k == 0 or isinstance(nodes[k - 1], (Op, Delim)))
        total += 1.4 if unary else _w(n)
    return total


def _text_w(text: str, scale: float = 1.0) -> float:
    return scale * sum(0.55 if ch in ".,:;" else 1.0 for ch in text)


def split_ident(name: str) -> tuple[str, str]:
    """``net_h1`` → (``net``, ``h1``); ``v_b1→h1`` → (``v``, ``b1→h1``); ``b1→h1`` → (``b``, ``1→h1``);
    ``w5`` → (``w``, ``5``); ``E`` → (``E``, ``"")``."""
    us, arrow = name.find("_"), name.find("→")
    if us > 0 and (arrow < 0 or us < arrow):
        return name[:us], name[us + 1:]
    m = re.fullmatch(rf"([{LETTERS}])([0-9]+)(→.*)?", name)
    if m:
        return m.group(1), m.group(2) + (m.group(3) or "")
    return name, ""


def _ident_w(name: str) -> float:
    base, sub = split_ident(name.replace(HAT, ""))
    return _text_w(base) + _text_w(sub, 0.7)


def _w(n: Node) -> float:
    if isinstance(n, Num):
        return _text_w(n.text) + (4 if "e" in n.text else 0)
    if isinstance(n, Ident):
        return _ident_w(n.name)
    if isinstance(n, Word):
        return _text_w(n.text) + (2.5 if n.text in WORDS else 0.3)
    if isinstance(n, Op):
        return 2.3 if n.sym in BINARY and n.sym != "·" else 1.3 if n.sym == "·" else 1.0
    if isinstance(n, Group):
        return width(n.items) + 1.4
    if isinstance(n, Frac):
        return max(width(n.num), width(n.den)) + 0.6
    if isinstance(n, Script):
        return _w(n.base) + 0.7 * max(width(n.sup or []), width(n.sub or []))
    if isinstance(n, (Partial, Sqrt, Hat)):
        return _w(n.of) + 1.0
    if isinstance(n, BigSum):
        return 2.0
    if isinstance(n, Blank):
        return 11.0
    if isinstance(n, Ref):
        return 3.0
    return 0.8


def _open_up(nodes: list[Node], limit: float) -> list[Node]:
    """Replace groups and fractions too wide for a line by forms that can break inside."""
    out: list[Node] = []
    for n in nodes:
        if width([n]) <= limit:
            out.append(n)
        elif isinstance(n, Group):
            out += [Delim(n.open)] + _open_up(n.items, limit) + [Delim(n.close)]
        elif isinstance(n, Frac) and width(n.den) <= 8:
            # (a + b + …) / B  →  1/B · (a + b + …)
            out += [Frac([Num("1")], n.den), Op("·"), Delim("(")] + _open_up(n.num, limit) + [Delim(")")]
        elif isinstance(n, Frac):
            num = [Delim("(")] + _open_up(n.num, limit) + [Delim(")")] if width(n.num) > 8 else n.num
            out += num + [Op("/"), Delim("(")] + _open_up(n.den, limit) + [Delim(")")]
        else:
            out.append(n)
    return out


def _break(nodes: list[Node], limit: float) -> list[list[Node]]:
    """Split at + and − between terms so that each line is at most about *limit* wide."""
    nodes = _open_up(nodes, limit)
    lines: list[list[Node]] = [[]]
    used = 0.0
    for k, n in enumerate(nodes):
        prev = nodes[k - 1] if k else None
        w = width([prev, n]) - width([prev]) if prev is not None else width([n])
        is_split = (isinstance(n, Op) and n.sym in ("+", "−", "-") and prev is not None
                    and not (isinstance(prev, Op) and prev.sym != "…")
                    and not (isinstance(prev, Delim) and prev.sym in BRACKETS))
        if is_split and lines[-1] and used + w + _term_width(nodes, k + 1) > limit:
            lines.append([])
            used = 0.0
        lines[-1].append(n)
        used += w
    return [ln for ln in lines if ln]


def _term_width(nodes: list[Node], k: int) -> float:
    w = 0.0
    while k < len(nodes) and not (isinstance(nodes[k], Op) and nodes[k].sym in ("+", "−", "-")):
        w += _w(nodes[k])
        k += 1
    return w


@dataclass
class Row:
    """One printed row of an equation: ``lhs = rhs``, ``= rhs``, or a continuation ``+ rhs``."""
    lhs: list[Node] | None
    rel: str  # "=" or "" for a continuation
    rhs: list[Node]


#: Width of one printed line of an equation, in digit widths (a 17 cm line at 11 pt holds about 85).
LINE = 80


def layout(target: str, sides: list[str], line: float = LINE, lhs_width: float | None = None) -> list[Row]:
    """Rows of ``target = side₁ = side₂ = …``: one row when it fits, else one row per side,
    long sides broken between terms.  *lhs_width* is the width of the left column when the
    equation is aligned with others (default: its own left-hand side's)."""
    lhs = parse(target)
    parsed = [parse(s) for s in sides]
    left = max(width(lhs), lhs_width or 0.0) + 2.3
    if left + sum(width(p) for p in parsed) + 2.3 * (len(parsed) - 1) <= line:
        rhs: list[Node] = []
        for k, p in enumerate(parsed):
            rhs += ([Op("=")] if k else []) + p
        return [Row(lhs, "=", rhs)]
    room = max(line - left, 30.0)
    rows: list[Row] = []
    for p in parsed:
        for j, part in enumerate(_break(p, room - 4.0)):  # continuation rows start 2em further right
            rows.append(Row(lhs if not rows else None, "=" if j == 0 else "", part))
    return rows
