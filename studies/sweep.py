"""Run the quantitative study's sweeps and write their CSVs (book chapter ``ch-study``).

Usage (from the repository root)::

    nice -n 10 .venv/bin/python -m studies.sweep                            # full (~15 min, 2 cores)
    .venv/bin/python -m studies.sweep --quick --out /tmp/sweep             # a small slice

Each sweep is a list of configurations (:func:`land.experiments.study.make_config`);
every (configuration, seed) is one call of :func:`land.experiments.study.run_one`, run
in parallel with joblib. A sweep writes ``sweep_<name>.csv`` (one row per
configuration and seed) and ``sweep_<name>_summary.csv`` (mean, standard
deviation and count over seeds).
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

from land.data import results_dir
from land.experiments import study

#: Columns summarised over seeds.
SUMMARY_COLUMNS = (
    "mean_err", "cov_err", "mle_mean_err", "mle_cov_err", "opt_mean_err", "opt_cov_err",
    "iters_mean", "iters_cov", "mle_var", "reject_frac", "beyond_half_pi", "mc_rel_se",
    "mc_zero_frac", "diverged", "n_failed", "mean_norm", "wall_s", "iters_to_tol", "evals_to_tol",
    "time_to_tol", *[f"{kind}_at_{k}" for kind in ("mean_err", "cov_err") for k in study.CHECKPOINTS],
)


def sweep_steps(quick):
    means = (0.1, 0.5) if quick else (0.02, 0.1, 0.25, 0.5, 1.0)
    fractions = (0.5,) if quick else (0.05, 0.15, 0.5, 1.0)
    return [dict(step_mean=m, step_cov_fraction=f) for m in means for f in fractions], \
        ("step_mean", "step_cov_fraction")


def sweep_iterations(quick):
    settings = [dict(step_mean=0.01, step_cov=0.01), dict(step_mean=0.02, step_cov=0.02),
                dict(step_mean=0.5, step_cov_fraction=0.5)]
    spreads = (0.7,) if quick else (0.1, 0.7)
    return [dict(sd=sd, n_iter=50 if quick else 300, **s) for sd in spreads for s in settings], \
        ("sd", "step_mean", "step_cov", "step_cov_fraction")


def sweep_n_points(quick):
    sizes = (100, 500) if quick else (100, 250, 500, 1000, 2000, 4000)
    return [dict(n_points=n) for n in sizes], ("n_points",)


def sweep_n_samples(quick):
    sizes = (100, 1000) if quick else (100, 300, 1000, 3000, 10000)
    return [dict(n_samples=s) for s in sizes], ("n_samples",)


def sweep_spread(quick):
    spreads = (0.1, 0.7) if quick else (0.1, 0.3, 0.5, 0.7, 0.9)
    return [dict(sd=sd, data=d, n_points=1000) for sd in spreads for d in ("pushforward", "land")], \
        ("sd", "data")


def sweep_cut_locus(quick):
    spreads = (1.3,) if quick else (1.1, 1.3, 1.5, 1.8)
    return [dict(sd=sd, data=d, n_points=1000) for sd in spreads for d in ("pushforward", "land")], \
        ("sd", "data")


def sweep_optimizer(quick):
    return [dict(objective="fixed", optimizer=o, n_iter=60 if quick else 200)
            for o in study.OPTIMIZERS], ("optimizer",)


def sweep_learned(quick):
    common = dict(n_points=120, n_samples=300, n_iter=3 if quick else 10, reference=False)
    widths = (0.25,) if quick else (0.2, 0.3)
    configs = [dict(manifold="learned", kernel_width=h, step_mean=m, step_cov=c, **common)
               for h in widths for m, c in ((0.1, 0.1), (0.5, None))]
    configs += [dict(manifold="sphere", step_mean=m, step_cov=c, **common)
                for m, c in ((0.1, 0.1), (0.5, None))]
    return configs, ("manifold", "kernel_width", "step_mean", "step_cov")


SWEEPS = {
    "steps": sweep_steps, "iterations": sweep_iterations, "n_points": sweep_n_points,
    "n_samples": sweep_n_samples, "spread": sweep_spread, "cut_locus": sweep_cut_locus,
    "optimizer": sweep_optimizer, "learned": sweep_learned,
}


def configs_for(name, quick, seeds):
    """The full configurations of one sweep, one per (configuration, seed)."""
    overrides, group_by = SWEEPS[name](quick)
    configs = [study.make_config(sweep=name, index=i, seed=s, **o)
               for i, o in enumerate(overrides) for s in seeds]
    return configs, group_by


def _clean(value):
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return value


def write_csv(path, rows):
    columns = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _clean(row.get(c)) for c in columns})


def run_sweep(name, quick, seeds, n_jobs, out):
    configs, group_by = configs_for(name, quick, seeds)
    start = time.perf_counter()
    rows = Parallel(n_jobs=n_jobs)(delayed(study.run_one)(c) for c in configs)
    columns = [c for c in SUMMARY_COLUMNS if any(c in r for r in rows)]
    write_csv(out / f"sweep_{name}.csv", rows)
    write_csv(out / f"sweep_{name}_summary.csv", study.summarise(rows, group_by, columns))
    print(f"{name}: {len(rows)} runs in {time.perf_counter() - start:.0f} s", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small slice of every sweep")
    parser.add_argument("--out", type=Path, default=results_dir(),
                        help="where to write the CSVs (default: the package's study_results folder)")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. SEEDS-1")
    parser.add_argument("--only", nargs="*", choices=sorted(SWEEPS), default=None)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or SWEEPS:
        run_sweep(name, args.quick, range(args.seeds), args.n_jobs, args.out)


if __name__ == "__main__":
    main()
