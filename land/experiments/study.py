"""The quantitative study: one LAND fit per configuration, summarised as a table row.

The book's study chapter sweeps the settings of the MLE (step sizes,
iterations, data size, Monte Carlo draws, spread of the data, the data's
law, the geometry, the optimiser) over several seeds. Every run is one call
of the pure function :func:`run_one`, which takes a configuration (a dict)
and returns a row (a dict of numbers), so a script can run many of them in
parallel (``studies/sweep.py``) and a test can re-run any row of the
committed results.

Seeding. A row's random numbers depend only on its configuration, never on
the order or the process it runs in: the data (target mean, initial mean,
points) come from ``SeedSequence([crc32(sweep), seed, 0])`` and the
algorithm's Monte Carlo draws from ``SeedSequence([crc32(sweep), seed,
index + 1])``; the reference MLE below from ``SeedSequence([crc32(sweep),
seed, 0, 1])``. Configurations of one sweep that share a seed and the data
settings therefore see *the same data set* and the same reference MLE
(common random numbers), so a comparison across their other settings is
paired.

Errors. ``mean_err`` is the geodesic distance to the target mean,
``cov_err`` the relative Frobenius error of the covariance after carrying it
to the target (:mod:`land.experiments.diagnostics`). Each sphere run also computes a
reference MLE of its data set (a long, tuned fit with many draws, averaged
over its last iterates) and splits the error of the last iterate into the
statistical part (``mle_*``: MLE against the target, which includes the
model-mismatch bias) and the optimisation part (``opt_*``: last iterate
against the MLE).
"""

from __future__ import annotations

import functools
import time
import zlib
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from land.experiments import diagnostics
from land._validation import as_float_array, check_positive, check_positive_int
from land.geometry.base import GeodesicSolverError
from land.data import sample_sphere_data, sample_sphere_land
from land.geometry.learned import LearnedManifold
from land.geometry.metric import LocalDiagonalMetric
from land.model import fit_land, normalising_constant
from land.experiments.reference import fixed_draws
from land.geometry.sphere import Sphere

__all__ = [
    "DEFAULTS",
    "CHECKPOINTS",
    "OPTIMIZERS",
    "DETERMINISTIC_COLUMNS",
    "REFERENCE_SETTINGS",
    "PROPOSAL_SD",
    "make_config",
    "step_grid",
    "checkpoint_errors",
    "run_rngs",
    "run_one",
    "first_within",
    "summarise",
    "load_table",
    "where",
    "FixedObjective",
    "fixed_objective",
    "OptimizerTrace",
    "optimizer_traces",
    "run_optimizer",
]

#: Settings of a run unless a configuration overrides them.
DEFAULTS = dict(
    sweep="default", index=0, seed=0,
    manifold="sphere",          # "sphere" or "learned"
    data="pushforward",         # "pushforward" (report's generator) or "land" (exact LAND draws)
    sd=0.7,                     # data spread: Sigma = sd^2 I (radians)
    n_points=500,
    n_samples=2000,             # Monte Carlo draws per estimate of C
    n_iter=100,
    step_mean=0.5,
    step_cov=None,              # absolute step of A; None: step_cov_fraction / s_hat
    step_cov_fraction=0.5,      # see land.experiments.diagnostics.suggested_step_cov
    init_offset=0.3,            # rad from the target to the initial mean
    init_sd=0.1,                # initial Sigma = init_sd^2 I
    kernel_width=0.25,          # learned metric only
    rho=1e-3,                   # learned metric only
    objective="fresh",          # "fresh": fit_land, new draws per step; "fixed": frozen draws
    optimizer="fixed-step",     # with objective="fixed": or "steepest-descent", "conjugate-gradient"
    reference=True,             # compute the reference MLE (sphere runs)
)

#: Iterations at which the error against the target is recorded.
CHECKPOINTS = (0, 5, 10, 20, 50, 100, 200, 300)

#: Optimisers compared on the fixed-sample objective (:func:`run_optimizer`).
OPTIMIZERS = ("fixed-step", "steepest-descent", "conjugate-gradient")

#: Row columns that do not depend on timing (the reproduction test compares these).
DETERMINISTIC_COLUMNS = (
    "mean_err", "cov_err", "mle_mean_err", "mle_cov_err", "opt_mean_err", "opt_cov_err",
    "iters_mean", "iters_cov", "mle_var", "reject_frac", "beyond_half_pi", "mc_rel_se",
    "mc_zero_frac", "iters_to_tol", "evals_to_tol", "n_iter_run", "n_evals", "n_failed", "mean_norm",
    "diverged",
)

