"""Test configuration: headless Qt, chosen before anything imports Qt."""
import os
import tempfile

# Without a platform and a display the qapp fixture aborts the process (SIGABRT).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
# Windows under test autosave recovery files: into a folder of this run, never the user's data folder (a file
# left there by a killed run would make the next real start, or the start-up benchmark, ask about it).
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="bpl-test-data-")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Fuzzing is kept small in the normal suite; BPL_FUZZ_EXAMPLES=2000 for a deep run.
settings.register_profile("default", max_examples=int(os.environ.get("BPL_FUZZ_EXAMPLES", "60")), deadline=None)
settings.load_profile("default")


def mazur_sim():
    from backprop_lab.core import load_example
    return load_example("mazur")


@pytest.fixture
def mazur():
    return mazur_sim()


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
