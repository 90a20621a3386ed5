"""fastloss's linear-model estimators as drop-ins for scikit-learn's.

* scikit-learn's estimator checks (``parametrize_with_checks``), no expected
  failures;
* agreement with scikit-learn's fits at ``tol=1e-10`` (``rtol=1e-5``) on its
  bundled data sets and on synthetic Poisson / Gamma / Tweedie data, with as
  many iterations or fewer;
* inputs: pandas, read-only memmaps, F order, float32 (never copied to
  float64), CSR;
* ``loss_curve_``, ``n_threads``, ``warm_start``, the classifier's methods,
  and that ``import fastloss`` needs neither scikit-learn nor scipy.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
pytest.importorskip("scipy")

import scipy.sparse as sp  # noqa: E402
import sklearn.linear_model as sk  # noqa: E402
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402
from sklearn.datasets import (  # noqa: E402
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
)
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import fastloss  # noqa: E402
import fastloss.linear_model as fl  # noqa: E402
from fastloss.linear_model import (  # noqa: E402
    GammaRegressor,
    LogisticRegression,
    PoissonRegressor,
    TweedieRegressor,
    _solvers,
)

TOL = 1e-10
RTOL = 1e-5


@pytest.fixture(autouse=True)
def _one_thread():
    """BLAS and OpenMP on one thread (both libraries): on a small, busy
    machine oversubscribed thread teams make these tiny fits 10-50x slower.
    Tests that pass n_threads explicitly still get what they ask for."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


# --------------------------------------------------------------------------
# scikit-learn's estimator checks
# --------------------------------------------------------------------------


@parametrize_with_checks(
    [PoissonRegressor(), GammaRegressor(), TweedieRegressor(), LogisticRegression()]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------
# agreement with scikit-learn
# --------------------------------------------------------------------------


def _fit_both(name, X, y, sample_weight=None, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = getattr(fl, name)(**params).fit(X, y, sample_weight=sample_weight)
        theirs = getattr(sk, name)(**params).fit(X, y, sample_weight=sample_weight)
    return ours, theirs


def _assert_agree(ours, theirs, n_iter_slack=0):
    scale = np.max(np.abs(theirs.coef_))
    # rtol on every coefficient; coefficients tiny against the largest one are
    # compared at rtol relative to that one.
    assert_allclose(ours.coef_, theirs.coef_, rtol=RTOL, atol=RTOL * 1e-2 * scale)
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=RTOL, atol=1e-12)
    assert np.max(ours.n_iter_) <= np.max(theirs.n_iter_) + n_iter_slack, (
        ours.n_iter_,
        theirs.n_iter_,
    )


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    # The target is positive already (25 .. 346); rescaled to mean 1.
    return StandardScaler().fit_transform(X), y / y.mean()


GLM_CASES = [
    ("PoissonRegressor", {}),
    ("GammaRegressor", {}),
    ("TweedieRegressor", {"power": 1.5}),
]


@pytest.mark.parametrize("name, params", GLM_CASES)
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
@pytest.mark.parametrize("alpha", [1.0, 1e-3])
def test_glm_agrees_with_sklearn_diabetes(diabetes, name, params, solver, alpha):
    X, y = diabetes
    ours, theirs = _fit_both(name, X, y, solver=solver, alpha=alpha, tol=TOL, **params)
    _assert_agree(ours, theirs, n_iter_slack=2 if solver == "lbfgs" else 0)


def _synthetic(family, n=2000, n_features=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features))
    coef = rng.uniform(-0.4, 0.4, n_features)
    mean = np.exp(X @ coef + 0.5)
    if family == "poisson":
        y = rng.poisson(mean).astype(np.float64)
    elif family == "gamma":
        y = rng.gamma(2.0, mean / 2.0)
    else:  # compound Poisson-Gamma (Tweedie 1 < p < 2)
        counts = rng.poisson(mean)
        y = np.array([rng.gamma(2.0, 0.5, c).sum() for c in counts])
    sample_weight = rng.uniform(0.5, 2.0, n)
    return X, y, sample_weight