#: The reference MLE of a data set: tuned steps, many draws, average of the last iterates.
REFERENCE_SETTINGS = dict(n_iter=60, n_tail=30, n_samples=10000)
_REF_ITER, _REF_TAIL, _REF_SAMPLES = (REFERENCE_SETTINGS[k] for k in ("n_iter", "n_tail", "n_samples"))

#: Standard deviation of the frozen proposal draws of :func:`run_optimizer` (radians).
PROPOSAL_SD = 1.2
_SPHERE = Sphere()


def make_config(**overrides) -> dict:
    """A full configuration: :data:`DEFAULTS` updated with ``overrides``.

    Raises
    ------
    KeyError
        For a key that is not in :data:`DEFAULTS`.
    """
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise KeyError(f"make_config: unknown settings {sorted(unknown)}")
    config = dict(DEFAULTS)
    config.update(overrides)
    return config


def run_rngs(config) -> tuple[np.random.Generator, np.random.Generator]:
    """The data generator and the algorithm generator of one run (see the module docstring).

    Parameters
    ----------
    config : dict
        Needs ``sweep`` (str), ``index`` (int >= 0) and ``seed`` (int >= 0).

    Returns
    -------
    data_rng, algo_rng : numpy.random.Generator
    """
    key = zlib.crc32(str(config["sweep"]).encode())
    seed, index = int(config["seed"]), int(config["index"])
    if seed < 0 or index < 0:
        raise ValueError(f"seed, index: expected non-negative integers, got {seed}, {index}")
    return (np.random.default_rng(np.random.SeedSequence([key, seed, 0])),
            np.random.default_rng(np.random.SeedSequence([key, seed, index + 1])))


def _make_data(config, rng):
    """Target mean, initial mean and data set of a run (all from the data generator)."""
    target = _SPHERE.random_point(rng)
    frame = _SPHERE.tangent_basis(target)
    direction = rng.standard_normal(2)
    init_mean = _SPHERE.exp(target, frame @ (config["init_offset"] * direction
                                             / np.linalg.norm(direction)))
    sampler = {"pushforward": sample_sphere_data, "land": sample_sphere_land}[config["data"]]
    sample = sampler(int(config["n_points"]), target, np.diag([config["sd"] ** 2] * 2), rng)
    return sample, init_mean


@functools.lru_cache(maxsize=64)
def _cached_reference(sweep, seed, data, sd, n_points, init_offset):
    """The reference MLE of one data set; shared by every configuration that uses that data set."""
    config = make_config(sweep=sweep, seed=seed, data=data, sd=sd, n_points=n_points,
                         init_offset=init_offset)
    data_rng, _ = run_rngs(config)
    sample, init_mean = _make_data(config, data_rng)
    key = zlib.crc32(str(sweep).encode())
    rng = np.random.default_rng(np.random.SeedSequence([key, int(seed), 0, 1]))
    return _reference_mle(sample, init_mean, rng)


def _reference_mle(sample, init_mean, rng):
    step_cov = diagnostics.suggested_step_cov(_SPHERE, sample.points, init_mean)
    tuned = fit_land(_SPHERE, sample.points, init_mean=init_mean, algorithm="paper", init_cov=np.diag([0.1**2] * 2),
                     n_iter=_REF_ITER, step_mean=0.5, step_cov=step_cov, n_samples=_REF_SAMPLES,
                     rng=rng)
    return diagnostics.tail_average(_SPHERE, tuned, _REF_TAIL)


def _checkpoints(row, prefix, errors):
    for k in CHECKPOINTS:
        row[f"{prefix}_at_{k}"] = float(errors[k]) if k < errors.size else np.nan


def first_within(errors, tol: float) -> float:
    """First iteration ``k`` with ``errors[k] <= tol``, as a float (NaN if none).

    Unlike :func:`land.experiments.diagnostics.iterations_to_tolerance` (which asks the
    error to *stay* within ``tol``), a single late Monte Carlo excursion
    does not move this count, so it measures the speed of the optimiser
    rather than the tail of its jitter.

    Parameters
    ----------
    errors : array-like, shape=[n]
    tol : float
        (> 0)
    """
    errors = as_float_array(errors, "errors")
    if errors.ndim != 1 or errors.size == 0:
        raise ValueError(f"errors: expected a non-empty 1-D array, got shape {errors.shape}")
    tol = check_positive(tol, "tol")
    hits = np.flatnonzero(errors <= tol)
    return float(hits[0]) if hits.size else np.nan


def _nan_if_none(value):
    return np.nan if value is None else float(value)


