"""A :class:`~.document.Document` as Markdown with LaTeX math (``$…$`` inline, ``$$…$$`` displays).

Displays of several rows use ``aligned`` (GitHub, GitLab, pandoc, KaTeX and
MathJax all understand it).  Literal text is backslash-escaped so that a
network's name or notes can never become markup, raw HTML or math.
"""
from __future__ import annotations

import re

from .document import Document, Equation, Heading, Math, Paragraph, Table, Text
from .mathrender import tex, tex_rows
from .mathtext import layout, parse

# Characters with an inline meaning in CommonMark, GFM tables/strikethrough and dollar math.
_ESCAPE = re.compile(r"([\\`*_{}\[\]<>$|~&!])")
# What starts a block when it opens a line: headings, quotes, lists, rules, setext underlines.
_LEADING = re.compile(r"^([#>+=-]|\d+(?=[.)]))")


def md_escape(text: str) -> str:
    """*text* as literal Markdown: punctuation backslash-escaped, whitespace collapsed to single spaces.

    Collapsing line breaks keeps the text inside its paragraph (no heading, list,
    code block or table can start), and escaping ``< & $`` keeps out HTML, entities and math.
    """
    words = " ".join(text.split())
    if words:  # keep one space at either end: it separates the text from what is next to it
        words = (" " if text[:1].isspace() else "") + words + (" " if text[-1:].isspace() else "")
    text = _ESCAPE.sub(r"\\\1", words)
    m = _LEADING.match(text)
    if m:  # "1. x" or "- x" at the start of a line would start a list
        k = m.end()
        text = text[:k] + "\\" + text[k:] if m.group(1)[0].isdigit() else "\\" + text
    return text


def _inline(parts: list, in_table: bool = False) -> str:
    out = []
    for p in parts:
        if isinstance(p, Math):
            math = tex(parse(p.expr))
            if in_table:  # a bar would end the table cell
                math = math.replace("|", r"\vert ")
            out.append(p.expr if p.is_number else f"${math}$")
        elif isinstance(p, Text):
            t = md_escape(p.text)
            if t and p.style == "strong":
                t = f"**{t}**"
            elif t and p.style == "em":
                t = f"*{t}*"
            out.append(t)
    return "".join(out)


def _equation(eq: Equation) -> str:
    rows = layout(eq.target, eq.sides)
    label = f"**({eq.number})**\n\n" if eq.number is not None else ""
    if len(rows) == 1:
        return f"{label}$$\n{tex_rows(rows, False)}\n$$"
    return f"{label}$$\n\\begin{{aligned}}\n{tex_rows(rows, True)}\n\\end{{aligned}}\n$$"


def _table(t: Table) -> str:
    head = "| " + " | ".join(_inline(h, True) for h in t.header) + " |"
    rule = "|" + "|".join("---:" if (k < len(t.numeric) and t.numeric[k]) else "---"
                          for k in range(len(t.header))) + "|"
    rows = ["| " + " | ".join(_inline(c, True) for c in row) + " |" for row in t.rows]
    return "\n".join([head, rule, *rows])


def render(doc: Document) -> str:
    """The complete Markdown text."""
    out = [f"# {md_escape(doc.title)}"]
    if doc.subtitle:
        out.append(f"**{md_escape(doc.subtitle)}**")
    for b in doc.blocks:
        if isinstance(b, Heading):
            out.append("#" * (b.level + 1) + " " + md_escape(b.text))
        elif isinstance(b, Paragraph):
            text = _inline(b.parts)
            out.append(f"> {text}" if b.style == "note" else text)
        elif isinstance(b, Table):
            out.append(_table(b))
        elif isinstance(b, Equation):
            out.append(_equation(b))
    return "\n\n".join(out) + "\n"
