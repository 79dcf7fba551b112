"""The learned-manifold LAND MLE at full scale: time, stopping, agreement between seeds and tolerances.

Run (after `make test` or `make book` has created .venv):

    .venv/bin/python benchmarks/learned_fit.py                      # N = 1000, S = 1024, 5 seeds
    .venv/bin/python benchmarks/learned_fit.py --n-data 200 --seeds 2
    .venv/bin/python benchmarks/learned_fit.py --algorithm paper --n-iter 20

Setting (the learned-manifold issue): N points on the unit sphere from the
report's generator with cov = diag(0.7^2), kernel width 0.15, rho 1e-3.
Each fit is land.fit_land with its defaults (initial mean and covariance
from the data, the natural algorithm with its stopping rule, at most
--n-iter iterations) and S Monte Carlo draws; one fit per seed. With
--tight (the default) the first seed's fit is repeated with the same draws
at tight solver tolerances (Exp rtol 1e-9, Log residual 1e-9 kernel
widths). Prints time per fit and per iteration, why each fit stopped, the
effective number of draws, failed solves, the spread of the final means
over seeds and the gap to the tight-tolerance fit.
"""

from __future__ import annotations

import argparse

import numpy as np

import land

from _common import finish, timed  # benchmarks/_common.py (the script's folder is on sys.path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-data", type=int, default=1000)
    parser.add_argument("--n-samples", type=int, default=1024)
    parser.add_argument("--n-iter", type=int, default=100, help="most iterations")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--algorithm", default="natural", choices=land.model.ALGORITHMS)
    parser.add_argument("--step-mean", type=float)
    parser.add_argument("--step-cov", type=float)
    parser.add_argument("--kernel-width", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=0, help="seed of the data")
    parser.add_argument("--no-tight", dest="tight", action="store_false",
                        help="skip the tight-tolerance repeat")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    sphere = land.Sphere()
    target = sphere.random_point(rng)
    data = land.sample_sphere_data(args.n_data, target, np.diag([0.7**2] * 2), rng).points
    metric = land.LocalDiagonalMetric(data, args.kernel_width, 1e-3)
    manifold = land.LearnedManifold(metric)
    manifold.solve_log(target, data[:2])                                  # compile first
    print(f"N = {args.n_data}, S = {args.n_samples}, at most {args.n_iter} iterations, "
          f"algorithm {args.algorithm}, kernel width {args.kernel_width}, rho 1e-3")
    options = dict(n_iter=args.n_iter, n_samples=args.n_samples, algorithm=args.algorithm,
                   step_mean=args.step_mean, step_cov=args.step_cov)
    fits, results = [], {"settings": vars(args), "fits": []}
    for seed in range(args.seeds):
        fit, seconds = timed(land.fit_land, manifold, data, rng=np.random.default_rng(100 + seed), **options)
        fits.append(fit)
        history = fit.history
        row = {"seed": seed, "seconds": seconds, "n_iter": fit.n_iter, "converged": fit.converged,
               "stop_reason": fit.stop_reason, "mean": fit.mean.tolist(),
               "effective_draws_last": float(history.effective_draws[-1]),
               "failed_logs": int(history.n_failed_log.sum()),
               "failed_exps": int(history.n_failed_exp.sum())}
        totals = {}
        for stages in history.log_stages:
            for name, count in stages.items():
                total = totals.setdefault(name, {"points": 0, "converged": 0})
                total["points"] += count["points"]
                total["converged"] += count.get("converged", 0)
        row["stage_totals"] = totals
        row["draw_sets"] = int(history.draw_set[-1]) + 1
        results["fits"].append(row)
        print(f"seed {seed}: {seconds:6.1f} s, {fit.n_iter} iterations "
              f"({seconds / max(fit.n_iter, 1):.1f} s each), {fit.stop_reason}; effective draws "
              f"{history.effective_draws[-1]:.0f} of {fit.settings['n_samples']}; failed Logs "
              f"{row['failed_logs']}, Exps {row['failed_exps']}; |mean - target| "
              f"{np.linalg.norm(fit.mean - target):.3f}")
        print("    Log stages over the fit (solved / tried): "
              + ", ".join(f"{name} {c['converged']}/{c['points']}" for name, c in totals.items())
              + f"; {row['draw_sets']} sets of draws (proposal refits and doublings)")
    means = np.array([fit.mean for fit in fits])
    spread = float(np.max(np.linalg.norm(means[:, None] - means[None], axis=-1)))
    results["largest_gap_between_seeds"] = spread
    print(f"largest distance between the final means of two seeds: {spread:.2e}")
    if args.tight:
        tight = land.LearnedManifold(metric, rtol=1e-9, atol=1e-11, log_tol=1e-9)
        tight_fit, seconds = timed(land.fit_land, tight, data, rng=np.random.default_rng(100), **options)
        gap = float(np.linalg.norm(tight_fit.mean - fits[0].mean))
        results.update(tight_seconds=seconds, tight_stop_reason=tight_fit.stop_reason,
                       gap_to_tight_fit=gap)
        print(f"tight tolerances (seed 0): {seconds:.0f} s, {tight_fit.n_iter} iterations, "
              f"{tight_fit.stop_reason}; |mean - default-tolerance mean| = {gap:.2e}")
    return finish(results, args.json)


if __name__ == "__main__":
    main()