def run_one(config) -> dict:
    """Run one configuration and return its row of results.

    Parameters
    ----------
    config : dict
        A configuration from :func:`make_config` (missing keys take
        :data:`DEFAULTS`).

    Returns
    -------
    dict
        The configuration's settings plus, for the fixed-step algorithm:
        ``mean_err``, ``cov_err`` (last iterate against the target),
        ``mle_mean_err``, ``mle_cov_err`` (reference MLE against the target),
        ``opt_mean_err``, ``opt_cov_err`` (last iterate against the MLE),
        ``iters_mean``, ``iters_cov`` (:func:`first_within`: the first
        iteration whose error against the MLE is within one standard error,
        ``sd / sqrt(N)`` for the mean and ``sqrt(2 / N)`` relative for the
        covariance; NaN if never), ``mle_var`` (half the trace of the MLE's covariance),
        ``mean_err_at_k`` and ``cov_err_at_k`` for ``k`` in
        :data:`CHECKPOINTS`, ``reject_frac`` (tangent draws the sampler threw
        away), ``beyond_half_pi`` (fraction of points more than pi/2 from
        the target), ``mc_rel_se`` and ``mc_zero_frac`` (relative standard
        error of the Monte Carlo constant at the MLE, and the fraction of its
        draws beyond the cut locus), ``n_failed`` (failed geodesic solves),
        ``diverged`` (1 if the fit raised because a step blew it up; its
        error columns are then NaN) and ``wall_s``. Learned-manifold rows
        report Euclidean (chord) mean errors, ``mean_norm`` (norm of the
        fitted mean) and no covariance error (its 3-D covariance has no
        sphere counterpart).
        Rows of the other optimisers come from :func:`run_optimizer`.
    """
    config = make_config(**{k: v for k, v in dict(config).items() if k in DEFAULTS})
    if config["objective"] == "fixed":
        return {**config, **run_optimizer(config)}
    if config["objective"] != "fresh" or config["optimizer"] != "fixed-step":
        raise ValueError("objective='fresh' runs land.fit_land (optimizer='fixed-step'); "
                         f"got objective={config['objective']!r}, optimizer={config['optimizer']!r}")
    data_rng, rng = run_rngs(config)
    sample, init_mean = _make_data(config, data_rng)
    n_points, sd = sample.points.shape[0], float(config["sd"])
    row = dict(config)
    row["reject_frac"] = sample.n_rejected / (sample.n_rejected + n_points)
    row["beyond_half_pi"] = float(np.mean(_SPHERE.dist(sample.mean, sample.points) > np.pi / 2))
    if config["manifold"] == "learned":
        return {**row, **_run_learned(config, sample, init_mean, rng)}
    if config["manifold"] != "sphere":
        raise ValueError(f"manifold: expected 'sphere' or 'learned', got {config['manifold']!r}")

    step_cov = config["step_cov"]
    if step_cov is None:
        step_cov = diagnostics.suggested_step_cov(_SPHERE, sample.points, init_mean,
                                                  fraction=config["step_cov_fraction"])
    row["step_cov_used"] = float(step_cov)
    start = time.perf_counter()
    try:
        fit = fit_land(_SPHERE, sample.points, init_mean=init_mean,
                       algorithm="paper", init_cov=np.diag([config["init_sd"] ** 2] * 2), n_iter=int(config["n_iter"]),
                       step_mean=config["step_mean"], step_cov=step_cov,
                       n_samples=int(config["n_samples"]), rng=rng)
    except (GeodesicSolverError, np.linalg.LinAlgError, FloatingPointError, ValueError):
        # Too large a step can blow Sigma up until no Monte Carlo draw stays inside the
        # cut locus (or make it singular): a diverged run, recorded as such.
        row.update(diverged=1, mean_err=np.nan, cov_err=np.nan, wall_s=time.perf_counter() - start)
        return row
    row["diverged"] = 0
    row["wall_s"] = time.perf_counter() - start
    errors = diagnostics.fit_errors(_SPHERE, fit.history, sample.mean, sample.cov, sample.frame)
    row["mean_err"], row["cov_err"] = float(errors.mean[-1]), float(errors.cov[-1])
    _checkpoints(row, "mean_err", errors.mean)
    _checkpoints(row, "cov_err", errors.cov)
    row["n_failed"] = int(fit.history.n_failed_log.sum() + fit.history.n_failed_exp.sum())
    if config["reference"]:
        mle = _cached_reference(config["sweep"], int(config["seed"]), config["data"],
                                float(config["sd"]), int(config["n_points"]),
                                float(config["init_offset"]))
        row["mle_mean_err"], row["mle_cov_err"] = diagnostics.estimate_errors(
            _SPHERE, mle, sample.mean, sample.cov, sample.frame)
        row["mle_var"] = float(np.trace(mle.cov) / 2)
        to_mle = diagnostics.fit_errors(_SPHERE, fit.history, mle.mean, mle.cov, mle.frame)
        row["opt_mean_err"], row["opt_cov_err"] = float(to_mle.mean[-1]), float(to_mle.cov[-1])
        row["iters_mean"] = first_within(to_mle.mean, sd / np.sqrt(n_points))
        row["iters_cov"] = first_within(to_mle.cov, np.sqrt(2.0 / n_points))
        constant = normalising_constant(_SPHERE, mle.mean, mle.cov, int(config["n_samples"]), rng,
                                        frame=mle.frame)
        row["mc_rel_se"] = constant.std_error / constant.value
        row["mc_zero_frac"] = float(np.mean(constant.volume == 0.0))
    return row


