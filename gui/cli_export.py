"""``backprop-lab export FILE --to OUT``: the exports of :mod:`backprop_lab.core.export` from the command line.

Text formats (``.md``, ``.tex``, ``.html``, ``.py``, ``.csv``, worksheets) never
import Qt, so they work on machines with no display; ``.png``/``.svg`` (the
network diagram, or the loss plot with ``--loss-plot``) draw the window's own
widgets offscreen.  Every failure is one line on stderr and a non-zero exit
status: 2 for a wrong command line, 1 for anything else.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

PROG = "backprop-lab export"
IMAGE_FORMATS = (".png", ".svg")


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error printed as one line (exit status 2)."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="Export the worked example of an iteration (Markdown, LaTeX, HTML), a practice worksheet, "
                    "a NumPy script that trains the network, the loss history (CSV), or a picture of the "
                    "diagram or loss plot (PNG, SVG). The extension of OUT chooses the format.",
        epilog="examples:\n"
               "  backprop-lab export mazur --to lesson.html\n"
               "  backprop-lab export my-net.json --iteration 3 --to iteration3.tex\n"
               "  backprop-lab export mazur --to sheet.worksheet.md      (also writes sheet.answers.md)\n"
               "  backprop-lab export xor --iteration 500 --to train.py\n"
               "FILE is a state file, or the name of a built-in example (mazur, xor, symmetry, moons, blobs).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="a state file (.json) or an example name")
    p.add_argument("--to", dest="out", metavar="OUT", required=True,
                   help="the file to write: .md, .tex, .html, .py, .csv, .png or .svg")
    p.add_argument("--iteration", "-n", type=int, metavar="N", default=None,
                   help="the iteration (1 = the first step; default: the state's next one). For .py the script "
                        "trains up to and including iteration N; for .csv and --loss-plot the history runs "
                        "to iteration N")
    p.add_argument("--worksheet", action="store_true",
                   help="write a practice worksheet and its answer key (.md or .html); also chosen by an OUT "
                        "ending in .worksheet.md or .worksheet.html")
    p.add_argument("--loss-plot", action="store_true",
                   help="with .png/.svg: the loss plot instead of the network diagram (also OUT ending in "
                        ".loss.png or .loss.svg)")
    p.add_argument("--digits", type=int, default=9, metavar="D",
                   help="decimal places of the numbers (default 9, as the worked example)")
    p.add_argument("--max-equations", type=int, default=None, metavar="M",
                   help="write out at most about M equations of a large iteration (default 400)")
    return p


def load(file: str):
    """The simulation in *file*, or the built-in example of that name."""
    from backprop_lab.core import Simulation, load_example
    from backprop_lab.core.export import ExportError
    from backprop_lab.core.statefile import EXAMPLES

    p = Path(file)
    if p.exists():
        if p.is_dir():
            raise ExportError(f"{file}: is a folder, not a state file")
        return Simulation.load(p)
    if file in EXAMPLES:
        return load_example(file)
    raise ExportError(f"{file}: no such file, and not an example name ({', '.join(EXAMPLES)})")


def check_target(out: str) -> None:
    """Refuse early (before any work) an output path that cannot be written."""
    from backprop_lab.core.export import ExportError

    p = Path(out)
    if p.is_dir():
        raise ExportError(f"cannot write {out}: it is a folder")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"cannot write {out}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise ExportError(f"cannot write {out}: permission denied")


def run(args: argparse.Namespace) -> list[Path]:
    """Do the export the parsed command line asks for; returns the files written."""
    from backprop_lab.core.export import MAX_EQUATIONS, ExportError, export_format, write_export
    from backprop_lab.core.export.iteration import check_iteration

    out = args.out
    ext = Path(out).suffix.lower()
    if args.iteration is not None:
        check_iteration(args.iteration)
    if not 0 <= args.digits <= 17:
        raise ExportError(f"--digits must be between 0 and 17, got {args.digits}")
    if args.max_equations is not None and args.max_equations < 1:
        raise ExportError(f"--max-equations must be at least 1, got {args.max_equations}")
    if ext in IMAGE_FORMATS:
        if args.worksheet:
            raise ExportError("a worksheet is written as Markdown or HTML (.md, .html), not " + ext)
        check_target(out)
        sim = load(args.file)
        plot = args.loss_plot or Path(out).stem.lower().endswith(".loss")
        from .export_images import render_image
        return [render_image(sim, out, args.iteration, loss_plot=plot)]
    export_format(out, args.worksheet)  # an unknown extension fails before the file is read
    if args.loss_plot:
        raise ExportError("--loss-plot needs OUT ending in .png or .svg")
    check_target(out)
    sim = load(args.file)
    return write_export(sim, out, args.iteration, worksheet=args.worksheet, digits=args.digits,
                        max_equations=args.max_equations or MAX_EQUATIONS)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``backprop-lab export``; returns the exit status."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    from backprop_lab.core import BackpropLabError

    try:
        written = run(args)
    except (BackpropLabError, ValueError, OSError) as e:
        msg = " ".join(str(e).split()) or type(e).__name__
        print(f"{PROG}: error: {msg}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    for p in written:
        print(f"wrote {p}")
    return 0
