"""fit_land on the sphere against the exact maximum-likelihood estimate (constant by quadrature).

The reference maximises the sphere LAND likelihood with no Monte Carlo at all:
the normalising constant ``C(Sigma)`` (which does not depend on the mean) is
computed by Gauss-Legendre quadrature in polar coordinates, and the five
parameters (two for the mean, three for the covariance) are optimised by
L-BFGS. fit_land, started from its defaults, must land within three Monte
Carlo standard errors of it, the standard errors measured as the spread of
fits with independent draws.
"""

import numpy as np
import pytest
from scipy.optimize import minimize

import land
from land.experiments.reference import sphere_normalising_constant

SPHERE = land.Sphere()
NORTH = np.array([0.0, 0.0, 1.0])

# Polar quadrature of C(Sigma) = int_0^{2pi} int_0^pi exp(-r^2 u^T P u / 2) sin r dr dt:
# Gauss-Legendre in r, the trapezoid rule (spectrally accurate) in the angle.
_R, _WR = np.polynomial.legendre.leggauss(160)
_R, _WR = 0.5 * np.pi * (_R + 1.0), 0.5 * np.pi * _WR
_T = np.linspace(0.0, 2.0 * np.pi, 256, endpoint=False)
_U = np.stack([np.cos(_T), np.sin(_T)], axis=1)


def log_constant(cov):
    quad = np.einsum("ti,ij,tj->t", _U, np.linalg.inv(cov), _U)
    radial = np.exp(-0.5 * np.outer(quad, _R**2)) @ (_WR * np.sin(_R))
    return np.log(radial.mean() * 2.0 * np.pi)


def test_quadrature_constant_matches_adaptive_quadrature():
    cov = np.array([[0.4, 0.1], [0.1, 0.05]])
    np.testing.assert_allclose(np.exp(log_constant(cov)), sphere_normalising_constant(cov), rtol=1e-9)


def _unpack(params, base, frame):
    """Mean ``Exp_base(F xi)``, its transported frame and the covariance ``L L^T`` there."""
    xi, chol = params[:2], np.array([[np.exp(params[2]), 0.0], [params[3], np.exp(params[4])]])
    step = frame @ xi
    mean = SPHERE.exp(base, step)
    moved = SPHERE.transport_frame(base, step, frame)
    return mean, moved, chol @ chol.T


def exact_mle(data, base):
    """Maximum likelihood (mean, frame, cov) of the sphere LAND, C by quadrature."""
    frame = SPHERE.frame(base)

    def negative_log_likelihood(params):
        mean, moved, cov = _unpack(params, base, frame)
        coords = SPHERE.log(mean, data) @ moved
        return 0.5 * np.mean(np.einsum("ni,ij,nj->n", coords, np.linalg.inv(cov), coords)) + log_constant(cov)

    coords = SPHERE.log(base, data) @ frame
    chol = np.linalg.cholesky(np.cov(coords.T))
    start = np.array([0.0, 0.0, np.log(chol[0, 0]), chol[1, 0], np.log(chol[1, 1])])
    result = minimize(negative_log_likelihood, start, method="L-BFGS-B", options=dict(gtol=1e-10, ftol=1e-15))
    assert result.success, result.message
    return _unpack(result.x, base, frame)


@pytest.mark.parametrize("sd_major, sd_minor", [(0.3, 0.3), (0.5, 0.5 / np.sqrt(10)), (0.6, 0.6 / np.sqrt(50))])
def test_fit_reaches_the_exact_mle_within_monte_carlo_error(sd_major, sd_minor):
    """Condition numbers 1, 10 and 50, default initialisation, at most 60 iterations."""
    data_rng = np.random.default_rng(11)
    true_cov = land.experiments.reference.rotated_covariance(sd_major, sd_minor, 0.4)
    data = land.sample_sphere_land(800, NORTH, true_cov, data_rng).points
    mean_ref, frame_ref, cov_ref = exact_mle(data, NORTH)
    means, covs = [], []
    for seed in range(4):
        fit = land.fit_land(SPHERE, data, rng=np.random.default_rng(seed), n_iter=60)
        assert fit.converged, fit.stop_reason
        assert fit.n_iter <= 60
        means.append(frame_ref.T @ SPHERE.log(mean_ref, fit.mean))       # offset in the reference frame
        covs.append(fit.cov_in_frame(SPHERE, mean_ref, frame_ref))
    means, covs = np.array(means), np.array(covs).reshape(4, -1)
    # Monte Carlo standard error of one fit, per parameter, from the spread over seeds; a floor
    # at 1e-4 of the parameter's scale keeps a zero spread from demanding exact equality.
    mean_se = np.maximum(means.std(axis=0, ddof=1), 1e-4 * sd_minor)
    cov_se = np.maximum(covs.std(axis=0, ddof=1), 1e-4 * np.abs(cov_ref).max())
    assert np.all(np.abs(means) <= 3 * mean_se), (means, mean_se)
    assert np.all(np.abs(covs - cov_ref.ravel()) <= 3 * cov_se), (covs, cov_ref, cov_se)
    # And the standard errors are small: the fits are accurate, not merely noisy.
    assert mean_se.max() < 0.05 * sd_minor
    assert np.max(cov_se / np.sqrt(np.outer(np.diag(cov_ref), np.diag(cov_ref))).ravel()) < 0.05
