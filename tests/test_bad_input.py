"""Every public function refuses bad input with a TypeError or ValueError that names the argument.

The table below lists, for each public function of the core, a valid call
and the arguments to spoil; each argument gets every bad value of its
class (array, covariance, frame, count, positive number, generator,
geometry, ...). A case passes when the call raises ``TypeError`` or
``ValueError`` and the message starts with (or contains) the argument's
name. A call that returns, returns NaN, or fails in another way (an
``AttributeError`` deep inside, say) fails the test.
"""

from __future__ import annotations

import numpy as np
import pytest

import land
from land.data import datasets
from land.experiments import heldout

RNG_SEED = 7
NORTH = np.array([0.0, 0.0, 1.0])
SPHERE = land.Sphere()
COV = np.diag([0.2, 0.05])
FRAME = SPHERE.frame(NORTH)
ARC = datasets.noisy_arc(80, np.random.default_rng(0), noise=0.05)
METRIC = land.LocalDiagonalMetric(ARC, kernel_width=0.3, rho=1e-2)
LEARNED = land.LearnedManifold(METRIC)
BASE = ARC[0]
SPHERE_POINTS = land.sample_sphere_land(20, NORTH, COV, np.random.default_rng(1)).points
MIXTURE = land.fit_land_mixture(SPHERE, SPHERE_POINTS, 1, rng=np.random.default_rng(2), n_iter=1,
                                n_samples=64)
LEARNED_MIXTURE = land.fit_land_mixture(LEARNED, ARC[:30], 1, rng=np.random.default_rng(3),
                                        n_iter=1, n_samples=16)


def _spoil_array(value):
    """Bad versions of an array argument, each with a label."""
    value = np.asarray(value, dtype=float)
    cases = [("None", None), ("text", "abc"), ("complex", value + 0j), ("bool", value != 0),
             ("object", value.astype(object)), ("ragged", [[1.0, 2.0], [3.0]])]
    if value.size:
        nan, inf = value.copy(), value.copy()
        nan.flat[0], inf.flat[-1] = np.nan, np.inf
        cases += [("NaN", nan), ("inf", inf)]
    if value.ndim >= 1 and value.shape[-1] > 1:
        cases.append(("wrong width", value[..., :-1]))
    return cases


def _optional(cases):
    """The bad values of an optional argument: None means "the default" there, so it is not bad."""
    return [(label, bad) for label, bad in cases if label != "None"]


def _matrix(cases):
    """The bad values of a data matrix: fewer columns is a valid (N, D - 1) matrix, not bad."""
    return [(label, bad) for label, bad in cases if label != "wrong width"]


def _spoil_cov(value):
    value = np.asarray(value, dtype=float)
    nonsym = value.copy()
    nonsym[0, 1] += 0.1
    return _spoil_array(value) + [("not symmetric", nonsym), ("indefinite", -value),
                                  ("singular", np.zeros_like(value)), ("3-d", value[None])]


def _spoil_frame(manifold, base):
    frame = manifold.frame(base)
    cases = _spoil_array(frame) + [("not orthonormal", 2.0 * frame)]
    if frame.shape[0] != frame.shape[1]:
        cases.append(("transposed", frame.T))
    if manifold.ambient_dim > manifold.dim:
        tilted = frame.copy()
        tilted[:, 0] = (frame[:, 0] + base) / np.sqrt(2.0)   # unit length, but not tangent
        cases.append(("not tangent", tilted))
    return cases


COUNT = [("None", None), ("zero", 0), ("negative", -3), ("float", 2.5), ("bool", True), ("text", "3")]
POSITIVE = [("None", None), ("zero", 0.0), ("negative", -1.0), ("NaN", np.nan), ("inf", np.inf),
            ("text", "1"), ("bool", True), ("complex", 1 + 1j)]
FINITE = [("None", None), ("NaN", np.nan), ("inf", np.inf), ("text", "1"), ("complex", 1j)]
GENERATOR = [("None", None), ("int", 0), ("legacy", np.random.RandomState(0)), ("text", "rng")]
GEOMETRY = [("None", None), ("text", "sphere"), ("number", 3), ("metric", METRIC), ("object", object())]
CHOICE = [("None", None), ("unknown", "nonsense"), ("number", 1)]
FLAG = [("text", "yes"), ("number", 1), ("array", np.array([True]))]


