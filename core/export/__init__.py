"""Exports of a simulation: the worked example of an iteration, a worksheet, a NumPy script, the loss history.

Everything here is pure Python + numpy (no Qt) and works on a copy of the
simulation, never changing the one it is given::

    from backprop_lab.core import load_example
    from backprop_lab.core.export import export_lesson, write_export

    sim = load_example("mazur")
    text = export_lesson(sim, 1, "md")            # "md", "tex", "html"
    write_export(sim, "lesson.html", iteration=1)  # the format from the extension
    write_export(sim, "train.py", iteration=100)   # a script that trains up to iteration 100

*iteration* counts like the lab's iteration counter (the first step is
iteration 1); ``None`` means the state's next iteration.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..simulation import Simulation
from .document import Document
from .history_csv import loss_history_csv
from .iteration import MAX_ITERATION, MAX_TRACE, ExportError, IterationData, iteration_data, simulation_at
from .lesson import MAX_EQUATIONS, lesson_document
from .numpy_script import ScriptSpec, numpy_script, render_script, spec_from_simulation
from .worksheet import worksheet_documents

__all__ = [
    "ExportError", "FORMATS", "export_lesson", "export_worksheet", "numpy_script", "loss_history_csv",
    "write_export", "export_format", "lesson_document", "worksheet_documents", "iteration_data", "simulation_at",
    "render_document", "ScriptSpec", "render_script", "spec_from_simulation", "IterationData", "Document",
    "MAX_EQUATIONS", "MAX_ITERATION", "MAX_TRACE", "worksheet_answer_path",
]

#: File extension → format.  ``.png``/``.svg`` (the diagram or the loss plot) need Qt: see
#: ``backprop_lab.gui.cli_export``.
FORMATS = {".md": "md", ".markdown": "md", ".tex": "tex", ".html": "html", ".htm": "html", ".py": "py",
           ".csv": "csv"}
DOCUMENT_FORMATS = ("md", "tex", "html")
WORKSHEET_FORMATS = ("md", "html")


def render_document(doc: Document, fmt: str) -> str:
    """*doc* as ``"md"``, ``"tex"`` or ``"html"`` text."""
    from . import html, latex, markdown
    renderers = {"md": markdown.render, "tex": latex.render, "html": html.render}
    if fmt not in renderers:
        raise ExportError(f"unknown document format {fmt!r}; expected one of {sorted(renderers)}")
    return renderers[fmt](doc)


def _iteration(sim: Simulation, iteration: int | None) -> int:
    return sim.iteration + 1 if iteration is None else iteration


def export_lesson(sim: Simulation, iteration: int | None = None, fmt: str = "md", *, digits: int = 9,
                  max_equations: int = MAX_EQUATIONS) -> str:
    """The worked example of iteration *iteration* of *sim* as Markdown, LaTeX or HTML text.

    Parameters
    ----------
    sim : Simulation
        Not changed (the iteration is computed on a copy).
    iteration : int, optional
        1-based, as the lab counts; default: the state's next iteration.
    fmt : {"md", "tex", "html"}
    digits : int
        Decimal places of the numbers (as the equations panel shows them).
    max_equations : int
        Bound on the equations written out (see :mod:`.lesson`).
    """
    if fmt not in DOCUMENT_FORMATS:
        raise ExportError(f"unknown lesson format {fmt!r}; expected one of {list(DOCUMENT_FORMATS)}")
    d = iteration_data(sim, _iteration(sim, iteration))
    return render_document(lesson_document(d, digits=digits, max_equations=max_equations), fmt)


def export_worksheet(sim: Simulation, iteration: int | None = None, fmt: str = "md", *, digits: int = 9,
                     max_equations: int = MAX_EQUATIONS) -> tuple[str, str]:
    """A practice worksheet of the iteration (blanks to fill in) and its answer key, as two texts."""
    if fmt not in WORKSHEET_FORMATS:
        raise ExportError(f"unknown worksheet format {fmt!r}; expected one of {list(WORKSHEET_FORMATS)}")
    d = iteration_data(sim, _iteration(sim, iteration))
    sheet, answers = worksheet_documents(d, digits=digits, max_equations=max_equations)
    return render_document(sheet, fmt), render_document(answers, fmt)


def export_format(path: str | os.PathLike, worksheet: bool = False) -> tuple[str, bool]:
    """``(format, worksheet)`` chosen by *path*'s extension; ``name.worksheet.md`` asks for a worksheet."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in FORMATS:
        raise ExportError(f"cannot export to {p.name!r}: unknown extension {ext or '(none)'!r}; use one of "
                          + ", ".join(sorted(FORMATS) + [".png", ".svg"]))
    fmt = FORMATS[ext]
    worksheet = worksheet or p.stem.lower().endswith(".worksheet")
    if worksheet and fmt not in WORKSHEET_FORMATS:
        raise ExportError(f"a worksheet is written as Markdown or HTML (.md, .html), not {ext}")
    return fmt, worksheet


def worksheet_answer_path(path: str | os.PathLike) -> Path:
    """Where the answer key of a worksheet written to *path* goes: ``x.worksheet.md`` → ``x.answers.md``,
    ``sheet.md`` → ``sheet-answers.md``."""
    p = Path(path)
    stem = p.stem
    if stem.lower().endswith(".worksheet"):
        return p.with_name(stem[: -len(".worksheet")] + ".answers" + p.suffix)
    return p.with_name(stem + "-answers" + p.suffix)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write *text* (UTF-8) atomically: a temporary file in the same folder renamed over *path*."""
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise ExportError(f"cannot write {p}: it is a folder")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{p.name}.", suffix=".tmp")
    except OSError as e:
        raise ExportError(f"cannot write {p}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, p)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ExportError(f"cannot write {p}: {e.strerror or e}") from None
    return p


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_export(sim: Simulation, path: str | os.PathLike, iteration: int | None = None, *,
                 worksheet: bool = False, digits: int = 9, max_equations: int = MAX_EQUATIONS) -> list[Path]:
    """Export *sim* to *path*, the format chosen by the extension; returns the files written.

    ``.md``/``.tex``/``.html``: the worked example of *iteration*; with *worksheet* (or a name
    ending in ``.worksheet.md``/``.worksheet.html``) a worksheet and its answer key (two files,
    see :func:`worksheet_answer_path`).  ``.py``: a NumPy script training up to *iteration*.
    ``.csv``: the loss history (up to *iteration* when given).  Raises :class:`ExportError`.
    """
    fmt, worksheet = export_format(path, worksheet)
    if worksheet:
        sheet, answers = export_worksheet(sim, iteration, fmt, digits=digits, max_equations=max_equations)
        return [write_text(path, sheet), write_text(worksheet_answer_path(path), answers)]
    if fmt == "py":
        text = numpy_script(sim, iteration)
    elif fmt == "csv":
        text = loss_history_csv(sim, iteration)
    else:
        text = export_lesson(sim, iteration, fmt, digits=digits, max_equations=max_equations)
    return [write_text(path, text)]
