"""Systematic probe of bad input and misuse of land's public API (issue 18).

Every case calls one public function or method with one piece of bad (or, for
the controls, valid) input and sorts the outcome into exactly one class:

``named``
    Raised ``TypeError``/``ValueError`` (``NotFittedError`` for the fitted-state
    family, ``land.GeodesicSolverError`` where the function documents it) whose
    message starts with the name of the argument the user passed (``X:``,
    ``n_components:``, ``sample_weight:`` ...) or names it as its subject.
``misnamed``
    Raised ``TypeError``/``ValueError`` whose message names some other (inner)
    argument, e.g. ``data:`` or ``points:`` when the user passed ``X``, or
    none. (For the fitted-state family: any TypeError/ValueError other than
    ``NotFittedError``.)
``crash``
    Any other exception type (AttributeError, IndexError, LinAlgError,
    ZeroDivisionError, FloatingPointError, scipy internals, a timeout, ...).
``silent_nan``
    Returned without an exception, but the result holds NaN or inf where a
    finite answer was promised.
``silent_wrong``
    Returned a plausible answer for input that should have been refused, or a
    valid control whose answer fails its correctness check.
``warned``
    Input that should have been refused returned a finite answer with a
    warning that says so (``DegenerateLikelihoodWarning``,
    ``GeodesicSolverWarning``, a ``FutureWarning``, a ``ConvergenceWarning``
    about divergence or the data, ...; the ``ConvergenceWarning`` of
    ``max_iter`` being reached does not count, every probe fit stops at
    ``max_iter <= 2``). An ``either`` case (input that may be handled or
    refused) that warns is ``warned`` too.
``ok``
    Valid input (or input the API may accept) handled: a finite answer that
    passes the case's check, if it has one.

A valid control that is refused still gets the class of its exception; the
report lists such cases separately ("valid input refused").

Families: ``nan_inf``, ``shape``, ``dtype``, ``degenerate``, ``options``,
``not_fitted``, ``geometry``. Warnings are suppressed during the probe but
recorded per case.

Run from the repository root (about 35 s on one core once numba's kernels are
cached, about 30 s more on a first run; tiny data sets, at most 64 Monte Carlo
draws and 2 iterations per fit, about 2,250 cases):

    PYTHONPATH=. .venv/bin/python studies/probe_bad_input.py [--csv /tmp/probe_results.csv]

It prints the counts per class and per family, then every case classed
``crash``, ``misnamed``, ``silent_nan`` or ``silent_wrong`` (grouped, at most
80 lines), and writes one row per case to the CSV file (default
``/tmp/probe_results.csv``, outside the repository).
"""

from __future__ import annotations

import argparse
import collections
import csv
import dataclasses
import os
import re
import signal
import sys
import time
import warnings
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

os.environ.setdefault("LAND_PROGRESS", "0")

import numpy as np                                  # noqa: E402
import scipy.sparse                                 # noqa: E402
from sklearn.base import BaseEstimator              # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError   # noqa: E402

import land                                         # noqa: E402
from land.data import datasets                      # noqa: E402

CLASSES = ("ok", "named", "warned", "misnamed", "crash", "silent_nan", "silent_wrong")
FAMILIES = ("nan_inf", "shape", "dtype", "degenerate", "options", "not_fitted", "geometry")
REPORTED = ("crash", "misnamed", "silent_nan", "silent_wrong")
CASE_SECONDS = 30          # a case running longer is stopped and classed as a crash (timeout)
MAX_LINES = 80

# --------------------------------------------------------------------------- fixtures
NORTH = np.array([0.0, 0.0, 1.0])
SOUTH = -NORTH
N_POINTS = 20
SPHERE_X = land.sample_sphere_land(N_POINTS, NORTH, np.diag([0.05, 0.02]),
                                   np.random.default_rng(1)).points
ARC_X = datasets.noisy_arc(N_POINTS, np.random.default_rng(0), noise=0.05)
SPHERE = land.Sphere()
METRIC = land.LocalDiagonalMetric(ARC_X, land.kernel_width_rule(ARC_X, 5),
                                  1e-3 * float(np.mean(np.var(ARC_X, axis=0))))
LEARNED = land.LearnedManifold(METRIC)
FAST = dict(n_mc_samples=64, max_iter=2, random_state=0)
SPHERE_COV = np.diag([0.05, 0.02])
SPHERE_FRAME = SPHERE.frame(NORTH)
ARC_MEAN = ARC_X[np.argmin(np.linalg.norm(ARC_X - ARC_X.mean(axis=0), axis=1))]
SPHERE_VECS = np.array([[0.1, 0.2, 0.0], [0.3, -0.1, 0.0]])
ARC_VECS = np.array([[0.01, 0.0], [0.0, 0.01], [0.01, -0.01]])


def _rng():
    return np.random.default_rng(0)


def _data(geometry):
    return SPHERE_X if geometry == "sphere" else ARC_X


def _d(geometry):
    return "sphere" if geometry == "sphere" else "learned"


# --------------------------------------------------------------------------- cases
@dataclass
class Case:
    function: str
    family: str
    desc: str
    call: Callable
    expect: str                    # "refuse", "valid", "either" or "not_fitted"
    names: tuple                   # argument names that count as "named"
    check: Callable | None = None  # valid/either: returns a problem string or None
    solver_error: bool = False     # GeodesicSolverError documented for this call


@dataclass
class Result:
    case: Case
    outcome: str
    exc_type: str = ""
    message: str = ""
    warned: bool = False
    warning: str = ""
    seconds: float = 0.0
    refused_valid: bool = False


CASES: list[Case] = []


def add(function, family, desc, call, expect, names, check=None, solver_error=False):
    assert expect in ("refuse", "valid", "either", "not_fitted"), expect
    assert family in FAMILIES, family
    names = (names,) if isinstance(names, str) else tuple(names)
    CASES.append(Case(function, family, desc, call, expect, names, check, solver_error))


# ---------------------------------------------------------------- fitted estimators
FITTED: dict = {}


def fitted(kind, geometry):
    """One fitted estimator per (kind, geometry), fitted on first use."""
    key = (kind, geometry)
    if key not in FITTED:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "LAND":
                FITTED[key] = land.LAND(geometry, **FAST).fit(_data(geometry))
            else:
                FITTED[key] = land.LANDMixture(2, geometry=geometry, **FAST).fit(_data(geometry))
    return FITTED[key]


# ------------------------------------------------------------- array variants
@dataclass
class Slot:
    """One array argument of one function: its name, a valid value and how to call."""
    function: str
    arg: str
    base: np.ndarray
    call: Callable          # call(value) -> result
    kind: str               # "matrix", "point", "spd", "frame", "vector", "labels"
    single_ok: bool = False  # matrix: a single point of shape (D,) is valid
    sphere: bool = False     # values are unit vectors (int/float16 variants differ)
    lite: bool = False       # secondary slot: the core variants only
    int_value: object = None  # a valid integer-typed value, if there is one
    solver_error: bool = False
    optional: bool = False   # None is the documented default
    free_dim: bool = False   # matrix: any number of features is valid (learned data)


def _ragged(kind):
    if kind == "matrix":
        return [[0.0, 0.0, 1.0], [0.0, 1.0]]
    return [[0.0], 0.0, 1.0]