def _cases():
    rng = lambda: np.random.default_rng(RNG_SEED)  # noqa: E731
    table = [
        # (function, valid keyword arguments, {argument: bad values})
        ("Sphere.exp", SPHERE.exp, dict(base_point=NORTH, tangent_vecs=[0.1, 0.2, 0.0]),
         dict(base_point=_spoil_array(NORTH) + [("off sphere", 2 * NORTH)],
              tangent_vecs=_spoil_array([0.1, 0.2, 0.0]) + [("not tangent", [0.0, 0.1, 1.0])])),
        ("Sphere.log", SPHERE.log, dict(base_point=NORTH, points=SPHERE_POINTS),
         dict(base_point=_spoil_array(NORTH), points=_spoil_array(SPHERE_POINTS)
              + [("antipodal", -NORTH)])),
        ("Sphere.dist", SPHERE.dist, dict(point_a=NORTH, point_b=SPHERE_POINTS),
         dict(point_a=_spoil_array(NORTH), point_b=_spoil_array(SPHERE_POINTS))),
        ("Sphere.frame", SPHERE.frame, dict(base_point=NORTH),
         dict(base_point=_spoil_array(NORTH) + [("batch", SPHERE_POINTS)])),
        ("Sphere.coordinates", SPHERE.coordinates,
         dict(base_point=NORTH, frame=FRAME, tangent_vecs=[[0.1, 0.2, 0.0]]),
         dict(base_point=_spoil_array(NORTH), frame=_spoil_frame(SPHERE, NORTH),
              tangent_vecs=_spoil_array([[0.1, 0.2, 0.0]]))),
        ("Sphere.transport_frame", SPHERE.transport_frame,
         dict(base_point=NORTH, tangent_vec=[0.1, 0.2, 0.0], frame=FRAME),
         dict(tangent_vec=_spoil_array([0.1, 0.2, 0.0]) + [("batch", [[0.1, 0.2, 0.0]] * 2)],
              frame=_spoil_frame(SPHERE, NORTH))),
        ("Sphere.volume_density", SPHERE.volume_density, dict(tangent_coords=[[0.1, 0.2]]),
         dict(tangent_coords=_spoil_array([[0.1, 0.2]]) + [("3 wide", [[0.1, 0.2, 0.3]])])),
        ("Sphere.solve_volume_density", SPHERE.solve_volume_density,
         dict(base_point=NORTH, frame=FRAME, tangent_coords=[[0.1, 0.2]]),
         dict(frame=_spoil_frame(SPHERE, NORTH), tangent_coords=_spoil_array([[0.1, 0.2]]))),
        ("Sphere.random_point", SPHERE.random_point, dict(rng=np.random.default_rng(0), n=3),
         dict(rng=GENERATOR, n=[("zero", 0), ("float", 2.5), ("text", "3")])),
        ("LocalDiagonalMetric", land.LocalDiagonalMetric, dict(data=ARC, kernel_width=0.3, rho=1e-2),
         dict(data=_matrix(_spoil_array(ARC)) + [("1-d", ARC[:, 0])],
              kernel_width=POSITIVE + [("underflows", 1e-170)],
              rho=POSITIVE + [("overflows 1/rho", 1e-320), ("overflows", 1e308)])),
        ("metric_diagonal", METRIC.metric_diagonal, dict(points=ARC[:3]),
         dict(points=_spoil_array(ARC[:3]))),
        ("GlobalDiagonalMetric", land.GlobalDiagonalMetric, dict(diagonal=[1.0, 2.0]),
         dict(diagonal=_matrix(_spoil_array([1.0, 2.0])) + [("negative", [1.0, -2.0]),
                                                    ("zero", [0.0, 1.0])])),
        ("LearnedManifold", land.LearnedManifold, dict(metric=METRIC),
         dict(metric=[("None", None), ("array", ARC), ("sphere", SPHERE)])),
        ("LearnedManifold.exp", LEARNED.exp, dict(base_point=BASE, tangent_vecs=[[0.1, 0.0]]),
         dict(base_point=_spoil_array(BASE) + [("batch", ARC[:2])],
              tangent_vecs=_spoil_array([[0.1, 0.0]]))),
        ("LearnedManifold.log", LEARNED.log, dict(base_point=BASE, points=ARC[1:3]),
         dict(base_point=_spoil_array(BASE) + [("batch", ARC[:2])], points=_spoil_array(ARC[1:3]))),
        ("LearnedManifold.solve_log", LEARNED.solve_log,
         dict(base_point=BASE, points=ARC[1:3], initial_velocities=ARC[1:3] - BASE),
         dict(initial_velocities=_optional(_spoil_array(ARC[1:3] - BASE))
              + [("one row", ARC[1] - BASE)])),
        ("LearnedManifold.coordinates", LEARNED.coordinates,
         dict(base_point=BASE, frame=LEARNED.frame(BASE), tangent_vecs=[[0.1, 0.0]]),
         dict(base_point=_spoil_array(BASE), frame=_spoil_frame(LEARNED, BASE),
              tangent_vecs=_spoil_array([[0.1, 0.0]]))),
        ("LearnedManifold.transport_frame", LEARNED.transport_frame,
         dict(base_point=BASE, tangent_vec=[0.05, 0.0], frame=LEARNED.frame(BASE)),
         dict(tangent_vec=_spoil_array([0.05, 0.0]), frame=_spoil_frame(LEARNED, BASE))),
        ("LearnedManifold.solve_volume_density", LEARNED.solve_volume_density,
         dict(base_point=BASE, frame=LEARNED.frame(BASE), tangent_coords=[[0.1, 0.0]]),
         dict(frame=_spoil_frame(LEARNED, BASE), tangent_coords=_spoil_array([[0.1, 0.0]]))),
        ("precision_factor", land.precision_factor, dict(cov=COV), dict(cov=_spoil_cov(COV))),
        ("covariance_from_factor", land.covariance_from_factor, dict(factor=np.eye(2)),
         dict(factor=_spoil_array(np.eye(2)) + [("singular", np.zeros((2, 2))),
                                                ("not square", np.ones((2, 3)))])),
        ("qmc_normals", land.qmc_normals, dict(n_samples=16, dim=2, rng=rng()),
         dict(n_samples=COUNT, dim=COUNT, rng=GENERATOR)),
        ("normalising_constant", land.normalising_constant,
         dict(manifold=SPHERE, mean=NORTH, cov=COV, n_samples=64, rng=rng(), frame=FRAME),
         dict(manifold=GEOMETRY, mean=_spoil_array(NORTH) + [("batch", SPHERE_POINTS)],
              cov=_spoil_cov(COV), n_samples=COUNT, rng=GENERATOR,
              frame=_optional(_spoil_frame(SPHERE, NORTH)), sampling=CHOICE, volume=CHOICE)),
        ("evaluate_land", land.evaluate_land,
         dict(manifold=SPHERE, data=SPHERE_POINTS, mean=NORTH, cov=COV, n_samples=64, rng=rng()),
         dict(manifold=GEOMETRY, data=_spoil_array(SPHERE_POINTS), mean=_spoil_array(NORTH),
              cov=_spoil_cov(COV), n_samples=COUNT, rng=GENERATOR)),
        ("log_density", land.log_density,
         dict(manifold=SPHERE, points=SPHERE_POINTS, mean=NORTH, cov=COV, log_constant=1.0,
              frame=FRAME),
         dict(manifold=GEOMETRY, points=_spoil_array(SPHERE_POINTS), mean=_spoil_array(NORTH),
              cov=_spoil_cov(COV), log_constant=FINITE,
              frame=_optional(_spoil_frame(SPHERE, NORTH)))),
        ("fit_land", land.fit_land,
         dict(manifold=SPHERE, data=SPHERE_POINTS, rng=rng(), n_iter=2, n_samples=64),
         dict(manifold=GEOMETRY, data=_spoil_array(SPHERE_POINTS), rng=GENERATOR,
              init_mean=_optional(_spoil_array(NORTH)), init_cov=_optional(_spoil_cov(COV)),
              init_frame=_optional(_spoil_frame(SPHERE, SPHERE_POINTS[0])),
              n_iter=_optional(COUNT), n_samples=_optional(COUNT), step_mean=_optional(POSITIVE),
              step_cov=_optional(POSITIVE),
              algorithm=CHOICE, volume=CHOICE, patience=COUNT, progress=FLAG)),
        ("fit_land_mixture", land.fit_land_mixture,
         dict(manifold=SPHERE, data=SPHERE_POINTS, n_components=2, rng=rng(), n_iter=1,
              n_samples=32),
         dict(manifold=GEOMETRY, data=_spoil_array(SPHERE_POINTS),
              n_components=COUNT + [("more than points", 21)], rng=GENERATOR, n_iter=COUNT,
              n_inner=COUNT, n_samples=COUNT, step_mean=POSITIVE, step_cov=POSITIVE,
              init=CHOICE + [("wrong length", np.zeros(3, int))],
              tol=[("negative", -1.0), ("NaN", np.nan), ("text", "a")], patience=COUNT,
              progress=FLAG)),
        ("mixture_log_density", land.model.mixture_log_density,
         dict(manifold=SPHERE, mixture=MIXTURE, points=SPHERE_POINTS),
         dict(manifold=GEOMETRY, mixture=[("None", None), ("dict", {})],
              points=_spoil_array(SPHERE_POINTS))),
        ("lebesgue_log_density", land.model.lebesgue_log_density,
         dict(manifold=LEARNED, points=ARC[:3], log_density=np.zeros(3)),
         dict(manifold=GEOMETRY + [("sphere", SPHERE)], points=_spoil_array(ARC[:3]),
              log_density=_spoil_array(np.zeros(3)) + [("wrong length", np.zeros(2))])),
        ("sample_sphere_data", land.sample_sphere_data,
         dict(n=10, mean=NORTH, cov=COV, rng=rng()),
         dict(n=COUNT, mean=_spoil_array(NORTH) + [("off sphere", 2 * NORTH)], cov=_spoil_cov(COV),
              rng=GENERATOR)),
        ("sample_sphere_land", land.sample_sphere_land,
         dict(n=10, mean=NORTH, cov=COV, rng=rng()),
         dict(n=COUNT, mean=_spoil_array(NORTH), cov=_spoil_cov(COV), rng=GENERATOR)),
        ("noisy_arc", datasets.noisy_arc, dict(n=10, rng=rng()),
         dict(n=COUNT, rng=GENERATOR, radius=POSITIVE, noise=[("negative", -0.1), ("NaN", np.nan)],
              angle_range=[("None", None), ("reversed", (1.0, 0.0)), ("NaN", (0.0, np.nan))])),
        ("train_test_split", datasets.train_test_split,
         dict(points=ARC, test_fraction=0.25, rng=rng()),
         dict(points=_matrix(_spoil_array(ARC)) + [("one point", ARC[:1])],
              test_fraction=POSITIVE + [("one", 1.0)], rng=GENERATOR)),
        ("lebesgue_mass", land.model.lebesgue_mass,
         dict(manifold=LEARNED, mixture=LEARNED_MIXTURE, lower=[-1.0, 0.0], upper=[1.0, 1.0],
              n_grid=3),
         dict(manifold=GEOMETRY + [("sphere", SPHERE)])),
        ("kernel_width_rule", land.kernel_width_rule, dict(train=ARC, n_neighbours=5),
         dict(train=_matrix(_spoil_array(ARC)) + [("too few", ARC[:4])], n_neighbours=COUNT)),
        ("check_geometry", land.check_geometry, dict(manifold=SPHERE), dict(manifold=GEOMETRY)),
        ("exp_jacobian_ratio", heldout.exp_jacobian_ratio,
         dict(manifold=LEARNED, mean=BASE, frame=LEARNED.frame(BASE), cov=0.01 * np.eye(2),
              n_samples=8, rng=rng()),
         dict(manifold=GEOMETRY + [("sphere", SPHERE)], mean=_spoil_array(BASE),
              frame=_spoil_frame(LEARNED, BASE), cov=_spoil_cov(0.01 * np.eye(2)),
              n_samples=COUNT, rng=GENERATOR, step=POSITIVE)),
    ]
    for label, func, valid, spoil in table:
        for argument, bads in spoil.items():
            for bad_label, bad in bads:
                yield pytest.param(func, valid, argument, bad, id=f"{label}-{argument}-{bad_label}")


