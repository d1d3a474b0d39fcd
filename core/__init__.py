"""Backprop Lab's engine: pure numpy, no Qt.

Scripting API::

    from backprop_lab.core import Simulation
    sim = Simulation.load("mazur.json")
    trace = sim.step()          # one iteration, every computation recorded
    sim.step_back()             # exact undo
"""
from .activations import ACTIVATIONS, Activation, get_activation
from .errors import BackpropLabError, ConfigError, DivergenceError, StateFileError
from .losses import LOSSES, Loss, get_loss
from . import scalar_kernel  # noqa: F401  (tests switch kernels through it)
from .network import INIT_SCHEMES, Element, Network, initialize, symmetric_groups
from .simulation import GradientCheck, RunResult, Simulation, TrainingSettings
from .trace import Computation, Trace, format_number

__all__ = [
    "ACTIVATIONS", "Activation", "get_activation", "BackpropLabError", "ConfigError", "DivergenceError",
    "StateFileError", "LOSSES", "Loss", "get_loss", "INIT_SCHEMES", "Element", "Network", "initialize",
    "symmetric_groups", "GradientCheck", "RunResult", "Simulation", "TrainingSettings", "Computation", "Trace",
    "format_number", "example_path", "load_example", "EXAMPLES",
]

from .statefile import EXAMPLES, example_path, load_example  # noqa: E402
