"""Geometry: the manifolds the LAND lives on.

* :class:`Sphere`: the unit sphere S^2 in R^3, closed-form Exp and Log.
* :class:`LearnedManifold`: R^D with a metric learned from data
  (:class:`LocalDiagonalMetric`, :class:`GlobalDiagonalMetric`), geodesics
  by compiled ODE integration and Newton shooting.
* :class:`Geometry`: the interface the model code relies on, which both
  implement.
"""

from land.geometry.base import Geometry, GeodesicResult, GeodesicSolverError, check_geometry
from land.geometry.learned import LearnedManifold
from land.geometry.metric import GlobalDiagonalMetric, LocalDiagonalMetric
from land.geometry.sphere import Sphere

__all__ = ["Geometry", "GeodesicResult", "GeodesicSolverError", "GlobalDiagonalMetric",
           "LearnedManifold", "LocalDiagonalMetric", "Sphere", "check_geometry"]