CASES = list(_cases())


def test_the_valid_calls_succeed():
    # Each row's valid call must work, or its bad cases would pass for the wrong reason.
    seen = set()
    for case in CASES:
        func, valid = case.values[0], case.values[1]
        if id(func) in seen:
            continue
        seen.add(id(func))
        kwargs = {k: (np.random.default_rng(RNG_SEED) if isinstance(v, np.random.Generator) else v)
                  for k, v in valid.items()}
        with np.errstate(all="raise", under="ignore"):
            func(**kwargs)


@pytest.mark.parametrize("func, valid, argument, bad", CASES)
def test_bad_input_is_refused_by_name(func, valid, argument, bad):
    kwargs = {k: (np.random.default_rng(RNG_SEED) if isinstance(v, np.random.Generator) else v)
              for k, v in valid.items()}
    kwargs[argument] = bad
    with pytest.raises((TypeError, ValueError)) as caught:
        func(**kwargs)
    assert argument in str(caught.value), f"the message does not name {argument!r}: {caught.value}"
    assert type(caught.value) in (TypeError, ValueError) or isinstance(
        caught.value, (TypeError, ValueError)), type(caught.value)


def test_case_count():
    # The closing note of issue 10 quotes this count; it must not shrink unnoticed.
    assert len(CASES) >= 500


