"""No garbage collection on worker threads: a collection there freed Qt wrappers while the GUI thread destroyed
others, and the two deadlocked (seen as a test suite that hung in an export)."""
import gc

from backprop_lab.gui.background import BackgroundJob


def test_collections_pause_while_a_worker_runs_and_resume_after(qtbot):
    seen = []
    job = BackgroundJob(lambda: seen.append(gc.isenabled()) or 42)
    got = []
    job.succeeded.connect(got.append)
    assert gc.isenabled()
    job.start()
    qtbot.waitUntil(lambda: got == [42], timeout=5000)
    assert seen == [False] and gc.isenabled()


def test_a_failing_worker_also_resumes_collections(qtbot):
    def boom():
        raise ValueError("expected")
    job = BackgroundJob(boom, (ValueError,))
    failed = []
    job.failed.connect(failed.append)
    job.start()
    qtbot.waitUntil(lambda: len(failed) == 1, timeout=5000)
    assert gc.isenabled()
