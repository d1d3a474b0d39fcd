"""Redraw cost of the insight views: input space, loss landscape, and the input space live during a run.

    python -m benchmarks.insight                # full size (about a minute)
    python -m benchmarks.insight --quick        # small size (the test suite runs this)
    python -m benchmarks.insight --json out.json

Offscreen.  A *redraw* is ``update_from`` plus a synchronous repaint of the widget
and of its plot's viewport (computing and painting).  The cost-model section refits the constants of
``backprop_lab.core.insight.choose_resolution``.  Nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402

from backprop_lab.core import (  # noqa: E402
    Element,
    Network,
    Simulation,
    TrainingSettings,
    initialize,
    insight,  # noqa: E402
    load_example,
)


def _app():
    from PySide6.QtWidgets import QApplication
    return QApplication.instance() or QApplication([])


def _stats(ms: list[float]) -> dict:
    return {"median": statistics.median(ms), "p95": float(np.percentile(ms, 95)), "max": max(ms), "n": len(ms)}


def _space(width=520, height=460):
    from backprop_lab.gui.input_space import QtInputSpace
    w = QtInputSpace()
    w.resize(width, height)
    w.show()
    _app().processEvents()
    return w


def _timed_redraws(w, sim, n: int, *, between=None) -> tuple[list[float], list[float], list[float]]:
    """Per redraw: CPU ms of update_from, CPU ms of update_from + repaint, and wall ms of both.

    CPU time (``time.process_time``) is what the redraw costs; wall time also counts
    waiting for the CPU when other processes share the machine.
    """
    compute, total, wall = [], [], []
    app = _app()
    for _ in range(n):
        if between:
            between()
        w0, c0 = time.perf_counter(), time.process_time()
        w.update_from(sim)
        c1 = time.process_time()
        w.repaint()
        w.stack.currentWidget().viewport().repaint()  # the plot's scene is painted in its viewport
        c2, w2 = time.process_time(), time.perf_counter()
        app.processEvents()
        compute.append(1000 * (c1 - c0))
        total.append(1000 * (c2 - c0))
        wall.append(1000 * (w2 - w0))
    return compute, total, wall


def input_space(quick: bool) -> dict:
    """Redraw time of the plane on moons and blobs at the resolution the widget chooses."""
    n = 15 if quick else 80
    out = {}
    for name in ("moons", "blobs"):
        sim = load_example(name)
        w = _space()
        _timed_redraws(w, sim, 3)  # warm-up (first paint, caches)
        compute, total, wall = _timed_redraws(w, sim, n, between=lambda: sim.run(5))
        out[name] = {"resolution": w.resolution, "grid": list(w.last_grid.outputs.shape[:2]),
                     "compute_cpu_ms": _stats(compute), "redraw_cpu_ms": _stats(total), "redraw_wall_ms": _stats(wall)}
        w.close()
    return out


def cost_model(quick: bool) -> dict:
    """Refit ``cost_ms(r) = a + r²·(b + c·n_params)`` from redraws at several sizes (median CPU ms).

    With OpenBLAS's threads on a busy 2-core machine, the matrix products of wider
    networks spend CPU time spinning; ``OPENBLAS_NUM_THREADS=1`` shows the intrinsic cost.
    """
    widths = (8, 32) if quick else (8, 32, 64, 128)
    res = (30, 90) if quick else (30, 60, 90, 120)
    reps = 5 if quick else 15
    rows = []
    rng = np.random.default_rng(0)
    for h in widths:
        net = Network([2, h, h, 1], ["tanh", "tanh", "tanh"])
        net.theta[:] = initialize(net, "xavier", rng)
        x = rng.normal(size=(300, 2))
        sim = Simulation(net, x, np.sign(x[:, :1] * x[:, 1:2]), TrainingSettings(batch_size=10))
        for r in res:
            w = _space()
            w.fixed_resolution = r
            _timed_redraws(w, sim, 2)
            _, total, _ = _timed_redraws(w, sim, reps)
            rows.append((r, net.n_params, float(np.median(total))))  # CPU ms
            w.close()
    A = np.array([[1.0, r * r, r * r * p] for r, p, _ in rows])
    y = np.array([c for _, _, c in rows])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return {"points": [{"resolution": r, "n_params": p, "median_cpu_ms": c} for r, p, c in rows],
            "fit": {"fixed_ms": coef[0], "pixel_ms": coef[1], "param_ms": coef[2]},
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
            "model": {"fixed_ms": insight.COST_FIXED_MS, "pixel_ms": insight.COST_PIXEL_MS,
                      "param_ms": insight.COST_PARAM_MS}}


def landscape(quick: bool) -> dict:
    """One-parameter curve (with the controller's trace given) and the two-parameter surface."""
    from backprop_lab.gui.landscape import QtLossLandscape
    app = _app()
    n = 10 if quick else 40
    out = {}
    for name, e1, e2 in (("moons", Element("weight", 0, 1, 0), Element("bias", 2, 0)),
                         ("blobs", Element("weight", 1, 0, 2), Element("weight", 0, 3, 1))):
        sim = load_example(name)
        w = QtLossLandscape()
        w.resize(520, 400)
        w.show()
        app.processEvents()
        one, two = [], []
        for _ in range(n):
            sim.run(3)
            tr = sim.preview()  # the controller has it already; not part of the redraw
            t0 = time.perf_counter()
            w.update_from(sim, e1, trace=tr)
            w.plot1.viewport().repaint()
            one.append(1000 * (time.perf_counter() - t0))
        for _ in range(max(3, n // 4)):
            sim.run(3)
            t0 = time.perf_counter()
            w.update_from(sim, e1, e2)
            w.plot2.viewport().repaint()
            two.append(1000 * (time.perf_counter() - t0))
        out[name] = {"one_parameter_ms": _stats(one), "two_parameters_ms": _stats(two)}
        w.close()
    return out


def live(quick: bool) -> dict:
    """Maximum-speed run in the controller with the input space redrawing from state_changed,
    against the same run without it (alternating windows, medians)."""
    from backprop_lab.gui.controller import SimulationController
    app = _app()
    seconds = 1.0 if quick else 3.0
    windows = 2 if quick else 4
    rates = {"with": [], "without": []}
    redraws = []
    headless = load_example("moons")
    r = headless.run(10**9, time_budget=seconds)
    headless_rate = r.iterations / r.seconds
    for k in range(2 * windows):
        with_view = k % 2 == 0
        sim = load_example("moons")
        c = SimulationController(sim)
        w = _space() if with_view else None
        if w is not None:
            c.parameters_changed.connect(lambda *_: w.request_update(c.sim))
            w.update_from(sim)
            r0 = w.redraws
        c.run(10**7)
        start = time.perf_counter()
        it0 = sim.iteration
        while time.perf_counter() - start < seconds:
            app.processEvents()
        c.pause()
        elapsed = time.perf_counter() - start
        rates["with" if with_view else "without"].append((sim.iteration - it0) / elapsed)
        if w is not None:
            redraws.append((w.redraws - r0) / elapsed)
            w.close()
    return {"seconds_per_window": seconds, "input_space_redraws_per_s": statistics.median(redraws),
            "iterations_per_s_with_view": statistics.median(rates["with"]),
            "iterations_per_s_without_view": statistics.median(rates["without"]),
            "headless_iterations_per_s": headless_rate,
            "with_over_without": statistics.median(rates["with"]) / statistics.median(rates["without"]),
            "with_over_headless": statistics.median(rates["with"]) / headless_rate}


def window(quick: bool) -> dict:
    """The real main window at maximum speed on moons: without the insight features, with them (docks behind
    their tabs, the default), and with the input space in front; alternating windows, medians."""
    from PySide6.QtCore import QSettings

    from backprop_lab.gui import main_window as mw
    from backprop_lab.gui.controller import SimulationController
    app = _app()
    seconds = 1.0 if quick else 4.0
    rounds = 1 if quick else 3
    ini = os.path.join(os.environ.get("TMPDIR", "/tmp"), "bpl-bench-insight.ini")
    real_install = mw.install_insight_features
    out: dict = {k: {"it": [], "space": [], "pictures": []} for k in ("without", "default", "input_space")}
    for _ in range(rounds):
        for kind in out:
            if os.path.exists(ini):
                os.remove(ini)
            mw.install_insight_features = real_install if kind != "without" else (lambda w: None)
            sim = load_example("moons")
            win = mw.MainWindow(SimulationController(sim), settings=QSettings(ini, QSettings.IniFormat))
            mw.install_insight_features = real_install
            win.resize(1400, 880)
            win.show()
            ins = getattr(win, "insight", None)
            for _ in range(10):
                app.processEvents()
            if kind == "input_space":  # (the docks are tabified once the window is shown)
                ins.input_dock.raise_()
                for _ in range(10):
                    app.processEvents()
            s0 = ins.input_space.redraws if ins else 0
            calls = [0]
            if ins:
                orig = ins._update_pictures

                def counted():
                    calls[0] += 1
                    orig()
                ins._pictures_paced.fn = counted
            win.controller.run(10**7)
            start, it0 = time.perf_counter(), sim.iteration
            while time.perf_counter() - start < seconds:
                app.processEvents()
            win.controller.pause()
            el = time.perf_counter() - start
            out[kind]["it"].append((sim.iteration - it0) / el)
            out[kind]["space"].append(((ins.input_space.redraws - s0) if ins else 0) / el)
            out[kind]["pictures"].append(calls[0] / el)
            win.hide()
            win.deleteLater()
            app.processEvents()
    res = {k: {"iterations_per_s": statistics.median(v["it"]), "input_space_redraws_per_s":
               statistics.median(v["space"]), "neuron_picture_redraws_per_s": statistics.median(v["pictures"])}
           for k, v in out.items()}
    base = res["without"]["iterations_per_s"]
    for k in res:
        res[k]["over_without"] = res[k]["iterations_per_s"] / base
    return res


def report(res: dict) -> str:
    lines = ["Input space redraw (update_from + painting, offscreen; CPU time, and wall time)"]
    for name, v in res.get("input_space", {}).items():
        c, wl = v["redraw_cpu_ms"], v["redraw_wall_ms"]
        lines.append(f"  {name:6s} grid {v['grid'][0]}×{v['grid'][1]}: CPU median {c['median']:.1f} ms, p95 "
                     f"{c['p95']:.1f} ms (update_from alone {v['compute_cpu_ms']['median']:.1f}); wall median "
                     f"{wl['median']:.1f} ms, p95 {wl['p95']:.1f} ms")
    if "cost_model" in res:
        f, m = res["cost_model"]["fit"], res["cost_model"]["model"]
        lines.append(f"Cost model fit (BLAS threads: {res['cost_model']['blas_threads']}): {f['fixed_ms']:.2f} ms + "
                     f"r²·({f['pixel_ms']:.2e} + {f['param_ms']:.2e}·n_params)  (in use: {m['fixed_ms']} + "
                     f"r²·({m['pixel_ms']:.2e} + {m['param_ms']:.2e}·n_params))")
    for name, v in res.get("landscape", {}).items():
        lines.append(f"Loss landscape {name} (wall): one parameter median {v['one_parameter_ms']['median']:.1f} ms "
                     f"(p95 {v['one_parameter_ms']['p95']:.1f}), two parameters median "
                     f"{v['two_parameters_ms']['median']:.1f} ms (p95 {v['two_parameters_ms']['p95']:.1f})")
    lv = res.get("live")
    if lv:
        lines.append(f"Live run (moons, maximum speed): {lv['input_space_redraws_per_s']:.1f} input-space "
                     f"redraws/s; training {lv['iterations_per_s_with_view']:,.0f} it/s with the view, "
                     f"{lv['iterations_per_s_without_view']:,.0f} without ({lv['with_over_without']:.0%}), "
                     f"{lv['with_over_headless']:.0%} of headless")
    if "window" in res:
        for k, v in res["window"].items():
            lines.append(f"Main window at maximum speed (moons), {k}: {v['iterations_per_s']:,.0f} it/s "
                         f"({v['over_without']:.0%} of the window without the insight features); input space "
                         f"{v['input_space_redraws_per_s']:.1f} redraws/s, neuron pictures "
                         f"{v['neuron_picture_redraws_per_s']:.1f}/s")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.insight", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (what the tests run)")
    ap.add_argument("--json", default="", help="also write the results here")
    ap.add_argument("--only", default="",
                    help="comma-separated sections (input_space,cost_model,landscape,live,window)")
    args = ap.parse_args(argv)
    _app()
    res = {"meta": {"quick": args.quick, "date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count()}}
    names = args.only.split(",") if args.only else ["input_space", "cost_model", "landscape", "live", "window"]
    for name in names:
        print(f"… {name}", file=sys.stderr, flush=True)
        res[name] = globals()[name](args.quick)
    print(report(res))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1, default=float)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