def _run_learned(config, sample, init_mean, rng) -> dict:
    metric = LocalDiagonalMetric(sample.points, float(config["kernel_width"]), rho=float(config["rho"]))
    manifold = LearnedManifold(metric)
    step_cov = config["step_cov"]
    if step_cov is None:
        # suggested_step_cov over the converged Logs only (a failed Log would raise there).
        logs = manifold.solve_log(init_mean, sample.points)
        coords = manifold.coordinates(init_mean, manifold.frame(init_mean), logs.value[logs.converged])
        step_cov = config["step_cov_fraction"] / (np.mean(np.sum(coords**2, axis=1)) / manifold.dim)
    start = time.perf_counter()
    try:
        fit = fit_land(manifold, sample.points, init_mean=init_mean,
                       algorithm="paper", init_cov=np.diag([config["init_sd"] ** 2] * 3), n_iter=int(config["n_iter"]),
                       step_mean=config["step_mean"], step_cov=step_cov,
                       n_samples=int(config["n_samples"]), rng=rng)
    except GeodesicSolverError:
        return {"diverged": 1, "mean_err": np.nan, "cov_err": np.nan, "step_cov_used": float(step_cov),
                "wall_s": time.perf_counter() - start}
    row = {"wall_s": time.perf_counter() - start, "step_cov_used": float(step_cov), "diverged": 0}
    errors = diagnostics.euclidean_mean_errors(fit.history.mean, sample.mean)
    row["mean_err"], row["cov_err"] = float(errors[-1]), np.nan
    _checkpoints(row, "mean_err", errors)
    row["mean_norm"] = float(np.linalg.norm(fit.mean))
    row["n_failed"] = int(fit.history.n_failed_log.sum() + fit.history.n_failed_exp.sum())
    return row


def summarise(rows, group_by, columns) -> list[dict]:
    """Mean, standard deviation and count over seeds of ``columns``, per group.

    Parameters
    ----------
    rows : list of dict
        One row per (configuration, seed), e.g. from :func:`run_one`.
    group_by : sequence of str
        The columns that identify a configuration.
    columns : sequence of str
        Numeric columns to summarise; NaNs are left out (``<col>_n`` counts
        the non-NaN values, so a count below the number of seeds means some
        runs did not converge).

    Returns
    -------
    list of dict
        One dict per group, in order of first appearance, with the
        ``group_by`` values and ``<col>_mean``, ``<col>_std`` (ddof=1; NaN
        for fewer than two values) and ``<col>_n`` for each column.
    """
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[key] for key in group_by), []).append(row)
    summary = []
    for key, members in groups.items():
        out = dict(zip(group_by, key))
        for column in columns:
            values = np.array([m.get(column, np.nan) for m in members], dtype=float)
            values = values[~np.isnan(values)]
            out[f"{column}_mean"] = float(values.mean()) if values.size else np.nan
            out[f"{column}_std"] = float(values.std(ddof=1)) if values.size > 1 else np.nan
            out[f"{column}_n"] = int(values.size)
        summary.append(out)
    return summary


def load_table(path) -> dict:
    """Read a sweep CSV into a dict of columns (float arrays where every value parses).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict
        Column name -> ndarray, shape=[n_rows] (float, or object for text;
        empty cells are NaN in float columns).
    """
    import csv

    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ValueError(f"{path}: no rows")
    table = {}
    for column in rows[0]:
        values = [row[column] for row in rows]
        try:
            table[column] = np.array([float(v) if v != "" else np.nan for v in values])
        except ValueError:
            table[column] = np.array(values, dtype=object)
    return table