# ------------------------------------------------------------------ issue 18 probe: the core
def test_kernel_width_rule_refuses_data_without_features():
    with pytest.raises(ValueError, match="^train: expected at least one feature"):
        land.kernel_width_rule(np.zeros((30, 0)), 5)


@pytest.mark.parametrize("call", [
    lambda: land.fit_land(land.Sphere, SPHERE_POINTS, rng=np.random.default_rng(0)),
    lambda: land.normalising_constant(land.Sphere, NORTH, COV, 16, np.random.default_rng(0)),
    lambda: land.fit_land_mixture(land.Sphere, SPHERE_POINTS, 1, rng=np.random.default_rng(0)),
    lambda: land.check_geometry(land.LearnedManifold),
])
def test_a_geometry_class_instead_of_an_instance_names_manifold(call):
    with pytest.raises(TypeError, match=r"^manifold: expected a geometry instance such as land\."):
        call()


def test_sphere_dist_refuses_batches_of_different_sizes_naming_point_b():
    with pytest.raises(ValueError, match="^point_b: expected 2 points"):
        SPHERE.dist(SPHERE_POINTS[:2], SPHERE_POINTS[:3])
    assert SPHERE.dist(SPHERE_POINTS[:1], SPHERE_POINTS[:3]).shape == (3,)   # one broadcasts


