"""fastloss as a drop-in for scikit-learn's private loss objects.

Every loss class of ``sklearn._loss.loss`` is compared attribute by attribute and
method by method with its fastloss twin, and a small piece of code written
against scikit-learn's API (as HistGradientBoosting and LinearModelLoss use it)
must run unchanged and give the same numbers.
"""

import copy
import pickle

import numpy as np
import pytest

sk_loss = pytest.importorskip("sklearn._loss.loss")
sk_link = pytest.importorskip("sklearn._loss.link")
optimize = pytest.importorskip("scipy.optimize")
special = pytest.importorskip("scipy.special")

import fastloss  # noqa: E402

N = 101

CONFIGS = [
    ("HalfSquaredError", {}),
    ("AbsoluteError", {}),
    ("PinballLoss", {}),
    ("PinballLoss", {"quantile": 0.25}),
    ("HuberLoss", {}),
    ("HuberLoss", {"quantile": 0.5, "delta": 1.5}),
    ("HalfPoissonLoss", {}),
    ("HalfGammaLoss", {}),
    ("HalfTweedieLoss", {}),
    ("HalfTweedieLoss", {"power": -1.0}),
    ("HalfTweedieLoss", {"power": 0.0}),
    ("HalfTweedieLoss", {"power": 1.0}),
    ("HalfTweedieLoss", {"power": 2.0}),
    ("HalfTweedieLoss", {"power": 3.0}),
    ("HalfTweedieLossIdentity", {}),
    ("HalfTweedieLossIdentity", {"power": 0.0}),
    ("HalfTweedieLossIdentity", {"power": 1.0}),
    ("HalfTweedieLossIdentity", {"power": 2.0}),
    ("HalfTweedieLossIdentity", {"power": 3.0}),
    ("HalfBinomialLoss", {}),
    ("ExponentialLoss", {}),
    ("HalfMultinomialLoss", {}),
    ("HalfMultinomialLoss", {"n_classes": 5}),
]

SPEC_LOSSES = {
    "squared_error": "HalfSquaredError",
    "absolute_error": "AbsoluteError",
    "pinball_loss": "PinballLoss",
    "huber_loss": "HuberLoss",
    "poisson_loss": "HalfPoissonLoss",
    "gamma_loss": "HalfGammaLoss",
    "tweedie_loss": "HalfTweedieLoss",
    "tweedie_loss_identity": "HalfTweedieLossIdentity",
    "binomial_loss": "HalfBinomialLoss",
    "exponential_loss": "ExponentialLoss",
    "multinomial_loss": "HalfMultinomialLoss",
}
LINKS = ["IdentityLink", "LogLink", "LogitLink", "HalfLogitLink", "MultinomialLogit"]


def cfg_id(cfg):
    name, params = cfg
    return name + "".join(f"-{k}={v}" for k, v in params.items())


def make_pair(cfg, **extra):
    name, params = cfg
    return (
        getattr(fastloss, name)(**params, **extra),
        getattr(sk_loss, name)(**params, **extra),
    )


def n_classes_of(cfg):
    return cfg[1].get("n_classes", 3)


