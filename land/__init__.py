"""land: the Locally Adaptive Normal Distribution on the sphere and on learned manifolds.

The package behind the book. One model code path (:func:`fit_land`) serves
both geometries: :class:`Sphere` (closed-form Exp/Log) and
:class:`LearnedManifold` (geodesics of a metric learned from data,
:class:`LocalDiagonalMetric`). :class:`LAND` and :class:`LANDMixture` are
the same model as scikit-learn estimators.

Layers (``tests/test_layers.py`` enforces them):

* core: :mod:`land.geometry`, :mod:`land.model`, :mod:`land.data`;
* :mod:`land.experiments`: the book's experiment and reference code;
* :mod:`land.plotting`: figures.

The core imports nothing from the two layers above it.
"""

from land.data import SphereSample, sample_sphere_data, sample_sphere_land
from land.geometry.base import (DegenerateLikelihoodWarning, Geometry, GeodesicResult,
                                GeodesicSolverError, GeodesicSolverWarning, check_geometry)
from land.geometry.learned import LearnedManifold
from land.geometry.metric import GlobalDiagonalMetric, LocalDiagonalMetric, kernel_width_rule
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
from land.geometry.sphere import Sphere
from land.model.estimators import LAND, LANDMixture
from land.model.mixture import LandMixtureFit, MixtureHistory, fit_land_mixture

__all__ = [
    "LAND",
    "LANDMixture",
    "kernel_width_rule",
    "FitHistory",
    "Geometry",
    "GeodesicResult",
    "check_geometry",
    "GeodesicSolverError",
    "GeodesicSolverWarning",
    "DegenerateLikelihoodWarning",
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
    "LandMixtureFit",
    "MixtureHistory",
    "fit_land_mixture",
]

__version__ = "0.1.0"


def __getattr__(name):
    # LandMixture (the result of fit_land_mixture before 0.2): see land.model.mixture.
    if name == "LandMixture":
        from land.model import mixture

        return mixture.__getattr__(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
