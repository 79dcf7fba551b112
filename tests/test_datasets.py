"""Tests of land.data.datasets: shapes, reproducibility, geometry and argument errors."""

from __future__ import annotations

import numpy as np
import pytest

from land.data import datasets


def test_noisy_arc_shape_geometry_and_reproducibility():
    points = datasets.noisy_arc(500, np.random.default_rng(1), radius=2.0,
                                angle_range=(0.0, np.pi / 2), noise=0.0)
    assert points.shape == (500, 2)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 2.0, rtol=1e-12)
    assert np.all(points >= -1e-12)                      # first quadrant only
    again = datasets.noisy_arc(500, np.random.default_rng(1), radius=2.0,
                               angle_range=(0.0, np.pi / 2), noise=0.0)
    np.testing.assert_array_equal(points, again)
    noisy = datasets.noisy_arc(4000, np.random.default_rng(2), noise=0.1)
    np.testing.assert_allclose(np.std(np.linalg.norm(noisy, axis=1) - 1.0), 0.1, rtol=0.1)


def test_noisy_cylinder_patch_shape_and_geometry():
    points = datasets.noisy_cylinder_patch(300, np.random.default_rng(3), radius=1.5,
                                           height=2.0, noise=0.0)
    assert points.shape == (300, 3)
    np.testing.assert_allclose(np.linalg.norm(points[:, :2], axis=1), 1.5, rtol=1e-12)
    assert np.all(np.abs(points[:, 2]) <= 1.0)
    again = datasets.noisy_cylinder_patch(300, np.random.default_rng(3), radius=1.5,
                                          height=2.0, noise=0.0)
    np.testing.assert_array_equal(points, again)


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(n=0), ValueError, "n"),
    (dict(n=2.5), TypeError, "n"),
    (dict(radius=-1.0), ValueError, "radius"),
    (dict(angle_range=(1.0, 0.0)), ValueError, "angle_range"),
    (dict(angle_range=3.0), TypeError, "angle_range"),
    (dict(noise=-0.1), ValueError, "noise"),
    (dict(noise="big"), TypeError, "noise"),
    (dict(rng=np.random.RandomState(0)), TypeError, "rng"),
])
def test_generators_name_bad_arguments(kwargs, error, name):
    n = kwargs.pop("n", 10)
    rng = kwargs.pop("rng", np.random.default_rng(0))
    for generator in (datasets.noisy_arc, datasets.noisy_cylinder_patch):
        with pytest.raises(error, match=name):
            generator(n, rng, **kwargs)
    with pytest.raises(ValueError, match="height"):
        datasets.noisy_cylinder_patch(10, np.random.default_rng(0), height=0.0)


def test_load_wine_pca_is_standardised_and_curved():
    points, labels = datasets.load_wine_pca(return_labels=True)
    assert points.shape == (178, 2) and labels.shape == (178,)
    np.testing.assert_allclose(points.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(points.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.corrcoef(points.T)[0, 1], 0.0, atol=1e-12)
    # The horseshoe: the middle cultivar sits off the line through the other two.
    centres = np.array([points[labels == k].mean(axis=0) for k in range(3)])
    chord = centres[2] - centres[0]
    offset = centres[1] - centres[0]
    bend = abs(chord[0] * offset[1] - chord[1] * offset[0]) / np.linalg.norm(chord)
    assert bend > 1.0
    np.testing.assert_array_equal(points, datasets.load_wine_pca())
    with pytest.raises(ValueError, match="n_components"):
        datasets.load_wine_pca(14)


def test_train_test_split():
    points = np.arange(40.0).reshape(20, 2)
    train, test = datasets.train_test_split(points, 0.25, np.random.default_rng(0))
    assert train.shape == (15, 2) and test.shape == (5, 2)
    together = np.sort(np.concatenate([train, test])[:, 0])
    np.testing.assert_array_equal(together, points[:, 0])
    with pytest.raises(ValueError, match="test_fraction"):
        datasets.train_test_split(points, 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="points"):
        datasets.train_test_split(points[:1], 0.5, np.random.default_rng(0))
