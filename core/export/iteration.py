"""One iteration of a simulation, computed on a copy: its trace and the state before and after it.

Exports never touch the simulation they are given: they work on an
independent copy (:func:`independent_copy`, built through the public
constructor so every training setting and the optimizer's state come along,
or a deep copy with its timeline when the iteration lies in the past), trained
forwards or stepped back to just before the iteration asked for.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..errors import BackpropLabError, DivergenceError
from ..network import Network
from ..simulation import Simulation
from ..trace import Trace
from ..tracing import shared_bias_layers


class ExportError(BackpropLabError, ValueError):
    """An export cannot be produced (iteration out of range, network too large, file not writable, ...)."""


#: Highest iteration number an export accepts (training that far already takes minutes).
MAX_ITERATION = 10_000_000
#: Largest iteration (estimated number of computations) written out equation by equation.
MAX_TRACE = 60_000


def trace_size(sim: Simulation) -> int:
    """Estimated number of computation records of one iteration of *sim* (as the window estimates it)."""
    B = min(sim.settings.batch_size, sim.n_samples)
    return B * sum(sim.network.sizes[1:]) * 5 + 2 * sim.network.n_params


def check_iteration(iteration: int) -> int:
    """*iteration* as an int in 1..MAX_ITERATION, else :class:`ExportError`."""
    if isinstance(iteration, bool) or not isinstance(iteration, (int, np.integer)):
        raise ExportError(f"the iteration must be a whole number, got {iteration!r}")
    if not 1 <= iteration <= MAX_ITERATION:
        raise ExportError(f"the iteration must be between 1 and {MAX_ITERATION:,}, got {iteration:,}")
    return int(iteration)


def independent_copy(sim: Simulation) -> Simulation:
    """A new simulation in *sim*'s committed state: parameters, data (test set too), every training
    setting, counters, loss history and optimizer state (momentum velocity, Adam's m, v and t).

    Built with the public constructor and :meth:`Simulation.restore_progress` rather than through
    the state-file dict, so it carries whatever the settings object holds (the state-file format
    may lag behind the engine's settings).  Its timeline starts empty.  Mid-iteration (after some
    Step into) it is the state before that iteration, which is what the counters say.
    """
    net = sim.network
    c = Simulation(Network(net.sizes, net.activation_names, sim.committed_theta()), sim.inputs, sim.targets,
                   sim.settings, test_inputs=sim.test_inputs, test_targets=sim.test_targets, name=sim.name,
                   notes=sim.notes)
    c.restore_progress(sim.iteration, sim.epoch, sim.position, sim.batch_loss.view(), sim.epoch_loss.view(),
                       sim.epoch_end.view(), optimizer_state=sim.optimizer_state(),
                       test_loss=sim.test_epoch_loss.view(), reduced=sim.history.reduced())
    c.display = dict(sim.display)
    return c


def simulation_at(sim: Simulation, done: int) -> Simulation:
    """An independent copy of *sim* after exactly *done* iterations (the state before iteration done+1).

    Later iterations are trained on a copy; earlier ones are reached by stepping a
    deep copy back along its timeline (a state loaded from a file has no past before
    the iteration it was saved at).  Raises :class:`ExportError` when *done* cannot be
    reached or training diverges on the way.
    """
    if done >= sim.iteration:
        c = independent_copy(sim)
        todo = done - c.iteration
        if todo:
            result = c.run(todo)
            if result.diverged:
                raise ExportError(f"training diverged before iteration {done + 1}: {result.reason}")
        return c
    c = _copy_with_timeline(sim)
    c.step_back_to(done)
    if c.iteration != done:
        raise ExportError(f"iteration {done + 1} is in the past of this state (it is at iteration "
                          f"{sim.iteration}, and the earliest state kept is iteration {c.iteration}); "
                          f"choose an iteration from {c.iteration + 1} on")
    return c


def _copy_with_timeline(sim: Simulation) -> Simulation:
    """A deep copy of *sim*, timeline included, whose weights and biases stay views of its parameter vector.

    A plain deep copy would copy ``network.weights``/``biases`` into arrays of their own,
    cut off from ``network.theta``; the memo maps each view to the same view of the copied vector.
    """
    net = sim.network
    theta = net.theta.copy()
    memo: dict = {id(net.theta): theta}
    base = net.theta.__array_interface__["data"][0]
    for a in (*net.weights, *net.biases):
        start = (a.__array_interface__["data"][0] - base) // a.itemsize
        memo[id(a)] = theta[start:start + a.size].reshape(a.shape)
    try:
        c = copy.deepcopy(sim, memo)
    except (TypeError, copy.Error) as e:  # pragma: no cover - depends on what a Simulation holds
        raise ExportError(f"cannot copy the simulation to go back in time: {e}") from None
    views = (*c.network.weights, *c.network.biases)
    if not all(np.shares_memory(a, c.network.theta) for a in views):  # pragma: no cover - a safety net
        raise ExportError("cannot copy the simulation to go back in time (its parameters are not one vector)")
    return c


def _recorded_loss(sim: Simulation, iteration: int) -> float | None:
    """The batch loss *sim*'s history recorded for *iteration*, if it has one."""
    hist = sim.batch_loss.view()
    k = iteration - (sim.iteration - len(hist) + 1)
    return float(hist[k]) if 0 <= k < len(hist) and np.isfinite(hist[k]) else None


@dataclass
class IterationData:
    """Everything a worked example of one iteration shows; every number is the engine's.

    Attributes
    ----------
    trace : Trace
        The iteration's computations.
    sim : Simulation
        The copy, left *after* the iteration.
    weights, biases : list of ndarray
        Parameters before the iteration.
    loss_before, loss_after : float
        Mean loss over the whole training set before and after the iteration
        (regularisation included, as the engine reports it).
    epoch, position : int
        Where in the data the iteration starts.
    shared_biases : list of bool
        Per dense layer: its biases are shared and fixed, so the equations name
        them by the layer (``b1``), not by the neuron (``b_h1``).
    """

    trace: Trace
    sim: Simulation
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    loss_before: float
    loss_after: float
    epoch: int
    position: int
    shared_biases: list[bool]

    @property
    def iteration(self) -> int:
        return self.trace.iteration


def iteration_data(sim: Simulation, iteration: int) -> IterationData:
    """Compute iteration *iteration* (1-based, the lab's iteration counter) of *sim* on a copy."""
    iteration = check_iteration(iteration)
    if trace_size(sim) > MAX_TRACE:
        raise ExportError(f"this network is too large to write out every computation of an iteration "
                          f"(about {trace_size(sim):,}; the limit is {MAX_TRACE:,}); export the NumPy "
                          f"script (.py) or the loss history (.csv) instead")
    c = simulation_at(sim, iteration - 1)
    weights = [W.copy() for W in c.network.weights]
    biases = [b.copy() for b in c.network.biases]
    epoch, position = c.epoch, c.position
    shared = shared_bias_layers(c.network, c.settings)
    loss_before = c.loss()
    try:
        tr = c.step()
    except DivergenceError as e:
        raise ExportError(f"iteration {iteration} diverges: {e}") from None
    recorded = _recorded_loss(sim, iteration) if iteration <= sim.iteration else None
    if recorded is not None and tr.loss != recorded:
        # Going back in time must reproduce the past exactly; never export a different iteration.
        raise ExportError(f"iteration {iteration} could not be reproduced exactly (its batch loss was "
                          f"{recorded!r}, the copy gives {tr.loss!r})")
    return IterationData(tr, c, weights, biases, loss_before, c.loss(), epoch, position, shared)
