"""Packaging: namespaced import names, Qt-free core, entry point, desktop launcher, wheel contents."""
import configparser
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args, **kw):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, **kw)


def test_core_imports_without_qt():
    code = ("import sys, backprop_lab.core as c; sim = c.load_example('mazur'); sim.step();"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'PyQt5', 'PyQt6', 'shiboken6')];"
            "print(bad); assert not bad")
    r = run("-c", code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_gui_import_creates_no_qapplication():
    r = run("-c", "import backprop_lab.gui.main_window, backprop_lab.gui.app;"
                  "from PySide6.QtWidgets import QApplication; assert QApplication.instance() is None")
    assert r.returncode == 0, r.stderr


def test_version_and_help_without_a_display():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    r = run("-m", "backprop_lab.gui", "--version", env=env)
    assert r.returncode == 0 and r.stdout.startswith("backprop-lab 0.")
    r = run("-m", "backprop_lab.gui", "--help", env=env)
    assert r.returncode == 0 and "--install-desktop-entry" in r.stdout


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "backprop-lab"
    assert exe.exists()
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "backprop-lab" in r.stdout


def test_install_desktop_entry_twice(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
    for _ in range(2):
        r = run("-m", "backprop_lab.gui", "--install-desktop-entry", env=env)
        assert r.returncode == 0, r.stderr
    desktop = tmp_path / "data" / "applications" / "backprop-lab.desktop"
    assert f"wrote {desktop}" in r.stdout
    assert (tmp_path / "data" / "icons" / "hicolor" / "scalable" / "apps" / "backprop-lab.svg").exists()
    png = tmp_path / "data" / "icons" / "hicolor" / "256x256" / "apps" / "backprop-lab.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str
    cp.read(desktop)
    e = cp["Desktop Entry"]
    assert e["Type"] == "Application" and e["Name"] == "Backprop Lab" and e["Icon"] == "backprop-lab"
    assert e["Exec"].endswith(" -m backprop_lab.gui %f")  # absolute; see test_desktop_entry.py
    assert "Education" in e["Categories"].split(";") and "Science" in e["Categories"].split(";")
    mime = tmp_path / "data" / "mime" / "packages" / "backprop-lab.xml"
    assert "application/x-backprop-lab-state" in mime.read_text()
    assert "application/x-backprop-lab-state" in e["MimeType"]
    if shutil.which("desktop-file-validate"):
        v = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert v.returncode == 0, v.stdout + v.stderr
    if shutil.which("update-mime-database") and shutil.which("gio"):
        # The desktop really recognises a saved state (by content) and leaves other JSON alone.
        state, plain = tmp_path / "net.json", tmp_path / "other.json"
        state.write_bytes((resources.files("backprop_lab.resources") / "examples" / "xor.json").read_bytes())
        plain.write_text('{"a": 1}')
        for path, expected in ((state, "application/x-backprop-lab-state"), (plain, "application/json")):
            r = subprocess.run(["gio", "info", "-a", "standard::content-type", str(path)], capture_output=True,
                               text=True, env=env)
            assert f"content-type: {expected}" in r.stdout, r.stdout + r.stderr


def test_resources_through_importlib():
    res = resources.files("backprop_lab.resources")
    for name in ("mazur", "xor", "symmetry", "moons", "blobs"):
        assert (res / "examples" / f"{name}.json").is_file()
    assert (res / "state-schema.json").is_file()
    assert (res / "backprop-lab.desktop").is_file()


def test_wheel_holds_only_backprop_lab(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    wheel = next(tmp_path.glob("backprop_lab-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"backprop_lab", next(t for t in tops if t.endswith(".dist-info"))}
    assert "backprop_lab/core/simulation.py" in names
    assert "backprop_lab/resources/examples/mazur.json" in names
    assert "backprop_lab/resources/icons/backprop-lab.svg" in names
    assert not any(n.startswith("backprop_lab/__init__") for n in names)  # namespace parent
    meta = next(n for n in names if n.endswith("entry_points.txt"))
    assert "backprop-lab = backprop_lab.gui.app:main" in zipfile.ZipFile(wheel).read(meta).decode()