@pytest.mark.parametrize(
    "name, family, params",
    [
        ("PoissonRegressor", "poisson", {}),
        ("GammaRegressor", "gamma", {}),
        ("TweedieRegressor", "tweedie", {"power": 1.5}),
        ("TweedieRegressor", "tweedie", {"power": 1.2, "fit_intercept": False}),
    ],
)
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
def test_glm_agrees_with_sklearn_synthetic(name, family, params, solver):
    X, y, sw = _synthetic(family)
    ours, theirs = _fit_both(
        name, X, y, sample_weight=sw, solver=solver, alpha=1e-4, tol=TOL, **params
    )
    _assert_agree(ours, theirs, n_iter_slack=2 if solver == "lbfgs" else 0)
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=RTOL)
    assert ours.score(X, y, sw) == pytest.approx(theirs.score(X, y, sw), rel=1e-10)


def _classification(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize(
    "loader, solver, params",
    [
        (load_breast_cancer, "lbfgs", {}),
        (load_breast_cancer, "newton-cg", {}),
        (load_breast_cancer, "newton-cg", {"class_weight": "balanced", "C": 10.0}),
        (load_iris, "lbfgs", {}),
        (load_iris, "newton-cg", {"C": 100.0}),
        (load_iris, "newton-cholesky", {}),
        (load_digits, "lbfgs", {"C": 0.1}),
        (load_digits, "newton-cg", {}),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_logistic_agrees_with_sklearn(loader, solver, params):
    X, y = _classification(loader)
    ours, theirs = _fit_both(
        "LogisticRegression", X, y, solver=solver, tol=TOL, max_iter=1000, **params
    )
    _assert_agree(ours, theirs, n_iter_slack=2 if solver == "lbfgs" else 0)
    assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.coef_.shape == theirs.coef_.shape
    assert ours.intercept_.shape == theirs.intercept_.shape
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=1e-6)
    assert_array_equal(ours.predict(X), theirs.predict(X))


def test_logistic_binary_string_labels_and_class_weight():
    X, y = _classification(load_breast_cancer)
    labels = np.array(["malignant", "benign"])[y]
    cw = {"malignant": 2.0, "benign": 0.5}
    ours, theirs = _fit_both(
        "LogisticRegression", X, labels, class_weight=cw, tol=TOL, max_iter=1000
    )
    _assert_agree(ours, theirs, n_iter_slack=2)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    # class_weight is sample_weight by class
    sw = np.where(labels == "malignant", 2.0, 0.5)
    by_sw = LogisticRegression(tol=TOL, max_iter=1000).fit(X, labels, sample_weight=sw)
    assert_allclose(by_sw.coef_, ours.coef_, rtol=1e-6)


# --------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------


def _poisson_data(n=300, n_features=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features)).astype(dtype)
    y = rng.poisson(np.exp(X @ np.linspace(-0.3, 0.3, n_features)))
    return X, y.astype(np.float64)


def _multiclass_data(n=300, n_features=4, n_classes=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features)).astype(dtype)
    W = rng.standard_normal((n_features, n_classes))
    y = np.argmax(X @ W + rng.gumbel(size=(n, n_classes)), axis=1)
    return X, y


ESTIMATORS = [
    (PoissonRegressor, {"alpha": 1e-2}),
    (GammaRegressor, {"alpha": 1e-2}),
    (TweedieRegressor, {"power": 1.5, "alpha": 1e-2}),
    (LogisticRegression, {}),
    (LogisticRegression, {"solver": "newton-cg"}),
]


def _data_for(cls, **kwargs):
    if cls is LogisticRegression:
        return _multiclass_data(**kwargs)
    X, y = _poisson_data(**kwargs)
    return X, (y + 0.5 if cls is not PoissonRegressor else y)