def make_data(cfg, n=N, seed=0, positive=False):
    """Valid (y_true, raw_prediction, sample_weight) for the loss.

    Regression predictions are y_pred = f * (y + 0.3) with f in [1.3, 1.7], so that
    no per-sample gradient is a near-cancellation; the comparisons with
    scikit-learn can then be tight.
    """
    rng = np.random.default_rng(seed)
    name, params = cfg
    sw = rng.uniform(0.5, 2.0, n)
    if name == "HalfMultinomialLoss":
        k = n_classes_of(cfg)
        y = rng.integers(0, k, n).astype(np.float64)
        raw = rng.normal(size=(n, k))
        return y, raw, sw
    if name in ("HalfBinomialLoss", "ExponentialLoss"):
        y = rng.integers(0, 2, n).astype(np.float64)
        y[: n // 4] = rng.uniform(0.05, 0.95, n // 4)
        raw = rng.uniform(-3, 3, n)
        return y, raw, sw
    power = params.get("power", 1.5)
    if name == "HalfPoissonLoss" or (name.startswith("HalfTweedie") and 0 < power < 2):
        y = rng.poisson(2.0, n).astype(np.float64)
    elif name in ("HalfGammaLoss",) or name.startswith("HalfTweedie") or positive:
        y = rng.gamma(2.0, 1.0, n) + 0.05
    else:
        y = rng.normal(size=n)
    y_pred = rng.uniform(1.3, 1.7, n) * (np.abs(y) + 0.3)
    if name in ("HalfPoissonLoss", "HalfGammaLoss", "HalfTweedieLoss"):
        raw = np.log(y_pred)
    elif name == "HalfTweedieLossIdentity":
        raw = y_pred
    else:
        raw = y_pred * np.sign(y + 0.01)
    return y, raw, sw


def assert_close(actual, expected, rtol=1e-13):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    if expected.dtype == bool:
        np.testing.assert_array_equal(actual, expected)
        return
    scale = np.nanmax(np.abs(expected)) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


# --------------------------------------------------------------------------
# module surface


def test_exports():
    for name in list(SPEC_LOSSES.values()) + LINKS + ["BaseLoss", "LOSSES", "get_loss", "Interval"]:
        assert hasattr(fastloss, name), name
    for name in SPEC_LOSSES.values():
        assert getattr(fastloss.losses, name) is getattr(fastloss, name)
        assert issubclass(getattr(fastloss, name), fastloss.BaseLoss)
    for name in LINKS + ["Interval"]:
        assert getattr(fastloss.links, name) is getattr(fastloss, name)


def test_LOSSES():
    assert set(fastloss.LOSSES) == set(SPEC_LOSSES)
    for key, cls_name in SPEC_LOSSES.items():
        assert fastloss.LOSSES[key] is getattr(fastloss, cls_name)
    # every name scikit-learn knows maps to the same class name here
    for key, cls in sk_loss._LOSSES.items():
        assert fastloss.LOSSES[key].__name__ == cls.__name__


@pytest.mark.parametrize("key", sorted(SPEC_LOSSES))
def test_get_loss(key):
    loss = fastloss.get_loss(key)
    assert type(loss) is fastloss.LOSSES[key]


def test_get_loss_params():
    assert fastloss.get_loss("pinball_loss", quantile=0.3).quantile == 0.3
    huber = fastloss.get_loss("huber_loss", quantile=0.7, delta=2.0)
    assert huber.quantile == 0.7 and huber.delta == 2.0
    assert fastloss.get_loss("tweedie_loss", power=2.5).power == 2.5
    assert fastloss.get_loss("tweedie_loss_identity", power=0.5).power == 0.5
    assert fastloss.get_loss("multinomial_loss", n_classes=5).n_classes == 5
    sw = np.ones(3)
    assert fastloss.get_loss("squared_error", sample_weight=sw).constant_hessian is False
    with pytest.raises(ValueError):
        fastloss.get_loss("pinball_loss", quantile=1.5)


def test_get_loss_unknown_name():
    with pytest.raises(ValueError) as excinfo:
        fastloss.get_loss("log_loss")
    msg = str(excinfo.value)
    assert "log_loss" in msg
    for key in SPEC_LOSSES:
        assert key in msg, f"valid name {key!r} not listed in {msg!r}"


# --------------------------------------------------------------------------
# attributes


def assert_interval_equal(a, b):
    assert isinstance(a, fastloss.Interval)
    assert (a.low, a.high, a.low_inclusive, a.high_inclusive) == (
        b.low,
        b.high,
        b.low_inclusive,
        b.high_inclusive,
    )


@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_attributes_as_sklearn(cfg, with_weight):
    extra = {"sample_weight": np.ones(5)} if with_weight else {}
    fl, sk = make_pair(cfg, **extra)
    assert type(fl).__name__ == type(sk).__name__
    for attr in (
        "approx_hessian",
        "constant_hessian",
        "differentiable",
        "is_multiclass",
        "n_classes",
    ):
        assert getattr(fl, attr) == getattr(sk, attr), attr
        assert type(getattr(fl, attr)) is type(getattr(sk, attr)), attr
    assert_interval_equal(fl.interval_y_true, sk.interval_y_true)
    assert_interval_equal(fl.interval_y_pred, sk.interval_y_pred)
    assert type(fl.link).__name__ == type(sk.link).__name__
    assert type(fl.link) is getattr(fastloss, type(sk.link).__name__)
    assert hasattr(fl, "predict_proba") == hasattr(sk, "predict_proba")
    assert hasattr(fl, "gradient_proba") == hasattr(sk, "gradient_proba")


@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_parameters_as_sklearn(cfg):
    fl, sk = make_pair(cfg)
    name = cfg[0]
    if name == "PinballLoss":
        assert fl.quantile == sk.closs.quantile
    if name == "HuberLoss":
        assert fl.quantile == sk.quantile
        assert fl.delta == sk.closs.delta
    if name.startswith("HalfTweedie"):
        assert fl.power == sk.closs.power
        assert isinstance(fl.power, float)


RANGE_PROBES = [
    [0.0],
    [1.0],
    [0.5],
    [-1.0],
    [2.0],
    [3.0],
    [1e-300],
    [-1e-300],
    [1 - 1e-16],
    [0.0, 0.5, 1.0],
    [0.0, 1.0, 2.0],
    [0.5, 1.5],
    [1.0, 2.0, 3.0, 4.0],
    [np.inf],
    [-np.inf],
    [np.nan],
    [0.0, np.nan],
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_in_range_as_sklearn(cfg):
    fl, sk = make_pair(cfg)
    for probe in RANGE_PROBES:
        y = np.asarray(probe, dtype=np.float64)
        got = fl.in_y_true_range(y)
        assert isinstance(got, (bool, np.bool_))
        assert got == sk.in_y_true_range(y), ("y_true", probe)
        if cfg[0] == "HalfMultinomialLoss":
            y2 = np.tile(y[:, None], (1, n_classes_of(cfg)))
            assert fl.in_y_pred_range(y2) == sk.in_y_pred_range(y2), ("y_pred", probe)
        else:
            assert fl.in_y_pred_range(y) == sk.in_y_pred_range(y), ("y_pred", probe)


def test_interval_includes():
    iv = fastloss.Interval(0, 1, True, False)
    assert iv.includes(np.array([0.0, 0.5]))
    assert not iv.includes(np.array([0.5, 1.0]))
    assert not iv.includes(np.array([-0.1]))
    assert fastloss.Interval(0, 1, False, True).includes(np.array([1.0]))
    assert not fastloss.Interval(0, 1, False, True).includes(np.array([0.0]))


# --------------------------------------------------------------------------
# fit_intercept_only and constant_to_optimal_zero


@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_fit_intercept_only_as_sklearn(cfg, with_weight):
    fl, sk = make_pair(cfg)
    for seed in range(3):
        y, _, sw = make_data(cfg, seed=seed)
        sw = sw if with_weight else None
        got = fl.fit_intercept_only(y, sample_weight=sw)
        expected = sk.fit_intercept_only(y, sample_weight=sw)
        assert np.shape(got) == np.shape(expected)
        assert np.asarray(got).dtype == np.asarray(expected).dtype
        assert_close(got, expected, rtol=1e-12)


@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize(
    "cfg", [c for c in CONFIGS if c[0] not in ("HalfMultinomialLoss", "HuberLoss")], ids=cfg_id
)
def test_fit_intercept_only_minimizes_mean_loss(cfg, with_weight):
    fl, _ = make_pair(cfg)
    y, _, sw = make_data(cfg, n=201, seed=5, positive=True)
    sw = sw if with_weight else None
    c_hat = float(fl.fit_intercept_only(y, sample_weight=sw))

    def mean_loss(c):
        return fl(y, np.full_like(y, c), sample_weight=sw)

    if not fl.differentiable:
        # median / quantile: no constant does better
        grid = c_hat + np.linspace(-0.5, 0.5, 41)
        assert mean_loss(c_hat) <= min(mean_loss(c) for c in grid) + 1e-12
        return
    lo, hi = fl.interval_y_pred.low, fl.interval_y_pred.high
    if type(fl.link).__name__ == "IdentityLink" and lo == 0:
        bounds = (1e-6, 2 * y.max())
    else:
        bounds = (-20, 20)
    res = optimize.minimize_scalar(
        mean_loss, bounds=bounds, method="bounded", options={"xatol": 1e-11}
    )
    assert res.success
    np.testing.assert_allclose(c_hat, res.x, rtol=1e-6, atol=1e-6)
    assert mean_loss(c_hat) <= res.fun + 1e-12


@pytest.mark.parametrize("with_weight", [False, True])
def test_fit_intercept_only_multinomial_minimizes_mean_loss(with_weight):
    cfg = ("HalfMultinomialLoss", {"n_classes": 4})
    fl, _ = make_pair(cfg)
    y, _, sw = make_data(cfg, n=301, seed=2)
    sw = sw if with_weight else None
    c_hat = fl.fit_intercept_only(y, sample_weight=sw)
    assert c_hat.shape == (4,)
    np.testing.assert_allclose(c_hat.sum(), 0, atol=1e-12)  # symmetric link

    def mean_loss(c):
        return fl(y, np.tile(c, (len(y), 1)), sample_weight=sw)

    res = optimize.minimize(mean_loss, np.zeros(4), method="BFGS", options={"gtol": 1e-10})
    c_opt = res.x - res.x.mean()
    np.testing.assert_allclose(c_hat, c_opt, atol=1e-5)
    assert mean_loss(c_hat) <= res.fun + 1e-12


@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_constant_to_optimal_zero_as_sklearn(cfg, with_weight):
    fl, sk = make_pair(cfg)
    y, _, sw = make_data(cfg)
    sw = sw if with_weight else None
    got = fl.constant_to_optimal_zero(y, sample_weight=sw)
    expected = sk.constant_to_optimal_zero(y, sample_weight=sw)
    assert got.shape == expected.shape
    assert_close(got, expected, rtol=1e-13)


@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("cfg", [c for c in CONFIGS if c[0] != "HalfMultinomialLoss"], ids=cfg_id)
def test_constant_to_optimal_zero_makes_perfect_loss_zero(cfg, with_weight):
    fl, _ = make_pair(cfg)
    y, _, sw = make_data(cfg)
    sw = sw if with_weight else None
    keep = np.array([fl.in_y_pred_range(np.array([v])) for v in y])
    y = y[keep]
    if sw is not None:
        sw = sw[keep]
    assert y.size > 10
    raw = fl.link.link(y)
    total = fl.loss(y, raw, sample_weight=sw) + fl.constant_to_optimal_zero(y, sample_weight=sw)
    scale = np.abs(fl.constant_to_optimal_zero(y, sample_weight=sw)).max() + 1
    np.testing.assert_allclose(total, 0, atol=1e-12 * scale)


# --------------------------------------------------------------------------
# init_gradient_and_hessian, predict_proba, gradient_proba, links


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_init_gradient_and_hessian(cfg, with_weight, dtype, order):
    extra = {"sample_weight": np.ones(5)} if with_weight else {}
    fl, sk = make_pair(cfg, **extra)
    for n in (0, 1, 17):
        g, h = fl.init_gradient_and_hessian(n, dtype=dtype, order=order)
        eg, eh = sk.init_gradient_and_hessian(n, dtype=dtype, order=order)
        for a, e in ((g, eg), (h, eh)):
            assert a.shape == e.shape and a.dtype == e.dtype
            assert a.flags.c_contiguous == e.flags.c_contiguous
            assert a.flags.f_contiguous == e.flags.f_contiguous
            assert a.flags.writeable
        if fl.constant_hessian:
            assert h.shape == (1,)
            np.testing.assert_array_equal(h, np.ones((1,), dtype=dtype))
        else:
            assert h.shape == g.shape
            assert not np.shares_memory(g, h)
    g, h = fl.init_gradient_and_hessian(7)
    assert g.dtype == np.float64
    if fl.is_multiclass:
        assert g.flags.f_contiguous  # default order="F"


@pytest.mark.parametrize("dtype", [np.int64, np.float16, np.complex128])
def test_init_gradient_and_hessian_bad_dtype(dtype):
    with pytest.raises(ValueError) as sk_exc:
        sk_loss.HalfSquaredError().init_gradient_and_hessian(5, dtype=dtype)
    with pytest.raises(ValueError, match="dtype"):
        fastloss.HalfSquaredError().init_gradient_and_hessian(5, dtype=dtype)
    assert sk_exc.type is ValueError


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "cfg",
    [("HalfBinomialLoss", {}), ("ExponentialLoss", {}), ("HalfMultinomialLoss", {}),
     ("HalfMultinomialLoss", {"n_classes": 5})],
    ids=cfg_id,
)
def test_predict_proba(cfg, dtype):
    fl, sk = make_pair(cfg)
    _, raw, _ = make_data(cfg)
    raw = raw.astype(dtype)
    rtol = 1e-13 if dtype == np.float64 else 2e-6
    shapes = [raw] if raw.ndim == 2 else [raw, raw[:, None]]
    for r in shapes:
        got = fl.predict_proba(r)
        expected = sk.predict_proba(r)
        assert got.shape == expected.shape == (N, fl.n_classes)
        assert got.dtype == expected.dtype
        assert_close(got, expected, rtol=rtol)
        np.testing.assert_allclose(got.sum(axis=1), 1, rtol=10 * rtol)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("n_classes", [3, 5])
def test_gradient_proba(n_classes, with_weight, order):
    cfg = ("HalfMultinomialLoss", {"n_classes": n_classes})
    fl, sk = make_pair(cfg)
    y, raw, sw = make_data(cfg)
    raw = np.asarray(raw, order=order)
    sw = sw if with_weight else None
    eg, ep = sk.gradient_proba(y, raw, sample_weight=sw)
    g, p = fl.gradient_proba(y, raw, sample_weight=sw)
    assert_close(g, eg)
    assert_close(p, ep)
    np.testing.assert_allclose(g, fl.gradient(y, raw, sample_weight=sw), rtol=1e-13, atol=1e-15)
    g_out = np.empty((N, n_classes), order=order)
    p_out = np.empty((N, n_classes), order=order)
    g2, p2 = fl.gradient_proba(y, raw, sw, gradient_out=g_out, proba_out=p_out, n_threads=1)
    assert g2 is g_out and p2 is p_out
    np.testing.assert_array_equal(g2, g)
    np.testing.assert_array_equal(p2, p)
    # only one out given: the other is allocated like it
    g3, p3 = fl.gradient_proba(y, raw, sw, proba_out=np.empty((N, n_classes), np.float32))
    assert p3.dtype == np.float32
    np.testing.assert_allclose(g3, g, rtol=1e-5, atol=1e-7)


def _link_inputs(name, rng):
    if name == "IdentityLink":
        y_pred = rng.normal(size=50) * 3
    elif name == "LogLink":
        y_pred = rng.lognormal(size=50)
    elif name in ("LogitLink", "HalfLogitLink"):
        y_pred = rng.uniform(0.01, 0.99, 50)
    else:
        y_pred = rng.dirichlet(np.ones(4), 50)
    raw = rng.normal(size=y_pred.shape) * 3
    return y_pred, raw


@pytest.mark.parametrize("name", LINKS)
def test_links_as_sklearn(name):
    fl = getattr(fastloss, name)()
    sk = getattr(sk_link, name)()
    assert_interval_equal(fl.interval_y_pred, sk.interval_y_pred)
    assert_interval_equal(type(fl).interval_y_pred, type(sk).interval_y_pred)
    rng = np.random.default_rng(0)
    y_pred, raw = _link_inputs(name, rng)
    assert_close(fl.link(y_pred), sk.link(y_pred))
    assert_close(fl.inverse(raw), sk.inverse(raw))
    # round trip
    assert_close(fl.inverse(fl.link(y_pred)), y_pred, rtol=1e-12)
    if name == "MultinomialLogit":
        np.testing.assert_allclose(fl.link(y_pred).sum(axis=1), 0, atol=1e-12)
    with np.errstate(all="ignore"):
        ext = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
        if name in ("LogitLink", "HalfLogitLink"):
            got = fl.inverse(ext)
            assert np.all(np.isfinite(got))
            assert_close(got, sk.inverse(ext))


# --------------------------------------------------------------------------
# pickling


def _outputs(loss, y, raw, sw):
    res = [*loss.loss_gradient(y, raw, sw), *loss.gradient_hessian(y, raw, sw)]
    res.append(np.asarray(loss.fit_intercept_only(y, sw)))
    res.append(np.asarray(loss(y, raw, sw)))
    res.append(np.asarray(loss.loss(y, raw, sw, reduction="mean")))
    return res


@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_pickle_round_trip(cfg, with_weight):
    extra = {"sample_weight": np.ones(5)} if with_weight else {}
    fl, _ = make_pair(cfg, **extra)
    y, raw, sw = make_data(cfg)
    for clone in (pickle.loads(pickle.dumps(fl)), copy.deepcopy(fl)):
        assert type(clone) is type(fl)
        for attr in ("quantile", "delta", "power", "n_classes", "approx_hessian",
                     "constant_hessian", "differentiable", "is_multiclass"):
            assert getattr(clone, attr, None) == getattr(fl, attr, None), attr
        assert clone.interval_y_true == fl.interval_y_true
        assert clone.interval_y_pred == fl.interval_y_pred
        assert type(clone.link) is type(fl.link)
        for a, b in zip(_outputs(clone, y, raw, sw), _outputs(fl, y, raw, sw)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", LINKS)
def test_pickle_links(name):
    link = getattr(fastloss, name)()
    clone = pickle.loads(pickle.dumps(link))
    y_pred, raw = _link_inputs(name, np.random.default_rng(1))
    np.testing.assert_array_equal(clone.link(y_pred), link.link(y_pred))
    np.testing.assert_array_equal(clone.inverse(raw), link.inverse(raw))


# --------------------------------------------------------------------------
# code written for scikit-learn runs unchanged


def sklearn_style_step(loss, y, raw, sw):
    """Uses only scikit-learn's loss API, the way its estimators do."""
    n = y.shape[0]
    out = {}
    loss_out = np.empty_like(y)
    res = loss.loss(
        y_true=y, raw_prediction=raw, sample_weight=sw, loss_out=loss_out, n_threads=1
    )
    assert res is loss_out
    out["loss"] = loss_out.copy()

    # HistGradientBoosting: raw of shape (n, n_trees_per_iteration) in order F,
    # gradient/hessian from init_gradient_and_hessian(order="F"), updated in place.
    baseline = np.asarray(loss.fit_intercept_only(y_true=y, sample_weight=sw)).reshape((1, -1))
    raw_hgbt = np.zeros((n, baseline.shape[1]), dtype=baseline.dtype, order="F")
    raw_hgbt += raw.reshape(n, -1)
    gradient, hessian = loss.init_gradient_and_hessian(
        n_samples=n, dtype=np.float64, order="F"
    )
    for _ in range(2):
        if loss.constant_hessian:
            loss.gradient(
                y_true=y, raw_prediction=raw_hgbt, sample_weight=sw,
                gradient_out=gradient, n_threads=1,
            )
        else:
            loss.gradient_hessian(
                y_true=y, raw_prediction=raw_hgbt, sample_weight=sw,
                gradient_out=gradient, hessian_out=hessian, n_threads=1,
            )
        g_view = gradient.reshape((-1, 1)) if gradient.ndim == 1 else gradient
        h_view = hessian.reshape((-1, 1)) if hessian.ndim == 1 else hessian
        # a Newton step per column, as a tree with one leaf would do
        for k in range(g_view.shape[1]):
            h_sum = h_view[:, k].sum() if h_view.shape[0] > 1 else n
            step = np.clip(-g_view[:, k].sum() / max(h_sum, 1.0), -0.05, 0.05)
            raw_hgbt[:, k] += 0.1 * step
    out["baseline"] = baseline
    out["gradient"] = gradient.copy()
    out["hessian"] = hessian.copy()
    out["raw_hgbt"] = raw_hgbt.copy()
    out["mean_loss"] = np.asarray(
        loss(y_true=y, raw_prediction=raw_hgbt, sample_weight=sw, n_threads=1)
    )

    # LinearModelLoss
    l, g = loss.loss_gradient(y_true=y, raw_prediction=raw, sample_weight=sw, n_threads=1)
    out["lg_loss"], out["lg_grad"] = l.copy(), g.copy()
    out["grad"] = loss.gradient(y_true=y, raw_prediction=raw, sample_weight=sw, n_threads=1)
    g, h = loss.gradient_hessian(y_true=y, raw_prediction=raw, sample_weight=sw, n_threads=1)
    out["gh_grad"], out["gh_hess"] = g, h
    if loss.is_multiclass:
        g, p = loss.gradient_proba(y_true=y, raw_prediction=raw, sample_weight=sw, n_threads=1)
        out["gp_grad"], out["gp_proba"] = g, p
    if hasattr(loss, "predict_proba"):
        out["proba"] = loss.predict_proba(raw)
    out["y_pred"] = loss.link.inverse(raw)
    out["const"] = loss.constant_to_optimal_zero(y_true=y, sample_weight=sw)
    out["in_range"] = np.asarray(loss.in_y_true_range(y) and loss.in_y_pred_range(out["y_pred"]))
    return out


@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_sklearn_written_code_runs_unchanged(cfg, with_weight):
    y, raw, sw = make_data(cfg)
    sw = sw if with_weight else None
    extra = {"sample_weight": sw}
    fl, sk = make_pair(cfg, **extra)
    expected = sklearn_style_step(sk, y, raw, sw)
    got = sklearn_style_step(fl, y, raw, sw)
    assert got.keys() == expected.keys()
    for key in expected:
        assert np.shape(got[key]) == np.shape(expected[key]), key
        assert np.asarray(got[key]).dtype == np.asarray(expected[key]).dtype, key
        try:
            assert_close(got[key], expected[key], rtol=1e-13)
        except AssertionError as e:
            raise AssertionError(f"{key}: {e}") from None
