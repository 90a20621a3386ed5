"""Tests of fastloss.linear_model.LinearModelLoss (the fused one-pass kernels).

Reference: scikit-learn's LinearModelLoss with scikit-learn's loss objects
(skipped without scikit-learn), finite differences, and exact (bitwise)
equalities across thread counts and instruction sets.
"""

import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import fastloss
from fastloss.linear_model import LinearModelLoss
from fastloss.linear_model._linear_loss import _MODE
from fastloss.linear_model._linear_loss import _lk as lk

# (fastloss class name, constructor parameters)
LOSS_CASES = [
    ("HalfSquaredError", {}),
    ("AbsoluteError", {}),
    ("PinballLoss", {"quantile": 0.3}),
    ("HuberLoss", {"quantile": 0.9, "delta": 0.4}),
    ("HalfPoissonLoss", {}),
    ("HalfGammaLoss", {}),
    ("HalfTweedieLoss", {"power": 1.5}),
    ("HalfTweedieLoss", {"power": 0}),
    ("HalfTweedieLoss", {"power": 3.0}),
    ("HalfTweedieLossIdentity", {"power": 1.5}),
    ("HalfBinomialLoss", {}),
    ("ExponentialLoss", {}),
    ("HalfMultinomialLoss", {"n_classes": 3}),
]
LOSS_IDS = [name + "".join(f"-{k}={v}" for k, v in p.items()) for name, p in LOSS_CASES]

# Smooth losses (their pointwise hessians are exact second derivatives, and
# the multinomial hessp is the full Hessian product): finite differences.
SMOOTH = {
    "HalfSquaredError", "HalfPoissonLoss", "HalfGammaLoss", "HalfTweedieLoss",
    "HalfBinomialLoss", "ExponentialLoss", "HalfMultinomialLoss",
}

LAYOUTS = ["C", "F", "float32", "csr"]


