"""A :class:`~.document.Document` as a LaTeX document that compiles with pdflatex.

Only packages of Debian's ``texlive-latex-base`` and ``texlive-base`` are used
(amsmath, amssymb, geometry, longtable, booktabs, array).  Text from a file
(the network's name and notes) is escaped character by character: LaTeX's
special characters become their text commands, characters pdflatex cannot
typeset in the default OT1 encoding become ``?``.  Equations are ``align*``
environments broken into rows (see :func:`.mathtext.layout`) so long sums wrap.
"""
from __future__ import annotations

from .document import Document, Equation, Heading, Math, Paragraph, Table, Text
from .mathrender import tex, tex_rows
from .mathtext import GREEK, layout, parse, width

_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"$\$$", "&": r"\&", "#": r"\#", "%": r"\%",
    "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "<": r"\textless{}",
    ">": r"\textgreater{}", "|": r"\textbar{}", '"': "''", "-": "-{}", "`": "'", "\n": " ", "\t": " ",
    "\r": " ",
}
_UNICODE = {
    "−": "$-$", "×": r"$\times$", "·": r"$\cdot$", "÷": r"$\div$", "±": r"$\pm$", "…": r"\dots{}",
    "→": r"$\to$", "←": r"$\leftarrow$", "↔": r"$\leftrightarrow$", "⇒": r"$\Rightarrow$", "≤": r"$\leq$",
    "≥": r"$\geq$", "≈": r"$\approx$", "≠": r"$\neq$", "≡": r"$\equiv$", "∞": r"$\infty$",
    "∂": r"$\partial$", "∑": r"$\Sigma$", "√": r"$\surd$", "∈": r"$\in$", "⊙": r"$\odot$", "½": r"$\frac12$",
    "¹": "$^1$", "²": "$^2$", "³": "$^3$", "⁺": "$^+$", "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``",
    "”": "''", "„": ",,", "•": r"$\bullet$", "€": "EUR", "°": r"$^\circ$", "\u00a0": "~",
    "\u00ad": "", "«": r"$\ll$", "»": r"$\gg$", "′": "$'$", "⟨": r"$\langle$", "⟩": r"$\rangle$",
    "□": r"$\square$", "¡": r"\textexclamdown{}", "¿": r"\textquestiondown{}", "£": "GBP", "§": "S",
    "¶": "P", "©": "(c)", "¬": r"$\neg$", "µ": r"$\mu$", "¼": r"$\frac14$", "¾": r"$\frac34$",
    "®": "(R)", "¨": "''", "´": "'", "¸": ",", "ª": "a", "º": "o", "¢": "c", "¥": "Y", "¦": r"\textbar{}",
    "¯": "-", "¤": "?",
}
# Latin letters pdflatex cannot set in the OT1 encoding (they need T1 fonts, not in texlive-latex-base);
# symbols above are mapped so that no TS1 (textcomp) glyph is needed, which would make TeX generate
# bitmap fonts with METAFONT on every machine.
_NOT_OT1 = set("ÐÞðþĄąĐđĘęĦħĮįĸĿŀŉŊŋŦŧŲųſ")

PREAMBLE = r"""\documentclass[11pt,a4paper,fleqn]{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\usepackage{array,booktabs,longtable}
\allowdisplaybreaks
\setlength{\mathindent}{1.5em}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6em}
\setlength{\emergencystretch}{3em}
\pagestyle{plain}
"""


def latex_escape(text: str) -> str:
    """*text* as LaTeX that typesets it literally (never a command from the text itself).

    Long runs without spaces (paths, markup) get break opportunities so they cannot run off the page.
    """
    out = []
    run = 0
    for ch in text:
        run = 0 if ch.isspace() else run + 1
        if run > 12 and (run > 24 or ch in "/=<>&_|\\;,"):
            out.append(r"\allowbreak{}")
            run = 1
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ch in GREEK:
            out.append(f"$\\{GREEK[ch]}$")
        elif ch.isascii():
            out.append(ch if ch.isprintable() else " ")
        elif "\u00c0" <= ch <= "\u017f" and ch not in _NOT_OT1:  # accented letters: OT1 composes them
            out.append(ch)
        else:
            out.append("?")  # no glyph for it in the fonts pdflatex has here
    return "".join(out)


def _inline(parts: list) -> str:
    out = []
    for p in parts:
        if isinstance(p, Math):
            out.append(f"${tex(parse(p.expr))}$")
        elif isinstance(p, Text):
            t = latex_escape(p.text)
            out.append({"strong": rf"\textbf{{{t}}}", "em": rf"\emph{{{t}}}"}.get(p.style, t))
    return "".join(out)


def _equation_rows(eq: Equation, lhs_width: float) -> str:
    """The rows of one equation inside an ``align*`` (its number, if any, on its last row)."""
    rows = layout(eq.target, eq.sides, lhs_width=lhs_width)
    tag = rf"\tag*{{({eq.number})}}" if eq.number is not None else ""
    return tex_rows(rows, True) + tag


def _equations(eqs: list[Equation]) -> str:
    """Consecutive equations as one ``align*``: their = signs line up, as in a worked example on paper."""
    lhs_width = max(width(parse(eq.target)) for eq in eqs)  # the left column is as wide as the widest
    body = " \\\\[0.9ex]\n".join(_equation_rows(eq, lhs_width) for eq in eqs)
    return "\\begin{align*}\n" + body + "\n\\end{align*}"


def _table(t: Table) -> str:
    spec = "".join("r" if (k < len(t.numeric) and t.numeric[k]) else "l" for k in range(len(t.header)))
    lines = [rf"\begin{{longtable}}{{{spec}}}", r"\toprule",
             " & ".join(_inline(h) for h in t.header) + r" \\", r"\midrule", r"\endhead"]
    for row in t.rows:
        lines.append(" & ".join(_inline(c) for c in row) + r" \\")
    lines += [r"\bottomrule", r"\end{longtable}"]
    return "\n".join(lines)


def render(doc: Document) -> str:
    """The complete ``.tex`` source."""
    out = [PREAMBLE, r"\begin{document}", "",
           rf"{{\LARGE\bfseries {latex_escape(doc.title)}\par}}"]
    if doc.subtitle:
        out.append(rf"\smallskip{{\large {latex_escape(doc.subtitle)}\par}}")
    out.append(r"\bigskip")
    run: list[Equation] = []
    for b in doc.blocks + [None]:
        if isinstance(b, Equation):
            run.append(b)
            continue
        if run:
            out.append(_equations(run))
            run = []
        if isinstance(b, Heading):
            cmd = {1: "section*", 2: "subsection*"}.get(b.level, "subsubsection*")
            out.append(f"\\{cmd}{{{latex_escape(b.text)}}}")
        elif isinstance(b, Paragraph):
            text = _inline(b.parts)
            out.append(rf"{{\small {text}\par}}" if b.style == "note" else text + "\n")
        elif isinstance(b, Table):
            out.append(_table(b))
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"
