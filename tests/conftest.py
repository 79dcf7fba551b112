"""Shared fixtures of the unit tests."""

from __future__ import annotations

import numpy as np
import pytest

import land


@pytest.fixture
def rng():
    return np.random.default_rng(20250301)


@pytest.fixture(scope="session")
def sphere():
    return land.Sphere()


@pytest.fixture(scope="session")
def sphere_data_small():
    """200 points from the report's generator, cov = diag(0.7^2): the learned-metric tests' data."""
    rng = np.random.default_rng(7)
    return land.sample_sphere_data(200, np.array([0.0, 0.0, 1.0]), np.diag([0.7**2] * 2), rng)
