"""The estimators' defaults work on ordinary data sets (issue: defaults that work).

* ``LANDMixture(2, random_state=0)`` separates two moons better than ``GaussianMixture(2)``
  (one seed live; all five of ``studies/defaults.py`` from its stored results);
* the stored study shows ``LAND(random_state=0)`` converging without a warning on iris,
  one moon, ``noisy_arc(300)`` and the sphere;
* fitting ``c * X`` gives the same mixture labels and means scaled by ``c``.
"""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

import land
from land.data import result_path


def _rows(name):
    with open(result_path(name), newline="") as handle:
        return list(csv.DictReader(handle))


def test_mixture_defaults_separate_two_moons():
    X, y = make_moons(200, noise=0.08, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = land.LANDMixture(2, random_state=0).fit(X)
    gmm = GaussianMixture(2, random_state=0).fit(X)
    ari = adjusted_rand_score(y, model.labels_)
    assert model.converged_
    assert ari >= 0.8
    assert ari >= adjusted_rand_score(y, gmm.predict(X))


def test_defaults_study_meets_the_mixture_targets():
    rows = [row for row in _rows("defaults_mixture.csv") if row["setting"] == "defaults"]
    assert sorted(int(row["seed"]) for row in rows) == [0, 1, 2, 3, 4]
    land_ari = np.array([float(row["land_ari"]) for row in rows])
    gmm_ari = np.array([float(row["gmm_ari"]) for row in rows])
    assert land_ari.mean() >= 0.8
    assert land_ari.mean() >= gmm_ari.mean()
    assert all(row["converged"] == "True" for row in rows)
    assert not any("ConvergenceWarning" in row["warnings"] for row in rows)


def test_defaults_study_single_land_converges_without_warning():
    rows = [row for row in _rows("defaults_land.csv") if row["rules"] == "LAND's"]
    assert {row["data"] for row in rows} == {"iris", "one moon", "noisy_arc(300)", "sphere"}
    for row in rows:
        assert row["converged"] == "True", row
        assert row["warnings"] == "", row


@pytest.mark.parametrize("scale", [1e-3, 1e3])
def test_fitting_scaled_data_gives_the_same_mixture_scaled(scale):
    X, _ = make_moons(60, noise=0.08, random_state=1)
    base = land.LANDMixture(2, n_mc_samples=64, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # 3 iterations: equivariance only
        one, scaled = clone(base).fit(X), clone(base).fit(scale * X)
    np.testing.assert_array_equal(scaled.labels_, one.labels_)
    assert scaled.kernel_width_ == pytest.approx(scale * one.kernel_width_, rel=1e-12)
    assert scaled.rho_ == pytest.approx(scale**2 * one.rho_, rel=1e-12)
    np.testing.assert_allclose(scaled.means_, scale * one.means_, rtol=1e-6, atol=1e-9 * scale)
    np.testing.assert_allclose(scaled.weights_, one.weights_, rtol=1e-6)
