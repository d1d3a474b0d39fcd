"""Backprop Lab benchmarks: one command, a printed table and a JSON file.

    python -m benchmarks.run                 # full size (a few minutes)
    python -m benchmarks.run --quick         # small size (CI runs this)
    python -m benchmarks.run --json out.json --only throughput,startup

Every ratio is measured side by side in the same run (alternating windows,
medians), because these machines are noisy.  Nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

from backprop_lab.core import Network, Simulation, TrainingSettings, initialize, load_example

from .baselines import numpy_loop, torch_available, torch_loop

SECTIONS = ("throughput", "traced", "gui", "actions", "startup", "stepback", "scaling", "memory")


# -- helpers ---------------------------------------------------------------------------------
def rate(fn, n: int) -> float:
    t = time.perf_counter()
    fn(n)
    return n / (time.perf_counter() - t)


def side_by_side(fns: dict, n: dict, windows: int) -> dict:
    """Median rate of each function over alternating windows, and median ratios to 'engine'."""
    rates = {k: [] for k in fns}
    ratios = {k: [] for k in fns if k != "engine"}
    for _ in range(windows):
        got = {k: rate(f, n[k]) for k, f in fns.items()}
        for k, v in got.items():
            rates[k].append(v)
        for k in ratios:
            ratios[k].append(got["engine"] / got[k])
    return {"rates": {k: statistics.median(v) for k, v in rates.items()},
            "engine_over": {k: statistics.median(v) for k, v in ratios.items()}}


def net_sim(sizes, acts, n, batch, seed=0, lr=0.05, loss_fn=None):
    rng = np.random.default_rng(seed)
    net = Network(sizes, acts)
    net.theta[:] = initialize(net, "xavier", rng)
    X = rng.normal(size=(n, sizes[0]))
    T = np.tanh(X[:, :1] * X[:, 1:2]) if sizes[-1] == 1 else np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    return Simulation(net, X, T, TrainingSettings(learning_rate=lr, batch_size=batch))


def _copy(sim):
    return [w.copy() for w in sim.network.weights], [b.copy() for b in sim.network.biases]


# -- 1. throughput -------------------------------------------------------------------------------
def throughput(quick: bool) -> dict:
    cases = {
        "a_worked_example_2-2-2": (load_example("mazur"), ["sigmoid", "sigmoid"], 1, "iterations/s", 1),
        "b_2-8-8-1_tanh_500pts_batch10": (net_sim([2, 8, 8, 1], ["tanh"] * 3, 500, 10), ["tanh"] * 3, 10,
                                           "epochs/s", 50),
        "c_2-8-8-1_tanh_500pts_fullbatch": (net_sim([2, 8, 8, 1], ["tanh"] * 3, 500, 500), ["tanh"] * 3, 500,
                                             "iterations/s", 1),
        "d_784-128-10_sigmoid_1000_batch32": (net_sim([784, 128, 10], ["sigmoid", "sigmoid"], 1000, 32, lr=0.1),
                                              ["sigmoid", "sigmoid"], 32, "iterations/s", 1),
    }
    target_s = 0.15 if quick else 0.5
    windows = 3 if quick else 7
    has_torch = torch_available()
    out = {}
    for name, (sim, acts, B, unit, per) in cases.items():
        W, b = _copy(sim)
        X, T, lr = sim.inputs, sim.targets, sim.settings.learning_rate
        fns = {"engine": lambda k, s=sim: s.run(k),
               "numpy_loop": lambda k: numpy_loop(W, b, acts, X, T, lr, B, k),
               # the same loop also producing the engine's outputs: batch losses, per-epoch training loss
               "numpy_loop_same_outputs": lambda k: numpy_loop(W, b, acts, X, T, lr, B, k, record=True)}
        if has_torch:
            fns["torch"] = lambda k: torch_loop(W, b, acts, X, T, lr, B, k)
        n = {}
        for k, f in fns.items():  # size each window to about target_s
            r = rate(f, 20)
            n[k] = max(20, int(r * target_s))
        res = side_by_side(fns, n, windows)
        res["unit"] = unit
        res["rates"] = {k: v / per for k, v in res["rates"].items()}
        out[name] = res
    out["torch_installed"] = has_torch
    return out


# -- 2. traced iteration --------------------------------------------------------------------------
def traced(quick: bool) -> dict:
    out = {}
    for name, make in (("worked_example", lambda: load_example("mazur")),
                       ("2-8-8-1_batch10", lambda: net_sim([2, 8, 8, 1], ["tanh"] * 3, 500, 10))):
        sim = make()
        reps = 200 if quick else 1000
        if name != "worked_example":
            reps //= 10
        ts, lazy = [], []
        for k in range(reps):
            t = time.perf_counter()
            tr = sim.step()
            if k % 2:  # every record made (a trace's segments are made when read: read them all)
                n = sum(1 for _ in tr.records)
                ts.append(time.perf_counter() - t)
            else:  # the step alone: what a window pays before it reads the records it shows
                lazy.append(time.perf_counter() - t)
        out[name] = {"ms_per_traced_iteration": statistics.median(ts) * 1e3, "computations": n,
                     "ms_per_step_records_unread": statistics.median(lazy) * 1e3}
        t = time.perf_counter()
        sim.run(reps)
        out[name]["ms_per_fast_iteration"] = (time.perf_counter() - t) / reps * 1e3
    return out


# -- 3. GUI responsiveness --------------------------------------------------------------------------
def gui(quick: bool) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from backprop_lab.gui.controller import SimulationController
    from backprop_lab.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    seconds = 1.5 if quick else 5.0
    headless = net_sim([2, 8, 8, 1], ["tanh"] * 3, 500, 10)
    cpu0 = time.process_time()
    r = headless.run(10**9, time_budget=seconds)
    headless_rate = r.iterations / r.seconds
    headless_cpu_rate = r.iterations / (time.process_time() - cpu0)

    sim = net_sim([2, 8, 8, 1], ["tanh"] * 3, 500, 10)
    ini = os.path.join(os.environ.get("TMPDIR", "/tmp"), "bpl-bench-settings.ini")
    win = MainWindow(SimulationController(sim), settings=QSettings(ini, QSettings.IniFormat))
    win.resize(1400, 880)
    win.show()
    for _ in range(10):
        app.processEvents()
    c = win.controller
    lateness = []
    clock = QElapsedTimer()
    period = 10

    def probe():
        ms = clock.restart()
        lateness.append(max(0, ms - period))

    t = QTimer()
    t.timeout.connect(probe)
    redraws = _count_calls(win.loss_plot, "_update_curves")  # counted here, not by the plot
    c.run(10**6)  # far more than fits; stopped after `seconds`
    clock.start()
    t.start(period)
    start, cpu0 = time.perf_counter(), time.process_time()
    it0 = sim.iteration
    while time.perf_counter() - start < seconds:
        app.processEvents()
    c.pause()
    t.stop()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    gui_rate = (sim.iteration - it0) / elapsed
    gui_cpu_rate = (sim.iteration - it0) / cpu
    lat = sorted(lateness[1:]) or [0]
    win.hide()
    win.deleteLater()  # not close(): that would ask about the unsaved run
    app.processEvents()
    return {"seconds": elapsed, "probe_period_ms": period,
            "latency_ms": {"p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95)),
                           "max": float(max(lat))},
            "plot_redraws_per_s": redraws[0] / elapsed, "gui_iterations_per_s": gui_rate,
            "headless_iterations_per_s": headless_rate, "gui_over_headless": gui_rate / headless_rate,
            # per second of this process's CPU time: less sensitive to other load on the machine
            "gui_over_headless_cpu": gui_cpu_rate / headless_cpu_rate}


def _count_calls(obj, name: str) -> list[int]:
    """Wrap ``obj.name`` (an instance attribute shadows the method) to count its calls; returns the counter."""
    n = [0]
    orig = getattr(obj, name)

    def counted(*a, **k):
        n[0] += 1
        return orig(*a, **k)
    setattr(obj, name, counted)
    return n


# -- 3b. per-action latency ------------------------------------------------------------------------
def actions(quick: bool) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    from .gui_actions import run
    return run(quick)


# -- 4. startup ---------------------------------------------------------------------------------------
BARE = r"""
import os, sys
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
from PySide6.QtWidgets import QApplication, QMainWindow
from PySide6.QtCore import QTimer
import pyqtgraph as pg
app = QApplication(sys.argv[:1])
w = QMainWindow(); p = pg.PlotWidget(); p.plot([1, 2, 3]); w.setCentralWidget(p); w.show()
QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
app.exec()
"""

# The real entry point, told from outside (not by a hook in the app) to quit once its window is shown:
# QApplication.exec is wrapped so that the first event-loop turn prints "shown" and quits.
APP = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
_exec = QApplication.exec
def _exec_once_shown(self):
    QTimer.singleShot(0, lambda: (print("shown", flush=True), self.quit()))
    return _exec()  # a static method: the one application
QApplication.exec = _exec_once_shown
from backprop_lab.gui.app import main
sys.exit(main([]))
"""