def _fitted_params(est):
    return np.concatenate([np.ravel(est.coef_), np.ravel(est.intercept_)])


@pytest.mark.parametrize("cls, params", ESTIMATORS)
def test_input_layouts_agree(cls, params, tmp_path):
    X, y = _data_for(cls)
    ref = cls(**params).fit(X, y)
    expected = _fitted_params(ref)

    # F order
    est = cls(**params).fit(np.asfortranarray(X), y)
    assert_allclose(_fitted_params(est), expected, rtol=1e-7, atol=1e-10)
    # read-only memmaps
    path = tmp_path / "X.dat"
    mm = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    X_ro = np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape)
    y_ro = y.copy()
    y_ro.setflags(write=False)
    est = cls(**params).fit(X_ro, y_ro)
    assert_allclose(_fitted_params(est), expected, rtol=1e-7, atol=1e-10)
    assert_allclose(est.predict(X_ro), ref.predict(X))
    # CSR (and CSC, converted)
    for container in (sp.csr_matrix, sp.csr_array, sp.csc_matrix):
        est = cls(**params).fit(container(X), y)
        assert_allclose(_fitted_params(est), expected, rtol=1e-6, atol=1e-9)
        assert_allclose(est.predict(container(X)), ref.predict(X), rtol=1e-6)
    # float32: coef_ follows X's dtype, the optimum is the same to float32
    est = cls(**params).fit(X.astype(np.float32), y)
    assert est.coef_.dtype == np.float32
    assert_allclose(_fitted_params(est), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls, params", ESTIMATORS)
def test_pandas_input(cls, params):
    pd = pytest.importorskip("pandas")
    X, y = _data_for(cls)
    columns = [f"f{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=columns)
    est = cls(**params).fit(df, pd.Series(y))
    assert_array_equal(est.feature_names_in_, columns)
    assert est.n_features_in_ == X.shape[1]
    ref = cls(**params).fit(X, y)
    assert_allclose(_fitted_params(est), _fitted_params(ref), rtol=1e-10)
    assert_allclose(est.predict(df), ref.predict(X))


@pytest.mark.parametrize("cls, params", ESTIMATORS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("layout", ["C", "F", "float32", "csr"])
def test_non_finite_X_raises(cls, params, bad, layout):
    # X's NaN / inf check rides on the solver's first pass over X: it must
    # catch a bad value anywhere, also in a row of zero weight.
    X, y = _data_for(cls)
    X = X.copy()
    X[7, 2] = bad
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "float32":
        X = X.astype(np.float32)
    elif layout == "csr":
        X = sp.csr_matrix(X)
    sample_weight = np.ones(X.shape[0])
    sample_weight[7] = 0.0
    for solver in (None, "newton-cholesky"):
        kwargs = dict(params, **({"solver": solver} if solver else {}))
        for sw in (None, sample_weight):
            with pytest.raises(ValueError, match="Input X contains"):
                cls(**kwargs).fit(X, y, sample_weight=sw)


def test_encode_labels_matches_unique():
    from fastloss.linear_model._logistic import _encode_labels

    rng = np.random.default_rng(0)
    for y in (
        rng.integers(-3, 4, 50),
        rng.integers(0, 2, 50).astype(bool),
        rng.integers(0, 3, 50).astype(np.uint8),
        np.array([10**12, -(10**12), 5, 5]),
        np.array(["b", "a", "c", "a"]),
        rng.integers(0, 3, 50).astype(np.float64),
        # floats: whole ones take the counting path, the rest np.unique
        rng.integers(-5, 5, 50).astype(np.float32),
        np.array([0.5, 1.5, 0.5, 2.0]),
        np.array([2.0**53, -(2.0**53), 1.0]),
        np.array([2.0**60, 0.0, 1.0]),  # beyond +-2^53
        np.array([np.inf, 0.0, 1.0]),
        np.array([np.nan, 0.0, 1.0]),
        np.array([3.0, 1e9, 3.0]),  # span too wide for counting
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no cast warnings (inf, NaN)
            classes, codes = _encode_labels(y)
        expected_classes, expected_codes = np.unique(y, return_inverse=True)
        assert classes.dtype == expected_classes.dtype
        assert_array_equal(classes, expected_classes)  # NaN == NaN here
        assert_array_equal(codes, expected_codes)


def _label_arrays():
    """Hypothesis strategy: 1-D label arrays of the dtypes fit() meets --
    integers, bools, unsigned, and floats (whole, fractional, huge, +-inf,
    NaN mixed in)."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    dtypes = st.sampled_from(
        [np.int64, np.int32, np.int8, np.uint8, np.uint16, np.bool_, np.float64, np.float32]
    )
    return dtypes.flatmap(
        lambda dt: hnp.arrays(
            dt,
            st.integers(1, 40),
            elements=(
                st.one_of(
                    st.integers(-5, 5).map(float),
                    st.floats(allow_nan=True, allow_infinity=True, width=32),
                    st.sampled_from([2.0**53, -(2.0**53), 2.0**60, 0.5, 1e9]),
                )
                if np.dtype(dt).kind == "f"
                else None
            ),
        )
    )


def test_integer_labels_are_binary_or_multiclass():
    # fit() skips scikit-learn's check_classification_targets when
    # _integer_labels(y) is not None: that must only happen for labels that
    # type_of_target calls "binary" or "multiclass" (the types the check
    # accepts), and every such finite label array must be recognised (else
    # the check, and a second np.unique, run for nothing).  Labels reach fit
    # finite (validate_data rejects NaN and inf in y).
    hypothesis = pytest.importorskip("hypothesis")
    from sklearn.utils.multiclass import type_of_target

    from fastloss.linear_model._logistic import _encode_labels, _integer_labels

    @hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
    @hypothesis.given(_label_arrays())
    def check(y):
        yi = _integer_labels(y)
        finite = y.dtype.kind != "f" or bool(np.isfinite(y).all())
        if yi is not None:
            assert finite
            assert type_of_target(y) in ("binary", "multiclass")
            assert_array_equal(yi, y)  # exact values, as int64
            assert yi.dtype == np.int64
        elif finite:
            assert y.dtype.kind == "f"
            whole = np.all(y == np.round(y)) and np.all(np.abs(y) <= 2.0**53)
            assert not whole
        if finite:
            classes, codes = _encode_labels(y, yi)
            expected_classes, expected_codes = np.unique(y, return_inverse=True)
            assert_array_equal(classes, expected_classes)
            assert_array_equal(codes, expected_codes.reshape(-1))

    check()


def test_continuous_labels_still_rejected():
    # The shortcut must not let a regression target through.
    X = np.random.default_rng(0).standard_normal((20, 3))
    for y in (np.linspace(0, 1, 20), np.linspace(0, 1, 20).astype(np.float32)):
        with pytest.raises(ValueError, match="Unknown label type"):
            LogisticRegression().fit(X, y)


class _SpyLoss:
    """Records the X that the estimators hand to LinearModelLoss."""

    seen = []

    def __init__(self, base_loss, fit_intercept):
        self._inner = _REAL_LINEAR_LOSS(base_loss, fit_intercept)

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def wrapped(coef, X, *args, **kwargs):
            _SpyLoss.seen.append(X)
            return attr(coef, X, *args, **kwargs)

        return wrapped


_REAL_LINEAR_LOSS = _solvers.LinearModelLoss


@pytest.mark.parametrize(
    "cls, params", ESTIMATORS + [(PoissonRegressor, {"solver": "newton-cholesky"})]
)
@pytest.mark.parametrize("layout", ["C", "F", "csr"])
def test_float32_X_is_not_copied(cls, params, layout, monkeypatch):
    monkeypatch.setattr(_solvers, "LinearModelLoss", _SpyLoss)
    _SpyLoss.seen = []
    X, y = _data_for(cls, dtype=np.float32)
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "csr":
        X = sp.csr_matrix(X)
    cls(**params).fit(X, y)
    assert _SpyLoss.seen
    for seen in _SpyLoss.seen:
        if layout == "csr":
            assert seen.data.dtype == np.float32
            assert np.shares_memory(seen.data, X.data)
        else:
            assert seen.dtype == np.float32
            assert np.shares_memory(seen, X)


# --------------------------------------------------------------------------
# loss_curve_, n_threads, warm_start, convergence
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, params",
    ESTIMATORS
    + [
        (PoissonRegressor, {"solver": "newton-cholesky", "alpha": 1e-2}),
        (LogisticRegression, {"solver": "newton-cholesky"}),
    ],
)
def test_loss_curve(cls, params):
    X, y = _data_for(cls)
    est = cls(**params).fit(X, y)
    curve = np.asarray(est.loss_curve_)
    n_iter = int(np.max(est.n_iter_))
    assert n_iter >= 1
    assert curve.shape == (n_iter,)
    assert np.all(np.isfinite(curve))
    # every solver here decreases the objective at every iteration
    assert np.all(np.diff(curve) <= 1e-12 * np.abs(curve[:-1]))
    # the last value is the objective at the fitted coefficients
    if isinstance(est, LogisticRegression):
        n_classes = est.classes_.shape[0]
        loss = (
            fastloss.HalfBinomialLoss()
            if n_classes == 2
            else fastloss.HalfMultinomialLoss(n_classes=n_classes)
        )
        yy = np.searchsorted(est.classes_, y).astype(np.float64)
        coef = np.c_[est.coef_, est.intercept_]
        coef = coef[0] if n_classes == 2 else coef
        l2 = 1.0 / (est.C * X.shape[0])
    else:
        loss = est._base_loss
        yy = y
        coef = np.r_[est.coef_, est.intercept_]
        l2 = est.alpha
    objective = _solvers.LinearModelLoss(loss, fit_intercept=True).loss(
        coef, X, yy, None, l2, 1
    )
    assert curve[-1] == pytest.approx(objective, rel=1e-12)


@pytest.mark.parametrize("cls, params", ESTIMATORS)
def test_n_threads(cls, params):
    X, y = _data_for(cls, n=3000)
    one = cls(n_threads=1, **params).fit(X, y)
    two = cls(n_threads=2, **params).fit(X, y)
    auto = cls(**params).fit(X, y)
    assert_array_equal(_fitted_params(one), _fitted_params(two))
    assert_array_equal(_fitted_params(one), _fitted_params(auto))
    assert one.loss_curve_ == two.loss_curve_
    for bad in (0, -2, 1.5, "2"):
        with pytest.raises(ValueError, match="n_threads"):
            cls(n_threads=bad, **params).fit(X, y)


@pytest.mark.parametrize("cls, params", ESTIMATORS)
def test_warm_start(cls, params):
    X, y = _data_for(cls)
    cold = cls(tol=1e-8, **params).fit(X, y)
    est = cls(tol=1e-8, warm_start=True, **params).fit(X, y)
    assert_allclose(_fitted_params(est), _fitted_params(cold))
    first = np.max(est.n_iter_)
    est.fit(X, y)
    assert np.max(est.n_iter_) < first
    assert_allclose(_fitted_params(est), _fitted_params(cold), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("cls, params", ESTIMATORS)
def test_convergence_warning(cls, params):
    X, y = _data_for(cls)
    with pytest.warns(ConvergenceWarning):
        est = cls(max_iter=1, tol=1e-12, **params).fit(X, y)
    assert np.max(est.n_iter_) == 1
    assert len(est.loss_curve_) == 1


# --------------------------------------------------------------------------
# LogisticRegression's methods and parameters
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_logistic_methods(n_classes, fit_intercept):
    X, y = _multiclass_data(n_classes=n_classes)
    labels = np.array(["a", "b", "c", "d"])[y]
    est = LogisticRegression(fit_intercept=fit_intercept).fit(X, labels)
    n_coef_rows = 1 if n_classes == 2 else n_classes
    assert est.coef_.shape == (n_coef_rows, X.shape[1])
    assert est.intercept_.shape == (n_coef_rows,)
    if not fit_intercept:
        assert_array_equal(est.intercept_, 0.0)
    assert est.n_iter_.shape == (1,)
    proba = est.predict_proba(X)
    assert proba.shape == (X.shape[0], n_classes)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(est.predict_log_proba(X), np.log(proba))
    scores = est.decision_function(X)
    n = X.shape[0]
    assert scores.shape == ((n,) if n_classes == 2 else (n, n_classes))
    assert_array_equal(est.predict(X), est.classes_[np.argmax(proba, axis=1)])
    theirs = sk.LogisticRegression(fit_intercept=fit_intercept, tol=TOL).fit(X, labels)
    ours = LogisticRegression(fit_intercept=fit_intercept, tol=TOL).fit(X, labels)
    _assert_agree(ours, theirs, n_iter_slack=2)


def test_logistic_penalty_none_and_unsupported():
    X, y = _multiclass_data(n_classes=2)
    a = LogisticRegression(penalty=None, tol=TOL).fit(X, y)
    b = LogisticRegression(C=np.inf, tol=TOL).fit(X, y)
    assert_allclose(a.coef_, b.coef_)
    with pytest.raises(ValueError, match="L2"):
        LogisticRegression(l1_ratio=0.5).fit(X, y)
    with pytest.raises(ValueError, match="dual"):
        LogisticRegression(dual=True).fit(X, y)
    with pytest.raises(ValueError):
        LogisticRegression(solver="saga").fit(X, y)


def test_glm_target_range_and_solver_validation():
    X, y = _poisson_data()
    with pytest.raises(ValueError, match="out of the valid range"):
        GammaRegressor().fit(X, y)  # has zeros
    with pytest.raises(ValueError):
        PoissonRegressor(solver="newton-cg").fit(X, y)


def test_tweedie_links():
    X, y = _poisson_data()
    def link_name(est):
        return type(est._get_loss().link).__name__

    assert link_name(TweedieRegressor(power=0)) == "IdentityLink"
    assert link_name(TweedieRegressor(power=1.5)) == "LogLink"
    est = TweedieRegressor(power=1.5, link="identity", alpha=0).fit(X, y + 5)
    theirs = sk.TweedieRegressor(power=1.5, link="identity", alpha=0).fit(X, y + 5)
    assert_allclose(est.coef_, theirs.coef_, rtol=1e-4)


# --------------------------------------------------------------------------
# optional dependencies
# --------------------------------------------------------------------------


def test_import_fastloss_needs_neither_sklearn_nor_scipy():
    code = (
        "import sys, fastloss, fastloss.linear_model\n"
        "bad = [m for m in ('sklearn', 'scipy') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "fastloss.linear_model.PoissonRegressor\n"
        "assert 'sklearn' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_sklearn_array_api_check_with_numpy():
    # parametrize_with_checks skips check_array_api_input unless
    # SCIPY_ARRAY_API=1 was set before scipy was imported: run it in a fresh
    # interpreter that has it.
    code = """
import warnings
from functools import partial
from sklearn.utils.estimator_checks import check_array_api_input
from fastloss.linear_model import (
    GammaRegressor, LogisticRegression, PoissonRegressor, TweedieRegressor)
for est in [PoissonRegressor(), GammaRegressor(), TweedieRegressor(),
            LogisticRegression()]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_array_api_input(type(est).__name__, est, array_namespace="numpy",
                              expect_only_array_outputs=False)
print("ok")
"""
    import os

    env = dict(os.environ, SCIPY_ARRAY_API="1", OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    if "SkipTest" in out.stderr:
        pytest.skip(out.stderr.strip().splitlines()[-1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