_LINE = np.c_[np.linspace(-0.5, 0.5, 20), np.linspace(-0.5, 0.5, 20) + 1.0]


@pytest.mark.parametrize("manifold, data, reason", [
    (SPHERE, SPHERE_POINTS[:1], "n_samples = 1"),
    (SPHERE, SPHERE_POINTS[:2], "great circle"),
    (SPHERE, np.repeat(SPHERE_POINTS[:1], 20, axis=0), "identical"),
    (SPHERE, np.vstack([np.repeat(SPHERE_POINTS[:1], 19, axis=0), SPHERE_POINTS[1:2]]),
     "great circle"),
    (SPHERE, np.c_[np.cos(np.arange(20.0)), np.sin(np.arange(20.0)), np.zeros(20)],
     "great circle"),
    (LEARNED, ARC[:1], "n_samples = 1"),
    (LEARNED, ARC[:2], "n_samples = 2"),
    (LEARNED, np.repeat(ARC[:1], 20, axis=0), "identical"),
    (LEARNED, _LINE, "affine subspace"),
])
def test_fit_land_and_fit_land_mixture_refuse_degenerate_data_naming_data(manifold, data, reason):
    with pytest.raises(ValueError, match=rf"^data: .*{reason}"):
        land.fit_land(manifold, data, rng=np.random.default_rng(0), n_iter=2, n_samples=16)
    with pytest.raises(ValueError, match=rf"^data: .*{reason}"):
        land.fit_land_mixture(manifold, data, 1, rng=np.random.default_rng(0), n_iter=1,
                              n_samples=16)