def where(table, **equals) -> dict:
    """The rows of ``table`` (from :func:`load_table`) whose columns equal the given values.

    Floats are compared with ``numpy.isclose``; ``None`` matches empty (NaN) cells.
    """
    keep = np.ones(len(next(iter(table.values()))), dtype=bool)
    for column, value in equals.items():
        if column not in table:
            raise KeyError(f"where: no column {column!r}")
        values = table[column]
        if value is None:
            keep &= np.isnan(values.astype(float))
        elif values.dtype == object:
            keep &= values == value
        else:
            keep &= np.isclose(values, float(value))
    return {column: values[keep] for column, values in table.items()}


def step_grid(steps, n_seeds: int = 5):
    """Iterations to convergence over (mean step, covariance step fraction), from the steps sweep.

    Parameters
    ----------
    steps : dict
        The summary table of the ``steps`` sweep (:func:`load_table`).
    n_seeds : int
        Seeds per setting; a cell where fewer converged is NaN ("n/c").

    Returns
    -------
    step_means : ndarray, shape=[m]
    fractions : ndarray, shape=[f]
    grids : dict
        ``"mean"`` and ``"cov"``: arrays of shape [m, f] of the mean
        iterations over the seeds, NaN where not all seeds converged.
    """
    step_means = np.unique(steps["step_mean"])
    fractions = np.unique(steps["step_cov_fraction"])
    grids = {name: np.full((step_means.size, fractions.size), np.nan) for name in ("mean", "cov")}
    for i, m in enumerate(step_means):
        for j, f in enumerate(fractions):
            cell = where(steps, step_mean=m, step_cov_fraction=f)
            for name in grids:
                if cell[f"iters_{name}_n"][0] == n_seeds:
                    grids[name][i, j] = cell[f"iters_{name}_mean"][0]
    return step_means, fractions, grids


def checkpoint_errors(iterations, labels, checkpoints, shown=None):
    """Errors against the target at iteration checkpoints, as a dict and as a Markdown table.

    Parameters
    ----------
    iterations : dict
        The summary table of the ``iterations`` sweep (:func:`load_table`).
    labels : dict
        ``(step_mean, step_cov) -> label`` of the step settings to report.
    checkpoints : sequence of int
        Iterations with ``<kind>_at_<k>`` columns in the table.
    shown : sequence of int, optional
        The checkpoints the Markdown table shows (default: all).

    Returns
    -------
    errors : dict
        ``(sd, label, kind) -> list`` of mean errors at each checkpoint, for
        ``kind`` in ``"mean_err"``, ``"cov_err"``.
    markdown : str
        One row per spread, setting and kind, "mean ± standard deviation"
        over the seeds, at the ``shown`` checkpoints.
    """
    shown = list(checkpoints) if shown is None else list(shown)
    lines = ["| *s* | steps | " + " | ".join(f"k = {k}" for k in shown) + " |",
             "|---" * (len(shown) + 2) + "|"]
    errors = {}
    for sd in np.unique(iterations["sd"]):
        for (m, c), label in labels.items():
            cell = where(iterations, sd=sd, step_mean=m, step_cov=c)
            for kind in ("mean_err", "cov_err"):
                errors[sd, label, kind] = [cell[f"{kind}_at_{k}_mean"][0] for k in checkpoints]
                cells = " | ".join(f"{cell[f'{kind}_at_{k}_mean'][0]:.3f} ± {cell[f'{kind}_at_{k}_std'][0]:.3f}"
                                   for k in shown)
                lines.append(f"| {sd:g} | {label}, {'mean' if kind == 'mean_err' else 'Σ'} | {cells} |")
    return errors, "\n".join(lines)


