"""Study behind book/11_mixtures.md: LAND mixtures against GaussianMixture over seeds.

Runs :func:`land.experiments.mixtures.moons_experiment` (two moons in R^2, learned metric)
and :func:`land.experiments.mixtures.sphere_experiment` (two LAND clusters on the sphere)
for each seed, two jobs at a time, and writes

* ``land/data/study_results/mixtures.csv``: one row per (dataset, seed): adjusted Rand
  indices, held-out log-likelihoods per point, wall times, EM iterations and
  failed Logs;
* ``land/data/study_results/mixtures_moons_points.csv``: the training points of the first
  moons seed with their true, LAND-mixture and GMM labels (for the figure).

Each run uses ``np.random.default_rng(seed)`` and the experiments' default
settings, so ``tests/test_mixture.py`` can re-run a row. Takes about
ten minutes on two cores (the moons fits dominate):

    nice -n 10 .venv/bin/python studies/mixtures.py

``studies/mixtures.py mass`` instead integrates the first moons fit's
density over a box (``land/data/study_results/mixtures_moons_mass.csv``; a few minutes).
"""

from __future__ import annotations

import csv
import time

import numpy as np
from joblib import Parallel, delayed

from land.data import results_dir
from land.experiments.mixtures import moons_experiment, sphere_experiment

SEEDS = [101, 102, 103, 104, 105]
N_GRID = 80  # grid points per axis of the mass check
OUT = results_dir()
EXPERIMENTS = {"moons": moons_experiment, "sphere": sphere_experiment}


def run(dataset: str, seed: int):
    result = EXPERIMENTS[dataset](np.random.default_rng(seed))
    return dict(seed=seed, **result.row()), result


def main() -> None:
    tic = time.perf_counter()
    jobs = [(dataset, seed) for dataset in ("moons", "sphere") for seed in SEEDS]
    results = Parallel(n_jobs=2)(delayed(run)(dataset, seed) for dataset, seed in jobs)
    OUT.mkdir(parents=True, exist_ok=True)
    rows = [row for row, _ in results]
    with (OUT / "mixtures.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({key: (f"{value:.6g}" if isinstance(value, float) else value)
                             for key, value in row.items()})
    first = results[0][1]
    with (OUT / "mixtures_moons_points.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["x1", "x2", "true", "land", "gmm"])
        for point, true, fitted, gmm in zip(first.train, first.train_labels, first.land.labels,
                                            first.gmm_train_labels):
            writer.writerow([f"{point[0]:.6f}", f"{point[1]:.6f}", true, fitted, gmm])
    print(f"wrote {len(rows)} rows in {time.perf_counter() - tic:.0f} s")


def mass(seed: int = SEEDS[0]) -> None:
    """Integrate the first moons seed's fitted LAND mixture (Lebesgue density) over a box
    around the data and write ``land/data/study_results/mixtures_moons_mass.csv``."""
    from land import LearnedManifold, LocalDiagonalMetric
    from land.model.mixture import lebesgue_mass

    result = moons_experiment(np.random.default_rng(seed))
    manifold = LearnedManifold(LocalDiagonalMetric(result.train, 0.15, 0.1), log_tol=1e-4)
    lower, upper = np.array([-2.0, -1.5]), np.array([3.0, 2.0])
    total, lost = lebesgue_mass(manifold, result.land, lower, upper, n_grid=N_GRID)
    with (OUT / "mixtures_moons_mass.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["seed", "x_low", "y_low", "x_high", "y_high", "n_grid", "mass", "n_lost"])
        writer.writerow([seed, *lower, *upper, N_GRID, f"{total:.6g}", lost])
    print(f"mass {total:.4f} over the box, {lost} of {N_GRID**2} grid points lost")


if __name__ == "__main__":
    import sys

    mass() if sys.argv[1:] == ["mass"] else main()
