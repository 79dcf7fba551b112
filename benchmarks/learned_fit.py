"""The learned-manifold LAND MLE at full scale: time per iteration, convergence, solver error.

Run (after `make test` or `make book` has created .venv):

    .venv/bin/python benchmarks/learned_fit.py                       # N = 1000, S = 1000, 100 iterations
    .venv/bin/python benchmarks/learned_fit.py --n-data 200          # the report's size
    .venv/bin/python benchmarks/learned_fit.py --n-iter 10 --no-tight

Setting (the fast-geodesics issue): N points on the unit sphere from the
report's generator with cov = diag(0.7^2), kernel width 0.15, rho = 1e-3;
the fit starts 0.3 rad from the target with Sigma_0 = 0.1^2 I_3 and runs the
LAND paper's fixed-step algorithm (land.fit_land) with S Monte Carlo draws.
With --tight (the default) the same fit is repeated with the same random
draws at tight solver tolerances (Exp rtol 1e-9, Log residual 1e-9). A
fixed-step fit with Monte Carlo gradients amplifies any small difference
between the runs, so the script also compares the two solvers at one point
(the final parameters, same draws): the difference in objective and mean
gradient, against their spread over fresh Monte Carlo draws. Prints time per iteration, failed solves, the distance of the
mean to its final value per iteration and the peak memory.
"""

from __future__ import annotations

import argparse

import numpy as np

import land

from _common import finish, timed  # benchmarks/_common.py (the script's folder is on sys.path)


def run_fit(manifold, data, args, init_mean, seed):
    return timed(land.fit_land, manifold, data, init_mean=init_mean, init_cov=np.diag([0.1**2] * 3),
                 n_iter=args.n_iter, step_mean=args.step_mean, step_cov=args.step_cov,
                 n_samples=args.n_samples, rng=np.random.default_rng(seed))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-data", type=int, default=1000)
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--n-iter", type=int, default=100)
    parser.add_argument("--step-mean", type=float, default=0.25)
    parser.add_argument("--step-cov", type=float, default=0.25)
    parser.add_argument("--kernel-width", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-tight", dest="tight", action="store_false",
                        help="skip the tight-tolerance repeat")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    sphere = land.Sphere()
    target = sphere.random_point(rng)
    data = land.sample_sphere_data(args.n_data, target, np.diag([0.7**2] * 2), rng).points
    direction = sphere.tangent_basis(target) @ rng.standard_normal(2)
    init_mean = sphere.exp(target, 0.3 * direction / np.linalg.norm(direction))
    metric = land.LocalDiagonalMetric(data, args.kernel_width, 1e-3)
    print(f"N = {args.n_data}, S = {args.n_samples}, {args.n_iter} iterations, steps "
          f"{args.step_mean}/{args.step_cov}, kernel width {args.kernel_width}, rho 1e-3")

    fit, seconds = run_fit(land.LearnedManifold(metric), data, args, init_mean, args.seed + 1)
    history = fit.history
    moves = np.linalg.norm(history.mean - fit.mean, axis=1)
    results = {
        "settings": vars(args), "seconds": seconds, "seconds_per_iteration": seconds / args.n_iter,
        "failed_log_per_iteration": history.n_failed_log.tolist(),
        "failed_exp_per_iteration": history.n_failed_exp.tolist(),
        "distance_to_final_mean": moves.tolist(), "final_mean": fit.mean.tolist(),
        "distance_to_target": float(np.linalg.norm(fit.mean - target)),
        "objective": history.objective.tolist(),
    }
    print(f"default tolerances: {seconds:.0f} s ({seconds / args.n_iter:.1f} s per iteration); "
          f"failed Logs per iteration: max {history.n_failed_log.max()}, total "
          f"{history.n_failed_log.sum()}; failed Exps total {history.n_failed_exp.sum()}")
    checkpoints = sorted({0, 1, 2, 5, 10, 20, 50, args.n_iter} & set(range(args.n_iter + 1)))
    print("  |mean_k - final mean|: " + ", ".join(f"k={k}: {moves[k]:.1e}" for k in checkpoints))
    print(f"  final mean {np.round(fit.mean, 4)} (norm {np.linalg.norm(fit.mean):.3f}); "
          f"target {np.round(target, 4)}")
    if args.tight:
        tight = land.LearnedManifold(metric, rtol=1e-9, atol=1e-11, log_tol=1e-9)
        tight_fit, tight_seconds = run_fit(tight, data, args, init_mean, args.seed + 1)
        gap = float(np.linalg.norm(tight_fit.mean - fit.mean))
        results.update(tight_seconds=tight_seconds, tight_final_mean=tight_fit.mean.tolist(),
                       gap_to_tight_fit=gap)
        print(f"tight tolerances: {tight_seconds:.0f} s; |final mean - tight final mean| = {gap:.1e}")
        # The two runs see the same draws, but a fixed-step fit amplifies any difference
        # through its Monte Carlo noise. So compare the solvers where it matters, at one
        # point: the objective and mean gradient with the same draws, against their
        # spread over fresh draws.
        def evaluate(manifold, seed):
            return land.evaluate_land(manifold, data, fit.mean, fit.cov, n_samples=args.n_samples,
                                      rng=np.random.default_rng(seed), frame=fit.frame)

        default_eval, tight_eval = evaluate(land.LearnedManifold(metric), 99), evaluate(tight, 99)
        fresh = [evaluate(land.LearnedManifold(metric), 100 + k) for k in range(4)]
        solver_grad = float(np.linalg.norm(default_eval.grad_mean - tight_eval.grad_mean))
        noise_grad = float(np.sqrt(np.sum(np.var([e.grad_mean for e in fresh], axis=0, ddof=1))))
        solver_obj = abs(default_eval.objective - tight_eval.objective)
        noise_obj = float(np.std([e.objective for e in fresh], ddof=1))
        results.update(solver_grad_difference=solver_grad, mc_grad_spread=noise_grad,
                       solver_objective_difference=solver_obj, mc_objective_spread=noise_obj)
        print(f"at the final parameters, same draws: |grad(default) - grad(tight)| = {solver_grad:.1e} "
              f"vs Monte Carlo spread {noise_grad:.1e}; objective difference {solver_obj:.1e} vs "
              f"spread {noise_obj:.1e}")
    return finish(results, args.json)


if __name__ == "__main__":
    main()
