"""land: the Locally Adaptive Normal Distribution on the sphere and on learned manifolds.

The package behind the book. One model code path (:func:`fit_land`) serves
both geometries: :class:`Sphere` (closed-form Exp/Log) and
:class:`LearnedManifold` (geodesics of a metric learned from data,
:class:`LocalDiagonalMetric`).
"""

from land.data import SphereSample, sample_sphere_data, sample_sphere_land
from land.geodesic import GeodesicResult, GeodesicSolverError
from land.learned import LearnedManifold
from land.metric import GlobalDiagonalMetric, LocalDiagonalMetric
from land.model import (
    FitHistory,
    LandEvaluation,
    LandFit,
    NormalisingConstant,
    covariance_from_factor,
    evaluate_land,
    fit_land,
    log_density,
    normalising_constant,
    objective_and_gradients,
    precision_factor,
    qmc_normals,
)
from land.sphere import Sphere
from land.mixture import LandMixture, MixtureHistory, fit_land_mixture

__all__ = [
    "FitHistory",
    "GeodesicResult",
    "GeodesicSolverError",
    "GlobalDiagonalMetric",
    "LandEvaluation",
    "LandFit",
    "LearnedManifold",
    "LocalDiagonalMetric",
    "NormalisingConstant",
    "Sphere",
    "SphereSample",
    "covariance_from_factor",
    "evaluate_land",
    "fit_land",
    "log_density",
    "normalising_constant",
    "objective_and_gradients",
    "precision_factor",
    "qmc_normals",
    "sample_sphere_data",
    "sample_sphere_land",
    "LandMixture",
    "MixtureHistory",
    "fit_land_mixture",
]

__version__ = "0.1.0"
