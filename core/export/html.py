"""A :class:`~.document.Document` as one standalone HTML page: MathML equations, inline CSS, nothing fetched.

The page has no scripts and no external references (a Content-Security-Policy
forbids loading anything), so it opens offline and cannot be made to fetch:
all text from a file is HTML-escaped.  Equations are MathML ``<math>``
elements, which current browsers render natively; multi-row equations are
``mtable``s aligned at ``=``, so long sums wrap.
"""
from __future__ import annotations

from html import escape

from .document import Document, Equation, Heading, Math, Paragraph, Table, Text
from .mathrender import mathml, mathml_rows
from .mathtext import REF_CLOSE, REF_OPEN, layout, parse

CSS = """
body { font-family: "DejaVu Serif", Georgia, serif; max-width: 52em; margin: 2em auto; padding: 0 1em;
       line-height: 1.45; color: #1d1d1d; background: #fff; }
h1 { font-size: 1.7em; margin-bottom: 0.1em; }
h2 { font-size: 1.3em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05em; margin-top: 1.2em; }
.subtitle { font-size: 1.15em; margin-top: 0; color: #444; }
.note { font-size: 0.9em; color: #555; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #ccc; padding: 0.15em 0.6em; }
th { background: #f3f3f3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.eq { margin: 0.5em 0 0.8em 1em; overflow-x: auto; font-size: 1.1em; }
.eq.numbered { display: flex; align-items: center; gap: 0.8em; }
.eq .label { font-weight: bold; font-size: 0.9em; min-width: 2.5em; }
math[display="block"] { display: block; text-align: left; margin: 0; }
mtd.l { text-align: right; }
mtd.r { text-align: left; }
.blank { color: #555; }
@media print { body { max-width: none; } .eq { overflow: visible; } }
"""

# Nothing may be loaded: no scripts, images, fonts or frames; only the inline style sheet.
CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _inline(parts: list) -> str:
    out = []
    for p in parts:
        if isinstance(p, Math):
            out.append(escape(p.expr) if p.is_number else f"<math>{mathml(parse(p.expr))}</math>")
        elif isinstance(p, Text):
            t = escape(p.text)
            out.append({"strong": f"<strong>{t}</strong>", "em": f"<em>{t}</em>"}.get(p.style, t))
    return "".join(out)


def _equation(eq: Equation) -> str:
    rows = layout(eq.target, eq.sides)
    label = f'<span class="label">({eq.number})</span>' if eq.number is not None else ""
    # (an earlier answer reads ⟨k⟩ in the alternative text too, as the page shows it)
    alt = escape((eq.text or f"{eq.target} = {' = '.join(eq.sides)}").replace(REF_OPEN, "⟨").replace(REF_CLOSE, "⟩"),
                 quote=True)
    cls = "eq numbered" if eq.number is not None else "eq"
    return (f'<div class="{cls}">{label}<math display="block" alttext="{alt}">'
            f"{mathml_rows(rows)}</math></div>")


def _table(t: Table) -> str:
    def num(k: int) -> bool:
        return k < len(t.numeric) and t.numeric[k]
    head = "".join(f"<th>{_inline(h)}</th>" for h in t.header)
    body = "".join("<tr>" + "".join(f'<td{" class=n" if num(k) else ""}>{_inline(c)}</td>'
                                    for k, c in enumerate(row)) + "</tr>" for row in t.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(doc: Document) -> str:
    """The complete HTML page."""
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{escape(doc.title)}{' — ' + escape(doc.subtitle) if doc.subtitle else ''}</title>",
           f"<style>{CSS}</style>", "</head>", "<body>", f"<h1>{escape(doc.title)}</h1>"]
    if doc.subtitle:
        out.append(f'<p class="subtitle">{escape(doc.subtitle)}</p>')
    for b in doc.blocks:
        if isinstance(b, Heading):
            tag = f"h{min(b.level + 1, 6)}"
            out.append(f"<{tag}>{escape(b.text)}</{tag}>")
        elif isinstance(b, Paragraph):
            cls = ' class="note"' if b.style == "note" else ""
            out.append(f"<p{cls}>{_inline(b.parts)}</p>")
        elif isinstance(b, Table):
            out.append(_table(b))
        elif isinstance(b, Equation):
            out.append(_equation(b))
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