def test_fit_land_mixture_refuses_components_with_too_few_points_naming_n_components():
    with pytest.raises(ValueError, match=r"^n_components: expected at most N / \(d \+ 1\)"):
        land.fit_land_mixture(SPHERE, SPHERE_POINTS[:8], 3, rng=np.random.default_rng(0))


def test_spectral_labels_fall_back_to_kmeans_on_tiny_data():
    from land.model.mixture import spectral_labels

    labels = spectral_labels(SPHERE, SPHERE_POINTS[:2], 2, np.random.default_rng(0))
    assert sorted(labels.tolist()) == [0, 1]
    labels = spectral_labels(SPHERE, SPHERE_POINTS[:3], 2, np.random.default_rng(0))
    assert sorted(set(labels.tolist())) == [0, 1]


def test_fit_land_mixture_refuses_ragged_init_naming_init():
    with pytest.raises(ValueError, match="^init: expected integer labels"):
        land.fit_land_mixture(SPHERE, SPHERE_POINTS, 2, rng=np.random.default_rng(0),
                              init=[[0, 1], [1]])


@pytest.mark.parametrize("n_positive", [1, 2])
def test_fit_land_refuses_fewer_than_d_plus_one_positive_weights(n_positive):
    weights = np.zeros(len(SPHERE_POINTS))
    weights[:n_positive] = 1.0
    with pytest.raises(ValueError, match="^sample_weight: expected at least d \\+ 1 = 3 positive"):
        land.fit_land(SPHERE, SPHERE_POINTS, rng=np.random.default_rng(0), sample_weight=weights)


_NEAR_SINGULAR = [np.diag([0.05, 0.05e-14]), np.diag([0.05, 0.05e-13]),
                  0.05 * np.outer([1.0, 1.0], [1.0, 1.0]) + 1e-15 * np.eye(2)]


@pytest.mark.parametrize("cov", _NEAR_SINGULAR)
def test_numerically_singular_covariances_are_refused_naming_the_argument(cov):
    rng = np.random.default_rng(0)
    calls = [(lambda: land.fit_land(SPHERE, SPHERE_POINTS, rng=rng, init_cov=cov), "init_cov"),
             (lambda: land.normalising_constant(SPHERE, NORTH, cov, 16, rng), "cov"),
             (lambda: land.normalising_constant(LEARNED, BASE, cov, 16, rng), "cov"),
             (lambda: land.sample_sphere_land(5, NORTH, cov, rng), "cov"),
             (lambda: land.sample_sphere_data(5, NORTH, cov, rng), "cov")]
    for call, name in calls:
        with pytest.raises(ValueError, match=rf"^{name}: .*numerically singular"):
            call()
    # The numeric helper behind the fits still takes an ill-conditioned SPD matrix.
    assert np.isfinite(land.precision_factor(np.diag([1.0, 1e-14]))).all()


def test_normalising_constant_of_one_draw_has_an_infinite_standard_error():
    constant = land.normalising_constant(SPHERE, NORTH, COV, 1, np.random.default_rng(0))
    assert np.isfinite(constant.value) and constant.std_error == np.inf


def test_neighbour_graph_treats_overflowing_points_as_unreachable():
    from land.numerics import NeighbourGraph, StandardMetric

    line = np.linspace(0.0, 4.0, 9)[None, :]
    graph = NeighbourGraph(StandardMetric(line, 1e-3, 0, np.zeros(1)), n_neighbours=2)
    paths = graph.paths_from(np.zeros(1), np.array([[2.0], [1e200], [1e308]]))
    assert np.isfinite(paths.bound[0]) and np.all(np.isinf(paths.bound[1:]))
    assert paths.path(1) is None
    result = LEARNED.solve_log(BASE, np.array([ARC[1], [1e200, 1e200]]))
    assert result.converged.tolist() == [True, False]
    assert result.info["status"][1] == "out of range"
