"""Misuse of the estimators and the geometry, family by family (issue 18).

Each family of bad input or misuse (NaN/inf, shapes, dtypes, degenerate
data, options, fitted state, geometry mismatch) must end in one of three
documented ways: an error that names the argument the user passed, a
finite answer with a warning that says what was done, or a correct answer.
Never a silent wrong answer, a silent NaN, or a crash from deep inside.

The last part checks the promises the estimators make about their output:
warnings for fits that do not converge or whose likelihood is unbounded,
scale equivariance, and densities that integrate to one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import land
from land.data import datasets

NORTH = np.array([0.0, 0.0, 1.0])
SPHERE_X = land.sample_sphere_land(80, NORTH, np.diag([0.05, 0.02]), np.random.default_rng(1)).points
ARC_X = datasets.noisy_arc(80, np.random.default_rng(0), noise=0.05)
FAST = dict(n_mc_samples=128, random_state=0)


def _land(geometry, **kwargs):
    return land.LAND(geometry, **{**FAST, **kwargs})


def _mixture(geometry, k=2, **kwargs):
    return land.LANDMixture(k, geometry=geometry, **{**FAST, "tol": 1e-2, **kwargs})


@pytest.fixture(scope="module")
def fitted():
    """One fitted estimator of each kind on each geometry (the fits converge: no warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return {("LAND", "sphere"): _land("sphere").fit(SPHERE_X),
                ("LAND", "learned"): _land("learned").fit(ARC_X),
                ("mixture", "sphere"): _mixture("sphere").fit(SPHERE_X)}


def _data(geometry):
    return SPHERE_X if geometry == "sphere" else ARC_X


# ------------------------------------------------------------------ NaN and inf, dtypes, shapes
def _spoiled(X):
    nan, inf = X.copy(), X.copy()
    nan[3, 0], inf[5, 1] = np.nan, -np.inf
    return [("NaN", nan, ValueError), ("inf", inf, ValueError),
            ("complex", X + 0j, ValueError), ("bool", X > 0, TypeError),
            ("text", X.astype(str), TypeError), ("object", X.astype(object), TypeError),
            ("1-d", X[:, 0], ValueError), ("3-d", X[None], ValueError),
            ("empty", X[:0], ValueError), ("None", None, TypeError),
            ("sparse-like list", [[1.0, 2.0], [3.0]], TypeError)]


@pytest.mark.parametrize("geometry", ["sphere", "learned"])
@pytest.mark.parametrize("estimator", [land.LAND, land.LANDMixture])
@pytest.mark.parametrize("case", range(11))
def test_fit_refuses_bad_X_naming_it(estimator, geometry, case):
    label, bad, error = _spoiled(_data(geometry))[case]
    with pytest.raises(error, match=r"^X\b"):
        estimator(geometry=geometry, **FAST).fit(bad)


@pytest.mark.parametrize("key", [("LAND", "sphere"), ("LAND", "learned"), ("mixture", "sphere")])
@pytest.mark.parametrize("method", ["score_samples", "score", "bic", "aic", "predict",
                                    "predict_proba"])
@pytest.mark.parametrize("case", range(10))
def test_methods_refuse_bad_X_naming_it(fitted, key, method, case):
    model = fitted[key]
    if not hasattr(model, method):
        pytest.skip(f"{type(model).__name__} has no {method}")
    label, bad, error = _spoiled(_data(key[1]))[case]
    with pytest.raises(error, match=r"^X\b"):
        getattr(model, method)(bad)


@pytest.mark.parametrize("key", [("LAND", "sphere"), ("mixture", "sphere"), ("LAND", "learned")])
def test_wrong_feature_count_and_points_off_the_sphere_name_X(fitted, key):
    model = fitted[key]
    X = _data(key[1])
    with pytest.raises(ValueError, match=r"^X\b.*features"):
        model.score_samples(np.c_[X, X[:, :1]])
    if key[1] == "sphere":
        with pytest.raises(ValueError, match=r"^X: expected points on the unit sphere"):
            model.score_samples(2.0 * X)
        with pytest.raises(ValueError, match=r"^X: expected points on the unit sphere"):
            model.__class__(geometry="sphere", **FAST).fit(2.0 * X)


# ------------------------------------------------------------------ degenerate data
@pytest.mark.parametrize("estimator", [land.LAND, land.LANDMixture])
@pytest.mark.parametrize("geometry, X, reason", [
    ("sphere", SPHERE_X[:1], "n_samples = 1"),
    ("learned", ARC_X[:1], "n_samples = 1"),
    ("sphere", np.repeat(SPHERE_X[:1], 40, axis=0), "identical"),
    ("learned", np.repeat(ARC_X[:1], 40, axis=0), "identical"),
    ("sphere", SPHERE_X[:2], "great circle"),
    ("sphere", np.c_[np.cos(np.linspace(0, 2, 30)), np.sin(np.linspace(0, 2, 30)), np.zeros(30)],
     "great circle"),
    ("learned", np.c_[ARC_X[:, 0], np.full(80, 0.5)], r"feature\(s\) \[1\] are constant"),
    ("learned", np.random.default_rng(0).standard_normal((3, 4)), "n_samples = 3 points in 4"),
    ("learned", np.c_[ARC_X[:, 0], 2.0 * ARC_X[:, 0] + 1.0], "affine subspace"),
])
def test_degenerate_data_is_refused_with_the_reason(estimator, geometry, X, reason):
    kwargs = dict(FAST, kernel_width=0.5) if geometry == "learned" else FAST
    if estimator is land.LANDMixture:
        kwargs = dict(kwargs, n_components=1)
    with pytest.raises(ValueError, match=rf"^X: .*{reason}"):
        estimator(geometry=geometry, **kwargs).fit(X)


def test_kernel_width_rule_refuses_repeated_points():
    repeated = np.repeat(ARC_X[:2], 30, axis=0)
    with pytest.raises(ValueError, match="^train: .*duplicates"):
        land.kernel_width_rule(repeated, 20)
    # Through the estimator the message names X.
    with pytest.raises(ValueError, match=r"^X: kernel_width='auto'.*duplicates"):
        land.LAND(**FAST).fit(np.vstack([repeated, ARC_X[2:4]]))


def test_a_mixture_component_collapsing_onto_one_point_warns():
    # Three points, two components: one component holds a single point, where the
    # likelihood is unbounded; the floor keeps it finite and the fit says so.
    X = np.vstack([SPHERE_X[:5], land.Sphere().exp(NORTH, [1.0, 0.0, 0.0])])
    with pytest.warns(land.DegenerateLikelihoodWarning, match="collapsed"):
        model = land.LANDMixture(2, geometry="sphere", n_mc_samples=128, max_iter=3,
                                 init="kmeans", random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X)
    assert model.floored_.any()
    floored = np.flatnonzero(model.floored_)[0]
    np.testing.assert_allclose(np.linalg.eigvalsh(model.covariances_[floored]).min(),
                               model.cov_floor_, rtol=1e-6)
    assert np.all(np.isfinite(model.score_samples(X)))


# ------------------------------------------------------------------ options
@pytest.mark.parametrize("estimator", [land.LAND, land.LANDMixture])
@pytest.mark.parametrize("param, value, error", [
    ("n_mc_samples", 0, ValueError), ("n_mc_samples", 2.5, TypeError),
    ("reg_covar", -1e-6, ValueError), ("reg_covar", "tiny", TypeError),
    ("rho", "large", ValueError), ("rho", -1.0, ValueError),
    ("kernel_width", 0.0, ValueError), ("max_iter", 0, ValueError),
    ("measure", "counting", ValueError), ("measure", None, ValueError),
    ("geometry", "torus", ValueError), ("random_state", -1, TypeError),
])
def test_bad_options_name_the_parameter(estimator, param, value, error):
    with pytest.raises(error, match=rf"^{param}\b"):
        estimator(**{**FAST, param: value}).fit(ARC_X)


@pytest.mark.parametrize("param, value, error", [
    ("n_components", 0, ValueError), ("n_components", 1.5, TypeError),
    ("n_components", 200, ValueError), ("tol", -1.0, ValueError), ("tol", "x", TypeError),
    ("init", "bogus", ValueError), ("init", None, ValueError),
    ("n_init", 0, ValueError), ("n_init", 1.5, TypeError),
])
def test_bad_mixture_options_name_the_parameter(param, value, error):
    with pytest.raises(error, match=rf"^{param}\b"):
        land.LANDMixture(**{**FAST, "geometry": "sphere", param: value}).fit(SPHERE_X)


@pytest.mark.parametrize("estimator", [land.LAND, land.LANDMixture])
def test_old_n_samples_name_still_works_with_a_future_warning(estimator):
    kwargs = dict(geometry="sphere", random_state=0)
    if estimator is land.LANDMixture:
        kwargs["tol"] = 1e-2
    new = estimator(n_mc_samples=128, **kwargs).fit(SPHERE_X)
    with pytest.warns(FutureWarning, match="n_samples was renamed n_mc_samples"):
        old = estimator(n_samples=128, **kwargs).fit(SPHERE_X)
    np.testing.assert_array_equal(old.score_samples(SPHERE_X), new.score_samples(SPHERE_X))


def test_old_result_name_still_works_with_a_future_warning():
    with pytest.warns(FutureWarning, match="renamed land.LandMixtureFit"):
        assert land.LandMixture is land.LandMixtureFit
    with pytest.warns(FutureWarning):
        from land.model.mixture import LandMixture  # noqa: F401
    with pytest.raises(AttributeError):
        land.NoSuchThing  # noqa: B018


# ------------------------------------------------------------------ fitted state
@pytest.mark.parametrize("geometry", ["sphere", "learned"])
@pytest.mark.parametrize("estimator, method", [
    (land.LAND, "score_samples"), (land.LAND, "score"), (land.LAND, "bic"), (land.LAND, "aic"),
    (land.LAND, "sample"), (land.LANDMixture, "score_samples"), (land.LANDMixture, "score"),
    (land.LANDMixture, "predict"), (land.LANDMixture, "predict_proba"),
    (land.LANDMixture, "bic"), (land.LANDMixture, "aic"),
])
def test_every_method_before_fit_raises_not_fitted(estimator, method, geometry):
    args = () if method == "sample" else (_data(geometry),)
    with pytest.raises(NotFittedError):
        getattr(estimator(geometry=geometry), method)(*args)


def test_a_clone_is_unfitted_and_refits_identically(fitted):
    model = fitted[("LAND", "learned")]
    copy = clone(model)
    with pytest.raises(NotFittedError):
        copy.score(ARC_X)
    np.testing.assert_array_equal(copy.fit(ARC_X).score_samples(ARC_X), model.score_samples(ARC_X))


# ------------------------------------------------------------------ geometry mismatch
def test_a_given_geometry_with_other_features_names_X():
    with pytest.raises(ValueError, match=r"^X: expected 3 features for Sphere\(\)"):
        land.LAND(geometry=land.Sphere(), **FAST).fit(ARC_X)
    with pytest.raises(ValueError, match="^measure: 'lebesgue' is defined"):
        land.LAND(geometry=_BareSphere(), **FAST).fit(SPHERE_X)


class _BareSphere:
    """A geometry the estimators know nothing about (no metric): the sphere's methods, by delegation."""

    def __init__(self):
        self._sphere = land.Sphere()
        self.dim, self.ambient_dim = 2, 3

    def __getattr__(self, name):
        return getattr(self._sphere, name)

    def check_points(self, points, name="points"):
        return self._sphere.check_points(points, name)

    def exp(self, base_point, tangent_vecs):
        return self._sphere.exp(base_point, tangent_vecs)

    def log(self, base_point, points):
        return self._sphere.log(base_point, points)

    def solve_exp(self, base_point, tangent_vecs):
        return self._sphere.solve_exp(base_point, tangent_vecs)

    def solve_log(self, base_point, points, *, initial_velocities=None):
        return self._sphere.solve_log(base_point, points)

    def dist(self, base_point, points):
        return self._sphere.dist(base_point, points)

    def frame(self, base_point):
        return self._sphere.frame(base_point)

    def coordinates(self, base_point, frame, tangent_vecs):
        return self._sphere.coordinates(base_point, frame, tangent_vecs)

    def transport_frame(self, base_point, tangent_vec, frame):
        return self._sphere.transport_frame(base_point, tangent_vec, frame)

    def solve_volume_density(self, base_point, frame, tangent_coords, *, exp_jacobian=False):
        return self._sphere.solve_volume_density(base_point, frame, tangent_coords,
                                                 exp_jacobian=exp_jacobian)

    def log_jacobian(self, base_point, frame, log_coords):
        return self._sphere.log_jacobian(base_point, frame, log_coords)


def test_antipode_of_a_mean_is_scored_at_distance_pi_with_a_warning(fitted):
    model = fitted[("LAND", "sphere")]
    antipode = -model.mean_[None]
    with pytest.warns(land.GeodesicSolverWarning, match="1 of 1 points failed"):
        log_p = model.score_samples(antipode)
    expected = -0.5 * np.pi**2 / np.linalg.eigvalsh(model.covariance_)[0] - model.log_constant_
    np.testing.assert_allclose(log_p, [expected], rtol=1e-12)
    mixture = fitted[("mixture", "sphere")]
    with pytest.warns(land.GeodesicSolverWarning, match="1 of 2 points failed"):
        label = mixture.predict(-mixture.means_[:1])
    assert label.tolist() == [1]       # the other component, where the point has a Log
    with pytest.warns(land.GeodesicSolverWarning):
        assert np.isfinite(mixture.score_samples(-mixture.means_[:1])).all()


def test_points_whose_log_fails_get_the_bound_not_an_exception(fitted, monkeypatch):
    model = fitted[("LAND", "learned")]
    honest = model.score_samples(ARC_X[:6])
    solve_log = type(model.geometry_).solve_log

    def failing(self, base_point, points, **kwargs):   # pretend the 2nd and 5th Logs failed
        result = solve_log(self, base_point, points, **kwargs)
        converged = np.array(result.converged, dtype=bool)
        converged[[1, 4]] = False
        return land.GeodesicResult(result.value, converged, result.residual)

    monkeypatch.setattr(type(model.geometry_), "solve_log", failing)
    with pytest.warns(land.GeodesicSolverWarning, match="2 of 6 points failed"):
        log_p = model.score_samples(ARC_X[:6])
    keep = [0, 2, 3, 5]
    np.testing.assert_array_equal(log_p[keep], honest[keep])
    # The bound is a lower bound of the density: the straight segment is no shorter
    # than the geodesic, and its length is divided by the smallest variance.
    assert np.all(log_p[[1, 4]] < honest[[1, 4]])
    assert np.all(np.isfinite(log_p))


# ------------------------------------------------------------------ the geometry layer
def test_sphere_refuses_a_batch_of_base_points():
    sphere = land.Sphere()
    for call in (lambda: sphere.log(SPHERE_X[:2], SPHERE_X[:2]),
                 lambda: sphere.exp(SPHERE_X[:2], np.zeros((2, 3))),
                 lambda: sphere.parallel_transport(SPHERE_X[:2], np.zeros((2, 3)), np.zeros((2, 3)))):
        with pytest.raises(ValueError, match="^base_point: expected a single point"):
            call()


@pytest.mark.parametrize("norm", [1e3, 1e100, 1e200, 1e308])
def test_sphere_exp_of_a_huge_vector_is_a_point_of_the_sphere(norm):
    sphere = land.Sphere()
    direction = np.array([0.6, 0.8, 0.0])
    point = sphere.exp(NORTH, norm * direction)
    np.testing.assert_allclose(np.linalg.norm(point), 1.0, rtol=1e-12)
    # On the great circle through NORTH along direction. (At such norms the angle mod
    # 2 pi is lost to rounding of |v| itself, so only the circle is a meaningful claim.)
    assert abs(point @ np.cross(NORTH, direction)) < 1e-12
    if norm < 1e10:
        np.testing.assert_allclose(point, np.cos(norm) * NORTH + np.sin(norm) * direction,
                                   atol=1e-12)


@pytest.mark.parametrize("factor, match", [(np.zeros((2, 2)), "invertible"),
                                           (np.full((2, 2), np.nan), "finite"),
                                           (np.ones((3, 3)), "shape")])
def test_objective_refuses_a_degenerate_factor(factor, match):
    sphere, cov = land.Sphere(), np.diag([0.05, 0.02])
    frame = sphere.frame(NORTH)
    coords = sphere.coordinates(NORTH, frame, sphere.log(NORTH, SPHERE_X))
    constant = land.normalising_constant(sphere, NORTH, cov, 64, np.random.default_rng(0))
    with pytest.raises(ValueError, match=f"^factor: .*{match}"):
        land.objective_and_gradients(sphere, NORTH, frame, factor, coords,
                                     constant.tangent_coords, constant.volume)
    with pytest.raises(ValueError, match="^data_coords: expected shape"):
        land.objective_and_gradients(sphere, NORTH, frame, np.eye(2), coords[:, :1],
                                     constant.tangent_coords, constant.volume)


# ------------------------------------------------------------------ honest outcomes
def test_a_fit_that_stops_at_max_iter_warns_and_says_why():
    with pytest.warns(ConvergenceWarning, match=r"max_iter = 1 iterations \(iteration limit\)"):
        model = _land("sphere", max_iter=1).fit(SPHERE_X)
    assert not model.converged_ and model.stop_reason_ == "iteration limit"
    with pytest.warns(ConvergenceWarning, match="LANDMixture EM did not converge"):
        model = _mixture("sphere", max_iter=1).fit(SPHERE_X)
    assert not model.converged_


def test_the_paper_algorithm_runs_its_fixed_steps_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = _land("sphere", algorithm="paper", max_iter=3).fit(SPHERE_X)
    assert not model.converged_ and model.stop_reason_ == "fixed number of iterations"


# ------------------------------------------------------------------ scale equivariance
@pytest.mark.parametrize("scale", [1e-3, 1e-1, 1e3])
def test_fitting_scaled_data_scales_the_model(scale):
    X = datasets.noisy_arc(60, np.random.default_rng(4), noise=0.05)
    base = land.LAND(n_mc_samples=64, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)   # 5 iterations: equivariance only
        one, scaled = clone(base).fit(X), clone(base).fit(scale * X)
    assert scaled.kernel_width_ == pytest.approx(scale * one.kernel_width_, rel=1e-12)
    assert scaled.rho_ == pytest.approx(scale**2 * one.rho_, rel=1e-12)
    np.testing.assert_allclose(scaled.mean_, scale * one.mean_, rtol=1e-6, atol=1e-9 * scale)
    # Log coordinates are metric lengths, which do not change with the units.
    np.testing.assert_allclose(scaled.covariance_, one.covariance_, rtol=1e-6, atol=1e-9)
    assert scaled.n_iter_ == one.n_iter_
    # A density on R^2 changes by the Jacobian of x -> scale x.
    np.testing.assert_allclose(scaled.score_samples(scale * X[:10]),
                               one.score_samples(X[:10]) - 2 * np.log(scale), rtol=1e-6)


# ------------------------------------------------------------------ densities are densities
def test_planar_learned_land_density_integrates_to_one():
    # The default score is a density on R^2 with the exact-volume constant: its midpoint
    # integral over a box that holds the mass is 1 (0.9981 on a 120 x 90 grid, 1.0004 on
    # this 24 x 18 one; the fit's own paper-volume constant on the volume measure gave 0.41).
    X = datasets.noisy_arc(200, np.random.default_rng(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = land.LAND(n_mc_samples=256, random_state=0).fit(X)
    edges = [np.linspace(-2.2, 2.2, 25), np.linspace(-1.0, 2.0, 19)]
    centres = [0.5 * (edge[1:] + edge[:-1]) for edge in edges]
    grid = np.stack(np.meshgrid(*centres, indexing="ij"), -1).reshape(-1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", land.GeodesicSolverWarning)   # a few far grid points
        density = np.exp(model.score_samples(grid)).reshape(24, 18)
    mass = density.sum() * np.diff(edges[0])[0] * np.diff(edges[1])[0]
    assert abs(mass - 1.0) < 0.03, mass
    # The box holds the mass: its border carries a negligible density.
    border = max(density[[0, -1]].max(), density[:, [0, -1]].max())
    assert border < 1e-6 * density.max()


def test_sphere_land_density_integrates_to_one():
    model = _land("sphere").fit(SPHERE_X)
    uniform = land.Sphere().random_point(np.random.default_rng(9), 200_000)
    density = np.exp(model.score_samples(uniform)) * 4 * np.pi     # E_uniform[p] * area
    mass, error = density.mean(), density.std() / np.sqrt(density.size)
    assert abs(mass - 1.0) < 3 * error + 3 * model.log_constant_error_, (mass, error)


# ------------------------------------------------------------------ issue 18 probe: estimators
@pytest.mark.parametrize("far", [1e200, 1e308])
def test_points_too_far_to_score_are_refused_naming_X(fitted, far):
    # cKDTree gives no neighbour at an overflowing distance; the Log fails and the
    # failed-Log bound underflows, so the score has no finite value: a ValueError naming X.
    model = fitted[("LAND", "learned")]
    points = np.vstack([ARC_X[:2], [far, far]])
    for method in (model.score_samples, model.bic):
        with pytest.raises(ValueError, match="^X: 1 of 3 point.* too far from the data"):
            method(points)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mixture = _mixture("learned", max_iter=2).fit(ARC_X)
    for method in (mixture.score_samples, mixture.predict):
        with pytest.raises(ValueError, match="^X: .*too far from the data"):
            method(points)


def test_a_far_point_within_reach_gets_the_failed_log_bound(fitted):
    model = fitted[("LAND", "learned")]
    with pytest.warns(land.GeodesicSolverWarning, match="1 of 1 points failed"):
        log_p = model.score_samples([[1e50, 1e50]])
    assert np.isfinite(log_p).all() and log_p[0] < -1e100


@pytest.mark.parametrize("estimator", [land.LAND, land.LANDMixture])
@pytest.mark.parametrize("scale, match", [(1e150, "below 1e"), (1e-150, "above 1e"),
                                          (1e200, "below 1e")])
def test_data_at_an_extreme_scale_is_refused_naming_X(estimator, scale, match):
    with pytest.raises(ValueError, match=rf"^X: expected feature variances {match}.*rescale X"):
        estimator(**FAST, max_iter=2).fit(ARC_X * scale)


@pytest.mark.parametrize("estimator", [land.LAND, land.LANDMixture])
def test_a_geometry_class_instead_of_an_instance_names_geometry(estimator):
    for X in (SPHERE_X, ARC_X):
        with pytest.raises(TypeError, match=r"^geometry: .*land\.Sphere\(\)"):
            estimator(geometry=land.Sphere, **FAST).fit(X)


def test_estimators_still_refuse_degenerate_data_through_the_shared_check():
    from land.model.likelihood import check_not_degenerate

    with pytest.raises(ValueError, match="^X: all 5 points are identical"):
        check_not_degenerate(np.repeat(ARC_X[:1], 5, axis=0), "learned", "X")
    with pytest.raises(ValueError, match="^X: .*great circle"):
        land.LAND("sphere", **FAST).fit(SPHERE_X[:2])
