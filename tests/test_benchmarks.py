"""The benchmark command runs end to end at a small size (CI) and reports every section.

These are measurements, not timed tests: nothing here compares a time with a
target.  BPL_BENCH_FULL=1 runs the full size instead (minutes).
"""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmarks_run_and_write_every_section(tmp_path):
    out = tmp_path / "bench.json"
    args = [sys.executable, "-m", "benchmarks.run", "--json", str(out)]
    if not os.environ.get("BPL_BENCH_FULL"):
        args.append("--quick")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TMPDIR=str(tmp_path))
    r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1800, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Engine throughput" in r.stdout and "Step back after" in r.stdout
    res = json.loads(out.read_text())
    for section in ("throughput", "traced", "gui", "actions", "startup", "stepback", "scaling"):
        assert section in res, section
    for case in ("a_worked_example_2-2-2", "b_2-8-8-1_tanh_500pts_batch10", "c_2-8-8-1_tanh_500pts_fullbatch",
                 "d_784-128-10_sigmoid_1000_batch32"):
        v = res["throughput"][case]
        assert v["rates"]["engine"] > 0 and math.isfinite(v["engine_over"]["numpy_loop"])
    sb = res["stepback"]
    assert sb["timeline_mb"] > 0 and sb["step_back_from_end_ms"]["median"] > 0
    assert res["gui"]["plot_redraws_per_s"] > 0 and res["gui"]["gui_iterations_per_s"] > 0
    assert res["startup"]["ratio"] > 0
    for example in ("moons", "mazur"):
        for action in ("F10", "F11", "Shift+F10", "Shift+F11", "edit", "select"):
            a = res["actions"][example][action]
            # each press repaints something, and its repaint pass is part of the press
            assert 0 < a["repaint_median_ms"] <= a["max_ms"], (example, action, a)
            assert a["median_ms"] <= a["max_ms"] and a["n"] > 0
    mem = res["memory"]
    assert mem["history"]["iterations"] > 0 and 0 < mem["history"]["history_bytes"] < 16 * 2**20
    assert mem["loss"]["peak_traced_mb"] > 0
    for op in ("open", "save", "gradient_check"):
        assert mem["stall"][op]["max_gap_ms"] > 0
