"""--install-desktop-entry: Exec names the launcher that ran, by absolute path, quoted as the spec says."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_lab.gui.app import desktop_exec_arg, desktop_exec_value, install_desktop_entry

VENV_BIN = Path(sys.executable).parent
LAUNCHER = VENV_BIN / "backprop-lab"
#: A PATH a desktop session might have: the venv's bin folder is not on it.
BARE_PATH = os.pathsep.join(p for p in ("/usr/local/bin", "/usr/bin", "/bin") if Path(p).is_dir())


# -- an independent reader, written from the Desktop Entry Specification 1.5 ("The Exec key") ----------
def _unescape_string(value: str) -> str:
    """Undo the escapes of a string value: \\s \\n \\t \\r \\\\ (applied before the quoting rule)."""
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value) and value[i + 1] in "sntr\\":
            out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}[value[i + 1]])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_exec(value: str, files: list[str]) -> list[str]:
    """argv for an Exec value: string escapes, then quoting, then field codes (%f gets *files*)."""
    s = _unescape_string(value)
    args, i = [], 0
    while i < len(s):
        if s[i] == " ":
            i += 1
        elif s[i] == '"':  # a quoted argument; inside, \" \` \$ \\ stand for the character
            i += 1
            buf = []
            while s[i] != '"':
                if s[i] == "\\" and s[i + 1] in '"`$\\':
                    buf.append(s[i + 1])
                    i += 2
                else:
                    assert s[i] not in '"`$\\', f"unescaped {s[i]!r} inside quotes in {value!r}"
                    buf.append(s[i])
                    i += 1
            i += 1
            args.append("".join(buf).replace("%%", "%"))
        else:
            j = s.find(" ", i)
            j = len(s) if j < 0 else j
            word = s[i:j]
            i = j
            assert not set("\t\n\"'\\><~|&;$*?#()`") & set(word), f"reserved character unquoted in {value!r}"
            if word == "%f":
                args.extend(files[:1])
            else:
                assert "%" not in word.replace("%%", ""), f"unknown field code in {value!r}"
                args.append(word.replace("%%", "%"))
    return args


def exec_line(desktop: Path) -> str:
    lines = [ln for ln in desktop.read_text("utf-8").splitlines() if ln.startswith("Exec=")]
    assert len(lines) == 1
    return lines[0][len("Exec="):]


def install(tmp_path: Path, *command: str) -> Path:
    """Run *command* --install-desktop-entry into a fresh XDG_DATA_HOME; the .desktop file written."""
    data = tmp_path / "data"
    env = dict(os.environ, XDG_DATA_HOME=str(data))
    r = subprocess.run([*command, "--install-desktop-entry"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    desktop = data / "applications" / "backprop-lab.desktop"
    assert f"wrote {desktop}" in r.stdout
    return desktop


def run_entry(argv: list[str]) -> subprocess.CompletedProcess:
    """Run *argv* as a desktop session would: a PATH without the venv, nothing inherited but HOME and LANG."""
    assert str(VENV_BIN) not in BARE_PATH.split(os.pathsep)
    env = {"PATH": BARE_PATH, "HOME": os.environ.get("HOME", "/"), "LANG": "C.UTF-8"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


# -- the quoting rules themselves -------------------------------------------------------------------------
def test_exec_quoting_follows_the_spec():
    assert desktop_exec_arg("/usr/bin/backprop-lab") == "/usr/bin/backprop-lab"
    assert desktop_exec_arg("/home/a b/bin/backprop-lab") == '"/home/a b/bin/backprop-lab"'
    assert desktop_exec_arg('/x/$HOME/"q"/`c`/back\\slash') == '"/x/\\$HOME/\\"q\\"/\\`c\\`/back\\\\slash"'
    assert desktop_exec_arg("it's") == '"it\'s"'  # single quote is reserved: quoted, not escaped
    assert desktop_exec_arg("") == '""'
    # In the file: %% for a percent sign, and the string escape doubles each backslash once more,
    # so a literal backslash in a quoted argument is four backslashes (the spec's own example).
    assert desktop_exec_value(["/opt/100%/run"]) == "/opt/100%%/run %f"
    assert desktop_exec_value(["/a b\\c"]) == '"/a b\\\\\\\\c" %f'
    assert desktop_exec_value(["/a$b"], "") == '"/a\\\\$b"'  # the spec: a literal $ is \\$ in the file


@given(st.lists(st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1), min_size=1, max_size=4))
def test_exec_value_reads_back_as_the_same_arguments(argv):
    assert parse_exec(desktop_exec_value(argv), []) == argv
    assert parse_exec(desktop_exec_value(argv), ["/tmp/net.json"]) == [*argv, "/tmp/net.json"]


def test_newline_and_tab_in_a_path_are_escaped():
    value = desktop_exec_value(["/odd\nname\tx/backprop-lab"])
    assert "\n" not in value and "\t" not in value
    assert parse_exec(value, []) == ["/odd\nname\tx/backprop-lab"]


# -- the installed entry starts the app without the venv on PATH -----------------------------------------
def test_entry_written_by_the_launcher_runs_it_by_absolute_path(tmp_path):
    assert LAUNCHER.is_file()
    desktop = install(tmp_path, str(LAUNCHER))
    value = exec_line(desktop)
    assert value != "backprop-lab %f"
    argv = parse_exec(value, ["--version"])  # %f replaced by an argument that makes the app answer
    assert argv == [str(LAUNCHER.resolve()), "--version"]
    r = run_entry(argv)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("backprop-lab 0.")
    assert shutil.which("backprop-lab", path=BARE_PATH) is None  # it ran by its path, not by PATH


def test_entry_written_by_python_m_runs_the_same_interpreter(tmp_path):
    desktop = install(tmp_path, sys.executable, "-m", "backprop_lab.gui")
    argv = parse_exec(exec_line(desktop), ["--version"])
    assert argv == [os.path.abspath(sys.executable), "-m", "backprop_lab.gui", "--version"]
    r = run_entry(argv)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("backprop-lab 0.")


@pytest.mark.parametrize("folder", ['my apps $HOME "q" `x` \\b', "100% sure; (x) & y's"])
def test_launcher_in_a_folder_with_spaces_and_specials(tmp_path, folder):
    where = tmp_path / folder
    where.mkdir()
    launcher = where / "backprop-lab"
    shutil.copy2(LAUNCHER, launcher)  # the same script (its #! names the venv's python), in an awkward place
    desktop = install(tmp_path, str(launcher))
    value = exec_line(desktop)
    assert value.startswith('"') and value.endswith('" %f')  # the whole path is one quoted argument
    argv = parse_exec(value, ["--version"])
    assert argv == [str(launcher), "--version"]
    r = run_entry(argv)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("backprop-lab 0.")


@pytest.mark.skipif(shutil.which("gio") is None, reason="GLib's gio tool is not installed")
def test_glib_launches_the_entry_with_a_bare_path(tmp_path):
    # GLib is the reader most desktops use.  (A '%' in the program's own path is left out here: GLib
    # checks that the program exists before it turns %% into %, so it would report the entry broken.)
    where = tmp_path / 'my apps $HOME "q" `x` \\b'
    where.mkdir()
    launcher = where / "backprop-lab"
    shutil.copy2(LAUNCHER, launcher)
    desktop = install(tmp_path, str(launcher))
    probe = tmp_path / "probe.desktop"
    probe.write_text(desktop.read_text("utf-8").replace(" %f\n", " --version\n"), encoding="utf-8")
    r = run_entry([shutil.which("gio"), "launch", str(probe)])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("backprop-lab 0.")


def test_install_desktop_entry_in_process_uses_the_given_command(tmp_path):
    written = install_desktop_entry(tmp_path, command=["/opt/Backprop Lab/bin/backprop-lab"])
    assert exec_line(written[0]) == '"/opt/Backprop Lab/bin/backprop-lab" %f'
