"""Geodesics of the learned LAND metric: land's compiled solvers vs the report's scipy loops.

Run (after `make test` or `make book` has created .venv):

    .venv/bin/python benchmarks/geodesics.py            # the issue's setting, a few minutes
    .venv/bin/python benchmarks/geodesics.py --quick    # a small version

Setting (the learned-manifold issue): N = 1000 points on the unit sphere from
the report's generator with cov = diag(0.7^2), kernel width 0.15, rho 1e-3.
Exp vectors are tangent to the sphere at the mean with coordinates
~ N(0, 0.7^2 I); Log targets are the data points.

Two baselines, each timed side by side with land in this process, on the
same vectors and targets, alternating rounds and keeping each one's best:

Log is timed cold (no previous solution) and warm as a fit calls it: after a
0.02 rad step of the mean, with the previous Logs moved to first order in
the step (by the Log Jacobian the fit computes for its gradient anyway)
given as warm starts.

* "report": the report's approach (benchmarks/report_baseline.py): one
  solve_ivp (RK45, rtol 1e-6) per Exp, one solve_bvp (tol 1e-4, straight
  line) per Log, metric by direct numpy sums, Christoffel symbols.
* "report loops + land metric": the same scipy loops calling land's
  compiled metric (the stricter baseline).

Ratios are throughputs (geodesics per second). Exp is timed twice: on a
quiet machine and with another CPU-bound process running beside it; BLAS
keeps its default thread count throughout. Accuracy is measured against
DOP853 at rtol 1e-12: Exp by end-point error, Log by the residual
|Exp_ref(x0, v) - x| of every converged velocity. Finally the whole problem
is shifted by +1e3 in every coordinate and solved again.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

import land
import land.numerics
from land.experiments.reference import fit_warm_starts, scipy_exp, scipy_log

from _common import finish  # benchmarks/_common.py (the script's folder is on sys.path)
from report_baseline import ReportMetric, report_exp, report_log


def summarise(errors):
    errors = np.asarray(errors)
    return {"median": float(np.median(errors)), "max": float(np.max(errors))}


def side_by_side(calls, rounds):
    """Run each ``(name, func, n_items)`` ``rounds`` times, alternating; best rate per name."""
    rates, results = {}, {}
    for _ in range(rounds):
        for name, func, n_items in calls:
            start = time.perf_counter()
            results[name] = func()
            rate = n_items / (time.perf_counter() - start)
            rates[name] = max(rates.get(name, 0.0), rate)
    return rates, results


class CpuLoad:
    """Another CPU-bound process beside the benchmark, for as long as the block runs."""

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait()


def tight_ends(manifold, base_point, vecs):
    ends, ok = scipy_exp(manifold, base_point, vecs, method="DOP853", rtol=1e-12, atol=1e-14)
    return np.where(ok[:, None], ends, np.nan)


def print_ratios(label, rates, ours):
    parts = [f"{name} {rate:9.2f}/s" for name, rate in rates.items()]
    print(f"{label}: " + ", ".join(parts))
    for name, rate in rates.items():
        if name != ours:
            print(f"    land / {name}: {rates[ours] / rate:7.1f}x")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-data", type=int, default=1000)
    parser.add_argument("--n-exp", type=int, default=1000, help="Exps for land")
    parser.add_argument("--n-exp-baseline", type=int, default=60, help="Exps for each scipy loop")
    parser.add_argument("--n-log", type=int, default=1000, help="Logs for land")
    parser.add_argument("--n-log-baseline", type=int, default=12, help="Logs for each solve_bvp loop")
    parser.add_argument("--n-reference", type=int, default=100,
                        help="Exps and Logs checked against scipy's DOP853 at rtol 1e-12")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--kernel-width", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="N=300, fewer geodesics")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_data, args.n_exp, args.n_exp_baseline = 300, 300, 20
        args.n_log, args.n_log_baseline, args.n_reference, args.rounds = 100, 4, 30, 1

    rng = np.random.default_rng(args.seed)
    sphere = land.Sphere()
    mean = sphere.random_point(rng)
    data = land.sample_sphere_data(args.n_data, mean, np.diag([0.7**2] * 2), rng)
    metric = land.LocalDiagonalMetric(data.points, args.kernel_width, 1e-3)
    manifold = land.LearnedManifold(metric)
    report_metric = ReportMetric(data.points, args.kernel_width, 1e-3)
    print(f"N = {args.n_data} data points, kernel width {args.kernel_width}, rho 1e-3; land defaults "
          f"rtol={manifold.rtol:g}, atol={manifold.atol:g} and log_tol={manifold.log_tol:g} "
          "(kernel widths)")
    manifold.solve_exp(mean, np.zeros((2, 3)))            # compile (cached after the first run)
    manifold.solve_log(mean, data.points[:2])
    results = {"settings": vars(args)}

    # ---------------------------------------------------------------- Exp
    vecs = (0.7 * rng.standard_normal((args.n_exp, 2))) @ data.frame.T
    base = vecs[: args.n_exp_baseline]
    calls = [("land", lambda: manifold.solve_exp(mean, vecs), len(vecs)),
             ("report", lambda: report_exp(report_metric, mean, base), len(base)),
             ("report loops + land metric",
              lambda: scipy_exp(manifold, mean, base, method="RK45", rtol=1e-6, atol=1e-6), len(base))]
    rates, out = side_by_side(calls, args.rounds)
    print_ratios("Exp, quiet machine", rates, "land")
    with CpuLoad():
        loaded_rates, _ = side_by_side(calls, args.rounds)
    print_ratios("Exp, another CPU-bound process running", loaded_rates, "land")
    ours = out["land"]
    check = slice(0, args.n_reference)
    reference = tight_ends(manifold, mean, vecs[check])
    land_error = np.linalg.norm(ours.value[check] - reference, axis=1)
    both = min(len(base), len(reference))
    report_error = np.linalg.norm(out["report"][0][:both] - reference[:both], axis=1)
    results["exp"] = {
        "rates": rates, "rates_under_load": loaded_rates,
        "ratio_vs_report": rates["land"] / rates["report"],
        "ratio_vs_report_under_load": loaded_rates["land"] / loaded_rates["report"],
        "ratio_vs_land_metric_loops": rates["land"] / rates["report loops + land metric"],
        "land_error": summarise(land_error), "report_error": summarise(report_error),
        "land_failed": ours.n_failed, "rhs_per_exp": float(np.mean(ours.info["n_rhs"])),
    }
    print(f"    end-point error vs DOP853 rtol 1e-12 ({args.n_reference} vectors): land median "
          f"{np.median(land_error):.1e} max {land_error.max():.1e}; report's RK45 median "
          f"{np.median(report_error):.1e} max {report_error.max():.1e}; land failed {ours.n_failed}")

    # ---------------------------------------------------------------- Log
    targets = data.points[: args.n_log]
    few = targets[: args.n_log_baseline]
    cold = manifold.solve_log(mean, targets)
    warm_starts, moved, step = fit_warm_starts(manifold, mean, data.frame[:, 0], cold)
    calls = [("land cold", lambda: manifold.solve_log(mean, targets), len(targets)),
             ("land warm", lambda: manifold.solve_log(moved, targets,
                                                       initial_velocities=warm_starts),
              len(targets)),
             ("report", lambda: report_log(report_metric, mean, few), len(few)),
             ("report loops + land metric", lambda: scipy_log(manifold, mean, few, tol=1e-4), len(few))]
    rates, out = side_by_side(calls, args.rounds)
    print(f"Log: " + ", ".join(f"{name} {rate:8.2f}/s" for name, rate in rates.items()))
    for ours_name in ("land cold", "land warm"):
        for name in ("report", "report loops + land metric"):
            print(f"    {ours_name} / {name}: {rates[ours_name] / rates[name]:7.1f}x")
    cold, warm = out["land cold"], out["land warm"]
    _, report_ok = out["report"]
    # Residuals of every converged Log against a tight integrator (land's DOP853 at 1e-12),
    # and of the first ones against scipy's DOP853 at 1e-12.
    tight = land.LearnedManifold(metric, rtol=1e-12, atol=1e-14)

    def tight_residuals(base_point, result):
        ok = result.converged
        ends = tight.solve_exp(base_point, result.value[ok]).value
        return np.linalg.norm(ends - targets[ok], axis=1)

    cold_res, warm_res = tight_residuals(mean, cold), tight_residuals(moved, warm)
    first = np.flatnonzero(cold.converged)[: args.n_reference]
    scipy_res = np.linalg.norm(tight_ends(manifold, mean, cold.value[first]) - targets[first], axis=1)
    results["log"] = {
        "rates": rates,
        "cold_ratio_vs_report": rates["land cold"] / rates["report"],
        "warm_ratio_vs_report": rates["land warm"] / rates["report"],
        "cold_ratio_vs_land_metric_loops": rates["land cold"] / rates["report loops + land metric"],
        "warm_ratio_vs_land_metric_loops": rates["land warm"] / rates["report loops + land metric"],
        "land_cold_failed": cold.n_failed, "land_warm_failed": warm.n_failed,
        "report_failed": int(np.sum(~report_ok)),
        "cold_residual": summarise(cold_res), "warm_residual": summarise(warm_res),
        "cold_residual_scipy_reference": summarise(scipy_res),
        "shots_per_log_cold": float(np.mean(cold.info["n_shots"])),
        "shots_per_log_warm": float(np.mean(warm.info["n_shots"])),
        "stage_counts_cold": cold.info["stage_counts"],
        "stage_counts_warm": warm.info["stage_counts"],
        "solved_by_cold": {s: int(np.sum(cold.info["stage"] == s)) for s in land.numerics.STAGES},
        "solved_by_warm": {s: int(np.sum(warm.info["stage"] == s)) for s in land.numerics.STAGES},
        "longer_than_graph_bound_cold": cold.info["n_longer_than_bound"],
        "longer_than_graph_bound_warm": warm.info["n_longer_than_bound"],
        "rhs_share_of_unsolved_shots_cold": float(
            cold.info["n_rhs"][~cold.converged].sum() / max(cold.info["n_rhs"].sum(), 1)),
    }
    log = results["log"]
    print(f"    failed: land cold {cold.n_failed} of {len(targets)}, warm {warm.n_failed}; report "
          f"{log['report_failed']} of {len(few)}")
    print(f"    residual of converged Logs vs DOP853 rtol 1e-12: cold median "
          f"{log['cold_residual']['median']:.1e} max {log['cold_residual']['max']:.1e}; warm max "
          f"{log['warm_residual']['max']:.1e}; scipy reference ({first.size}) max "
          f"{log['cold_residual_scipy_reference']['max']:.1e}")
    print(f"    Newton shots per Log: cold {log['shots_per_log_cold']:.2f}, warm "
          f"{log['shots_per_log_warm']:.2f}")
    print(f"    cascade stages, cold (points tried / converged): {log['stage_counts_cold']}")
    print(f"    cascade stages, warm: {log['stage_counts_warm']}")
    print(f"    solved by stage: cold {log['solved_by_cold']}; warm {log['solved_by_warm']}")
    print(f"    converged Logs longer than their graph-path bound: cold "
          f"{log['longer_than_graph_bound_cold']}, warm {log['longer_than_graph_bound_warm']}")

    # ------------------------------------------------------ shifted by +1e3
    shift = 1e3
    shifted = land.LearnedManifold(land.LocalDiagonalMetric(data.points + shift, args.kernel_width, 1e-3))
    exp_shifted = shifted.solve_exp(mean + shift, vecs)
    log_shifted = shifted.solve_log(mean + shift, targets + shift)
    exp_gap = np.abs(exp_shifted.value - shift - ours.value).max()
    both = log_shifted.converged & cold.converged
    log_gap = (np.abs(log_shifted.value[both] - cold.value[both]).max()
               / np.abs(cold.value[both]).max())
    results["shifted"] = {"exp_failed": exp_shifted.n_failed, "log_failed": log_shifted.n_failed,
                          "exp_max_difference": float(exp_gap), "log_max_relative_difference": float(log_gap)}
    print(f"Shifted by +{shift:g}: Exp failed {exp_shifted.n_failed} of {len(vecs)}, Log failed "
          f"{log_shifted.n_failed} of {len(targets)}; largest change of an Exp end point "
          f"{exp_gap:.1e} (sphere of radius 1), of a Log (relative) {log_gap:.1e}")
    return finish(results, args.json)


if __name__ == "__main__":
    main()
