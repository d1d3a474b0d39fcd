"""Saving state files: modes and links kept (#10.11), stale temporaries removed (#11.10), every failure a SaveError."""
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from backprop_lab.core import Simulation, atomic_save, load_example, statefile
from backprop_lab.core.statefile import SaveError, save_simulation


def mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


@pytest.fixture
def umask():
    """Set the umask for one test (restored afterwards)."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda m: os.umask(m)
    os.umask(old)


# -- #10.11: mode and symbolic links -------------------------------------------------------------------------
@pytest.mark.parametrize("existing", [0o644, 0o640, 0o600, 0o664])
def test_saving_keeps_an_existing_files_mode(tmp_path, existing):
    p = tmp_path / "s.json"
    p.write_text("old")
    p.chmod(existing)
    load_example("mazur").save(p)
    assert mode(p) == existing
    assert Simulation.load(p).name.startswith("Worked example")


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077, 0o002])
def test_a_new_file_gets_the_usual_umask_mode(tmp_path, umask, mask):
    umask(mask)
    load_example("mazur").save(tmp_path / "new.json")
    save_simulation(load_example("mazur"), tmp_path / "new2.json")
    assert mode(tmp_path / "new.json") == 0o666 & ~mask
    assert mode(tmp_path / "new2.json") == 0o666 & ~mask


def test_saving_through_a_symbolic_link_replaces_its_target_atomically(tmp_path, monkeypatch):
    real_dir, link_dir = tmp_path / "real", tmp_path / "links"
    real_dir.mkdir()
    link_dir.mkdir()
    target = real_dir / "state.json"
    load_example("mazur").save(target)
    target.chmod(0o644)
    link = link_dir / "state.json"
    link.symlink_to(os.path.relpath(target, link_dir))
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renames.append((a, b)), real_replace(a, b)))
    sim = load_example("moons")
    sim.save(link)
    assert link.is_symlink() and os.readlink(link) == os.path.relpath(target, link_dir)
    assert Simulation.load(target).network.sizes == (2, 8, 8, 1)
    assert mode(target) == 0o644
    (tmp, dst), = renames
    assert os.path.dirname(tmp) == str(real_dir) and dst == str(target)  # same folder: an atomic rename
    assert sorted(os.listdir(link_dir)) == ["state.json"] and sorted(os.listdir(real_dir)) == ["state.json"]


def test_a_chain_of_links_and_a_dangling_link(tmp_path):
    target = tmp_path / "t.json"
    (tmp_path / "a.json").symlink_to("b.json")
    (tmp_path / "b.json").symlink_to("t.json")
    load_example("xor").save(tmp_path / "a.json")  # dangling: the file the links name is created
    assert (tmp_path / "a.json").is_symlink() and (tmp_path / "b.json").is_symlink()
    assert Simulation.load(target).network.sizes == (2, 3, 1)


def test_saving_onto_a_folder_or_fifo_is_a_save_error(tmp_path):
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(SaveError, match="it is a folder"):
        load_example("mazur").save(tmp_path / "dir.json")
    os.mkfifo(tmp_path / "fifo.json")
    with pytest.raises(SaveError, match="not a regular file"):
        load_example("mazur").save(tmp_path / "fifo.json")
    assert stat.S_ISFIFO(os.stat(tmp_path / "fifo.json").st_mode)


# -- #11.10: temporary files of killed saves ------------------------------------------------------------------
KILLED_SAVE = r"""
import os, signal, sys
from backprop_lab.core import load_example
real = os.replace
def die(a, b):
    os.kill(os.getpid(), signal.SIGKILL)  # killed after writing, before the rename
