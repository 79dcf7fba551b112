"""Evidence behind the estimators' defaults: ``LANDMixture`` on two moons, ``LAND`` on four data sets.

Writes two files under ``land/data/study_results/``:

* ``defaults_mixture.csv``: ``LANDMixture(2, random_state=0, **setting)`` on
  ``make_moons(200, noise=0.08, random_state=seed)`` for seeds 0-4 and each
  setting below (one changed from the defaults at a time): the adjusted Rand
  index of the training labels, ``GaussianMixture(2, random_state=0)``'s on the
  same data, the fit time, EM iterations, whether EM converged, and the warnings.
* ``defaults_land.csv``: ``LAND(random_state=0)`` with its own ``"auto"`` rules
  and with the mixture's, on standardised iris, one moon (the first class of the
  moons above, seed 0), ``noisy_arc(300)`` and 500 points of a LAND on the
  sphere: convergence, the reason it stopped, warnings, time and training score
  (Lebesgue or area measure).

Run from the repository root (about 20 minutes, two processes; the times in the
files were measured with both cores busy):

    nice -n 10 .venv/bin/python studies/defaults.py
"""

from __future__ import annotations

import csv
import time
import warnings

import numpy as np
from joblib import Parallel, delayed

from land.data import results_dir

SEEDS = range(5)
#: Settings of the mixture study, each one change from the defaults.
MIXTURE_SETTINGS = {
    "defaults": {},
    "width: 10th neighbour": {"width_neighbours": 10},
    "width: 20th neighbour (LAND's)": {"width_neighbours": 20},
    "rho: 1e-3 x variance (LAND's)": {"rho_factor": 1e-3},
    "rho: 1 x variance": {"rho_factor": 1.0},
    "init: k-means": {"init": "kmeans"},
    "n_init: 3": {"n_init": 3},
    "draws: 256": {"n_mc_samples": 256},
    "draws: 1024": {"n_mc_samples": 1024},
}
OUT = results_dir()


def _moons(seed):
    from sklearn.datasets import make_moons

    return make_moons(200, noise=0.08, random_state=seed)


def _fit_mixture(name, setting, seed):
    from sklearn.metrics import adjusted_rand_score
    from sklearn.mixture import GaussianMixture

    import land
    from land.geometry.metric import kernel_width_rule
    from land.model import estimators

    X, y = _moons(seed)
    options = dict(setting)
    neighbours = options.pop("width_neighbours", estimators.MIXTURE_WIDTH_NEIGHBOURS)
    factor = options.pop("rho_factor", estimators.MIXTURE_RHO_FACTOR)
    options.update(kernel_width=kernel_width_rule(X, neighbours),
                   rho=factor * float(np.mean(np.var(X, axis=0))))
    tic = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = land.LANDMixture(2, random_state=0, **options).fit(X)
    seconds = time.perf_counter() - tic
    gmm = GaussianMixture(2, random_state=0).fit(X)
    return dict(setting=name, seed=seed, land_ari=adjusted_rand_score(y, model.labels_),
                gmm_ari=adjusted_rand_score(y, gmm.predict(X)), seconds=seconds,
                em_iterations=model.n_iter_, converged=bool(model.converged_),
                warnings="; ".join(sorted({type(w.message).__name__ for w in caught})))


def _land_data(name):
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler

    import land
    from land.data.datasets import noisy_arc

    if name == "iris":
        return StandardScaler().fit_transform(load_iris().data), "learned"
    if name == "one moon":
        X, y = _moons(0)
        return X[y == 0], "learned"
    if name == "noisy_arc(300)":
        return noisy_arc(300, np.random.default_rng(0)), "learned"
    return land.sample_sphere_land(500, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
                                   np.random.default_rng(0)).points, "sphere"


def _fit_land(data_name, rules):
    import land
    from land.geometry.metric import kernel_width_rule
    from land.model import estimators

    X, geometry = _land_data(data_name)
    options = {}
    if geometry == "learned" and rules == "mixture's":
        options = dict(kernel_width=kernel_width_rule(X, estimators.MIXTURE_WIDTH_NEIGHBOURS),
                       rho=estimators.MIXTURE_RHO_FACTOR * float(np.mean(np.var(X, axis=0))))
    tic = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = land.LAND(geometry=geometry, random_state=0, **options).fit(X)
    seconds = time.perf_counter() - tic
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = model.score(X)
    return dict(data=data_name, rules=rules, n=X.shape[0], converged=bool(model.converged_),
                stop_reason=model.stop_reason_, seconds=seconds, score=score,
                warnings="; ".join(sorted({type(w.message).__name__ for w in caught})))


def _write(path, rows):
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({key: (f"{value:.6g}" if isinstance(value, float) else value)
                             for key, value in row.items()})


def main() -> None:
    tic = time.perf_counter()
    land_jobs = [(name, rules) for name in ("iris", "one moon", "noisy_arc(300)", "sphere")
                 for rules in ("LAND's", "mixture's") if not (name == "sphere" and rules != "LAND's")]
    land_rows = Parallel(n_jobs=2)(delayed(_fit_land)(*job) for job in land_jobs)
    OUT.mkdir(parents=True, exist_ok=True)
    _write(OUT / "defaults_land.csv", land_rows)
    jobs = [(name, setting, seed) for name, setting in MIXTURE_SETTINGS.items() for seed in SEEDS]
    rows = Parallel(n_jobs=2)(delayed(_fit_mixture)(*job) for job in jobs)
    _write(OUT / "defaults_mixture.csv", rows)
    print(f"wrote {len(land_rows)} + {len(rows)} rows in {time.perf_counter() - tic:.0f} s")


if __name__ == "__main__":
    main()