def _time_to_shown(cmd, env, timeout: float = 120.0) -> float:
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    # A window that never shows (e.g. a dialog waiting for a click) must not hang the run: killed after *timeout*.
    killer = threading.Timer(timeout, p.kill)
    killer.start()
    try:
        for line in p.stdout:
            if line.strip() == "shown":
                dt = time.perf_counter() - t
                break
        else:
            raise RuntimeError(f"{cmd} never showed a window (killed after {timeout:.0f} s)")
        p.wait(timeout=60)
    finally:
        killer.cancel()
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
    return dt


def startup(quick: bool) -> dict:
    # Its own settings and data folders: a recovery file left in the user's data folder by a killed session
    # would make the app ask about it before showing its window.
    home = tempfile.mkdtemp(prefix="bpl-bench-home-")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_DATA_HOME=os.path.join(home, "data"))
    app_cmd = [sys.executable, "-c", APP]
    bare_cmd = [sys.executable, "-c", BARE]
    _time_to_shown(app_cmd, env)  # warm the file cache
    _time_to_shown(bare_cmd, env)
    runs = 3 if quick else 9
    a, b, ratios = [], [], []
    for _ in range(runs):
        x, y = _time_to_shown(app_cmd, env), _time_to_shown(bare_cmd, env)
        a.append(x)
        b.append(y)
        ratios.append(x / y)
    return {"app_s": statistics.median(a), "bare_pyside6_pyqtgraph_s": statistics.median(b),
            "ratio": statistics.median(ratios)}


