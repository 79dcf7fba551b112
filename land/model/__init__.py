"""The model: the LAND density, its normalising constant, objective and fit, and mixtures.

Every function takes the geometry as its first argument and uses only the
:class:`land.geometry.Geometry` interface, so one code path serves the
sphere and learned manifolds.
"""

from land.model.fit import FitHistory, LandFit, fit_land
from land.model.likelihood import (ALGORITHMS, LandEvaluation, NormalisingConstant,
                                   covariance_from_factor, evaluate_land, log_density,
                                   normalising_constant, objective_and_gradients, precision_factor,
                                   qmc_normals)
from land.model.mixture import (LandMixtureFit, MixtureHistory, fit_land_mixture,
                                held_out_log_likelihood, lebesgue_log_density, lebesgue_mass,
                                mixture_log_density)

__all__ = ["ALGORITHMS", "FitHistory", "LandEvaluation", "LandFit", "LandMixtureFit",
           "MixtureHistory", "NormalisingConstant", "covariance_from_factor", "evaluate_land",
           "fit_land", "fit_land_mixture", "held_out_log_likelihood", "lebesgue_log_density",
           "lebesgue_mass", "log_density", "mixture_log_density", "normalising_constant",
           "objective_and_gradients", "precision_factor", "qmc_normals"]


def __getattr__(name):
    # LandMixture (the result of fit_land_mixture before 0.2): see land.model.mixture.
    if name == "LandMixture":
        from land.model import mixture

        return mixture.__getattr__(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