def make_problem(name, params, n=150, d=6, fit_intercept=True, seed=0):
    """Data in the domain of the loss and coefficients giving moderate raw
    predictions (positive ones for the identity-link Tweedie loss)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[rng.random((n, d)) < 0.3] = 0.0  # some zeros (for the sparse case)
    if name == "HalfMultinomialLoss":
        K = params["n_classes"]
        y = rng.integers(0, K, n).astype(float)
        coef = 0.3 * rng.standard_normal((K, d + fit_intercept))
        return X, y, coef
    coef = 0.2 * rng.standard_normal(d + fit_intercept)
    if name in ("HalfBinomialLoss", "ExponentialLoss"):
        y = rng.integers(0, 2, n).astype(float)
    elif name == "HalfPoissonLoss" or (name == "HalfTweedieLoss" and params["power"] == 1.5):
        y = rng.poisson(1.5, n).astype(float)
    elif name in ("HalfGammaLoss",) or name == "HalfTweedieLoss":
        y = rng.gamma(2.0, 1.0, n)
    elif name == "HalfTweedieLossIdentity":
        y = rng.gamma(2.0, 1.0, n)
        X = np.abs(X) + 0.1  # no zero rows: raw > 0 also without intercept
        coef = 0.1 + 0.1 * rng.random(d + fit_intercept)
    else:
        y = rng.standard_normal(n)
    return X, y, coef


def fastloss_loss(name, params):
    return getattr(fastloss, name)(**params)


def sklearn_objects(name, params, fit_intercept):
    pytest.importorskip("sklearn")
    from sklearn._loss import loss as skloss
    from sklearn.linear_model._linear_loss import LinearModelLoss as SkLML

    return SkLML(getattr(skloss, name)(**params), fit_intercept)


def as_layout(X, layout):
    if layout == "C":
        return np.ascontiguousarray(X)
    if layout == "F":
        return np.asfortranarray(X)
    if layout == "float32":
        return np.ascontiguousarray(X, dtype=np.float32)
    if layout == "csr":
        sp = pytest.importorskip("scipy.sparse")
        return sp.csr_matrix(X)
    raise ValueError(layout)


def reference_X(X, layout):
    """The float64 dense X that the reference computes on.  For float32 it is
    the float32 data converted exactly to float64: fastloss converts each
    element exactly and sums in float64, so it must agree with a float64
    computation on the same values up to summation order (~1e-15 relative),
    not merely to float32 precision."""
    if layout == "float32":
        return X.astype(np.float32).astype(np.float64)
    return X


# ---------------------------------------------------------------------------
# Agreement with scikit-learn
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["icpt", "noicpt"])
@pytest.mark.parametrize("name, params", LOSS_CASES, ids=LOSS_IDS)
def test_matches_sklearn(name, params, fit_intercept, weighted, layout):
    X, y, coef = make_problem(name, params, fit_intercept=fit_intercept)
    sw = np.random.default_rng(1).uniform(0.2, 3.0, X.shape[0]) if weighted else None
    l2 = 0.7
    ours = LinearModelLoss(fastloss_loss(name, params), fit_intercept=fit_intercept)
    ref = sklearn_objects(name, params, fit_intercept)
    Xo = as_layout(X, layout)
    Xr = reference_X(X, layout)
    rtol, atol = 1e-11, 1e-13
    coefs = [coef]
    if coef.ndim == 2:
        coefs.append(coef.ravel(order="F"))  # scikit-learn's lbfgs layout
    for c in coefs:
        l_o, g_o = ours.loss_gradient(c, Xo, y, sw, l2_reg_strength=l2)
        l_r, g_r = ref.loss_gradient(c, Xr, y, sw, l2_reg_strength=l2)
        assert g_o.shape == g_r.shape == c.shape
        assert g_o.dtype == np.float64
        np.testing.assert_allclose(l_o, l_r, rtol=rtol)
        np.testing.assert_allclose(g_o, g_r, rtol=rtol, atol=atol)
        np.testing.assert_allclose(
            ours.loss(c, Xo, y, sw, l2_reg_strength=l2), l_r, rtol=rtol
        )
        np.testing.assert_allclose(
            ours.gradient(c, Xo, y, sw, l2_reg_strength=l2), g_r, rtol=rtol, atol=atol
        )
        if c.ndim == 2:
            assert g_o.flags.f_contiguous  # as scikit-learn's
        grad_o, hessp_o = ours.gradient_hessian_product(c, Xo, y, sw, l2_reg_strength=l2)
        grad_r, hessp_r = ref.gradient_hessian_product(c, Xr, y, sw, l2_reg_strength=l2)
        np.testing.assert_allclose(grad_o, grad_r, rtol=rtol, atol=atol)
        s = np.random.default_rng(2).standard_normal(c.shape)
        hs_o, hs_r = hessp_o(s), hessp_r(s)
        assert hs_o.shape == hs_r.shape == c.shape
        np.testing.assert_allclose(hs_o, hs_r, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("layout", ["C", "csr"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["icpt", "noicpt"])
@pytest.mark.parametrize(
    "name, params",
    [c for c in LOSS_CASES if c[0] in ("HalfPoissonLoss", "HalfBinomialLoss",
                                       "HalfSquaredError", "HalfMultinomialLoss",
                                       "HalfTweedieLossIdentity")],
)
def test_gradient_hessian_matches_sklearn(name, params, fit_intercept, layout):
    X, y, coef = make_problem(name, params, fit_intercept=fit_intercept)
    sw = np.random.default_rng(1).uniform(0.2, 3.0, X.shape[0])
    ours = LinearModelLoss(fastloss_loss(name, params), fit_intercept=fit_intercept)
    ref = sklearn_objects(name, params, fit_intercept)
    Xo = as_layout(X, layout)
    c = coef.ravel(order="F") if coef.ndim == 2 else coef
    g_o, H_o, w_o = ours.gradient_hessian(c, Xo, y, sw, l2_reg_strength=0.5)
    g_r, H_r, w_r = ref.gradient_hessian(c, X, y, sw, l2_reg_strength=0.5)
    assert w_o == w_r
    np.testing.assert_allclose(g_o, g_r, rtol=1e-11, atol=1e-13)
    if not w_r:
        np.testing.assert_allclose(H_o, H_r, rtol=1e-11, atol=1e-13)


def test_gradient_hessian_out_arrays():
    for name, params in [("HalfPoissonLoss", {}), ("HalfMultinomialLoss", {"n_classes": 3})]:
        X, y, coef = make_problem(name, params)
        lml = LinearModelLoss(fastloss_loss(name, params))
        c = coef.ravel(order="F") if coef.ndim == 2 else coef
        g0, H0, _ = lml.gradient_hessian(c, X, y, l2_reg_strength=0.1)
        g_out = np.empty_like(c, order="F")
        H_out = np.empty((c.size, c.size), order="F")
        g1, H1, _ = lml.gradient_hessian(
            c, X, y, l2_reg_strength=0.1, gradient_out=g_out, hessian_out=H_out
        )
        assert g1 is g_out and H1 is H_out
        np.testing.assert_array_equal(g1, g0)
        np.testing.assert_array_equal(H1, H0)
        with pytest.raises(ValueError, match="gradient_out"):
            lml.gradient_hessian(c, X, y, gradient_out=np.empty(c.size + 1))
        with pytest.raises(ValueError, match="hessian_out"):
            lml.gradient_hessian(c, X, y, hessian_out=np.empty((2, 2)))


def test_raw_prediction_argument():
    pytest.importorskip("sklearn")
    for name, params in [("HalfPoissonLoss", {}), ("HalfMultinomialLoss", {"n_classes": 3})]:
        X, y, coef = make_problem(name, params)
        ours = LinearModelLoss(fastloss_loss(name, params))
        ref = sklearn_objects(name, params, True)
        _, _, raw = ref.weight_intercept_raw(coef, X)
        raw = raw + 0.1  # not X @ coef: must be used as given
        l_o, g_o = ours.loss_gradient(coef, X, y, raw_prediction=raw)
        l_r, g_r = ref.loss_gradient(coef, X, y, raw_prediction=raw)
        np.testing.assert_allclose(l_o, l_r, rtol=1e-12)
        np.testing.assert_allclose(g_o, g_r, rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(
            ours.loss(coef, X, y, raw_prediction=raw),
            ref.loss(coef, X, y, raw_prediction=raw),
            rtol=1e-12,
        )


def test_weight_intercept_helpers():
    X, y, coef = make_problem("HalfMultinomialLoss", {"n_classes": 3})
    lml = LinearModelLoss(fastloss.HalfMultinomialLoss(n_classes=3), fit_intercept=True)
    flat = coef.ravel(order="F")
    w, b = lml.weight_intercept(flat)
    np.testing.assert_array_equal(w, coef[:, :-1])
    np.testing.assert_array_equal(b, coef[:, -1])
    _, _, raw = lml.weight_intercept_raw(flat, np.asarray(X, dtype=np.float32))
    X32 = X.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(raw, X32 @ coef[:, :-1].T + coef[:, -1], rtol=1e-12, atol=1e-14)
    z = lml.init_zero_coef(X)
    assert z.shape == (3, X.shape[1] + 1) and z.flags.f_contiguous and not z.any()
    lml1 = LinearModelLoss(fastloss.HalfPoissonLoss(), fit_intercept=False)
    assert lml1.init_zero_coef(X).shape == (X.shape[1],)
    assert lml1.weight_intercept(coef[0, :-1])[1] == 0.0
    assert lml1.l2_penalty(np.array([3.0, 4.0]), 2.0) == 25.0


# ---------------------------------------------------------------------------
# Finite differences
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["icpt", "noicpt"])
@pytest.mark.parametrize(
    "name, params", [c for c in LOSS_CASES if c[0] in SMOOTH],
    ids=[i for c, i in zip(LOSS_CASES, LOSS_IDS) if c[0] in SMOOTH],
)
def test_gradient_and_hessp_finite_differences(name, params, fit_intercept):
    X, y, coef = make_problem(name, params, n=80, d=4, fit_intercept=fit_intercept)
    sw = np.random.default_rng(3).uniform(0.5, 2.0, X.shape[0])
    lml = LinearModelLoss(fastloss_loss(name, params), fit_intercept=fit_intercept)
    l2 = 0.3
    c = coef.ravel(order="F")
    if coef.ndim == 2:
        c = c.copy()

    def f(v):
        return lml.loss(v, X, y, sw, l2_reg_strength=l2)

    g = lml.gradient(c, X, y, sw, l2_reg_strength=l2)
    eps = 1e-6
    fd = np.empty_like(c)
    for i in range(c.size):
        e = np.zeros_like(c)
        e[i] = eps
        fd[i] = (f(c + e) - f(c - e)) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)

    # hessp(s) against the directional derivative of the gradient
    _, hessp = lml.gradient_hessian_product(c, X, y, sw, l2_reg_strength=l2)
    s = np.random.default_rng(4).standard_normal(c.shape)
    t = 1e-5
    fd_h = (
        lml.gradient(c + t * s, X, y, sw, l2_reg_strength=l2)
        - lml.gradient(c - t * s, X, y, sw, l2_reg_strength=l2)
    ) / (2 * t)
    np.testing.assert_allclose(hessp(s), fd_h, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------
# Determinism: bitwise equal for every n_threads
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("d", [5, 13])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    "name, params", [("HalfPoissonLoss", {}), ("HalfMultinomialLoss", {"n_classes": 4})]
)
def test_bitwise_equal_across_n_threads(name, params, layout, d):
    # 30000 rows: 14 chunks of 2048 rows (1-D) and hundreds of tiles.  (d = 5:
    # the few-feature paths, with two accumulator chains in phase 3.)
    X, y, coef = make_problem(name, params, n=30_000, d=d, seed=5)
    Xo = as_layout(X, layout)
    sw = np.random.default_rng(6).uniform(0.5, 2.0, X.shape[0])
    lml = LinearModelLoss(fastloss_loss(name, params))
    s = np.random.default_rng(7).standard_normal(coef.shape)
    results = []
    for nt in (1, 2, 3):
        loss, grad = lml.loss_gradient(coef, Xo, y, sw, l2_reg_strength=0.1, n_threads=nt)
        g2, hessp = lml.gradient_hessian_product(coef, Xo, y, sw, n_threads=nt)
        results.append((loss, grad, lml.loss(coef, Xo, y, n_threads=nt), g2, hessp(s)))
    for other in results[1:]:
        for a, b in zip(other, results[0]):
            np.testing.assert_array_equal(a, b)  # exact equality


@pytest.mark.parametrize("layout", ["C", "F", "float32"])
def test_simd_levels(layout):
    # The baseline build (SSE2 / plain C; multiply then add) and the AVX2 build
    # (fused multiply-adds) round differently; each is deterministic.
    best = lk.set_simd_level(-1)
    if best == 0:
        pytest.skip("only the baseline instruction set on this CPU")
    X, y, coef = make_problem("HalfMultinomialLoss", {"n_classes": 3}, n=5000, d=21)
    Xo = as_layout(X, layout)
    lml = LinearModelLoss(fastloss.HalfMultinomialLoss(n_classes=3))
    try:
        out = {}
        for level in (0, best):
            assert lk.set_simd_level(level) == level
            assert lk.simd_level() == level
            r1 = lml.loss_gradient(coef, Xo, y, n_threads=1)
            r2 = lml.loss_gradient(coef, Xo, y, n_threads=2)
            assert r1[0] == r2[0]
            np.testing.assert_array_equal(r1[1], r2[1])
            out[level] = r1
    finally:
        lk.set_simd_level(-1)
    np.testing.assert_allclose(out[0][0], out[best][0], rtol=1e-13)
    np.testing.assert_allclose(out[0][1], out[best][1], rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("d", [1, 3, 7, 8, 12, 15, 37])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_c_rows_independent_of_grouping(dtype, d):
    # A row-major row gives the same raw prediction whether the kernel handles
    # it in a group of 4 rows or alone (tile tails): compare prefixes.
    # (float32 X: phase 1 takes 4 rows at a time, float64 one row at a time;
    # with d < 8, and d < 16 except for float32 with one output, 4 rows
    # across the lanes, one column at a time.)
    rng = np.random.default_rng(8)
    X = rng.standard_normal((23, d)).astype(dtype)
    X[3, 0] = -0.0  # a -0 product: fma(x, w, +0) is +0 in every path
    coef = rng.standard_normal(d + 1)
    lml = LinearModelLoss(fastloss.HalfSquaredError())
    for level in sorted({0, lk.set_simd_level(-1)}):
        try:
            lk.set_simd_level(level)
            _, _, raw_all = lml.weight_intercept_raw(coef, X)
            for m in (1, 2, 3, 5, 22):
                _, _, raw_m = lml.weight_intercept_raw(coef, X[:m])
                np.testing.assert_array_equal(raw_m.view(np.int64), raw_all[:m].view(np.int64))
        finally:
            lk.set_simd_level(-1)


@pytest.mark.parametrize("d", [2, 7, 12, 29])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_classes_independent_of_grouping(dtype, d):
    # Row-major X: the classes of a row are computed in groups (4 with AVX2,
    # 2 in the baseline build) and the rest one by one (with few features,
    # all classes of 4 rows across the lanes); class k's raw prediction has
    # the same bits as a 1-class computation with its weights.
    rng = np.random.default_rng(10)
    X = rng.standard_normal((37, d)).astype(dtype)
    K = 7
    coef = rng.standard_normal((K, d + 1))
    mn = LinearModelLoss(fastloss.HalfMultinomialLoss(n_classes=K))
    one = LinearModelLoss(fastloss.HalfSquaredError())
    for level in sorted({0, lk.set_simd_level(-1)}):
        try:
            lk.set_simd_level(level)
            _, _, raw = mn.weight_intercept_raw(coef, X)
            for k in range(K):
                _, _, raw_k = one.weight_intercept_raw(coef[k], X)
                np.testing.assert_array_equal(raw[:, k], raw_k)
        finally:
            lk.set_simd_level(-1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "K, d",
    [
        (4, 13), (10, 50), (9, 101), (5, 3), (8, 16), (6, 20), (7, 1),
        (3, 50), (2, 49), (2, 100), (3, 52), (3, 53), (2, 20), (2, 47), (3, 45), (2, 95),
    ],
)
def test_multinomial_gradient_blocking(K, d, dtype):
    # Phase 3 (X.T @ G) of row-major X (AVX2 and AVX-512 builds): the classes
    # in groups of 4 with 16-column blocks of the 4 classes in registers, then
    # the remaining d % 16 columns one 4-column vector at a time, the last
    # masked (d = 13, 50, 101, 20; d = 16: blocks only; d = 3, 1: no block).
    # The K % 4 classes past the groups (K = 9, 10, 5, 6, 7, 3, 2) one at a
    # time: 48-column register blocks, then the remaining d % 48 columns as a
    # 13th masked vector of the last block when there are 1 to 4 of them
    # (d = 49, 50, 52, 100), else as 1 to 12 register vectors of their own,
    # the last masked (d = 53, 101, 95, and d = 47, 45, 20, 13, 3, 1 with no
    # block; the same code serves the 1-output losses, K = 1).
    # Against NumPy:
    # grad_k = X.T @ (p_k - [y == k]) / n, computed in float64 on the same
    # (exactly converted) X.  Tolerance: both are sums of n products in
    # float64 in different orders (from probabilities a few ulp apart), so
    # they differ by at most about
    # 2 n eps sum_i |x_ij g_ik| / n; a wrong class, column or stored dummy
    # slot is off by O(1).
    n = 203  # not a multiple of 4 (row groups of the class-by-class path)
    rng = np.random.default_rng(11)
    X = rng.standard_normal((n, d)).astype(dtype)
    y = rng.integers(0, K, n).astype(float)
    coef = 0.3 * rng.standard_normal((K, d + 1))
    lml = LinearModelLoss(fastloss.HalfMultinomialLoss(n_classes=K))
    loss, grad = lml.loss_gradient(coef, X, y, n_threads=1)
    Xd = X.astype(np.float64)
    raw = Xd @ coef[:, :d].T + coef[:, d]
    p = np.exp(raw - raw.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    G = p - (y[:, None] == np.arange(K))
    expected = np.column_stack([G.T @ Xd, G.sum(axis=0)]) / n
    scale = np.column_stack([np.abs(G).T @ np.abs(Xd), np.abs(G).sum(axis=0)]) / n
    bound = 2 * n * np.finfo(np.float64).eps * scale
    assert np.all(np.abs(grad - expected) <= bound)


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


def test_float32_X_is_not_copied():
    rng = np.random.default_rng(9)
    n, d = 20_000, 50
    X = rng.standard_normal((n, d)).astype(np.float32)  # 4 MB; float64 copy: 8 MB
    y = rng.poisson(1.0, n).astype(np.float64)
    coef = np.zeros(d + 1)
    lml = LinearModelLoss(fastloss.HalfPoissonLoss())
    lml.loss_gradient(coef, X, y)  # warm-up
    tracemalloc.start()
    try:
        lml.loss_gradient(coef, X, y)
        lml.gradient_hessian_product(coef, X, y)[1](coef)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # n float64 pointwise hessians (160 kB) are stored for hessp; nothing of
    # the size of X.
    assert peak < 1_000_000, peak


def test_layouts_agree_and_odd_inputs(tmp_path):
    X, y, coef = make_problem("HalfBinomialLoss", {}, n=500, d=9)
    lml = LinearModelLoss(fastloss.HalfBinomialLoss())
    l0, g0 = lml.loss_gradient(coef, X, y)
    big = np.zeros((500, 20))
    big[:, ::2][:, :9] = X
    variants = [
        np.asfortranarray(X),
        big[:, ::2][:, :9],  # strided columns: copied
        X.astype(">f8"),  # byte-swapped
        X.astype(np.int64) * 0 + X.round().astype(np.int64),  # integer X
    ]
    path = tmp_path / "X.npy"
    np.save(path, X)
    variants.append(np.load(path, mmap_mode="r"))  # read-only memmap
    for i, Xv in enumerate(variants):
        Xexp = np.asarray(Xv, dtype=np.float64)
        l1, g1 = lml.loss_gradient(coef, Xv, y)
        l2, g2 = lml.loss_gradient(coef, np.ascontiguousarray(Xexp), y)
        np.testing.assert_allclose(l1, l2, rtol=1e-13, err_msg=str(i))
        np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-15, err_msg=str(i))
    np.testing.assert_allclose(lml.loss_gradient(coef, variants[0], y)[1], g0, rtol=1e-12)


def test_sparse_formats_and_index_dtypes():
    sp = pytest.importorskip("scipy.sparse")
    X, y, coef = make_problem("HalfPoissonLoss", {}, n=300, d=7)
    lml = LinearModelLoss(fastloss.HalfPoissonLoss())
    l0, g0 = lml.loss_gradient(coef, X, y)
    csr = sp.csr_matrix(X)
    csr64 = csr.copy()
    csr64.indices = csr64.indices.astype(np.int64)
    csr64.indptr = csr64.indptr.astype(np.int64)
    Xz = X.copy()
    Xz[::3] = 0.0  # empty rows
    l0z, g0z = lml.loss_gradient(coef, Xz, y)
    l1z, g1z = lml.loss_gradient(coef, sp.csr_matrix(Xz), y)
    np.testing.assert_allclose(l1z, l0z, rtol=1e-12)
    np.testing.assert_allclose(g1z, g0z, rtol=1e-12, atol=1e-14)
    for Xs in (csr, csr64, sp.csc_matrix(X), sp.csr_array(X), csr.astype(np.float32)):
        l1, g1 = lml.loss_gradient(coef, Xs, y)
        rtol = 1e-6 if Xs.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(l1, l0, rtol=rtol)
        np.testing.assert_allclose(g1, g0, rtol=rtol, atol=1e-7 if rtol > 1e-9 else 1e-14)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("K", [1, 3, 10])
def test_csr_row_lengths(K, dtype, index_dtype):
    # The sparse phases handle a row's nonzeros 8 at a time (AVX-512 phase 1,
    # masked last group) and give each row 8 slots of g, more by 8 for longer
    # rows, in a buffer sized by the fullest tile (phase 3); from 8 classes
    # on, both phases run across the classes of each nonzero, with W and the
    # gradient's data part transposed (K = 10 here).  Rows of 0 to 45
    # nonzeros, a first tile of only long rows and last ones of only short
    # rows, 2600 rows: tiles of 256 rows and two chunks (2048 rows and the
    # rest), which two threads take one each: the bits must not change.
    sp = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(5)
    n, d = 2600, 45
    lengths = rng.choice([0, 1, 2, 7, 8, 9, 15, 16, 17, 24, 25, 40, 45], size=n)
    lengths[:256] = rng.choice([17, 40, 45], size=256)
    lengths[-300:] = rng.choice([0, 1, 3], size=300)
    X = np.zeros((n, d))
    for i, L in enumerate(lengths):
        cols = rng.choice(d, L, replace=False)
        X[i, cols] = rng.standard_normal(L)
    X = X.astype(dtype)
    Xs = sp.csr_matrix(X)
    Xs.indices = Xs.indices.astype(index_dtype)
    Xs.indptr = Xs.indptr.astype(index_dtype)
    assert Xs.indices.dtype == index_dtype
    Xd = X.astype(np.float64)  # the same values, exactly
    sw = rng.uniform(0.5, 2.0, n)
    if K == 1:
        lml = LinearModelLoss(fastloss.HalfPoissonLoss())
        coef = 0.1 * rng.standard_normal(d + 1)
        y = rng.poisson(1.0, n).astype(float)
    else:
        lml = LinearModelLoss(fastloss.HalfMultinomialLoss(n_classes=K))
        coef = 0.1 * rng.standard_normal((K, d + 1))
        y = rng.integers(0, K, n).astype(float)
    # raw predictions against NumPy: sums of <= 45 products, each rounded
    # to ~1e-16 relative; their terms are O(0.1), so 1e-13 absolute is slack
    # for the summation order and small enough to catch a wrong term
    _, _, raw_s = lml.weight_intercept_raw(coef, Xs)
    W = coef[..., :-1]
    b = coef[..., -1]
    np.testing.assert_allclose(raw_s, (Xd @ W.T + b).reshape(raw_s.shape), rtol=0, atol=1e-13)
    # the objective and gradient against the dense kernels (other summation
    # orders of the same float64 terms: ~1e-15 relative, as in
    # test_sparse_formats_and_index_dtypes)
    l_d, g_d = lml.loss_gradient(coef, Xd, y, sw, l2_reg_strength=0.1)
    l_s, g_s = lml.loss_gradient(coef, Xs, y, sw, l2_reg_strength=0.1)
    np.testing.assert_allclose(l_s, l_d, rtol=1e-12)
    np.testing.assert_allclose(g_s, g_d, rtol=1e-12, atol=1e-14)
    # Hessian-vector products too (phase 3 with h * raw)
    v = rng.standard_normal(coef.size)
    _, hessp_d = lml.gradient_hessian_product(coef, Xd, y, sw)
    _, hessp_s = lml.gradient_hessian_product(coef, Xs, y, sw)
    np.testing.assert_allclose(hessp_s(v), hessp_d(v), rtol=1e-12, atol=1e-14)
    # bits do not depend on n_threads
    l_2, g_2 = lml.loss_gradient(coef, Xs, y, sw, l2_reg_strength=0.1, n_threads=2)
    assert l_2 == l_s
    np.testing.assert_array_equal(g_2, g_s)


def test_edge_shapes():
    lml = LinearModelLoss(fastloss.HalfSquaredError())
    X = np.array([[2.0]])
    y = np.array([1.0])
    loss, grad = lml.loss_gradient(np.array([0.5, 0.25]), X, y)
    r = 2.0 * 0.5 + 0.25
    assert loss == pytest.approx(0.5 * (r - 1.0) ** 2)
    np.testing.assert_allclose(grad, [(r - 1.0) * 2.0, r - 1.0])
    # no features, intercept only
    X0 = np.zeros((4, 0))
    loss, grad = lml.loss_gradient(np.array([1.0]), X0, np.arange(4.0))
    assert loss == pytest.approx(np.mean(0.5 * (1.0 - np.arange(4.0)) ** 2))
    np.testing.assert_allclose(grad, [np.mean(1.0 - np.arange(4.0))])


def test_validation_errors():
    X, y, coef = make_problem("HalfPoissonLoss", {}, n=50, d=3)
    lml = LinearModelLoss(fastloss.HalfPoissonLoss())
    with pytest.raises(ValueError, match="coef"):
        lml.loss_gradient(coef[:-1], X, y)
    with pytest.raises(ValueError, match="y"):
        lml.loss_gradient(coef, X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight"):
        lml.loss_gradient(coef, X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="n_threads"):
        lml.loss_gradient(coef, X, y, n_threads=0)
    bad = y.copy()
    bad[7] = -1.0
    with pytest.raises(ValueError, match="7"):
        lml.loss_gradient(coef, X, bad)
    mn = LinearModelLoss(fastloss.HalfMultinomialLoss(n_classes=3))
    with pytest.raises(ValueError):
        mn.loss(np.zeros((3, 4)), X, np.full(50, 3.0))
    with pytest.raises(ValueError, match="coef"):
        mn.loss(np.zeros((2, 4)), X, np.zeros(50))
    with pytest.raises(TypeError):
        LinearModelLoss(object())
    # n_threads=None and -1 are accepted
    a = lml.loss_gradient(coef, X, y, n_threads=None)
    b = lml.loss_gradient(coef, X, y, n_threads=-1)
    assert a[0] == b[0]


def test_import_needs_neither_scipy_nor_sklearn():
    code = (
        "import sys\n"
        "for m in ('scipy', 'sklearn'):\n"
        "    sys.modules[m] = None\n"
        "import numpy as np\n"
        "import fastloss\n"
        "from fastloss.linear_model import LinearModelLoss\n"
        "l = LinearModelLoss(fastloss.HalfPoissonLoss())\n"
        "print(l.loss(np.zeros(3), np.ones((4, 2)), np.ones(4)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) == pytest.approx(1.0)


@pytest.mark.parametrize("sparse", [False, True])
def test_work_buffer_allocation_failure_raises(sparse):
    # dense_pass / csr_pass allocate each chunk's tile buffers inside the
    # parallel loop.  A tile of 2**44 rows asks for more than the 2**47 bytes
    # of a 64-bit address space, so malloc returns NULL even under
    # overcommit: the pass must raise MemoryError instead of writing through
    # a NULL pointer (the partial sums are then never read).
    rng = np.random.default_rng(12)
    X = rng.standard_normal((10, 3))
    y = rng.poisson(1.0, 10).astype(np.float64)
    W = np.zeros((1, 3))
    b = np.zeros(1)
    partials = np.zeros((1, 5))
    kid = int(fastloss.HalfPoissonLoss().closs.kernel_id)
    mode = _MODE["LG"]
    tile = 2**44
    with pytest.raises(MemoryError):
        if sparse:
            sp = pytest.importorskip("scipy.sparse")
            Xs = sp.csr_matrix(X)
            lk.csr_pass(Xs.data, Xs.indices, Xs.indptr, 3, y, None, W, b, None, None,
                        partials, kid, mode, 0.0, 0.0, tile, tile, 2)
        else:
            lk.dense_pass(X, y, None, W, b, None, None, partials, kid, mode, 0.0, 0.0,
                          tile, tile, 2)


# ---------------------------------------------------------------------------
# y outside the loss's domain
# ---------------------------------------------------------------------------

# One value outside each loss's domain (scikit-learn's interval_y_true; class
# labels for the multinomial loss), and the losses whose domain is all reals.
BAD_Y = {
    "HalfPoissonLoss": -1.0,
    "HalfGammaLoss": 0.0,
    "HalfTweedieLoss-power=1.5": -0.5,
    "HalfTweedieLoss-power=3.0": 0.0,
    "HalfTweedieLossIdentity-power=1.5": -0.5,
    "HalfBinomialLoss": 1.5,
    "HalfMultinomialLoss-n_classes=3": 3.0,
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name, params", LOSS_CASES, ids=LOSS_IDS)
def test_y_outside_domain_raises(name, params, layout):
    # The domain of y is counted inside the passes (per chunk for the 1-output
    # losses, per row block for the multinomial one).  One bad value at the
    # first row, the last row, or inside a later chunk must raise, at 1 and
    # 2 threads, in every mode that reads y; a clean y must not.  (30000 rows:
    # several chunks.)
    key = name + "".join(f"-{k}={v}" for k, v in params.items())
    X, y, coef = make_problem(name, params, n=30_000, d=5, seed=13)
    Xo = as_layout(X, layout)
    lml = LinearModelLoss(fastloss_loss(name, params))
    lml.loss_gradient(coef, Xo, y, n_threads=2)  # clean: no error
    if key not in BAD_Y:
        return  # every real y is allowed
    for pos in (0, 12_345, y.shape[0] - 1):
        yb = y.copy()
        yb[pos] = BAD_Y[key]
        for nt in (1, 2):
            with pytest.raises(ValueError):
                lml.loss(coef, Xo, yb, n_threads=nt)
            with pytest.raises(ValueError):
                lml.loss_gradient(coef, Xo, yb, n_threads=nt)
            with pytest.raises(ValueError):
                lml.gradient_hessian_product(coef, Xo, yb, n_threads=nt)


# ---------------------------------------------------------------------------
# Hessian matrices: row blocks (dense) and chunked compiled kernel (CSR)
# ---------------------------------------------------------------------------


def _hessian_reference(lml, coef, X, y, sw):
    # The same matrix from NumPy in float64 on the exactly converted X, with
    # the pointwise hessians / probabilities the kernel computed.
    from fastloss.linear_model._linear_loss import _Data

    Xd = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
    Xd = Xd.astype(np.float64)
    n, d = Xd.shape
    K = lml._K
    h = np.empty(n * K)  # pointwise hessians (K = 1) or probabilities
    ones = np.ones(n) if sw is None else sw
    lml._run(_Data(X), lml._check_coef(coef, d), y, sw, "GH", 1, h=h)
    Xi = np.column_stack([Xd, np.ones(n)])
    if K == 1:
        hp = np.abs(h / ones.sum())
        return Xi.T @ (hp[:, None] * Xi)
    p = h.reshape(n, K)
    w = ones / ones.sum()
    H = np.empty(((d + 1) * K, (d + 1) * K))
    for k in range(K):
        for m in range(K):
            v = (p[:, k] * ((k == m) - p[:, m])) * w
            B = Xi.T @ (v[:, None] * Xi)
            H[k:d * K:K, m:d * K:K] = B[:d, :d]
            H[k:d * K:K, d * K + m] = B[:d, d]
            H[d * K + k, m:d * K:K] = B[d, :d]
            H[d * K + k, d * K + m] = B[d, d]
    return H


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(
    "name, params", [("HalfPoissonLoss", {}), ("HalfMultinomialLoss", {"n_classes": 3})]
)
def test_gradient_hessian_blocks_and_chunks(name, params, layout, monkeypatch):
    # Tiny row blocks (dense: 7 rows, multinomial 5) and many CSR chunks,
    # against a NumPy product over all rows at once.  Tolerance: float64 sums of n = 3001
    # products in different orders, relative to the sum of their magnitudes
    # (at most ~n * eps ~ 7e-13 of it); a lost, doubled or misplaced block,
    # chunk or class pair is off by O(1 / number of blocks).
    from fastloss.linear_model import _linear_loss as ll

    d = 6
    monkeypatch.setattr(ll, "_SANDWICH_BLOCK_BYTES", 8 * d * 7)
    monkeypatch.setattr(ll, "_SANDWICH_MN_BLOCK_BYTES", 8 * d * 5)
    monkeypatch.setattr(ll, "_SANDWICH_CSR_CHUNKS", 13)
    X, y, coef = make_problem(name, params, n=3001, d=d, seed=21)
    sw = np.random.default_rng(22).uniform(0.5, 2.0, X.shape[0])
    Xo = as_layout(X, layout)
    lml = LinearModelLoss(fastloss_loss(name, params))
    c = coef.ravel(order="F") if coef.ndim == 2 else coef
    _, H, warn = lml.gradient_hessian(c, Xo, y, sw)
    assert not warn
    ref = _hessian_reference(lml, c, Xo, y, sw)
    np.testing.assert_allclose(H, ref, rtol=1e-11, atol=1e-14)
    np.testing.assert_array_equal(H, H.T)  # exactly symmetric
    # the same bits for every n_threads
    for nt in (2, 3):
        _, H2, _ = lml.gradient_hessian(c, Xo, y, sw, n_threads=nt)
        np.testing.assert_array_equal(H2, H)


def test_csr_sandwich_unsorted_and_duplicate_indices():
    # The kernel takes the pairs of nonzeros with column(p) <= column(q), so it
    # needs neither sorted indices nor unique ones (duplicates add, as in
    # scipy's toarray()).  Both index dtypes, float32 and float64 data.
    sp = pytest.importorskip("scipy.sparse")
    from fastloss.linear_model import _linear_loss as ll

    rng = np.random.default_rng(23)
    n, d = 500, 9
    lens = rng.integers(0, 12, n)
    indptr = np.concatenate([[0], np.cumsum(lens)])
    indices = rng.integers(0, d, indptr[-1])  # unsorted, with repeats
    v = rng.uniform(0.1, 2.0, n)
    for dt in (np.float64, np.float32):
        for it in (np.int32, np.int64):
            data = rng.standard_normal(indptr[-1]).astype(dt)
            X = sp.csr_matrix((data, indices, indptr), shape=(n, d))
            X.indices = X.indices.astype(it)  # (scipy may have narrowed them)
            X.indptr = X.indptr.astype(it)
            assert not X.has_canonical_format
            D = ll._Data(X)
            assert D.indices.dtype == it
            H, xv = ll._csr_sandwich(D, v, 2)
            # reference: duplicates added in float64 (toarray() of float32
            # data adds them in float32)
            Xd = sp.csr_matrix(
                (data.astype(np.float64), indices, indptr), shape=(n, d)
            ).toarray()
            np.testing.assert_allclose(H, Xd.T @ (v[:, None] * Xd), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(xv, Xd.T @ v, rtol=1e-12, atol=1e-12)
            np.testing.assert_array_equal(H, H.T)
