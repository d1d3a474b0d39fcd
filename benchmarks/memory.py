"""Memory and stall benchmarks (issue #11): each measurement runs in its own process, so RSS figures are its own.

    python -m benchmarks.memory                  # full sizes (minutes; the GUI part builds a 40 MB file)
    python -m benchmarks.memory --quick          # small sizes (CI, through benchmarks.run)

1. ``history``: RSS and the loss history's bytes after N iterations of the worked example (``sim.run``, the
   fast headless path).  N = 10⁷ at full size, 10⁵ quick; ``BPL_BENCH_ITERATIONS`` overrides it.
2. ``loss``: peak memory of ``sim.loss()`` on the largest dataset the state-file limits accept
   (samples × Σ layer sizes = ``MAX_NEURON_VALUES``, 100,000 samples), built in memory: the peak of numpy's
   allocations during the call (``tracemalloc``) and the process's ``ru_maxrss``.
3. ``stall``: the longest gap between ticks of a 1 ms ``QTimer`` while the real window (offscreen) opens, saves
   and gradient-checks the largest accepted network (1024-1024-900-2, 1,973,902 parameters; quick: 512-512-2, 263,682),
   through ``gui/long_work.py`` as the menu does.  Nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


# -- 1. the loss history over a long run -------------------------------------------------------------------------
def history(quick: bool) -> dict:
    from backprop_lab.core import load_example
    n = int(os.environ.get("BPL_BENCH_ITERATIONS", 100_000 if quick else 10_000_000))
    sim = load_example("mazur")
    rss0 = _rss_mb()
    t = time.perf_counter()
    done = 0
    samples = []
    while done < n:  # in blocks, to see that memory stops growing
        r = sim.run(min(n - done, max(1, n // 10)))
        done += r.iterations
        samples.append({"iterations": done, "rss_mb": round(_rss_mb(), 1),
                        "history_bytes": sim.history.nbytes})
    seconds = time.perf_counter() - t
    return {"iterations": done, "seconds": seconds, "iterations_per_s": done / seconds,
            "rss_start_mb": rss0, "rss_end_mb": _rss_mb(), "maxrss_mb": _maxrss_mb(),
            "history_bytes": sim.history.nbytes, "timeline_bytes": sim.timeline.nbytes,
            "buckets": len(sim.batch_loss.buckets()), "full_resolution": sim.batch_loss.n, "blocks": samples}


# -- 2. loss() on the largest accepted dataset ---------------------------------------------------------------------
def loss(quick: bool) -> dict:
    import tracemalloc

    from backprop_lab.core import Network, Simulation, TrainingSettings, initialize
    from backprop_lab.core.state_validation import MAX_NEURON_VALUES
    samples = 10_000 if quick else 100_000
    sizes = [30, 8, 2]  # Σ = 40: 100,000 × 40 = MAX_NEURON_VALUES
    assert samples * sum(sizes) <= MAX_NEURON_VALUES
    rng = np.random.default_rng(0)
    net = Network(sizes, ["tanh", "sigmoid"])
    net.theta[:] = initialize(net, "xavier", rng)
    x = rng.uniform(-1, 1, (samples, sizes[0]))
    t = (rng.uniform(0, 1, (samples, sizes[-1])) > 0.5).astype(np.float64)
    sim = Simulation(net, x, t, TrainingSettings(learning_rate=0.1, batch_size=samples))
    data_mb = (x.nbytes + t.nbytes) / 2**20
    rss0, max0 = _rss_mb(), _maxrss_mb()
    tracemalloc.start()
    t0 = time.perf_counter()
    value = sim.loss()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"samples": samples, "sizes": sizes, "neuron_values": samples * sum(sizes), "data_mb": data_mb,
            "loss": value, "seconds": seconds, "peak_traced_mb": peak / 2**20, "rss_before_mb": rss0,
            "maxrss_before_mb": max0, "maxrss_after_mb": _maxrss_mb()}


# -- 3. event-loop stalls of long work in the real window ----------------------------------------------------------
def _largest_network_file(path: str, quick: bool) -> int:
    from backprop_lab.core import Network, Simulation, TrainingSettings, initialize
    sizes = [512, 512, 2] if quick else [1024, 1024, 900, 2]
    rng = np.random.default_rng(1)
    net = Network(sizes, ["tanh"] * (len(sizes) - 2) + ["sigmoid"])
    net.theta[:] = initialize(net, "xavier", rng)
    x = rng.uniform(-1, 1, (16, sizes[0]))
    t = (rng.uniform(0, 1, (16, sizes[-1])) > 0.5).astype(np.float64)
    Simulation(net, x, t, TrainingSettings(learning_rate=0.1, batch_size=4)).save(path)
    return net.n_params


def stall(quick: bool) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from backprop_lab.core import load_example
    from backprop_lab.gui import long_work
    from backprop_lab.gui.controller import SimulationController
    from backprop_lab.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    QMessageBox.information = staticmethod(lambda *a, **k: None)  # the check's result dialog would wait for a click
    folder = tempfile.mkdtemp(prefix="bpl-bench-")
    path, out = os.path.join(folder, "largest.json"), os.path.join(folder, "saved.json")
    n_params = _largest_network_file(path, quick)
    ini = os.path.join(folder, "settings.ini")
    win = MainWindow(SimulationController(load_example("mazur")), settings=QSettings(ini, QSettings.IniFormat))
    win.resize(1400, 880)
    win.show()
    app.processEvents()

    def measured(fn) -> dict:
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(1)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start()
        t0 = time.perf_counter()
        ticks.append(t0)
        fn()
        t1 = time.perf_counter()
        ticks.append(t1)
        timer.stop()
        gaps = np.diff(ticks) * 1e3
        return {"seconds": t1 - t0, "max_gap_ms": float(gaps.max()), "p99_gap_ms": float(np.percentile(gaps, 99)),
                "ticks": len(ticks) - 2}

    res = {"parameters": n_params, "file_mb": os.path.getsize(path) / 1e6}
    res["open"] = measured(lambda: long_work.open_file(win, path))
    assert win.controller.sim.network.n_params == n_params, "the file did not open"
    res["save"] = measured(lambda: long_work.save(win, out))
    res["gradient_check"] = measured(lambda: long_work.gradient_check(win))
    win.close()
    return res


SECTIONS = ("history", "loss", "stall")


def run_isolated(name: str, quick: bool) -> dict:
    """One section in a fresh process (its RSS is then its own)."""
    args = [sys.executable, "-m", "benchmarks.memory", "--section", name] + (["--quick"] if quick else [])
    r = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        raise RuntimeError(f"benchmarks.memory {name} failed:\n{r.stdout}\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def report(res: dict) -> list[str]:
    lines = []
    if "history" in res:
        h = res["history"]
        lines.append(f"Memory after {h['iterations']:,} iterations of the worked example: RSS {h['rss_end_mb']:.0f} MB "
                     f"(from {h['rss_start_mb']:.0f}), loss history {h['history_bytes'] / 2**20:.2f} MB "
                     f"({h['buckets']:,} buckets + {h['full_resolution']:,} recent iterations), timeline "
                     f"{h['timeline_bytes'] / 2**20:.1f} MB; {h['iterations_per_s']:,.0f} it/s")
    if "loss" in res:
        s = res["loss"]
        lines.append(f"loss() on {s['samples']:,} samples × {'-'.join(map(str, s['sizes']))}: peak allocations "
                     f"{s['peak_traced_mb']:.1f} MB (data {s['data_mb']:.1f} MB), max RSS "
                     f"{s['maxrss_after_mb']:.0f} MB, {s['seconds'] * 1e3:.0f} ms")
    if "stall" in res:
        s = res["stall"]
        parts = ", ".join(f"{k} {s[k]['max_gap_ms']:.0f} ms (of {s[k]['seconds']:.1f} s)"
                          for k in ("open", "save", "gradient_check"))
        lines.append(f"Longest event-loop stall, {s['parameters']:,} parameters ({s['file_mb']:.0f} MB file): {parts}")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--section", choices=SECTIONS, help="run one section here and print its JSON")
    args = ap.parse_args(argv)
    if args.section:
        print(json.dumps(globals()[args.section](args.quick), default=float))
        return 0
    res = {name: run_isolated(name, args.quick) for name in SECTIONS}
    print("\n".join(report(res)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
