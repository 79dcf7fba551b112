"""Geodesic solvers on the learned LAND metric: land's batched solvers vs the report's scipy loops.

Run (after `make test` or `make book` has created .venv):

    .venv/bin/python benchmarks/geodesics.py            # the issue's full setting, a few minutes
    .venv/bin/python benchmarks/geodesics.py --quick    # a small version

Everything is measured side by side in one process on the same data and the
same tangent vectors/target points, and reported as ratios of throughput
(geodesics per second), because absolute times on shared 2-core machines are
noise. Accuracy is measured against a tight reference (DOP853, rtol 1e-12):
Exp by end-point error, Log by the residual |Exp_ref(x0, v) - x| of the
returned initial velocity.

Setting (as in the fast-geodesics issue): N data points on the unit sphere
from the report's generator with cov = diag(0.7^2), kernel width 0.15,
rho = 1e-3. Exp vectors are tangent to the sphere at the mean with
coordinates ~ N(0, 0.7^2 I); Log targets are the data points. The scipy
loops are timed on a subset (they are slow) and compared by throughput.
"""

from __future__ import annotations

import argparse

import numpy as np

import land
from land.reference import scipy_exp, scipy_log

from _common import finish, timed  # benchmarks/_common.py (the script's folder is on sys.path)


def summarise(errors):
    errors = np.asarray(errors)
    return {"median": float(np.median(errors)), "max": float(np.max(errors))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-data", type=int, default=1000)
    parser.add_argument("--n-exp", type=int, default=1000, help="Exps for land's solver")
    parser.add_argument("--n-exp-baseline", type=int, default=100, help="Exps for the scipy loop")
    parser.add_argument("--n-log", type=int, default=1000, help="Logs for land's solver")
    parser.add_argument("--n-log-baseline", type=int, default=30, help="Logs for the solve_bvp loop")
    parser.add_argument("--kernel-width", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="N=300, fewer geodesics")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_data, args.n_exp, args.n_exp_baseline = 300, 300, 40
        args.n_log, args.n_log_baseline = 100, 10

    rng = np.random.default_rng(args.seed)
    sphere = land.Sphere()
    mean = sphere.random_point(rng)
    data = land.sample_sphere_data(args.n_data, mean, np.diag([0.7**2] * 2), rng)
    metric = land.LocalDiagonalMetric(data.points, args.kernel_width, 1e-3)
    manifold = land.LearnedManifold(metric)
    print(f"N = {args.n_data} data points, kernel width {args.kernel_width}, rho 1e-3; "
          f"land defaults rtol={manifold.rtol:g}, atol={manifold.atol:g}, log_tol={manifold.log_tol:g}")
    results = {"settings": vars(args)}

    # ---------------------------------------------------------------- Exp
    vecs = (0.7 * rng.standard_normal((args.n_exp, 2))) @ data.frame.T
    base = vecs[: args.n_exp_baseline]
    (base_ends, base_ok), base_time = timed(scipy_exp, manifold, mean, base, method="RK45", rtol=1e-6)
    ours, ours_time = timed(manifold.solve_exp, mean, vecs)
    (ref_ends, ref_ok), _ = timed(scipy_exp, manifold, mean, base, method="DOP853", rtol=1e-12,
                                  atol=1e-14)
    base_rate, ours_rate = len(base) / base_time, len(vecs) / ours_time
    exp_result = {
        "baseline_per_second": base_rate, "land_per_second": ours_rate,
        "ratio": ours_rate / base_rate,
        "baseline_error": summarise(np.linalg.norm(base_ends - ref_ends, axis=1)),
        "land_error": summarise(np.linalg.norm(ours.value[: len(base)] - ref_ends, axis=1)),
        "baseline_failed": int(np.sum(~base_ok)), "land_failed": ours.n_failed,
    }
    results["exp"] = exp_result
    print(f"Exp: solve_ivp loop {base_rate:8.1f}/s, land batched {ours_rate:8.1f}/s, "
          f"ratio {exp_result['ratio']:.1f}x")
    print(f"     end-point error vs DOP853 1e-12: loop median {exp_result['baseline_error']['median']:.1e} "
          f"max {exp_result['baseline_error']['max']:.1e}; land median "
          f"{exp_result['land_error']['median']:.1e} max {exp_result['land_error']['max']:.1e}")

    # ---------------------------------------------------------------- Log
    targets = data.points[: args.n_log]
    base_targets = targets[: args.n_log_baseline]
    (bvp_vel, bvp_ok), bvp_time = timed(scipy_log, manifold, mean, base_targets, tol=1e-4)
    cold, cold_time = timed(manifold.solve_log, mean, targets)
    # A typical mean step of the MLE (0.02 rad along the sphere), warm-started from the cold Logs.
    step = 0.02 * data.frame[:, 0]
    moved = sphere.exp(mean, step)
    warm, warm_time = timed(manifold.solve_log, moved, targets, initial_velocities=cold.value - step)

    def residuals(base_point, velocities, goal):
        ends, ok = scipy_exp(manifold, base_point, velocities, method="DOP853", rtol=1e-12, atol=1e-14)
        return np.where(ok, np.linalg.norm(ends - goal, axis=1), np.inf)

    bvp_res = residuals(mean, bvp_vel, base_targets)
    check = slice(0, min(len(targets), 100))
    cold_res = residuals(mean, cold.value[check], targets[check])
    bvp_rate = len(base_targets) / bvp_time
    log_result = {
        "baseline_per_second": bvp_rate,
        "land_cold_per_second": len(targets) / cold_time,
        "land_warm_per_second": len(targets) / warm_time,
        "cold_ratio": len(targets) / cold_time / bvp_rate,
        "warm_ratio": len(targets) / warm_time / bvp_rate,
        "baseline_failed_fraction": float(np.mean(~bvp_ok)),
        "land_cold_failed_fraction": float(np.mean(~cold.converged)),
        "land_warm_failed_fraction": float(np.mean(~warm.converged)),
        "baseline_residual": summarise(bvp_res[bvp_ok]) if bvp_ok.any() else None,
        "land_cold_residual_converged": summarise(cold_res[cold.converged[check]]),
    }
    results["log"] = log_result
    print(f"Log: solve_bvp loop {bvp_rate:8.2f}/s, land cold {log_result['land_cold_per_second']:8.2f}/s "
          f"(ratio {log_result['cold_ratio']:.1f}x), warm {log_result['land_warm_per_second']:8.2f}/s "
          f"(ratio {log_result['warm_ratio']:.1f}x)")
    print(f"     failed: solve_bvp {log_result['baseline_failed_fraction']:.1%}, land cold "
          f"{log_result['land_cold_failed_fraction']:.1%}, warm {log_result['land_warm_failed_fraction']:.1%}")
    if log_result["baseline_residual"]:
        print(f"     residual |Exp_ref(v) - x|: solve_bvp median {log_result['baseline_residual']['median']:.1e} "
              f"max {log_result['baseline_residual']['max']:.1e}; land (converged) median "
              f"{log_result['land_cold_residual_converged']['median']:.1e} "
              f"max {log_result['land_cold_residual_converged']['max']:.1e}")
    return finish(results, args.json)


if __name__ == "__main__":
    main()
