"""Data generation on the sphere (report section 4.1) and the exact LAND sampler."""

import numpy as np
import pytest

import land
from land.experiments.reference import rotated_covariance as rotation_cov, sphere_normalising_constant

MEAN = np.array([1.0, 2.0, 2.0]) / 3.0


@pytest.mark.parametrize("sampler", [land.sample_sphere_data, land.sample_sphere_land])
def test_samples_lie_on_sphere_and_match_their_tangent_vectors(sphere, rng, sampler):
    sample = sampler(300, MEAN, rotation_cov(0.6, 0.3, 0.4), rng)
    assert sample.points.shape == (300, 3) and sample.tangent_coords.shape == (300, 2)
    np.testing.assert_allclose(np.linalg.norm(sample.points, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(sample.frame, sphere.tangent_basis(MEAN))
    np.testing.assert_allclose(sample.tangent_vecs, sample.tangent_coords @ sample.frame.T)
    np.testing.assert_allclose(sphere.log(MEAN, sample.points), sample.tangent_vecs, atol=1e-9)


def test_tangent_gaussian_data_has_target_covariance(rng):
    cov = rotation_cov(0.3, 0.1, 1.0)
    sample = land.sample_sphere_data(20000, MEAN, cov, rng)
    assert sample.n_rejected == 0  # |v| >= pi is a 10-sigma event here
    np.testing.assert_allclose(np.cov(sample.tangent_coords.T), cov, atol=0.003)


def test_wrap_around_guard_rejects_exactly_the_vectors_of_norm_at_least_pi(rng):
    cov = np.diag([2.0**2, 2.0**2])
    sample = land.sample_sphere_data(5000, MEAN, cov, rng)
    radius = np.linalg.norm(sample.tangent_coords, axis=1)
    assert radius.max() < np.pi
    # The report's test |v|^2 > pi would also throw away sqrt(pi) <= |v| < pi; we keep those.
    assert np.count_nonzero(radius > np.sqrt(np.pi)) > 1000
    # P(|v| >= pi) = exp(-pi^2 / (2 * 4)) for an isotropic Gaussian with sd 2.
    p_reject = np.exp(-np.pi**2 / 8)
    drawn = 5000 + sample.n_rejected
    expected = drawn * p_reject
    assert abs(sample.n_rejected - expected) < 4 * np.sqrt(drawn * p_reject * (1 - p_reject))


def test_land_sampler_acceptance_rate_is_c_over_z(rng):
    """Acceptance probability of the exact sampler equals E[sin r / r] = C / Z."""
    cov = rotation_cov(0.7, 0.4, 0.3)
    sample = land.sample_sphere_land(20000, MEAN, cov, rng)
    drawn = 20000 + sample.n_rejected
    expected = sphere_normalising_constant(cov) / (2 * np.pi * np.sqrt(np.linalg.det(cov)))
    rate = 20000 / drawn
    assert abs(rate - expected) < 4 * np.sqrt(expected * (1 - expected) / drawn)


def test_samplers_are_reproducible_with_the_same_seed():
    first = land.sample_sphere_land(50, MEAN, np.eye(2) * 0.1, np.random.default_rng(3))
    second = land.sample_sphere_land(50, MEAN, np.eye(2) * 0.1, np.random.default_rng(3))
    np.testing.assert_array_equal(first.points, second.points)
    assert first.n_rejected == second.n_rejected


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(n=0), ValueError, "n: expected an integer >= 1"),
        (dict(mean=[0.0, 0.0, 2.0]), ValueError, "mean: expected points on the unit sphere"),
        (dict(mean=[[0.0, 0.0, 1.0]]), ValueError, r"mean: expected shape \(3,\)"),
        (dict(cov=[[0.1, 0.05], [0.0, 0.1]]), ValueError, "cov: expected a symmetric matrix"),
        (dict(cov=[[0.1, 0.2], [0.2, 0.1]]), ValueError, "cov: expected a positive definite matrix"),
        (dict(cov=np.eye(3)), ValueError, r"cov: expected shape \(2, 2\)"),
        (dict(cov=[[np.nan, 0], [0, 1.0]]), ValueError, "cov: expected finite values"),
        (dict(rng=42), TypeError, "rng: expected a numpy.random.Generator"),
    ],
)
def test_bad_input(kwargs, error, message):
    args = dict(n=10, mean=MEAN, cov=np.eye(2) * 0.1, rng=np.random.default_rng(0)) | kwargs
    with pytest.raises(error, match=message):
        land.sample_sphere_data(**args)


def test_wheel_ships_the_study_results_and_licence(tmp_path):
    """``pip install .`` brings the study results (package data) and the licence with the package.

    The chapters read their CSVs through ``land.data.result_path``; without
    the package-data entry in ``pyproject.toml`` an installed ``land`` would
    have none of them. Built from a copy, so the clone gets no build folders.
    """
    import shutil
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    from land.data import result_names

    repo = Path(__file__).resolve().parents[1]
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(repo / name, source / name)
    shutil.copytree(repo / "land", source / "land",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "--wheel-dir", str(tmp_path / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("land-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"land/data/study_results/{name}" for name in result_names()}
    assert len(expected) >= 20 and expected <= names, sorted(expected - names)
    assert any(name.endswith("licenses/LICENSE") for name in names), sorted(n for n in names if "dist-info" in n)