os.replace = die
load_example(sys.argv[2]).save(sys.argv[1])
"""


def killed_save(target, example="moons"):
    p = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(target), example])
    assert p.returncode == -signal.SIGKILL


def temporaries(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


def test_the_next_save_removes_temporaries_of_killed_saves(tmp_path):
    target = tmp_path / "s.json"
    load_example("mazur").save(target)
    killed_save(target)
    first = temporaries(tmp_path)
    assert len(first) == 1 and first[0].startswith(".s.json.bpl-")
    assert Simulation.load(target).name.startswith("Worked example")  # the old file, untouched
    killed_save(tmp_path / "other.json", "xor")  # a save of another file in the folder cleans up too
    second = temporaries(tmp_path)
    assert len(second) == 1 and second[0].startswith(".other.json.bpl-")
    load_example("blobs").save(target)
    assert temporaries(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["s.json"]


def test_cleanup_never_touches_files_that_are_not_stale_temporaries_of_ours(tmp_path):
    now = time.time()
    tag = atomic_save._HOST
    keep = {
        ".s.json.abcdefgh.tmp": now,  # the old pattern, but written a moment ago
        f".s.json.bpl-{os.getpid()}-{tag}-abcdefgh.tmp": now,  # a live process (this one) is writing it
        f".s.json.bpl-1-{tag}-abcdefgh.tmp": now,  # pid 1 is alive
        ".x.json.abcdefgh.tmp": now - 3600,  # old pattern for another name: not known to be ours
        f".s.json.bpl-99999999-{tag}-abcdefgh.tmp": now,  # not a pid we could have had
        ".s.json.tmp": now - 3600, "s.json.abcdefgh.tmp": now - 3600, ".notes.txt": now - 3600,
        f".s.json.bpl-123-{tag}-ABCDEFGH.tmp": now - 3600,  # mkstemp never makes capitals
        f".s.json.bpl-123-{tag}-abcdefgh.tmp.keep": now - 3600,
    }
    stale = {
        ".s.json.abcdefgh.tmp": None,  # replaced below by an old one of the same pattern
        ".s.json.zyxw_987.tmp": now - 120,
        f".x.json.bpl-{os.getpid()}-{tag}-abcdefgh.tmp": now - 120,  # ours, not written for 2 minutes
        f".y.json.bpl-{os.getpid()}-ffffff-abcdefgh.tmp": now - 120,  # from another host, but old
    }
    del stale[".s.json.abcdefgh.tmp"]
    for name, t in {**keep, **stale}.items():
        (tmp_path / name).write_text("x")
        os.utime(tmp_path / name, (t, t))
    (tmp_path / "sub.json.abcdefgh.tmp").mkdir()
    (tmp_path / ".s.json.qwertyui.tmp").symlink_to(tmp_path / ".notes.txt")
    old = now - 3600
    os.utime(tmp_path / ".s.json.qwertyui.tmp", (old, old), follow_symlinks=False)
    removed = atomic_save.remove_stale_temporaries(str(tmp_path), "s.json")
    assert sorted(removed) == sorted(stale)
    left = set(os.listdir(tmp_path))
    assert set(keep) <= left and "sub.json.abcdefgh.tmp" in left and ".s.json.qwertyui.tmp" in left


def test_temporaries_of_a_dead_process_on_this_host_are_removed_at_once(tmp_path):
    p = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(p.stdout)
    name = f".s.json.bpl-{dead}-{atomic_save._HOST}-abcdefgh.tmp"
    (tmp_path / name).write_text("x")
    assert atomic_save.remove_stale_temporaries(str(tmp_path), "s.json") == [name]


# -- every failure is a SaveError ---------------------------------------------------------------------------
def test_a_state_that_cannot_be_saved_is_a_save_error_and_nothing_is_written(tmp_path):
    target = tmp_path / "s.json"
    sim = load_example("mazur")
    sim.save(target)
    before = target.read_bytes()
    sim.run(3)
    sim.batch_loss.append(float("nan"))  # not something the engine does: a stand-in for any broken state
    sim.iteration += 1
    for save in (sim.save, lambda p: save_simulation(sim, p)):
        with pytest.raises(SaveError, match="NaN"):
            save(target)
        assert target.read_bytes() == before and temporaries(tmp_path) == []


def test_out_of_memory_while_writing_is_a_save_error(tmp_path, monkeypatch):
    target = tmp_path / "s.json"
    load_example("mazur").save(target)
    before = target.read_bytes()

    def no_memory(x, kinds=None):
        raise MemoryError
        yield
    monkeypatch.setattr(statefile, "_numbers", no_memory)
    with pytest.raises(SaveError, match="not enough memory"):
        load_example("moons").save(target)
    assert target.read_bytes() == before and temporaries(tmp_path) == []


def test_a_state_too_large_to_open_again_is_not_written(tmp_path, monkeypatch):
    monkeypatch.setattr(statefile, "MAX_FILE_BYTES", 20_000)
    sim = load_example("mazur")
    sim.save(tmp_path / "s.json")
    sim.run(2000)  # the history no longer fits in 20 kB
    with pytest.raises(SaveError, match="larger than 0 MB, the most a state file may hold, so it could not be "
                                        "opened again"):
        sim.save(tmp_path / "s.json")
    assert Simulation.load(tmp_path / "s.json").iteration == 0 and temporaries(tmp_path) == []


def test_a_state_the_loader_would_refuse_is_not_written(tmp_path):
    sim = load_example("mazur")
    sim.name = "n" * 201  # over the schema's limit for names
    with pytest.raises(SaveError, match=r"could not be opened again \(name: too long"):
        sim.save(tmp_path / "s.json")
    assert not (tmp_path / "s.json").exists()


def test_interrupted_save_leaves_no_temporary(tmp_path, monkeypatch):
    def interrupt(*a):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        load_example("mazur").save(tmp_path / "s.json")
    assert os.listdir(tmp_path) == []


# -- the two ways of saving write the same bytes --------------------------------------------------------------------
@pytest.mark.parametrize("name", ["mazur", "moons", "blobs"])
def test_saving_from_arrays_and_from_lists_write_the_same_bytes(tmp_path, name):
    sim = load_example(name)
    sim.run(40)
    sim.set_weight(0, 0, 0, 0.1 + 0.2)
    sim.display = {"precision": 6, "edge_view": "gradient", "log_scale": True, "epochs": 12, "speed": 3}
    sim.save(tmp_path / "lists.json")
    save_simulation(sim, tmp_path / "arrays.json")
    assert (tmp_path / "lists.json").read_bytes() == (tmp_path / "arrays.json").read_bytes()
    back = Simulation.load(tmp_path / "arrays.json")
    assert back.network.theta.tobytes() == sim.network.theta.tobytes()
    assert back.display == sim.display


def test_dumps_matches_the_original_layout():
    doc = {"a": 1, "b": [1.5, -0.0, 1e-300], "c": {"d": [[1, 2], [3, 4]], "e": "é\n"}, "f": [], "g": {},
           "h": np.array([[0.1, 0.2], [0.3, 0.4]]), "i": np.array([], dtype=np.float64)}
    expected = textwrap.dedent("""\
        {
          "a": 1,
          "b": [1.5, -0.0, 1e-300],
          "c": {
            "d": [
              [1, 2],
              [3, 4]
            ],
            "e": "\\u00e9\\n"
          },
          "f": [],
          "g": {},
          "h": [
            [0.1, 0.2],
            [0.3, 0.4]
          ],
          "i": []
        }
        """)
    assert statefile.dumps(doc) == expected
