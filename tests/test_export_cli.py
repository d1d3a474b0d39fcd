"""``backprop-lab export``: formats by extension, one-line errors with non-zero exit status, no Qt for text."""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from backprop_lab.gui.cli_export import main as export_main

NO_DISPLAY = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "backprop_lab.gui", "export", *map(str, args)],
                          capture_output=True, text=True, timeout=300, env=env)


def test_help_and_text_exports_never_import_qt(tmp_path):
    code = ("import sys; from backprop_lab.gui.app import main\n"
            "for args in (['export', '--help'], ['export', 'mazur', '--to', sys.argv[1]]):\n"
            "    try:\n"
            "        rc = main(args)\n"
            "    except SystemExit as e:\n"
            "        rc = e.code\n"
            "    assert rc == 0, rc\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6')]\n"
            "print('qt modules:', bad)")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x.html")], capture_output=True, text=True,
                       timeout=120, env=NO_DISPLAY)
    assert r.returncode == 0, r.stderr
    assert "usage: backprop-lab export" in r.stdout and "--iteration N" in r.stdout
    assert r.stdout.strip().endswith("qt modules: []")
    assert (tmp_path / "x.html").read_text().startswith("<!DOCTYPE html>")


def test_each_extension_chooses_its_format(tmp_path, capsys):
    for name, start in (("a.md", "# Worked example: iteration 3"), ("a.tex", "\\documentclass"),
                        ("a.html", "<!DOCTYPE html>"), ("a.py", "#!/usr/bin/env python3"),
                        ("a.csv", "iteration,batch_loss,epoch,training_loss")):
        assert export_main(["xor", "--iteration", "3", "--to", str(tmp_path / name)]) == 0
        assert (tmp_path / name).read_text().startswith(start), name
    assert "LAST_ITERATION = 3" in (tmp_path / "a.py").read_text()
    assert (tmp_path / "a.csv").read_text().count("\n") == 4  # header + iterations 1..3
    assert f"wrote {tmp_path / 'a.md'}" in capsys.readouterr().out


def test_worksheet_from_the_command_line(tmp_path, capsys):
    assert export_main(["mazur", "--to", str(tmp_path / "s.worksheet.md")]) == 0
    assert export_main(["mazur", "--worksheet", "--to", str(tmp_path / "t.html")]) == 0
    out = capsys.readouterr().out
    for name in ("s.worksheet.md", "s.answers.md", "t.html", "t-answers.html"):
        assert (tmp_path / name).is_file() and f"wrote {tmp_path / name}" in out


def test_state_files_and_examples(tmp_path):
    from backprop_lab.core import load_example
    sim = load_example("xor")
    sim.run(4)
    state = tmp_path / "net.json"
    sim.save(state)
    assert export_main([str(state), "--to", str(tmp_path / "n.md")]) == 0
    assert "# Worked example: iteration 5" in (tmp_path / "n.md").read_text()  # the file's next iteration
    assert export_main([str(state), "--iteration", "9", "--to", str(tmp_path / "n.py")]) == 0
    text = (tmp_path / "n.py").read_text()
    assert "START_ITERATION = 4" in text and "LAST_ITERATION = 9" in text


