"""A small format-neutral document (headings, paragraphs, tables, equations) that every exporter renders.

Text in a :class:`Text` is literal (a network's name or notes may contain
anything): each renderer escapes it for its format.  :class:`Math` and
:class:`Equation` hold the engine's own notation (``net_h1``, ``∂E/∂w5``),
which :mod:`.mathtext` parses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Text:
    """Literal text; *style* is ``""``, ``"strong"`` or ``"em"``."""
    text: str
    style: str = ""


@dataclass
class Math:
    """Inline math in the trace's notation, e.g. ``w5⁺`` or ``0.35891648``."""
    expr: str

    @property
    def is_number(self) -> bool:
        return bool(re.fullmatch(r"[−-]?\d+(\.\d+)?(e[−-]?\d+)?", self.expr))


Inline = Text | Math


@dataclass
class Heading:
    level: int  # 1 = document sections, 2 = subsections, 3 = small headings
    text: str


@dataclass
class Paragraph:
    parts: list
    style: str = ""  # "" or "note" (smaller, for remarks such as left-out equations)


@dataclass
class Table:
    header: list[list]
    rows: list[list[list]]
    numeric: list[bool] = field(default_factory=list)  # right-align these columns


@dataclass
class Equation:
    """``target = sides[0] = sides[1] = …``; *number* labels worksheet exercises; *text* is the plain form."""
    target: str
    sides: list[str]
    number: int | None = None
    text: str = ""


@dataclass
class Document:
    title: str
    subtitle: str = ""
    blocks: list = field(default_factory=list)

    def add(self, *blocks) -> "Document":
        self.blocks.extend(blocks)
        return self


def para(*parts, style: str = "") -> Paragraph:
    """A paragraph from strings (literal text) and :class:`Math`/:class:`Text` pieces."""
    return Paragraph([Text(p) if isinstance(p, str) else p for p in parts], style)


def cell(*parts) -> list:
    return [Text(p) if isinstance(p, str) else p for p in parts]