# ------------------------------------------------ the fixed-sample objective
@dataclass(frozen=True)
class FixedObjective:
    """The sphere LAND objective with frozen Monte Carlo points, in ambient coordinates.

    The parameters are the mean ``mu`` (a unit vector) and a matrix
    ``B`` (3 x 3) whose ``P = B^T B`` acts on ambient tangent vectors, so the
    quadratic form ``Log_mu(x)^T P Log_mu(x)`` needs no tangent frame (a
    frame that turned with ``mu`` would change the objective). The constant
    is the importance-sampling estimate of :func:`land.experiments.reference.fixed_sample_objective`:

        phi(mu, B) = 1/(2N) sum_n g_n^T P g_n
                     + log(1/S sum_s exp(-g_s^T P g_s / 2) m_s / q_s),

    with ``g = Log_mu(.)`` of the data and of the frozen draw points.

    Attributes
    ----------
    data : ndarray, shape=[N, 3]
    points : ndarray, shape=[S, 3]
        The frozen Monte Carlo points.
    log_weights : ndarray, shape=[S]
        ``log(m_s / q_s)``.
    """

    data: np.ndarray
    points: np.ndarray
    log_weights: np.ndarray

    def _logs(self, mean, points):
        """Log vectors ``g`` (n, 3) and their Jacobians ``dg / dmu`` (n, 3, 3) in R^3."""
        cos = np.clip(points @ mean, -1.0, 1.0)
        angle = np.arccos(cos)
        sin = np.sin(angle)
        small = angle < 1e-3
        safe_sin = np.where(small, 1.0, sin)
        ratio = np.where(small, 1.0 + angle**2 / 6.0, angle / safe_sin)          # a(c) = t / sin t
        # a'(c) = -(sin t - t cos t) / sin^3 t, -> -1/3 as t -> 0
        slope = np.where(small, -(1.0 / 3.0 + 2.0 * angle**2 / 15.0),
                         -(safe_sin - angle * cos) / safe_sin**3)
        offset = points - cos[:, None] * mean
        logs = ratio[:, None] * offset
        jac = (slope[:, None, None] * offset[:, :, None] * points[:, None, :]
               - ratio[:, None, None] * (mean[None, :, None] * points[:, None, :]
                                         + cos[:, None, None] * np.eye(3)))
        return logs, jac

    def value_and_gradient(self, mean, factor) -> tuple[float, np.ndarray, np.ndarray]:
        """``phi`` and its Euclidean gradients with respect to ``mu`` (in R^3) and ``B``.

        Parameters
        ----------
        mean : array-like, shape=[3]
        factor : array-like, shape=[3, 3]
            ``B``.

        Returns
        -------
        value : float
        grad_mean : ndarray, shape=[3]
            Project it onto the tangent plane for the Riemannian gradient.
        grad_factor : ndarray, shape=[3, 3]
        """
        mean, factor = np.asarray(mean, dtype=float), np.asarray(factor, dtype=float)
        precision = factor.T @ factor
        data_logs, data_jac = self._logs(mean, self.data)
        draw_logs, draw_jac = self._logs(mean, self.points)
        # Not land.model.likelihood.squared_mahalanobis (|B c|^2): its different rounding sends
        # pymanopt's line searches down another path, and the committed rows must reproduce.
        data_quad = np.einsum("ni,ij,nj->n", data_logs, precision, data_logs)
        logits = -0.5 * np.einsum("si,ij,sj->s", draw_logs, precision, draw_logs) + self.log_weights
        total = logsumexp(logits)
        weights = np.exp(logits - total)
        value = 0.5 * data_quad.mean() + total - np.log(self.points.shape[0])
        pull = (np.einsum("nji,jk,nk->i", data_jac, precision, data_logs) / self.data.shape[0]
                - np.einsum("s,sji,jk,sk->i", weights, draw_jac, precision, draw_logs))
        scatter = (data_logs.T @ data_logs / self.data.shape[0]
                   - (draw_logs * weights[:, None]).T @ draw_logs)
        return float(value), pull, factor @ scatter

    def covariance(self, mean, factor) -> np.ndarray:
        """The covariance as an ambient 3 x 3 matrix ``F (F^T P F)^{-1} F^T`` at ``mean``."""
        frame = _SPHERE.tangent_basis(np.asarray(mean, dtype=float))
        factor = np.asarray(factor, dtype=float)
        return frame @ np.linalg.inv(frame.T @ factor.T @ factor @ frame) @ frame.T


def fixed_objective(data, init_mean, proposal_sd: float, n_samples: int,
                    rng: np.random.Generator) -> FixedObjective:
    """Freeze ``n_samples`` draws from ``N(0, proposal_sd^2 I)`` at ``init_mean`` on the sphere.

    A proposal wider than the LAND being fitted keeps the importance
    weights bounded as the parameters move.

    Parameters
    ----------
    data : array-like, shape=[N, 3]
    init_mean : array-like, shape=[3]
    proposal_sd : float
    n_samples : int
    rng : numpy.random.Generator
    """
    data = _SPHERE.check_points(data, "data")
    proposal_sd = check_positive(proposal_sd, "proposal_sd")
    n_samples = check_positive_int(n_samples, "n_samples")
    init_mean = _SPHERE.check_points(init_mean, "init_mean")
    draws = fixed_draws(_SPHERE, init_mean, _SPHERE.tangent_basis(init_mean),
                        np.diag([proposal_sd**2] * 2), n_samples, rng)
    return FixedObjective(np.atleast_2d(data), draws.points, draws.log_weights)


