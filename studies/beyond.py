"""Held-out comparison of LAND and Gaussian beyond the sphere, over several seeds.

Writes ``land/data/study_results/beyond.csv`` (one row per data set, kernel width and seed)
and, with ``--wine-grids``, ``beyond_wine_grid.csv`` and
``beyond_wine_points.csv`` (the wine figure), read by the chapter
``book/10_beyond_sphere.md``. Run from the repository root:

    nice -n 10 .venv/bin/python studies/beyond.py            # all rows, 2 processes
    .venv/bin/python studies/beyond.py --only arc 1.0 0        # one row, printed
    .venv/bin/python studies/beyond.py --wine-grids            # the wine figure's grids

Each row is reproducible on its own: its generator is seeded from
``(BASE_SEED, data set, seed)``, independent of the order rows run in.
"""

from __future__ import annotations

import argparse
import csv

import numpy as np
from joblib import Parallel, delayed

from land import GeodesicSolverError
from land.data import datasets, results_dir
from land.experiments import heldout

BASE_SEED = 20250310
DATASETS = ("arc", "cylinder", "wine")
OUT = results_dir() / "beyond.csv"
WINE_GRID = OUT.with_name("beyond_wine_grid.csv")
WINE_POINTS = OUT.with_name("beyond_wine_points.csv")
WINE_BOX = (-2.6, 2.6, -2.6, 2.6)

# Shared settings: 150 training and 50 held-out points for the synthetic sets,
# 134 / 44 for wine; the fit's settings are the chapter's.
SETTINGS = dict(rho=0.01, n_iter=20, step_mean=0.5, step_cov=0.5, n_samples=400, n_constant=1000)
N_POINTS = 200
TEST_FRACTION = 0.25
SEEDS = range(3)
# Kernel widths as multiples of heldout.kernel_width_rule(train) (factor 1 is the
# rule itself; the others are a sensitivity study on the 2-D sets).
WIDTH_FACTORS = {"arc": (1.0, 0.6, 1.6), "wine": (1.0, 0.6, 1.6), "cylinder": (1.0,)}


def make_split(name: str, seed: int):
    """Data set ``name`` and its train/test split for ``seed``; returns (train, test, rng)."""
    rng = np.random.default_rng([BASE_SEED, DATASETS.index(name), seed])
    if name == "arc":
        points = datasets.noisy_arc(N_POINTS, rng, radius=1.0, angle_range=(0.0, np.pi), noise=0.1)
    elif name == "cylinder":
        points = datasets.noisy_cylinder_patch(N_POINTS, rng, radius=1.0, angle_range=(0.0, np.pi),
                                               height=1.0, noise=0.1)
    elif name == "wine":
        points = datasets.load_wine_pca()
    else:
        raise ValueError(f"name: expected one of {DATASETS}, got {name!r}")
    train, test = datasets.train_test_split(points, TEST_FRACTION, rng)
    return train, test, rng


def run_row(name: str, width_factor: float, seed: int) -> dict:
    """One CSV row: fit both models on one split and score them on its held-out part."""
    train, test, rng = make_split(name, seed)
    kernel_width = width_factor * heldout.kernel_width_rule(train)
    head = {"dataset": name, "width_factor": width_factor, "kernel_width": kernel_width,
            "seed": seed, "n_train": train.shape[0]}
    try:
        experiment = heldout.heldout_experiment(train, test, kernel_width=kernel_width, rng=rng,
                                                **SETTINGS)
    except GeodesicSolverError as error:  # a failed fit is a result too: keep the row
        return {**head, "status": f"failed: {error}"[:120].replace(",", ";")}
    return {**head, "status": "ok", **experiment.summary()}


def wine_grids(n_grid: int = 36) -> None:
    """Densities of both models over the wine data (seed 0, rule width) for the chapter's figure.

    Writes the grid (:func:`land.experiments.heldout.save_grids`) and the points: role 0
    train, 1 held out, 2 the LAND's mean, 3 the Gaussian's mean.
    """
    train, test, rng = make_split("wine", 0)
    experiment = heldout.heldout_experiment(train, test, kernel_width=heldout.kernel_width_rule(train),
                                            rng=rng, **SETTINGS)
    fit = experiment.fit
    land_grid = heldout.grid_density(
        lambda p: heldout.land_log_density_lebesgue(experiment.manifold, p, fit.mean, fit.cov,
                                                    experiment.constant.log_value, fit.frame),
        WINE_BOX, n_grid)
    gauss_grid = heldout.grid_density(experiment.gaussian.log_density, WINE_BOX, n_grid)
    heldout.save_grids(WINE_GRID, {"land": land_grid, "gaussian": gauss_grid})
    points = np.vstack([np.column_stack([train, np.zeros(len(train))]),
                        np.column_stack([test, np.ones(len(test))]),
                        np.r_[fit.mean, 2.0][None, :], np.r_[experiment.gaussian.mean, 3.0][None, :]])
    np.savetxt(WINE_POINTS, points, delimiter=",", fmt="%.8g", header="x1,x2,role", comments="")
    print(f"wine grid: LAND mass {land_grid.mass:.4f} ({land_grid.n_failed} failed cells), "
          f"Gaussian mass {gauss_grid.mass:.4f}; row {experiment.summary()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs=3, metavar=("DATASET", "WIDTH_FACTOR", "SEED"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--wine-grids", action="store_true",
                        help="only write the wine density grids of the chapter's figure")
    args = parser.parse_args()
    if args.wine_grids:
        wine_grids()
        return
    if args.only:
        print(run_row(args.only[0], float(args.only[1]), int(args.only[2])))
        return
    tasks = [(name, width, seed) for name in ("cylinder", "arc", "wine")
             for width in WIDTH_FACTORS[name] for seed in SEEDS]
    rows = Parallel(n_jobs=args.jobs, verbose=5)(delayed(run_row)(*task) for task in tasks)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="") as handle:
        fields = max((list(row) for row in rows), key=len)
        writer = csv.DictWriter(handle, fieldnames=fields, restval="nan")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: (f"{value:.6g}" if isinstance(value, float) else value)
                             for key, value in row.items()})
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
