"""Backprop Lab's engine: pure numpy, no Qt.

Scripting API::

    from backprop_lab.core import Simulation
    sim = Simulation.load("mazur.json")
    trace = sim.step()          # one iteration, every computation recorded
    sim.step_back()             # exact undo
"""
from . import simulation as _simulation
from . import statefile as _statefile
from .activations import ACTIVATIONS, Activation, get_activation
from .errors import BackpropLabError, Cancelled, ConfigError, DivergenceError, StateFileError
from .gradcheck import GradientCheck
from .load_process import load_in_process, save_in_process
from .losses import LOSSES, Loss, get_loss
from .network import INIT_SCHEMES, Element, Network, initialize, symmetric_groups
from .optimizer import OptimizerState
from .settings import TrainingSettings
from .simulation import RunResult, Simulation
from .statefile import EXAMPLES, example_path, load_example
from .trace import SHARED_KINDS, Computation, LazyRecords, Segment, Trace, format_number
from .tracing import shared_bias_layers

# Simulation.load/from_dict/to_dict/save use the state-file functions; registering them here keeps
# simulation → statefile out of the import graph (statefile imports simulation).
_simulation.register_file_format(_statefile)

__all__ = [
    "ACTIVATIONS", "Activation", "get_activation", "BackpropLabError", "Cancelled", "ConfigError", "DivergenceError",
    "StateFileError", "LOSSES", "Loss", "get_loss", "INIT_SCHEMES", "Element", "Network", "initialize",
    "symmetric_groups", "shared_bias_layers",
    "GradientCheck", "OptimizerState", "RunResult", "Simulation", "TrainingSettings",
    "Computation", "LazyRecords", "SHARED_KINDS", "Segment", "Trace", "format_number", "example_path",
    "load_example", "EXAMPLES",
    "load_in_process", "save_in_process",
]
