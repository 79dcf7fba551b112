"""Exact reference values used by several test modules."""

import numpy as np
from scipy import integrate


def sphere_constant_by_quadrature(cov) -> float:
    """C(Sigma) on the unit sphere: the integral of exp(-v^T Sigma^-1 v / 2) sin|v|/|v| over |v| < pi.

    In polar coordinates the Jacobian r cancels the 1/r of the density:
    C = int_0^{2 pi} int_0^pi exp(-r^2 u^T P u / 2) sin r dr dtheta.
    """
    precision = np.linalg.inv(cov)

    def radial(theta):
        u = np.array([np.cos(theta), np.sin(theta)])
        q = u @ precision @ u
        return integrate.quad(lambda r: np.exp(-0.5 * q * r * r) * np.sin(r), 0.0, np.pi,
                              epsabs=1e-13, epsrel=1e-12)[0]

    return integrate.quad(radial, 0.0, 2 * np.pi, epsabs=1e-12, epsrel=1e-11, limit=200)[0]


def rotation_cov(sd_major, sd_minor, angle):
    """A 2x2 covariance with the given standard deviations, rotated by ``angle``."""
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return rot @ np.diag([sd_major**2, sd_minor**2]) @ rot.T