# -- 5. step back at depth --------------------------------------------------------------------------
def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def stepback(quick: bool) -> dict:
    depth = 100_000 if quick else 1_000_000
    gc.collect()
    rss0 = _rss_mb()
    sim = net_sim([2, 8, 8, 1], ["tanh"] * 3, 500, 10)
    t = time.perf_counter()
    sim.run(depth)
    run_s = time.perf_counter() - t
    rss1 = _rss_mb()
    timeline_mb = sim.timeline_nbytes() / 2**20

    def one_back() -> float:
        t = time.perf_counter()
        sim.step_back()
        return (time.perf_counter() - t) * 1e3
    end_ms = [one_back() for _ in range(40)]
    t = time.perf_counter()
    sim.step_back_to(depth // 2)
    jump_ms = (time.perf_counter() - t) * 1e3
    mid_ms = [one_back() for _ in range(40)]
    growth = {}
    for w in (8, 32, 128):
        s = net_sim([2, w, w, 1], ["tanh"] * 3, 500, 10)
        n = 20_000 if not quick else 5_000
        s.run(n)
        growth[f"2-{w}-{w}-1"] = {"parameters": s.network.n_params,
                                  "timeline_bytes_per_iteration": s.timeline_nbytes() / n}
    return {"iterations": depth, "run_s": run_s, "timeline_mb": timeline_mb, "rss_growth_mb": rss1 - rss0,
            "step_back_from_end_ms": {"median": statistics.median(end_ms), "max": max(end_ms)},
            "step_back_to_middle_ms": jump_ms,
            "step_back_in_middle_ms": {"median": statistics.median(mid_ms), "max": max(mid_ms)},
            "growth_with_size": growth}


# -- 6. scaling -------------------------------------------------------------------------------------------
def scaling(quick: bool) -> dict:
    widths = [2, 8, 32, 128, 256] if quick else [2, 4, 8, 16, 32, 64, 128, 256]
    samples = [10, 100, 1000, 10_000] if quick else [10, 100, 1000, 10_000, 100_000]
    budget = 0.15 if quick else 0.5
    by_width = {}
    for w in widths:
        s = net_sim([2, w, w, 1], ["tanh"] * 3, 500, 10)
        r = s.run(10**9, time_budget=budget)
        by_width[w] = r.iterations / r.seconds
    by_samples = {}
    for n in samples:
        s = net_sim([2, 8, 8, 1], ["tanh"] * 3, n, n)
        r = s.run(10**9, time_budget=budget)
        by_samples[n] = r.iterations / r.seconds
    return {"iterations_per_s_by_hidden_width_batch10": by_width,
            "iterations_per_s_by_samples_fullbatch": by_samples}


# -- 7. memory and stalls (each in its own process: benchmarks/memory.py) ---------------------------------------
def memory(quick: bool) -> dict:
    from . import memory as mem
    return {name: mem.run_isolated(name, quick) for name in mem.SECTIONS}


# -- report ---------------------------------------------------------------------------------------------
def report(res: dict) -> str:
    lines = []
    if "throughput" in res:
        th = res["throughput"]
        lines.append("Engine throughput (run mode, medians of side-by-side windows)")
        lines.append(f"{'case':40} {'engine':>10} {'numpy loop':>11} {'torch':>8} {'÷numpy':>7} {'÷numpy+':>8} "
                     f"{'÷torch':>7}")
        for k, v in th.items():
            if not isinstance(v, dict):
                continue
            r, o = v["rates"], v["engine_over"]
            torch_r = f"{r['torch']:8.0f}" if "torch" in r else f"{'–':>8}"
            torch_o = f"{o['torch']:7.2f}" if "torch" in o else f"{'–':>7}"
            lines.append(f"{k:40} {r['engine']:10.0f} {r['numpy_loop']:11.0f} {torch_r} {o['numpy_loop']:7.2f} "
                         f"{o['numpy_loop_same_outputs']:8.2f} {torch_o}   ({v['unit']})")
        lines.append("  ÷numpy+: against the same loop when it also records the batch losses and the per-epoch "
                     "training-set loss, as the engine does")
    if "traced" in res:
        lines.append("\nTraced iteration (every computation recorded)")
        for k, v in res["traced"].items():
            lines.append(f"  {k:24} {v['ms_per_traced_iteration']:.3f} ms traced ({v['computations']} computations), "
                         f"{v['ms_per_step_records_unread']:.3f} ms with the records unread, "
                         f"{v['ms_per_fast_iteration']:.3f} ms fast")
    if "gui" in res:
        g = res["gui"]
        lines.append("\nGUI at maximum speed (offscreen, 2-8-8-1 batch 10)")
        lines.append(f"  event-loop latency p50 {g['latency_ms']['p50']:.1f} ms, p95 {g['latency_ms']['p95']:.1f} ms, "
                     f"max {g['latency_ms']['max']:.1f} ms; plot redraws {g['plot_redraws_per_s']:.1f}/s; "
                     f"training {g['gui_iterations_per_s']:.0f} it/s = {g['gui_over_headless']:.0%} of headless "
                     f"({g['gui_over_headless_cpu']:.0%} per CPU second)")
    if "actions" in res:
        from .gui_actions import report as actions_report
        lines.append("\nPer action, handled and repainted (offscreen, real window; wall median/p95, CPU median)")
        lines.append(actions_report(res["actions"]))
    if "startup" in res:
        s = res["startup"]
        lines.append(f"\nStartup to shown window: app {s['app_s']:.2f} s, bare PySide6+pyqtgraph "
                     f"{s['bare_pyside6_pyqtgraph_s']:.2f} s, ratio {s['ratio']:.2f}")
    if "stepback" in res:
        s = res["stepback"]
        lines.append(f"\nStep back after {s['iterations']:,} iterations of 2-8-8-1 batch 10 "
                     f"(run took {s['run_s']:.1f} s)")
        lines.append(f"  timeline {s['timeline_mb']:.1f} MB (RSS grew {s['rss_growth_mb']:.1f} MB); one step back "
                     f"from the end {s['step_back_from_end_ms']['median']:.2f} ms (max "
                     f"{s['step_back_from_end_ms']['max']:.2f}); jump to the middle "
                     f"{s['step_back_to_middle_ms']:.1f} ms;"
                     f" one step back there {s['step_back_in_middle_ms']['median']:.2f} ms "
                     f"(max {s['step_back_in_middle_ms']['max']:.2f})")
        for k, v in s["growth_with_size"].items():
            lines.append(f"  {k:12} {v['parameters']:6} parameters: {v['timeline_bytes_per_iteration']:.0f} "
                         f"timeline bytes per iteration")
    if "scaling" in res:
        s = res["scaling"]
        lines.append("\nScaling (iterations/s)")
        lines.append("  hidden width (2-w-w-1, batch 10): " + ", ".join(
            f"{k}: {v:,.0f}" for k, v in s["iterations_per_s_by_hidden_width_batch10"].items()))
        lines.append("  samples (2-8-8-1, full batch):    " + ", ".join(
            f"{k}: {v:,.0f}" for k, v in s["iterations_per_s_by_samples_fullbatch"].items()))
    if "memory" in res:
        from . import memory as mem
        lines.append("")
        lines.extend(mem.report(res["memory"]))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (what CI runs)")
    ap.add_argument("--json", default="benchmarks/results.json", help="where to write the results")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    args = ap.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    res: dict = {"meta": {"quick": args.quick, "python": platform.python_version(), "numpy": np.__version__,
                          "machine": platform.machine(), "cpus": os.cpu_count(),
                          "date": time.strftime("%Y-%m-%d %H:%M")}}
    for name in chosen:
        print(f"… {name}", file=sys.stderr, flush=True)
        res[name] = globals()[name](args.quick)
    text = report(res)
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(res, f, indent=1, default=str)
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