def _fixed_step_path(objective, mean, factor, n_iter, step_mean, step_cov):
    """The paper's fixed-step updates on a :class:`FixedObjective`; iterates and times."""
    path, times, start = [(mean, factor)], [0.0], time.perf_counter()
    for _ in range(n_iter):
        _, grad_mean, _ = objective.value_and_gradient(mean, factor)
        grad_mean = grad_mean - (grad_mean @ mean) * mean
        mean = _SPHERE.exp(mean, -step_mean * objective.covariance(mean, factor) @ grad_mean)
        _, _, grad_factor = objective.value_and_gradient(mean, factor)
        factor = factor - step_cov * grad_factor
        path.append((mean, factor))
        times.append(time.perf_counter() - start)
    return path, np.array(times), 2.0 * np.arange(n_iter + 1)


def _pymanopt_path(objective, mean, factor, optimizer, max_iter, min_gradient_norm=1e-8):
    import pymanopt
    from pymanopt.manifolds import Euclidean, Product
    from pymanopt.manifolds import Sphere as ManoptSphere
    from pymanopt.optimizers import ConjugateGradient, SteepestDescent

    manifold = Product([ManoptSphere(3), Euclidean(3, 3)])
    cache, count, first_seen = {}, [0], {}

    def evaluate(mu, factor_):
        key = (mu.tobytes(), factor_.tobytes())
        if key not in cache:
            cache.clear()
            count[0] += 1
            first_seen.setdefault(key, count[0])
            cache[key] = objective.value_and_gradient(mu, factor_)
        return cache[key]

    @pymanopt.function.numpy(manifold)
    def cost(mu, factor_):
        return evaluate(mu, factor_)[0]

    @pymanopt.function.numpy(manifold)
    def euclidean_gradient(mu, factor_):
        return evaluate(mu, factor_)[1:]

    problem = pymanopt.Problem(manifold, cost, euclidean_gradient=euclidean_gradient)
    kind = {"steepest-descent": SteepestDescent, "conjugate-gradient": ConjugateGradient}[optimizer]
    solver = kind(max_iterations=max_iter, min_gradient_norm=min_gradient_norm, verbosity=0,
                  log_verbosity=1)
    start_wall = time.time()
    result = solver.run(problem, initial_point=[mean, factor])
    log = result.log["iterations"]
    path = [(np.asarray(p[0]), np.asarray(p[1])) for p in log["point"]]
    path.append((np.asarray(result.point[0]), np.asarray(result.point[1])))
    times = np.array([t - start_wall for t in log["time"]] + [result.time])
    # Evaluations spent by the time each iterate was first evaluated.
    evals = np.array([first_seen.get((m.tobytes(), f.tobytes()), count[0]) for m, f in path],
                     dtype=float)
    return path, times, evals


@dataclass(frozen=True)
class OptimizerTrace:
    """The path of one optimiser on a fixed-sample objective, measured against its minimiser.

    Attributes
    ----------
    evals : ndarray, shape=[n + 1]
        Objective-and-gradient evaluations spent by each iterate.
    times : ndarray, shape=[n + 1]
        Seconds since the start at each iterate.
    mean_err : ndarray, shape=[n + 1]
        Geodesic distance of each iterate's mean to the minimiser's.
    cov_err : ndarray, shape=[n + 1]
        Relative Frobenius distance of each iterate's (ambient) covariance.
    tol_mean, tol_cov : float
        The accuracy asked for: ``0.1 sd / sqrt(N)`` and ``0.1 sqrt(2 / N)``.
    wall_s : float
        Seconds for the whole run.
    """

    evals: np.ndarray
    times: np.ndarray
    mean_err: np.ndarray
    cov_err: np.ndarray
    tol_mean: float
    tol_cov: float
    wall_s: float


