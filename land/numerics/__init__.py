"""Numerics: the geodesic solvers behind :class:`~land.LearnedManifold`, one concept per file.

They work on a diagonal metric in standardised coordinates
(:class:`StandardMetric`) and know nothing of the geometry classes above:

* :mod:`~land.numerics.integrator`: :class:`ExpIntegrator`, compiled DOP853
  with optional variational equations;
* :mod:`~land.numerics.shooting`: :class:`NewtonShooting`, damped Newton
  with the exact Jacobian of Exp and early abandonment;
* :mod:`~land.numerics.starts`: chord and graph starts, and the metric
  :class:`NeighbourGraph` whose shortest paths bound the distance;
* :mod:`~land.numerics.continuation`: :class:`Continuation` along a path;
* :mod:`~land.numerics.collocation`: :class:`Collocation` (``solve_bvp``);
* :mod:`~land.numerics.cascade`: :class:`LogCascade`, which chains them.
"""

from land.numerics.cascade import STAGES, LogCascade, LogSolution
from land.numerics.collocation import Collocation, geodesic_acceleration
from land.numerics.continuation import Continuation
from land.numerics.integrator import ExpIntegrator, StandardMetric
from land.numerics.shooting import NewtonShooting, Shots
from land.numerics.starts import GraphPaths, NeighbourGraph, chord_starts, graph_starts

__all__ = ["STAGES", "Collocation", "Continuation", "ExpIntegrator", "GraphPaths", "LogCascade",
           "LogSolution", "NeighbourGraph", "NewtonShooting", "Shots", "StandardMetric",
           "chord_starts", "geodesic_acceleration", "graph_starts"]