def nan_inf_variants(slot):
    base = slot.base.astype(float)

    def put(value, where):
        out = base.copy()
        out.flat[where] = value
        return out
    out = [("NaN in first entry", put(np.nan, 0)), ("+inf in last entry", put(np.inf, -1)),
           ("-inf in first entry", put(-np.inf, 0)), ("all NaN", np.full_like(base, np.nan))]
    if not slot.lite:
        out += [("NaN in a list of lists", put(np.nan, -1).tolist()),
                ("inf in a float32 array", put(np.inf, 0).astype(np.float32)),
                ("1e400 overflowing to inf", put(float("1e400"), base.size // 2))]
    out = [("nan_inf", desc, value, "refuse") for desc, value in out]
    if not slot.lite:
        out.append(("nan_inf", "control: the valid value, all finite", slot.base, "valid"))
    return out


def shape_variants(slot):
    b = slot.base
    out = []
    if slot.kind == "matrix":
        n, dim = b.shape
        out += [("1-d single point (D,)", b[0], "valid" if slot.single_ok else "refuse"),
                ("flattened (n*D,)", b.ravel(), "refuse"),
                ("3-d (1, n, D)", b[None], "refuse"),
                ("3-d (n, D, 1)", b[..., None], "refuse"),
                ("0-d scalar", np.float64(b[0, 0]), "refuse"),
                ("empty (0, D)", b[:0], "refuse"),
                ("empty (n, 0)", b[:, :0], "refuse"),
                ("empty list []", [], "refuse"),
                ("transposed (D, n)", b.T, "either" if slot.free_dim else "refuse"),
                ("one feature too many", np.hstack([b, np.zeros((n, 1))]),
                 "either" if slot.free_dim else "refuse"),
                ("one feature too few", b[:, :-1], "either" if slot.free_dim else "refuse"),
                ("ragged nested list", _ragged("matrix"), "refuse")]
        if not slot.lite:
            out += [("wrapped in a list [X]", [b], "refuse")]
    elif slot.kind == "point":
        dim = b.shape[0]
        out += [("batch of one (1, D)", b[None], "refuse"),
                ("batch of two (2, D)", np.vstack([b, b]), "refuse"),
                ("(D+1,)", np.append(b, 0.0), "refuse"),
                ("(D-1,)", b[:-1], "refuse"),
                ("0-d scalar", np.float64(b[0]), "refuse"),
                ("empty (0,)", b[:0], "refuse"),
                ("column (D, 1)", b[:, None], "refuse"),
                ("ragged nested list", _ragged("point"), "refuse")]
    elif slot.kind == "spd":
        d = b.shape[0]
        out += [("vector (d,)", np.diag(b), "refuse"),
                ("(d+1, d+1)", np.eye(d + 1) * b[0, 0], "refuse"),
                ("(d, d+1)", np.hstack([b, np.zeros((d, 1))]), "refuse"),
                ("3-d (1, d, d)", b[None], "refuse"),
                ("0-d scalar", np.float64(b[0, 0]), "refuse"),
                ("empty (0, 0)", np.zeros((0, 0)), "refuse"),
                ("flattened (d*d,)", b.ravel(), "refuse"),
                ("ragged nested list", [[b[0, 0]], [0.0, b[1, 1]]], "refuse")]
    elif slot.kind == "frame":
        out += [("transposed (d, D)", b.T, "refuse"),
                ("(D, d+1)", np.hstack([b, np.zeros((b.shape[0], 1))]), "refuse"),
                ("(D, 1)", b[:, :1], "refuse"),
                ("1-d (D,)", b[:, 0], "refuse"),
                ("3-d (1, D, d)", b[None], "refuse"),
                ("empty (0, d)", b[:0], "refuse"),
                ("ragged nested list", [[1.0, 0.0], [0.0]], "refuse")]
    else:   # vector, labels
        n = b.shape[0]
        out += [("(n-1,)", b[:-1], "refuse"), ("(n+1,)", np.append(b, b[:1]), "refuse"),
                ("column (n, 1)", b[:, None], "refuse"), ("row (1, n)", b[None], "refuse"),
                ("0-d scalar", b[0], "refuse"), ("empty (0,)", b[:0], "refuse"),
                ("ragged nested list", [[b[0]], b[1]], "refuse")]
    if slot.lite:
        keep = {"1-d single point (D,)", "3-d (1, n, D)", "empty (0, D)", "one feature too many",
                "one feature too few", "ragged nested list", "0-d scalar", "transposed (D, n)"}
        out = [o for o in out if o[0] in keep]
    return [("shape", desc, value, expect) for desc, value, expect in out]


def _nested_tuple(a):
    return tuple(_nested_tuple(x) for x in a) if isinstance(a, np.ndarray) and a.ndim else a.item()


def dtype_variants(slot):
    b = slot.base
    labels = slot.kind == "labels"
    out = [("list of lists", b.tolist(), "valid"),
           ("nested tuples", _nested_tuple(b), "valid")]
    if labels:
        out += [("int32 labels", b.astype(np.int32), "valid"),
                ("uint8 labels", b.astype(np.uint8), "valid"),
                ("float labels (0.0, 1.0)", b.astype(float), "refuse"),
                ("string labels", b.astype(str), "refuse"),
                ("bool labels", b.astype(bool), "refuse"),
                ("object labels", b.astype(object), "either"),
                ("None", None, "refuse")]
        return [("dtype", desc, value, expect) for desc, value, expect in out]
    out += [("float32", b.astype(np.float32), "either" if slot.sphere else "valid"),
            ("read-only array", _readonly(b), "valid"),
            ("big-endian float64", b.astype(">f8"), "valid"),
            ("float16", b.astype(np.float16), "either"),
            ("object array of floats", b.astype(object), "either"),
            ("strings of numbers", b.astype(str), "refuse"),
            ("strings of words", np.full(b.shape, "abc"), "refuse"),
            ("object array with a None", _with_none(b), "refuse"),
            ("complex, zero imaginary part", b + 0j, "refuse"),
            ("complex, nonzero imaginary part", b + 1j, "refuse"),
            ("bool", b > 0, "refuse"),
            ("None", None, "valid" if slot.optional else "refuse"),
            ("plain string", "abc", "refuse"),
            ("generator", (row for row in b), "refuse")]
    if slot.int_value is not None:
        out.append(("int64 array", slot.int_value, "valid"))
    if b.ndim == 2:
        out += [("numpy.matrix", np.asmatrix(b), "either"),
                ("scipy.sparse CSR matrix", scipy.sparse.csr_matrix(b), "refuse")]
    if slot.lite:
        keep = {"list of lists", "float32", "object array of floats", "strings of numbers",
                "complex, zero imaginary part", "bool", "None", "numpy.matrix",
                "scipy.sparse CSR matrix", "int64 array"}
        out = [o for o in out if o[0] in keep]
    return [("dtype", desc, value, expect) for desc, value, expect in out]


def _readonly(b):
    out = b.copy()
    out.setflags(write=False)
    return out


def _with_none(b):
    out = b.astype(object)
    out.flat[0] = None
    return out


def add_slot(slot):
    variants = nan_inf_variants(slot) + shape_variants(slot) + dtype_variants(slot)
    for family, desc, value, expect in variants:
        add(slot.function, family, f"{slot.arg}: {desc}", partial(slot.call, value), expect,
            slot.arg, solver_error=slot.solver_error)


# ------------------------------------------------------------- option values
def count_values(valid, none_ok=False):
    """(desc, value, expect) for an integer-count parameter; ``valid`` a small valid count."""
    return [("0", 0, "refuse"), ("-1", -1, "refuse"), ("float 2.5", 2.5, "refuse"),
            ("float 2.0", 2.0, "refuse"), ("string '2'", "2", "refuse"),
            ("None", None, "valid" if none_ok else "refuse"), ("True", True, "refuse"),
            (f"numpy int64 {valid}", np.int64(valid), "valid")]


def positive_values(valid, none_ok=False):
    return [("0", 0.0, "refuse"), ("-0.1", -0.1, "refuse"), ("nan", np.nan, "refuse"),
            ("inf", np.inf, "refuse"), ("string '0.1'", "0.1", "refuse"),
            ("None", None, "valid" if none_ok else "refuse"), ("True", True, "refuse"),
            (f"numpy float32 {valid:g}", np.float32(valid), "valid")]


def nonnegative_values(valid):
    return [("-1e-9", -1e-9, "refuse"), ("nan", np.nan, "refuse"), ("inf", np.inf, "refuse"),
            ("string '0.1'", "0.1", "refuse"), ("None", None, "refuse"),
            ("0 (allowed)", 0.0, "valid"), (f"numpy float32 {valid:g}", np.float32(valid), "valid")]


def choice_values(valid, others=()):
    out = [("unknown string", "nonsense", "refuse"), ("wrong case", valid.upper(), "refuse"),
           ("None", None, "refuse"), ("int 1", 1, "refuse"), ("list", [valid], "refuse")]
    return out + [(f"'{o}'", o, "valid") for o in others]


def random_state_values():
    return [("-1", -1, "refuse"), ("float 2.5", 2.5, "refuse"), ("string '0'", "0", "refuse"),
            ("True", True, "refuse"), ("legacy RandomState(0)", np.random.RandomState(0), "either"),
            ("numpy int64 3", np.int64(3), "valid"), ("Generator", np.random.default_rng(3), "valid")]


def rng_values():
    """For the functional interface's ``rng`` (documented: a numpy.random.Generator)."""
    return [("None", None, "refuse"), ("int 0", 0, "refuse"),
            ("legacy RandomState(0)", np.random.RandomState(0), "refuse"),
            ("SeedSequence", np.random.SeedSequence(0), "refuse"),
            ("Generator(PCG64)", np.random.Generator(np.random.PCG64(1)), "valid")]


def flag_values():
    return [("string 'yes'", "yes", "refuse"), ("int 1", 1, "refuse"), ("int 0", 0, "refuse"),
            ("nan", np.nan, "refuse"), ("False", False, "valid"), ("None", None, "valid"),
            ("numpy bool_ False", np.bool_(False), "valid")]


def add_options(function, param, values, call, names=None):
    for desc, value, expect in values:
        add(function, "options", f"{param}={desc}", partial(call, value), expect,
            names or param)


# ============================================================================ build the cases
def build_array_cases():
    rng = _rng
    for geometry in ("sphere", "learned"):
        X = _data(geometry)
        sph = geometry == "sphere"
        int_x = (np.rint(ARC_X * 10).astype(np.int64) if not sph
                 else np.vstack([np.eye(3, dtype=np.int64), -np.eye(3, dtype=np.int64)[:2]]))
        # A 2-component mixture on the sphere needs 2 x (d + 1) = 6 points: all six axis points.
        int_mix = int_x if not sph else np.vstack([np.eye(3, dtype=np.int64),
                                                   -np.eye(3, dtype=np.int64)])
        add_slot(Slot(f"LAND.fit ({geometry})", "X", X,
                      lambda v, g=geometry: land.LAND(g, **FAST).fit(v), "matrix",
                      sphere=sph, free_dim=not sph, int_value=int_x, solver_error=True))
        add_slot(Slot(f"LANDMixture.fit ({geometry})", "X", X,
                      lambda v, g=geometry: land.LANDMixture(2, geometry=g, **FAST).fit(v),
                      "matrix", sphere=sph, lite=not sph, free_dim=not sph, int_value=int_mix,
                      solver_error=True))
        score_x = X[:5]
        int_s = (np.eye(3, dtype=np.int64) if sph else np.rint(score_x).astype(np.int64))
        for kind, methods in (("LAND", ("score_samples", "score", "bic")),
                              ("LANDMixture", ("score_samples", "predict_proba", "predict"))):
            for i, method in enumerate(methods):
                add_slot(Slot(f"{kind}.{method} ({geometry})", "X", score_x,
                              lambda v, k=kind, g=geometry, m=method: getattr(fitted(k, g), m)(v),
                              "matrix", sphere=sph, lite=i > 0 or kind == "LANDMixture",
                              int_value=int_s))
        manifold = SPHERE if sph else LEARNED
        add_slot(Slot(f"fit_land ({geometry})", "data", X,
                      lambda v, M=manifold: land.fit_land(M, v, rng=_rng(), n_iter=2, n_samples=64),
                      "matrix", sphere=sph, lite=not sph, free_dim=not sph, int_value=int_x,
                      solver_error=True))
        init_mean = NORTH if sph else ARC_MEAN
        add_slot(Slot(f"fit_land ({geometry})", "init_mean", init_mean,
                      lambda v, M=manifold, X=X: land.fit_land(M, X, rng=_rng(), init_mean=v,
                                                               n_iter=2, n_samples=64),
                      "point", sphere=sph, lite=not sph, optional=True,
                      int_value=NORTH.astype(np.int64) if sph else None, solver_error=True))
        add_slot(Slot(f"fit_land_mixture ({geometry})", "data", X,
                      lambda v, M=manifold: land.fit_land_mixture(M, v, 2, rng=_rng(), n_iter=2,
                                                                  n_inner=1, n_samples=64),
                      "matrix", sphere=sph, lite=True, int_value=int_mix, solver_error=True))
        cov = SPHERE_COV if sph else np.diag([0.05, 0.01])
        add_slot(Slot(f"normalising_constant ({geometry})", "mean", init_mean,
                      lambda v, M=manifold, c=cov: land.normalising_constant(M, v, c, 64, _rng()),
                      "point", sphere=sph, lite=not sph,
                      int_value=NORTH.astype(np.int64) if sph else None, solver_error=True))
        add_slot(Slot(f"normalising_constant ({geometry})", "cov", cov,
                      lambda v, M=manifold, m=init_mean: land.normalising_constant(M, m, v, 64,
                                                                                   _rng()),
                      "spd", lite=True, int_value=np.eye(2, dtype=np.int64),
                      solver_error=True))
    add_slot(Slot("fit_land (sphere)", "init_cov", SPHERE_COV,
                  lambda v: land.fit_land(SPHERE, SPHERE_X, rng=_rng(), init_cov=v, n_iter=2,
                                          n_samples=64), "spd", optional=True,
                  int_value=np.eye(2, dtype=np.int64), solver_error=True))
    add_slot(Slot("fit_land (sphere)", "init_frame", SPHERE_FRAME,
                  lambda v: land.fit_land(SPHERE, SPHERE_X, rng=_rng(), init_mean=NORTH,
                                          init_frame=v, n_iter=2, n_samples=64), "frame", lite=True, optional=True,
                  int_value=np.array([[1, 0], [0, 1], [0, 0]], dtype=np.int64), solver_error=True))
    add_slot(Slot("fit_land (sphere)", "sample_weight", np.linspace(0.5, 1.5, N_POINTS),
                  lambda v: land.fit_land(SPHERE, SPHERE_X, rng=_rng(), sample_weight=v,
                                          n_iter=2, n_samples=64), "vector", optional=True,
                  int_value=np.ones(N_POINTS, dtype=np.int64), solver_error=True))
    add_slot(Slot("fit_land_mixture (sphere)", "init", np.arange(N_POINTS) % 2,
                  lambda v: land.fit_land_mixture(SPHERE, SPHERE_X, 2, rng=_rng(), init=v,
                                                  n_iter=2, n_inner=1, n_samples=64),
                  "labels", solver_error=True))
    add_slot(Slot("normalising_constant (sphere)", "frame", SPHERE_FRAME,
                  lambda v: land.normalising_constant(SPHERE, NORTH, SPHERE_COV, 64, _rng(),
                                                      frame=v), "frame", lite=True, optional=True,
                  int_value=np.array([[1, 0], [0, 1], [0, 0]], dtype=np.int64)))
    for sampler in ("sample_sphere_land", "sample_sphere_data"):
        fn = getattr(land, sampler)
        add_slot(Slot(sampler, "mean", NORTH, lambda v, f=fn: f(5, v, SPHERE_COV, _rng()),
                      "point", sphere=True, lite=sampler == "sample_sphere_data",
                      int_value=NORTH.astype(np.int64)))
        add_slot(Slot(sampler, "cov", SPHERE_COV, lambda v, f=fn: f(5, NORTH, v, _rng()),
                      "spd", lite=sampler == "sample_sphere_data",
                      int_value=np.eye(2, dtype=np.int64)))
    add_slot(Slot("LocalDiagonalMetric", "data", ARC_X,
                  lambda v: land.LocalDiagonalMetric(v, 0.3, 1e-3), "matrix", free_dim=True,
                  int_value=np.rint(ARC_X * 10).astype(np.int64)))
    add_slot(Slot("kernel_width_rule", "train", ARC_X, lambda v: land.kernel_width_rule(v, 5),
                  "matrix", free_dim=True, int_value=np.rint(ARC_X * 10).astype(np.int64)))
    # Sphere() geometry operations.
    pts = SPHERE_X[:4]
    int_pts = np.eye(3, dtype=np.int64)
    add_slot(Slot("Sphere.log", "base_point", NORTH, lambda v: SPHERE.log(v, pts), "point",
                  sphere=True, lite=True, int_value=NORTH.astype(np.int64)))
    add_slot(Slot("Sphere.log", "points", pts, lambda v: SPHERE.log(NORTH, v), "matrix",
                  single_ok=True, sphere=True, int_value=np.array([[1, 0, 0], [0, 1, 0]])))
    add_slot(Slot("Sphere.exp", "base_point", NORTH, lambda v: SPHERE.exp(v, SPHERE_VECS),
                  "point", sphere=True, lite=True, int_value=NORTH.astype(np.int64)))
    add_slot(Slot("Sphere.exp", "tangent_vecs", SPHERE_VECS, lambda v: SPHERE.exp(NORTH, v),
                  "matrix", single_ok=True, int_value=np.array([[1, 0, 0], [0, 2, 0]])))
    add_slot(Slot("Sphere.dist", "point_a", pts, lambda v: SPHERE.dist(v, pts), "matrix",
                  single_ok=True, sphere=True, lite=True, int_value=int_pts[[0, 1, 2, 0]]))
    add_slot(Slot("Sphere.dist", "point_b", pts, lambda v: SPHERE.dist(pts, v), "matrix",
                  single_ok=True, sphere=True, lite=True, int_value=int_pts[[0, 1, 2, 0]]))
    add_slot(Slot("Sphere.solve_log", "points", pts, lambda v: SPHERE.solve_log(NORTH, v),
                  "matrix", single_ok=True, sphere=True, lite=True, int_value=int_pts))
    # LearnedManifold.exp.
    add_slot(Slot("LearnedManifold.exp", "base_point", ARC_MEAN,
                  lambda v: LEARNED.exp(v, ARC_VECS), "point", lite=True, solver_error=True))
    add_slot(Slot("LearnedManifold.exp", "tangent_vecs", ARC_VECS,
                  lambda v: LEARNED.exp(ARC_MEAN, v), "matrix", single_ok=True, lite=True,
                  solver_error=True))


def build_option_cases():
    for geometry in ("sphere", "learned"):
        X = _data(geometry)

        def fit_land_est(value, param, g=geometry, X=X):
            return land.LAND(**{"geometry": g, **FAST, param: value}).fit(X)

        def fit_mix(value, param, g=geometry, X=X):
            return land.LANDMixture(**{"n_components": 2, "geometry": g, **FAST,
                                       param: value}).fit(X)
        for fn, kind in ((fit_land_est, "LAND"), (fit_mix, "LANDMixture")):
            name = f"{kind}.fit ({geometry})"
            if kind == "LANDMixture" and geometry == "learned":
                # the mixture's shared settings are probed on the sphere; here only the
                # learned geometry's own (kernel_width, rho)
                for param in ("kernel_width", "rho"):
                    values = positive_values(0.3 if param == "kernel_width" else 1e-3)
                    values += [("'auto'", "auto", "valid"),
                               ("unknown string 'median'", "median", "refuse")]
                    add_options(name, param, values, partial(_swap, fn, param))
                continue
            add_options(name, "n_mc_samples", count_values(16), partial(_swap, fn, "n_mc_samples"))
            add_options(name, "max_iter", count_values(1), partial(_swap, fn, "max_iter"))
            add_options(name, "reg_covar", nonnegative_values(1e-6),
                        partial(_swap, fn, "reg_covar"))
            add_options(name, "measure", choice_values("lebesgue", ["volume"]),
                        partial(_swap, fn, "measure"))
            add_options(name, "random_state", random_state_values(),
                        partial(_swap, fn, "random_state"))
            add_options(name, "n_samples", [("0", 0, "refuse"), ("2.5", 2.5, "refuse"),
                                            ("None", None, "refuse"),
                                            ("64 (deprecated alias)", 64, "valid")],
                        partial(_swap, fn, "n_samples"))
            if geometry == "learned":
                for param in ("kernel_width", "rho"):
                    values = positive_values(0.3 if param == "kernel_width" else 1e-3)
                    values += [("'auto'", "auto", "valid"), ("unknown string 'median'",
                                                              "median", "refuse"),
                               ("'AUTO'", "AUTO", "refuse")]
                    add_options(name, param, values, partial(_swap, fn, param))
            else:
                for param in ("kernel_width", "rho"):
                    # documented as used by the learned geometry only: ignoring them is fine
                    add_options(name, param, [("-1 (ignored on the sphere?)", -1.0, "either"),
                                              ("'median' (ignored?)", "median", "either")],
                                partial(_swap, fn, param))
            geometry_values = [("unknown string", "torus", "refuse"),
                               ("wrong case 'Sphere'", "Sphere", "refuse"),
                               ("None", None, "refuse"), ("int 1", 1, "refuse"),
                               ("the class land.Sphere", land.Sphere, "refuse"),
                               ("a LocalDiagonalMetric", METRIC, "refuse"),
                               ("list ['sphere']", ["sphere"], "refuse")]
            if geometry == "sphere":
                geometry_values.append(("Sphere() instance", land.Sphere(), "valid"))
            else:
                geometry_values.append(("LearnedManifold instance", LEARNED, "valid"))
            add_options(name, "geometry", geometry_values, partial(_swap, fn, "geometry"))
        add_options(f"LAND.fit ({geometry})", "algorithm", choice_values("natural", ["paper"]),
                    partial(_swap, fit_land_est, "algorithm"))
        if geometry == "learned":
            continue
        add_options(f"LANDMixture.fit ({geometry})", "n_components",
                    count_values(1) + [("more than the points", N_POINTS + 1, "refuse"),
                                       ("10**9", 10**9, "refuse")],
                    partial(_swap, fit_mix, "n_components"))
        add_options(f"LANDMixture.fit ({geometry})", "tol", nonnegative_values(1e-3),
                    partial(_swap, fit_mix, "tol"))
        add_options(f"LANDMixture.fit ({geometry})", "init",
                    choice_values("spectral", ["kmeans", "random"])
                    + [("labels array (functional only)", np.arange(N_POINTS) % 2, "refuse")],
                    partial(_swap, fit_mix, "init"))
        add_options(f"LANDMixture.fit ({geometry})", "n_init", count_values(1),
                    partial(_swap, fit_mix, "n_init"))
    # LAND.sample
    for geometry in ("sphere", "learned"):
        add_options(f"LAND.sample ({geometry})", "n_samples", count_values(3),
                    lambda v, g=geometry: fitted("LAND", g).sample(v, random_state=0))
        add_options(f"LAND.sample ({geometry})", "random_state", random_state_values(),
                    lambda v, g=geometry: fitted("LAND", g).sample(2, random_state=v))

    # fit_land keywords
    def fl(value, param, M=SPHERE, X=SPHERE_X):
        kwargs = dict(rng=_rng(), n_iter=2, n_samples=64)
        kwargs[param] = value
        return land.fit_land(M, X, **kwargs)
    for geometry, M, X in (("sphere", SPHERE, SPHERE_X), ("learned", LEARNED, ARC_X)):
        name = f"fit_land ({geometry})"
        f = partial(fl, M=M, X=X)
        add_options(name, "rng", rng_values(), partial(_swap, f, "rng"))
        add_options(name, "n_iter", count_values(1, none_ok=True), partial(_swap, f, "n_iter"))
        add_options(name, "n_samples", count_values(16, none_ok=True),
                    partial(_swap, f, "n_samples"))
        if geometry == "sphere":
            add_options(name, "step_mean", positive_values(0.5, none_ok=True),
                        partial(_swap, f, "step_mean"))
            add_options(name, "step_cov", positive_values(0.5, none_ok=True),
                        partial(_swap, f, "step_cov"))
            add_options(name, "patience", count_values(2), partial(_swap, f, "patience"))
            add_options(name, "progress", flag_values(), partial(_swap, f, "progress"))
        add_options(name, "algorithm", choice_values("natural", ["paper"]),
                    partial(_swap, f, "algorithm"))
        add_options(name, "volume", choice_values("paper", ["exact"]),
                    partial(_swap, f, "volume"))
        add_options(name, "manifold", [("None", None, "refuse"), ("string 'sphere'", "sphere",
                                                                  "refuse"),
                                       ("the class land.Sphere", land.Sphere, "refuse"),
                                       ("a LocalDiagonalMetric", METRIC, "refuse")],
                    lambda v, X=X: land.fit_land(v, X, rng=_rng(), n_iter=2, n_samples=64))
    sw = [("negative weight", np.r_[-1.0, np.ones(N_POINTS - 1)], "refuse"),
          ("all zero", np.zeros(N_POINTS), "refuse"),
          ("one nonzero weight", np.eye(N_POINTS)[0], "refuse"),
          ("two nonzero weights", np.eye(N_POINTS)[0] + np.eye(N_POINTS)[1], "refuse"),
          ("weights 1e300 (sum overflows)", np.full(N_POINTS, 1e300), "either"),
          ("weights 1e-320 (subnormal)", np.full(N_POINTS, 1e-320), "either"),
          ("integer weights 2", np.full(N_POINTS, 2), "valid")]
    add_options("fit_land (sphere)", "sample_weight", sw,
                lambda v: land.fit_land(SPHERE, SPHERE_X, rng=_rng(), sample_weight=v, n_iter=2,
                                        n_samples=64))

    # fit_land_mixture keywords
    def flm(value, param, M=SPHERE, X=SPHERE_X):
        kwargs = dict(rng=_rng(), n_iter=2, n_inner=1, n_samples=64)
        kwargs[param] = value
        k = kwargs.pop("n_components", 2)
        return land.fit_land_mixture(M, X, k, **kwargs)
    name = "fit_land_mixture (sphere)"
    add_options(name, "n_components", count_values(1) + [("N+1", N_POINTS + 1, "refuse")],
                partial(_swap, flm, "n_components"))
    add_options(name, "rng", rng_values(), partial(_swap, flm, "rng"))
    for param, valid in (("n_iter", 1), ("n_inner", 1), ("n_samples", 16), ("patience", 1)):
        add_options(name, param, count_values(valid), partial(_swap, flm, param))
    for param in ("step_mean", "step_cov"):
        add_options(name, param, positive_values(0.5), partial(_swap, flm, param))
    for param, valid in (("tol", 1e-3), ("cov_jitter", 1e-3), ("reg_covar", 1e-6)):
        add_options(name, param, nonnegative_values(valid), partial(_swap, flm, param))
    add_options(name, "init", choice_values("spectral", ["kmeans", "random"])
                + [("labels out of range", np.arange(N_POINTS) % 3, "refuse"),
                   ("negative labels", -(np.arange(N_POINTS) % 2), "refuse"),
                   ("a component with no point", np.zeros(N_POINTS, int), "refuse"),
                   ("a component with one point", np.r_[1, np.zeros(N_POINTS - 1, int)],
                    "either")],
                partial(_swap, flm, "init"))
    add_options(name, "progress", flag_values(), partial(_swap, flm, "progress"))
    add_options("fit_land_mixture (learned)", "n_components",
                [("0", 0, "refuse"), ("N+1", N_POINTS + 1, "refuse"), ("float", 2.0, "refuse"),
                 ("numpy int64 2", np.int64(2), "valid")],
                lambda v: land.fit_land_mixture(LEARNED, ARC_X, v, rng=_rng(), n_iter=1,
                                                n_inner=1, n_samples=64))

    # normalising_constant keywords
    def nc(value, param, M=SPHERE, mean=NORTH, cov=SPHERE_COV):
        kwargs = dict(manifold=M, mean=mean, cov=cov, n_samples=64, rng=_rng())
        kwargs[param] = value
        return land.normalising_constant(**kwargs)
    for geometry, M, mean, cov in (("sphere", SPHERE, NORTH, SPHERE_COV),
                                   ("learned", LEARNED, ARC_MEAN, np.diag([0.05, 0.01]))):
        name = f"normalising_constant ({geometry})"
        f = partial(nc, M=M, mean=mean, cov=cov)
        add_options(name, "n_samples", count_values(4) + [("1 (std error of one draw)", 1,
                                                           "valid")],
                    partial(_swap, f, "n_samples"))
        add_options(name, "rng", rng_values(), partial(_swap, f, "rng"))
        add_options(name, "sampling", choice_values("mc", ["qmc"]), partial(_swap, f, "sampling"))
        add_options(name, "volume", choice_values("paper", ["exact"]), partial(_swap, f, "volume"))
        add_options(name, "manifold", [("None", None, "refuse"), ("string", "sphere", "refuse"),
                                       ("class", land.Sphere, "refuse"),
                                       ("metric", METRIC, "refuse")],
                    partial(_swap, f, "manifold"))

    # samplers
    for sampler in ("sample_sphere_land", "sample_sphere_data"):
        fn = getattr(land, sampler)
        add_options(sampler, "n", count_values(3), lambda v, f=fn: f(v, NORTH, SPHERE_COV, _rng()))
        add_options(sampler, "rng", rng_values(), lambda v, f=fn: f(3, NORTH, SPHERE_COV, v))

    # LocalDiagonalMetric
    for param, valid in (("kernel_width", 0.3), ("rho", 1e-3)):
        add_options("LocalDiagonalMetric", param, positive_values(valid),
                    lambda v, p=param: land.LocalDiagonalMetric(
                        ARC_X, **{"kernel_width": 0.3, "rho": 1e-3, p: v}))
    for desc, kw, expect in (("kernel_width=1e-200", dict(kernel_width=1e-200, rho=1e-3), "refuse"),
                             ("rho=1e-320 (1/rho overflows)", dict(kernel_width=0.3, rho=1e-320),
                              "refuse"),
                             ("rho=1e300", dict(kernel_width=0.3, rho=1e300), "either"),
                             ("kernel_width=1e300", dict(kernel_width=1e300, rho=1e-3), "either"),
                             ("kernel_width=1e-8", dict(kernel_width=1e-8, rho=1e-3), "either")):
        add("LocalDiagonalMetric", "options", desc,
            lambda kw=kw: _metric_diag(land.LocalDiagonalMetric(ARC_X, **kw)), expect,
            ("kernel_width", "rho"))

    # kernel_width_rule
    add_options("kernel_width_rule", "n_neighbours",
                count_values(3) + [("N (needs N > n_neighbours)", N_POINTS, "refuse"),
                                   ("N - 1", N_POINTS - 1, "valid")],
                lambda v: land.kernel_width_rule(ARC_X, v))


def _metric_diag(metric):
    return metric.metric_diagonal(ARC_X[:3])


def _swap(fn, param, value):
    return fn(value, param)


# ------------------------------------------------------------------- degenerate data
def _great_circle(n, tilt=0.0):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    circle = np.c_[np.cos(t), np.sin(t), np.zeros(n)]
    c, s = np.cos(tilt), np.sin(tilt)
    return circle @ np.array([[1, 0, 0], [0, c, -s], [0, s, c]]).T


def _unit(X):
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def sphere_degenerate():
    r = np.random.default_rng(5)
    circle = _great_circle(N_POINTS, 0.3)
    return [
        ("1 point", SPHERE_X[:1], "refuse"),
        ("2 points", SPHERE_X[:2], "refuse"),
        ("3 points on a great circle", _great_circle(3), "refuse"),
        ("3 points in general position", SPHERE_X[:3], "either"),
        ("20 identical points", np.tile(SPHERE_X[0], (N_POINTS, 1)), "refuse"),
        ("19 identical + 1", np.vstack([np.tile(SPHERE_X[0], (N_POINTS - 1, 1)), SPHERE_X[1]]),
         "refuse"),
        ("20 points on the equator", _great_circle(N_POINTS), "refuse"),
        ("20 points on a tilted great circle", circle, "refuse"),
        ("great circle + 1e-9 noise", _unit(circle + 1e-9 * r.standard_normal(circle.shape)),
         "refuse"),
        ("great circle + 1e-4 noise", _unit(circle + 1e-4 * r.standard_normal(circle.shape)),
         "either"),
        ("short arc of a great circle (collinear)", _great_circle(200)[:N_POINTS], "refuse"),
        ("2 distinct points x10", np.repeat(SPHERE_X[:2], 10, axis=0), "refuse"),
        ("north and south poles x10", np.repeat(np.array([NORTH, SOUTH]), 10, axis=0), "refuse"),
        ("tiny cap (spread 1e-7)", _unit(NORTH + 1e-7 * np.c_[r.standard_normal((N_POINTS, 2)),
                                                              np.zeros(N_POINTS)]), "either"),
        ("every point twice", np.repeat(SPHERE_X, 2, axis=0), "valid"),
        ("uniform over the sphere", _unit(r.standard_normal((N_POINTS, 3))), "either"),
    ]


def learned_degenerate():
    r = np.random.default_rng(6)
    line = np.c_[np.linspace(0, 1, N_POINTS), 2 * np.linspace(0, 1, N_POINTS)]
    const = np.c_[ARC_X, np.full(N_POINTS, 3.0)]
    near_const = np.c_[ARC_X, 3.0 + 1e-13 * r.standard_normal(N_POINTS)]
    return [
        ("1 point", ARC_X[:1], "refuse"),
        ("2 points", ARC_X[:2], "refuse"),
        ("3 collinear points", line[[0, 5, 10]], "refuse"),
        ("3 points in general position", ARC_X[[0, 7, 14]], "either"),
        ("20 identical points", np.tile(ARC_X[0], (N_POINTS, 1)), "refuse"),
        ("19 identical + 1", np.vstack([np.tile(ARC_X[0], (N_POINTS - 1, 1)), ARC_X[1]]),
         "refuse"),
        ("20 collinear points", line, "refuse"),
        ("collinear + 1e-12 noise", line + 1e-12 * r.standard_normal(line.shape), "refuse"),
        ("collinear + 1e-6 noise", line + 1e-6 * r.standard_normal(line.shape), "either"),
        ("a constant feature (D=3)", const, "refuse"),
        ("a near-constant feature (1e-13 spread)", near_const, "refuse"),
        ("fewer points than dimensions (3 in D=5)", r.standard_normal((3, 5)), "refuse"),
        ("n = D (5 in D=5)", r.standard_normal((5, 5)), "refuse"),
        ("2 distinct points x10", np.repeat(ARC_X[:2], 10, axis=0), "refuse"),
        ("3 distinct points x7", np.repeat(ARC_X[[0, 7, 14]], 7, axis=0), "either"),
        ("scaled by 1e-150", ARC_X * 1e-150, "either"),
        ("scaled by 1e150", ARC_X * 1e150, "either"),
        ("offset by 1e12", ARC_X + 1e12, "either"),
        ("one outlier at 1e6", np.vstack([ARC_X, [1e6, 1e6]]), "either"),
        ("every point twice", np.repeat(ARC_X, 2, axis=0), "valid"),
        ("one feature (D=1)", ARC_X[:, :1], "either"),
    ]


def build_degenerate_cases():
    for geometry, datasets_ in (("sphere", sphere_degenerate()), ("learned", learned_degenerate())):
        manifold = SPHERE if geometry == "sphere" else LEARNED
        for desc, X, expect in datasets_:
            same_dim = X.shape[1] == manifold.ambient_dim
            add(f"LAND.fit ({geometry})", "degenerate", desc,
                partial(lambda X, g: land.LAND(g, **FAST).fit(X), X, geometry), expect, "X",
                solver_error=True)
            mix_expect = expect
            if expect == "valid" or (expect == "either" and X.shape[0] < 6):
                mix_expect = "either"
            add(f"LANDMixture.fit ({geometry})", "degenerate", desc,
                partial(lambda X, g: land.LANDMixture(2, geometry=g, **FAST).fit(X), X, geometry),
                mix_expect, ("X", "n_components"), solver_error=True)
            if same_dim and geometry == "sphere" or (geometry == "learned" and same_dim):
                add(f"fit_land ({geometry})", "degenerate", desc,
                    partial(lambda X, M: land.fit_land(M, X, rng=_rng(), n_iter=2, n_samples=64),
                            X, manifold), expect, "data", solver_error=True)
                add(f"fit_land_mixture ({geometry})", "degenerate", desc,
                    partial(lambda X, M: land.fit_land_mixture(M, X, 2, rng=_rng(), n_iter=2,
                                                               n_inner=1, n_samples=64),
                            X, manifold), mix_expect, ("data", "n_components"),
                    solver_error=True)
            if geometry == "learned":
                add("LocalDiagonalMetric", "degenerate", desc,
                    partial(lambda X: land.LocalDiagonalMetric(X, 0.3, 1e-3).metric_diagonal(X[:3]),
                            X),
                    "either" if expect != "valid" else "valid", ("data", "kernel_width", "rho"))
                kwr_expect = "valid" if expect == "valid" else "either"
                if X.shape[0] <= 5 or desc.startswith(("20 identical", "19 identical",
                                                       "2 distinct", "3 distinct")):
                    kwr_expect = "refuse"
                add("kernel_width_rule", "degenerate", desc,
                    partial(lambda X: land.kernel_width_rule(X, 5), X), kwr_expect, "train")
    # Near-singular covariances where an SPD matrix is promised.
    covs = [("singular diag(1, 0)", np.diag([0.05, 0.0]), "refuse"),
            ("eigenvalue ratio 1e-14", np.diag([0.05, 0.05e-14]), "refuse"),
            ("eigenvalue ratio 1e-13", np.diag([0.05, 0.05e-13]), "refuse"),
            ("eigenvalue ratio 1e-11", np.diag([0.05, 0.05e-11]), "either"),
            ("rank-1 + 1e-15 ridge", np.full((2, 2), 0.05) + 1e-15 * np.eye(2), "refuse"),
            ("negative definite", -SPHERE_COV, "refuse"),
            ("indefinite", np.diag([0.05, -0.01]), "refuse"),
            ("asymmetric", np.array([[0.05, 0.01], [0.0, 0.02]]), "refuse"),
            ("isotropic 1e-20 (tiny, well conditioned)", np.eye(2) * 1e-20, "either"),
            ("isotropic 1e4 (wider than the sphere)", np.eye(2) * 1e4, "either")]
    targets = [
        ("normalising_constant (sphere)", "cov",
         lambda c: land.normalising_constant(SPHERE, NORTH, c, 64, _rng())),
        ("normalising_constant (learned)", "cov",
         lambda c: land.normalising_constant(LEARNED, ARC_MEAN, c, 64, _rng())),
        ("fit_land (sphere)", "init_cov",
         lambda c: land.fit_land(SPHERE, SPHERE_X, rng=_rng(), init_cov=c, n_iter=2,
                                 n_samples=64)),
        ("sample_sphere_land", "cov", lambda c: land.sample_sphere_land(5, NORTH, c, _rng())),
        ("sample_sphere_data", "cov", lambda c: land.sample_sphere_data(5, NORTH, c, _rng())),
    ]
    for function, arg, call in targets:
        for desc, cov, expect in covs:
            add(function, "degenerate", f"{arg}: {desc}", partial(call, cov), expect, arg,
                solver_error=function.startswith(("normalising", "fit_land")))
    # Degenerate sample weights and frames.
    add("fit_land (sphere)", "degenerate", "init_frame: columns not orthonormal",
        lambda: land.fit_land(SPHERE, SPHERE_X, rng=_rng(), init_mean=NORTH,
                              init_frame=2 * SPHERE_FRAME, n_iter=2, n_samples=64),
        "refuse", "init_frame")
    add("fit_land (sphere)", "degenerate", "init_frame: columns not tangent",
        lambda: land.fit_land(SPHERE, SPHERE_X, rng=_rng(), init_mean=NORTH,
                              init_frame=np.array([[1.0, 0], [0, 0], [0, 1]]), n_iter=2,
                              n_samples=64), "refuse", "init_frame")
    add("fit_land (sphere)", "degenerate", "init_frame without init_mean (frame at another point)",
        lambda: land.fit_land(SPHERE, SPHERE_X, rng=_rng(),
                              init_frame=SPHERE.frame(_unit(np.array([[1.0, 0, 0.2]]))[0]),
                              n_iter=2, n_samples=64), "refuse", "init_frame")
    add("fit_land (sphere)", "degenerate", "init_mean antipodal to the data",
        lambda: land.fit_land(SPHERE, SPHERE_X, rng=_rng(), init_mean=SOUTH, n_iter=2,
                              n_samples=64), "either", "init_mean", solver_error=True)


# ------------------------------------------------------------------- fitted state
def build_not_fitted_cases():
    methods = {"LAND": ("score_samples", "score", "bic", "aic", "sample"),
               "LANDMixture": ("score_samples", "score", "predict", "predict_proba", "bic", "aic")}
    for kind, names in methods.items():
        for geometry in ("sphere", "learned"):
            X = _data(geometry)
            for method in names:
                if method == "sample":
                    inputs = [("n_samples=1", 1), ("n_samples=0", 0), ("n_samples='x'", "x")]
                else:
                    bad = X[:3].copy()
                    bad[0, 0] = np.nan
                    inputs = [("valid X", X[:3]), ("X with NaN", bad), ("1-d X", X[0]),
                              ("X = None", None)]
                for desc, value in inputs:
                    def call(value=value, kind=kind, geometry=geometry, method=method):
                        est = (land.LAND(geometry, **FAST) if kind == "LAND"
                               else land.LANDMixture(2, geometry=geometry, **FAST))
                        return getattr(est, method)(value)
                    add(f"{kind}.{method} ({geometry})", "not_fitted", f"before fit, {desc}",
                        call, "not_fitted", ())
    # Fitted, then refitted on bad data: the old state must not survive a failed fit silently.
    for kind in ("LAND", "LANDMixture"):
        def refit(kind=kind):
            est = (land.LAND("sphere", **FAST) if kind == "LAND"
                   else land.LANDMixture(2, geometry="sphere", **FAST))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(SPHERE_X)
            try:
                est.fit(ARC_X)          # 2 features: refused
            except (TypeError, ValueError):
                pass
            return est.score_samples(SPHERE_X[:3])
        # valid: the old model should still score (or the estimator say it is not fitted)
        add(f"{kind}.score_samples (sphere)", "not_fitted",
            "after a refused refit on 2-feature data", refit, "valid", "X")


# ------------------------------------------------------------------- geometry mismatch
def _unit_norm(points):
    n = np.linalg.norm(np.asarray(points), axis=-1)
    return None if np.allclose(n, 1.0, atol=1e-12) else f"norms {n}"


def build_geometry_cases():
    off = SPHERE_X * 2.0
    slightly_off = SPHERE_X * (1 + 1e-5)
    within = SPHERE_X * (1 + 1e-8)
    four = np.c_[SPHERE_X, np.zeros(N_POINTS)]
    for kind in ("LAND", "LANDMixture"):
        def fit(X, geometry="sphere", kind=kind):
            if kind == "LAND":
                return land.LAND(geometry, **FAST).fit(X)
            return land.LANDMixture(2, geometry=geometry, **FAST).fit(X)
        name = f"{kind}.fit (sphere)"
        for desc, X, expect in (("points of norm 2", off, "refuse"),
                                ("points of norm 1 + 1e-5", slightly_off, "refuse"),
                                ("points of norm 1 + 1e-8 (within tolerance)", within, "valid"),
                                ("2 features", SPHERE_X[:, :2], "refuse"),
                                ("4 features (norm 1)", four, "refuse"),
                                ("planar arc data", np.c_[ARC_X, np.zeros(N_POINTS)], "refuse"),
                                ("a point at the origin", np.vstack([SPHERE_X, np.zeros(3)]),
                                 "refuse")):
            add(name, "geometry", desc, partial(fit, X), expect, "X", solver_error=True)
        add(f"{kind}.fit (Sphere())", "geometry", "Sphere() on 2-feature data",
            partial(fit, ARC_X, land.Sphere()), "refuse", "X")
        add(f"{kind}.fit (LearnedManifold)", "geometry", "D=2 LearnedManifold on 3-feature data",
            partial(fit, SPHERE_X, LEARNED), "refuse", "X")
        add(f"{kind}.fit (LearnedManifold)", "geometry", "D=2 LearnedManifold on its own data",
            partial(fit, ARC_X, LEARNED), "valid", "X", solver_error=True)
        for method in (("score_samples", "bic") if kind == "LAND"
                       else ("score_samples", "predict")):
            def score(X, geometry, method=method, kind=kind):
                return getattr(fitted(kind, geometry), method)(X)
            fname = f"{kind}.{method}"
            for desc, X, expect in (("points of norm 2", off[:3], "refuse"),
                                    ("2 features", SPHERE_X[:3, :2], "refuse"),
                                    ("4 features", four[:3], "refuse"),
                                    ("a point at the origin", np.zeros((1, 3)), "refuse"),
                                    ("the antipode of the mean", -fitted(kind, "sphere").means_[:1]
                                     if kind == "LANDMixture"
                                     else -fitted(kind, "sphere").mean_[None], "valid")):
                add(f"{fname} (sphere)", "geometry", desc, partial(score, X, "sphere"), expect, "X")
            for desc, X, expect in (("3 features", SPHERE_X[:3], "refuse"),
                                    ("1 feature", ARC_X[:3, :1], "refuse"),
                                    ("a point 10 units away", ARC_X[:1] + 10.0, "valid"),
                                    ("a point 1e6 away", ARC_X[:1] + 1e6, "valid"),
                                    ("a point 1e200 away", ARC_X[:1] + 1e200, "either"),
                                    ("a point 1e308 away", ARC_X[:1] * 0 + 1e308, "either")):
                add(f"{fname} (learned)", "geometry", desc, partial(score, X, "learned"), expect,
                    "X")
    # functional interface on the wrong geometry
    add("fit_land (sphere)", "geometry", "2-feature data on Sphere()",
        lambda: land.fit_land(SPHERE, ARC_X, rng=_rng(), n_iter=2, n_samples=64), "refuse",
        "data")
    add("fit_land (sphere)", "geometry", "points of norm 2",
        lambda: land.fit_land(SPHERE, off, rng=_rng(), n_iter=2, n_samples=64), "refuse", "data")
    add("fit_land (learned)", "geometry", "3-feature data on a D=2 LearnedManifold",
        lambda: land.fit_land(LEARNED, SPHERE_X, rng=_rng(), n_iter=2, n_samples=64), "refuse",
        "data")
    add("fit_land (sphere)", "geometry", "init_mean off the sphere",
        lambda: land.fit_land(SPHERE, SPHERE_X, rng=_rng(), init_mean=[0, 0, 2.0], n_iter=2,
                              n_samples=64), "refuse", "init_mean")
    add("fit_land (sphere)", "geometry", "init_cov 3x3 (ambient, not intrinsic)",
        lambda: land.fit_land(SPHERE, SPHERE_X, rng=_rng(), init_cov=np.eye(3) * 0.05, n_iter=2,
                              n_samples=64), "refuse", "init_cov")
    add("fit_land_mixture (sphere)", "geometry", "2-feature data on Sphere()",
        lambda: land.fit_land_mixture(SPHERE, ARC_X, 2, rng=_rng(), n_iter=1, n_samples=64),
        "refuse", "data")
    add("normalising_constant (sphere)", "geometry", "mean off the sphere",
        lambda: land.normalising_constant(SPHERE, [0, 0, 2.0], SPHERE_COV, 64, _rng()),
        "refuse", "mean")
    add("normalising_constant (sphere)", "geometry", "cov 3x3",
        lambda: land.normalising_constant(SPHERE, NORTH, np.eye(3) * 0.05, 64, _rng()),
        "refuse", "cov")
    add("normalising_constant (sphere)", "geometry", "frame of another point",
        lambda: land.normalising_constant(SPHERE, NORTH, SPHERE_COV, 64, _rng(),
                                          frame=SPHERE.frame(np.array([1.0, 0, 0]))),
        "refuse", "frame")
    add("normalising_constant (learned)", "geometry", "mean with 3 features",
        lambda: land.normalising_constant(LEARNED, NORTH, np.diag([0.05, 0.01]), 64, _rng()),
        "refuse", "mean")
    add("normalising_constant (learned)", "geometry", "mean far from the data (1e6)",
        lambda: land.normalising_constant(LEARNED, ARC_MEAN + 1e6, np.diag([0.05, 0.01]), 64,
                                          _rng()), "either", "mean", solver_error=True)
    add("normalising_constant (learned)", "geometry", "cov 1e6 (draws far from the data)",
        lambda: land.normalising_constant(LEARNED, ARC_MEAN, np.eye(2) * 1e6, 64, _rng()),
        "either", "cov", solver_error=True)
    add("sample_sphere_land", "geometry", "mean of norm 2",
        lambda: land.sample_sphere_land(5, [0, 0, 2.0], SPHERE_COV, _rng()), "refuse", "mean")

    # Sphere(): batched base points, huge/tiny tangent vectors, antipodes.
    pts = SPHERE_X[:3]
    batch2 = SPHERE_X[:2]
    for fname, call, arg in (("Sphere.log", lambda b: SPHERE.log(b, pts), "base_point"),
                             ("Sphere.exp", lambda b: SPHERE.exp(b, SPHERE_VECS), "base_point"),
                             ("Sphere.solve_log", lambda b: SPHERE.solve_log(b, pts), "base_point"),
                             ("Sphere.frame", lambda b: SPHERE.frame(b), "base_point"),
                             ("Sphere.solve_exp", lambda b: SPHERE.solve_exp(b, SPHERE_VECS),
                              "base_point")):
        for desc, b in (("batch of 2 base points", batch2), ("batch of 1 base point", pts[:1]),
                        ("batch of 3 base points, one per point", pts),
                        ("base point of norm 2", 2 * NORTH), ("the origin", np.zeros(3))):
            add(fname, "geometry", desc, partial(call, b), "refuse", arg)
    add("Sphere.dist", "geometry", "batches (2,3) vs (3,3)",
        lambda: SPHERE.dist(batch2, pts), "refuse", ("point_a", "point_b"))
    add("Sphere.dist", "geometry", "batches (3,3) vs (3,3)", lambda: SPHERE.dist(pts, pts),
        "valid", ("point_a", "point_b"),
        check=lambda r: None if np.allclose(r, 0, atol=1e-12) else f"dist(x, x) = {r}")
    add("Sphere.dist", "geometry", "broadcast (1,3) vs (3,3)", lambda: SPHERE.dist(pts[:1], pts),
        "valid", ("point_a", "point_b"))
    add("Sphere.dist", "geometry", "antipodal points",
        lambda: SPHERE.dist(NORTH, SOUTH), "valid", ("point_a", "point_b"),
        check=lambda r: None if np.isclose(r, np.pi) else f"dist = {r}, expected pi")
    add("Sphere.dist", "geometry", "3-d batch (1,3,3) vs (3,3)",
        lambda: SPHERE.dist(pts[None], pts), "refuse", ("point_a", "point_b"))

    def exp_check(length):
        def check(point):
            problem = _unit_norm(point)
            if problem:
                return problem
            expected = np.array([np.sin(length), 0.0, np.cos(length)])
            if length < 1e6 and not np.allclose(point, expected, atol=1e-9):
                return f"exp = {point}, expected {expected}"
            return None
        return check
    for length in (5e-324, 1e-300, 1e-160, 1e-8, np.pi, 2 * np.pi, 1e10, 1e300, 1e308, 1.7e308):
        add("Sphere.exp", "geometry", f"tangent vector of length {length:.3g}",
            partial(SPHERE.exp, NORTH, np.array([length, 0.0, 0.0])), "valid", "tangent_vecs",
            check=exp_check(length))
    add("Sphere.exp", "geometry", "tangent vector (1e308, 1e308, 0) (norm overflows)",
        lambda: SPHERE.exp(NORTH, np.array([1e308, 1e308, 0.0])), "either", "tangent_vecs",
        check=_unit_norm)
    add("Sphere.exp", "geometry", "vector normal to the sphere",
        lambda: SPHERE.exp(NORTH, np.array([0.0, 0.0, 0.5])), "refuse", "tangent_vecs")
    add("Sphere.exp", "geometry", "huge vector with a 1e-7 relative normal part",
        lambda: SPHERE.exp(NORTH, np.array([1e10, 0.0, 1e3])), "either", "tangent_vecs",
        check=_unit_norm)

    def log_check(point, tol=1e-9):
        def check(v):
            back = SPHERE.exp(NORTH, v)
            return None if np.allclose(back, point, atol=tol) else f"exp(log(x)) = {back}"
        return check
    for desc, point, expect in (("the antipode", SOUTH, "refuse"),
                                ("antipode within 1e-12", _unit(np.array([[1e-12, 0, -1]]))[0],
                                 "refuse"),
                                ("pi - 1e-6 away", np.array([np.sin(np.pi - 1e-6), 0,
                                                             np.cos(np.pi - 1e-6)]), "valid"),
                                ("the base point itself", NORTH, "valid"),
                                ("1e-15 away", _unit(np.array([[1e-15, 0, 1]]))[0], "valid"),
                                ("1e-9 away", _unit(np.array([[1e-9, 0, 1]]))[0], "valid")):
        add("Sphere.log", "geometry", f"point {desc}", partial(SPHERE.log, NORTH, point), expect,
            "points", check=log_check(point))
        add("Sphere.solve_log", "geometry", f"point {desc}",
            partial(SPHERE.solve_log, NORTH, point[None]),
            "valid", "points",
            check=(lambda r, e=expect: None if bool(r.converged[0]) == (e == "valid")
                   else f"converged = {r.converged}"))
    # LearnedManifold.exp with huge and tiny tangent vectors; batched base points.
    for length in (1e-300, 1e-8, 1.0, 1e3, 1e10):
        add("LearnedManifold.exp", "geometry", f"tangent vector of length {length:.3g}",
            partial(LEARNED.exp, ARC_MEAN, np.array([[length, 0.0]])), "either", "tangent_vecs",
            solver_error=True)
    add("LearnedManifold.exp", "geometry", "batch of 2 base points",
        lambda: LEARNED.exp(ARC_X[:2], ARC_VECS), "refuse", "base_point")
    add("LearnedManifold.log", "geometry", "batch of 2 base points",
        lambda: LEARNED.log(ARC_X[:2], ARC_X[2:4]), "refuse", "base_point")
    add("LearnedManifold.log", "geometry", "point 1e6 away",
        lambda: LEARNED.log(ARC_MEAN, ARC_MEAN + 1e6), "either", "points", solver_error=True)
    add("LearnedManifold.dist", "geometry", "batch of 2 base points",
        lambda: LEARNED.dist(ARC_X[:2], ARC_X[2:4]), "refuse", "base_point")


# ============================================================================ running
class ProbeTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise ProbeTimeout(f"still running after {CASE_SECONDS} s")


def _finite_arrays(obj, depth=0):
    """Every float array of a result that is promised finite."""
    if depth > 4 or obj is None:
        return
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc":
            yield obj
        return
    if isinstance(obj, (float, np.floating, complex)):
        yield np.asarray(obj)
        return
    if isinstance(obj, BaseEstimator):
        for key, value in vars(obj).items():
            if key.endswith("_") and not key.startswith("_") and key not in ("history_",):
                yield from _finite_arrays(value, depth + 1)
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name in ("history", "settings", "info", "residual"):
                continue
            if (isinstance(obj, land.NormalisingConstant) and f.name == "std_error"
                    and obj.std_error == np.inf and np.count_nonzero(obj.converged) == 1):
                continue      # documented: one converged draw has no spread, so its error is inf
            yield from _finite_arrays(getattr(obj, f.name), depth + 1)
        return
    if isinstance(obj, (tuple, list)):
        for value in obj:
            yield from _finite_arrays(value, depth + 1)


def has_nonfinite(result):
    for array in _finite_arrays(result):
        try:
            if not np.all(np.isfinite(array)):
                return True
        except TypeError:
            continue
    return False


def names_argument(message, names):
    text = message.strip()
    for name in names:
        pattern = re.escape(name)
        if re.match(rf"{pattern}(?![A-Za-z0-9_])", text):
            return True
        if re.search(rf"(^|[\s(`'\"]){pattern}\s*[:=]", text):
            return True
    return False


def relevant_warnings(records):
    out = []
    for w in records:
        cat, msg = w.category, str(w.message)
        if issubclass(cat, (land.DegenerateLikelihoodWarning, land.GeodesicSolverWarning)):
            out.append(w)
        elif issubclass(cat, ConvergenceWarning):
            if "did not converge in max_iter" not in msg:
                out.append(w)
        elif issubclass(cat, RuntimeWarning):
            continue                        # numpy floating-point noise: not a user warning
        elif issubclass(cat, (FutureWarning, DeprecationWarning, UserWarning)):
            out.append(w)
    return out


def run_case(case):
    start = time.perf_counter()
    exc = result = None
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
        try:
            result = case.call()
        except BaseException as error:     # noqa: BLE001 - classifying is the point
            if isinstance(error, KeyboardInterrupt):
                raise
            exc = error
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.perf_counter() - start
    relevant = relevant_warnings(records)
    warning_text = "; ".join(f"{w.category.__name__}: {str(w.message)[:90]}"
                             for w in (relevant or records)[:2])
    res = Result(case, "", seconds=seconds, warned=bool(relevant), warning=warning_text)
    if exc is not None:
        res.exc_type = type(exc).__name__
        res.message = " ".join(str(exc).split())[:300]
        if case.expect == "not_fitted":
            if isinstance(exc, NotFittedError):
                res.outcome = "named"
            elif isinstance(exc, (TypeError, ValueError)):
                res.outcome = "misnamed"
            else:
                res.outcome = "crash"
        elif isinstance(exc, NotFittedError) or isinstance(exc, ProbeTimeout):
            res.outcome = "crash"
        elif isinstance(exc, land.GeodesicSolverError) and case.solver_error:
            # documented solver failure: naming the argument or the failing method will do
            method = case.function.split()[0].split(".")[-1]
            res.outcome = ("named" if names_argument(str(exc), case.names + (method,))
                           else "misnamed")
        elif isinstance(exc, (TypeError, ValueError)):
            res.outcome = "named" if names_argument(str(exc), case.names) else "misnamed"
        else:
            res.outcome = "crash"
        res.refused_valid = case.expect == "valid"
        return res
    if has_nonfinite(result):
        res.outcome = "silent_nan"
    elif case.expect in ("valid", "either"):
        problem = case.check(result) if case.check else None
        if problem:
            res.outcome, res.message = "silent_wrong", f"check failed: {problem}"[:300]
        elif case.expect == "either" and relevant:
            res.outcome = "warned"
        else:
            res.outcome = "ok"
    elif case.expect == "not_fitted":
        res.outcome = "silent_wrong"
        res.message = "returned before fit"
    else:
        res.outcome = "warned" if relevant else "silent_wrong"
        if not relevant:
            res.message = f"returned {_describe(result)}"
    return res


def _describe(result):
    return " ".join(_describe_raw(result).split())[:200]


def _describe_raw(result):
    if isinstance(result, land.LandMixtureFit):
        eig = [float(np.linalg.eigvalsh(c)[0]) for c in result.covs]
        return (f"LandMixtureFit(weights={np.round(result.weights, 3)}, "
                f"least cov eigenvalue per component={np.array2string(np.array(eig), precision=2)})")
    if isinstance(result, land.NormalisingConstant):
        return f"NormalisingConstant(value={result.value:.4g}, std_error={result.std_error:.3g})"
    if isinstance(result, land.SphereSample):
        return f"SphereSample({result.points.shape[0]} points, cov eig={np.linalg.eigvalsh(result.cov)})"
    if isinstance(result, BaseEstimator):
        keys = [k for k in ("mean_", "covariance_", "weights_") if hasattr(result, k)]
        return "a fitted estimator (" + ", ".join(
            f"{k}={np.array2string(np.asarray(getattr(result, k)), precision=3)[:60]}"
            for k in keys) + ")"
    if hasattr(result, "cov") and hasattr(result, "mean"):
        return (f"{type(result).__name__}(mean={np.round(np.asarray(result.mean), 3)}, "
                f"cov eig={np.linalg.eigvalsh(np.atleast_2d(result.cov)) if np.ndim(result.cov) == 2 else '?'})")
    if isinstance(result, np.ndarray):
        return f"array {result.shape} {np.array2string(result.ravel()[:4], precision=3)}"
    text = repr(result)
    return text[:120]


# ============================================================================ reporting
def print_tables(results):
    counts = collections.Counter(r.outcome for r in results)
    print(f"{len(results)} cases\n")
    print("Per class")
    for cls in CLASSES:
        print(f"  {cls:<13}{counts.get(cls, 0):>6}")
    print()
    header = f"  {'family':<12}" + "".join(f"{c:>13}" for c in CLASSES) + f"{'total':>8}"
    print("Per family")
    print(header)
    for family in FAMILIES:
        row = collections.Counter(r.outcome for r in results if r.case.family == family)
        print(f"  {family:<12}" + "".join(f"{row.get(c, 0):>13}" for c in CLASSES)
              + f"{sum(row.values()):>8}")
    print(f"  {'all':<12}" + "".join(f"{counts.get(c, 0):>13}" for c in CLASSES)
          + f"{len(results):>8}")
    refused = [r for r in results if r.refused_valid]
    print(f"\nValid controls refused: {len(refused)}; cases with a warning among "
          f"ok/silent_*: {sum(r.warned for r in results if r.outcome in ('ok', 'silent_nan', 'silent_wrong'))}")


def _key(message):
    return re.sub(r"[-+0-9.e]+", "#", message)[:70]


def print_problems(results, max_lines=MAX_LINES):
    bad = [r for r in results if r.outcome in REPORTED or r.refused_valid]
    print(f"\nNon-ok cases ({len(bad)}), grouped (class | function | family | outcome):")
    groups = collections.OrderedDict()
    order = {c: i for i, c in enumerate(REPORTED + ("named", "warned", "ok"))}
    for r in sorted(bad, key=lambda r: (order[r.outcome], r.case.function, r.exc_type)):
        label = "refused valid" if r.refused_valid and r.outcome not in REPORTED else r.outcome
        key = (label, r.case.function, r.exc_type, _key(r.message))
        groups.setdefault(key, []).append(r)
    lines = []
    for (label, function, exc_type, _), rs in groups.items():
        families = ",".join(sorted({r.case.family for r in rs}))
        descs = "; ".join(r.case.desc for r in rs[:3]) + (f"; +{len(rs) - 3} more"
                                                          if len(rs) > 3 else "")
        what = f"{exc_type}: {rs[0].message}" if exc_type else rs[0].message
        lines.append(f"  [{label}] {function} | {families} | x{len(rs)} | {descs} | "
                     f"{what[:160]}")
    if len(lines) > max_lines:
        # Merge further: one line per (class, function, exception type).
        merged = collections.OrderedDict()
        for (label, function, exc_type, _), rs in groups.items():
            merged.setdefault((label, function, exc_type), []).extend(rs)
        lines = []
        for (label, function, exc_type), rs in merged.items():
            families = ",".join(sorted({r.case.family for r in rs}))
            descs = "; ".join(r.case.desc for r in rs[:2]) + (f"; +{len(rs) - 2} more"
                                                              if len(rs) > 2 else "")
            what = f"{exc_type}: {rs[0].message}" if exc_type else rs[0].message
            lines.append(f"  [{label}] {function} | {families} | x{len(rs)} | {descs} | "
                         f"{what[:140]}")
    for line in lines[:max_lines]:
        print(line)
    if len(lines) > max_lines:
        print(f"  ... {len(lines) - max_lines} more groups: see the CSV file")


def write_csv(results, path):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "function", "family", "case", "expect", "outcome", "refused_valid",
                         "exc_type", "message", "warned", "warning", "seconds"])
        for i, r in enumerate(results):
            writer.writerow([i, r.case.function, r.case.family, r.case.desc, r.case.expect,
                             r.outcome, int(r.refused_valid), r.exc_type, r.message,
                             int(r.warned), r.warning, f"{r.seconds:.3f}"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--csv", default="/tmp/probe_results.csv")
    parser.add_argument("--family", choices=FAMILIES, default=None,
                        help="run one family only")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGALRM, _alarm)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind in ("LAND", "LANDMixture"):        # fitted fixtures (and numba's compilation)
            for geometry in ("sphere", "learned"):
                fitted(kind, geometry)
        build_array_cases()
        build_option_cases()
        build_degenerate_cases()
        build_not_fitted_cases()
        build_geometry_cases()
    cases = [c for c in CASES if args.family in (None, c.family)]
    print(f"setup {time.perf_counter() - start:.1f} s, running {len(cases)} cases",
          file=sys.stderr)
    results = []
    for i, case in enumerate(cases):
        results.append(run_case(case))
        if (i + 1) % 250 == 0:
            print(f"  {i + 1}/{len(cases)} cases, {time.perf_counter() - start:.0f} s",
                  file=sys.stderr)
    write_csv(results, args.csv)
    print_tables(results)
    print_problems(results)
    slow = sorted(results, key=lambda r: -r.seconds)[:3]
    print(f"\nTotal {time.perf_counter() - start:.0f} s; slowest cases: "
          + "; ".join(f"{r.case.function} {r.case.desc} {r.seconds:.1f} s" for r in slow))
    print(f"Per-case results: {args.csv}")


if __name__ == "__main__":
    main()
