"""Progress bars: drawn for a person, silent in builds and tests, and never a change to the fit."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

import land
from land import _progress


@pytest.fixture
def points():
    return land.sample_sphere_land(60, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
                                   np.random.default_rng(0)).points


def test_environment_decides_by_default(monkeypatch):
    monkeypatch.setenv("LAND_PROGRESS", "0")
    assert _progress.show_progress(None) is False
    monkeypatch.setenv("LAND_PROGRESS", "1")
    assert _progress.show_progress(None) is True
    assert _progress.show_progress(False) is False     # an explicit choice wins
    monkeypatch.setenv("LAND_PROGRESS", "0")
    assert _progress.show_progress(True) is True


def test_a_jupyter_kernel_counts_as_watched(monkeypatch):
    monkeypatch.delenv("LAND_PROGRESS", raising=False)
    monkeypatch.setitem(sys.modules, "ipykernel", object())
    assert _progress.show_progress(None) is True
    monkeypatch.delitem(sys.modules, "ipykernel")
    monkeypatch.setattr(sys, "stderr", io.StringIO())   # not a terminal
    assert _progress.show_progress(None) is False


@pytest.mark.parametrize("fit", ["land", "mixture"])
def test_bar_draws_when_asked_and_leaves_the_fit_alone(fit, points, monkeypatch, capsys):
    sphere = land.Sphere()

    def run(progress):
        rng = np.random.default_rng(1)
        if fit == "land":
            return land.fit_land(sphere, points, rng=rng, n_samples=64, n_iter=4,
                                 algorithm="paper", progress=progress).mean
        return land.fit_land_mixture(sphere, points, 2, rng=rng, n_iter=3, n_samples=32,
                                     progress=progress).means

    quiet = run(False)
    assert capsys.readouterr().err == ""
    loud = run(True)
    err = capsys.readouterr().err
    assert "LAND" in err and ("it/s" in err or "s/it" in err)
    np.testing.assert_array_equal(quiet, loud)


def test_counter_shows_the_limit_as_a_limit_and_stays(monkeypatch):
    """A fit that stops early must not be drawn as a bar towards its limit, nor vanish at the end."""
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    with _progress.progress_bar(100, "LAND fit (natural)", True) as bar:
        for _ in range(37):
            bar.update()
        assert bar.total is None          # no total, so tqdm draws no bar and no time estimate
        assert bar.leave is True
    shown = stream.getvalue().split("\r")[-1]
    assert "37 iterations (limit 100)" in shown, shown
    assert "<" not in shown and "%" not in shown, shown   # no remaining-time estimate, no percentage