@pytest.mark.parametrize("args,message,status", [
    (["missing.json", "--to", "{d}/o.md"], "missing.json: no such file, and not an example name", 1),
    (["{d}/bad.json", "--to", "{d}/o.md"], "bad.json: invalid JSON at line 1", 1),
    (["mazur", "--to", "{d}/o.docx"], "unknown extension '.docx'", 1),
    (["mazur", "--to", "{d}/o"], "unknown extension '(none)'", 1),
    (["mazur", "--iteration", "0", "--to", "{d}/o.md"], "the iteration must be between 1 and 10,000,000, got 0", 1),
    (["mazur", "--iteration", "-3", "--to", "{d}/o.md"], "the iteration must be between 1 and", 1),
    (["mazur", "--iteration", "100000000000", "--to", "{d}/o.md"], "between 1 and 10,000,000", 1),
    (["mazur", "--iteration", "two", "--to", "{d}/o.md"], "invalid int value: 'two'", 2),
    (["mazur"], "the following arguments are required: --to", 2),
    (["mazur", "--to", "{d}/no/such/folder/o.md"], "the folder", 1),
    (["mazur", "--to", "{d}/bad.json/o.md"], "cannot write", 1),
    (["mazur", "--to", "{d}/folder.md"], "it is a folder", 1),
    (["mazur", "--to", "/proc/o.md"], "cannot write /proc/o.md", 1),
    (["mazur", "--to", "{d}/o.worksheet.tex"], "a worksheet is written as Markdown or HTML", 1),
    (["mazur", "--loss-plot", "--to", "{d}/o.md"], "--loss-plot needs OUT ending in .png or .svg", 1),
    (["{d}", "--to", "{d}/o.md"], "is a folder, not a state file", 1),
])
def test_errors_are_one_line_with_a_nonzero_status(tmp_path, capsys, args, message, status):
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "folder.md").mkdir()
    try:
        rc = export_main([a.format(d=tmp_path) for a in args])
    except SystemExit as e:  # argparse's usage errors
        rc = e.code
    out, err = capsys.readouterr()
    assert rc == status, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("backprop-lab export: error: "), err
    assert message in lines[0]
    assert out == ""
    assert not (tmp_path / "o.md").exists()


def test_errors_from_the_real_command_have_no_traceback(tmp_path):
    for args, status in ((["missing.json", "--to", tmp_path / "o.md"], 1), (["mazur", "--to", tmp_path / "o.x"], 1),
                         (["mazur", "--iteration", "x", "--to", tmp_path / "o.md"], 2)):
        r = cli(*args)
        assert r.returncode == status
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_an_export_that_fails_leaves_no_file(tmp_path):
    r = cli("mazur", "--iteration", "2", "--to", tmp_path / "o.tex")
    assert r.returncode == 0
    before = (tmp_path / "o.tex").read_bytes()
    import numpy as np

    from backprop_lab.core import Network, Simulation
    sim = Simulation(Network([300, 200, 10], ["sigmoid", "sigmoid"]), np.zeros((4, 300)), np.zeros((4, 10)))
    sim.save(tmp_path / "big.json")
    r = cli(tmp_path / "big.json", "--to", tmp_path / "o.tex")
    assert r.returncode == 1 and "too large" in r.stderr
    assert (tmp_path / "o.tex").read_bytes() == before  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.json", "o.tex"]  # no temporary files left


def test_pictures_of_the_diagram_and_the_loss_plot(tmp_path):
    runs = [["mazur", "--to", tmp_path / "d.png"], ["moons", "--iteration", "3", "--to", tmp_path / "d.svg"],
            ["moons", "--iteration", "90", "--to", tmp_path / "l.loss.png"],
            ["xor", "--iteration", "20", "--loss-plot", "--to", tmp_path / "l.svg"]]
    code = ("import sys, json; from backprop_lab.gui.app import main\n"
            "for args in json.loads(sys.argv[1]):\n"
            "    assert main(['export', *args]) == 0, args\n")
    # one process (Qt starts once), no display: the offscreen platform is chosen by the exporter itself
    r = subprocess.run([sys.executable, "-c", code, json.dumps([[str(a) for a in run] for run in runs])],
                       capture_output=True, text=True, timeout=300, env=NO_DISPLAY)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    for png in ("d.png", "l.loss.png"):
        data = (tmp_path / png).read_bytes()
        # (not blank: the loss plot's plain axes label only the major ticks, so its PNG is about 16 KB)
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    for svg in ("d.svg", "l.svg"):
        root = ET.parse(tmp_path / svg).getroot()
        assert root.tag.endswith("svg") and len(list(root.iter())) > 20
    assert "h1_8" in (tmp_path / "d.svg").read_text()  # the diagram's neuron names are drawn as text
    assert Path(tmp_path / "d.png").stat().st_mode & 0o777 == 0o644


def test_the_package_is_installed_with_the_subpackage():
    import tomllib
    root = Path(__file__).resolve().parent.parent
    packages = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    assert "backprop_lab.core.export" in packages