def optimizer_traces(config, optimizers=OPTIMIZERS) -> dict:
    """Run several optimisers on the fixed-sample objective of one data set.

    The data set and the frozen draws (proposal ``N(0, PROPOSAL_SD^2 I)``
    at the initial mean, ``n_samples`` of them) depend on the seed only, so
    all optimisers of a seed minimise the same function. Its minimiser is
    found once (conjugate gradients to a gradient norm of 1e-10, from the
    start and from 300 fixed steps; the lower of the two). Each optimiser
    then runs ``n_iter`` iterations from the start: the fixed-step algorithm
    with ``step_mean`` and ``step_cov`` (or ``step_cov_fraction / s_hat``),
    pymanopt's with its default line search.

    Parameters
    ----------
    config : dict
        A configuration (:func:`make_config`).
    optimizers : sequence of str
        Names from :data:`OPTIMIZERS`.

    Returns
    -------
    dict
        Optimiser name -> :class:`OptimizerTrace`.
    """
    config = make_config(**{k: v for k, v in dict(config).items() if k in DEFAULTS})
    unknown = [name for name in optimizers if name not in OPTIMIZERS]
    if unknown:
        raise ValueError(f"optimizer: expected names from {OPTIMIZERS}, got {unknown}")
    data_rng, _ = run_rngs(config)
    sample, init_mean = _make_data(config, data_rng)
    objective = fixed_objective(sample.points, init_mean, PROPOSAL_SD, int(config["n_samples"]),
                                data_rng)
    # B starts as the initial precision on the tangent plane and 0 along the normal: a
    # non-zero normal column would leak into the quadratic form as the mean moves.
    init_factor = (np.eye(3) - np.outer(init_mean, init_mean)) / config["init_sd"]
    step_cov = config["step_cov"]
    if step_cov is None:
        step_cov = diagnostics.suggested_step_cov(_SPHERE, sample.points, init_mean,
                                                  fraction=config["step_cov_fraction"])

    # The minimiser, shared by all optimisers of this data set.
    warm, _, _ = _fixed_step_path(objective, init_mean, init_factor, 300, 0.5, step_cov)
    candidates = [_pymanopt_path(objective, *start, "conjugate-gradient", 3000, 1e-10)[0][-1]
                  for start in ((init_mean, init_factor), warm[-1])]
    opt_mean, opt_factor = min(candidates, key=lambda p: objective.value_and_gradient(*p)[0])
    opt_cov = objective.covariance(opt_mean, opt_factor)
    n_points, sd = sample.points.shape[0], float(config["sd"])

    traces = {}
    for name in optimizers:
        start = time.perf_counter()
        if name == "fixed-step":
            path, times, evals = _fixed_step_path(objective, init_mean, init_factor,
                                                  int(config["n_iter"]), config["step_mean"], step_cov)
        else:
            path, times, evals = _pymanopt_path(objective, init_mean, init_factor, name,
                                                int(config["n_iter"]))
        wall = time.perf_counter() - start
        mean_err = np.array([_SPHERE.dist(opt_mean, m) for m, _ in path])
        cov_err = np.array([np.linalg.norm(objective.covariance(m, f) - opt_cov)
                            / np.linalg.norm(opt_cov) for m, f in path])
        traces[name] = OptimizerTrace(np.asarray(evals, dtype=float), np.asarray(times), mean_err,
                                      cov_err, 0.1 * sd / np.sqrt(n_points),
                                      0.1 * np.sqrt(2.0 / n_points), wall)
    return traces


def run_optimizer(config) -> dict:
    """One optimiser (``config["optimizer"]``) on the fixed-sample objective of one data set.

    See :func:`optimizer_traces`. A run has reached the accuracy when its
    mean is within ``0.1 sd / sqrt(N)`` of the minimiser and its (ambient)
    covariance within ``0.1 sqrt(2 / N)`` relative, and stays there.

    Returns
    -------
    dict
        ``iters_to_tol``, ``evals_to_tol`` (objective-and-gradient
        evaluations), ``time_to_tol`` (s) (all NaN if never reached within
        ``n_iter`` iterations), ``n_iter_run``, ``n_evals``,
        ``opt_mean_err`` and ``opt_cov_err`` at the end, ``wall_s``.
    """
    config = make_config(**{k: v for k, v in dict(config).items() if k in DEFAULTS})
    if config["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"optimizer: expected one of {OPTIMIZERS}, got {config['optimizer']!r}")
    trace = optimizer_traces(config, [config["optimizer"]])[config["optimizer"]]
    ok = (trace.mean_err <= trace.tol_mean) & (trace.cov_err <= trace.tol_cov)
    bad = np.flatnonzero(~ok)
    hit = 0 if bad.size == 0 else (None if bad[-1] == ok.size - 1 else int(bad[-1] + 1))
    return {"n_iter_run": trace.mean_err.size - 1, "n_evals": float(trace.evals[-1]),
            "wall_s": trace.wall_s, "opt_mean_err": float(trace.mean_err[-1]),
            "opt_cov_err": float(trace.cov_err[-1]), "iters_to_tol": _nan_if_none(hit),
            "time_to_tol": np.nan if hit is None else float(trace.times[hit]),
            "evals_to_tol": np.nan if hit is None else float(trace.evals[hit])}
