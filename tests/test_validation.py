"""Input validation of the loss classes: bad inputs raise the documented error,
name the offending argument, and leave output buffers untouched.

The contract is ``notes/api_spec.md``: shapes, dtypes, out arrays, the y_true
domain, NaN propagation, ``check_input=False``, ``n_threads``, ``reduction`` and
constructor parameters.
"""

import re

import numpy as np
import pytest

import fastloss

N = 20  # small; validation is about the checks, not the maths
SENTINEL = -12345.0

# (class name, constructor params). Covers every loss and each Tweedie domain regime.
CONFIGS = [
    ("HalfSquaredError", {}),
    ("AbsoluteError", {}),
    ("PinballLoss", {"quantile": 0.25}),
    ("HuberLoss", {"quantile": 0.9, "delta": 0.5}),
    ("HalfPoissonLoss", {}),
    ("HalfGammaLoss", {}),
    ("HalfTweedieLoss", {"power": -1.0}),
    ("HalfTweedieLoss", {"power": 0.0}),
    ("HalfTweedieLoss", {"power": 1.0}),
    ("HalfTweedieLoss", {"power": 1.5}),
    ("HalfTweedieLoss", {"power": 2.0}),
    ("HalfTweedieLoss", {"power": 3.0}),
    ("HalfTweedieLossIdentity", {"power": 0.0}),
    ("HalfTweedieLossIdentity", {"power": 1.5}),
    ("HalfTweedieLossIdentity", {"power": 3.0}),
    ("HalfBinomialLoss", {}),
    ("ExponentialLoss", {}),
    ("HalfMultinomialLoss", {"n_classes": 3}),
]
ONE_D_CONFIGS = [c for c in CONFIGS if c[0] != "HalfMultinomialLoss"]
# A smaller set for the combinatorial tests (out arrays, dtypes): one per code path.
SMALL_CONFIGS = [
    ("HalfSquaredError", {}),
    ("HalfPoissonLoss", {}),
    ("HalfBinomialLoss", {}),
    ("HalfMultinomialLoss", {"n_classes": 3}),
]

METHODS = ["loss", "gradient", "loss_gradient", "gradient_hessian"]
OUT_ARGS = {
    "loss": ["loss_out"],
    "gradient": ["gradient_out"],
    "loss_gradient": ["loss_out", "gradient_out"],
    "gradient_hessian": ["gradient_out", "hessian_out"],
}


def cfg_id(cfg):
    name, params = cfg
    return name + "".join(f"-{k}={v}" for k, v in params.items())


def make_loss(cfg, **extra):
    name, params = cfg
    return getattr(fastloss, name)(**params, **extra)


def _power(cfg):
    return cfg[1].get("power")


def make_y(cfg, n, rng, integer=False):
    """y_true inside the loss's domain (integer-valued if `integer`)."""
    name, params = cfg
    if name in ("HalfSquaredError", "AbsoluteError", "PinballLoss", "HuberLoss"):
        y = rng.integers(-3, 4, n) if integer else rng.normal(size=n)
    elif name == "HalfPoissonLoss":
        y = rng.poisson(2.0, n)
    elif name == "HalfGammaLoss":
        y = rng.integers(1, 5, n) if integer else rng.gamma(2.0, 1.0, n)
    elif name.startswith("HalfTweedie"):
        p = params["power"]
        if p <= 0:
            y = rng.integers(-3, 4, n) if integer else rng.normal(size=n)
        elif p < 2:
            y = rng.poisson(1.5, n)
        else:
            y = rng.integers(1, 5, n) if integer else rng.gamma(2.0, 1.0, n)
    elif name in ("HalfBinomialLoss", "ExponentialLoss"):
        y = rng.integers(0, 2, n)
        if not integer:
            y = y.astype(float)
            y[: n // 4] = rng.uniform(0, 1, n // 4)
    elif name == "HalfMultinomialLoss":
        y = rng.integers(0, params["n_classes"], n)
    else:  # pragma: no cover
        raise AssertionError(name)
    return y if integer else y.astype(np.float64)


def make_raw(cfg, n, rng):
    name, params = cfg
    if name == "HalfMultinomialLoss":
        return rng.normal(size=(n, params["n_classes"]))
    if name == "HalfTweedieLossIdentity" and params["power"] != 0:
        return rng.uniform(0.5, 2.0, n)
    return 0.5 * rng.normal(size=n)


def make_data(cfg, n=N, seed=0):
    rng = np.random.default_rng(seed)
    y = make_y(cfg, n, rng)
    raw = make_raw(cfg, n, rng)
    sw = rng.uniform(0.5, 2.0, n)
    return y, raw, sw


def out_shape(cfg, arg, n=N):
    if arg == "loss_out" or cfg[0] != "HalfMultinomialLoss":
        return (n,)
    return (n, cfg[1]["n_classes"])


def as_tuple(res):
    return res if isinstance(res, tuple) else (res,)


# --------------------------------------------------------------------------
# shapes


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_mismatched_n_raw_prediction(cfg, method):
    loss = make_loss(cfg)
    y, raw, _ = make_data(cfg)
    with pytest.raises(ValueError, match=r"y_true|raw_prediction"):
        getattr(loss, method)(y, raw[:-1])
    with pytest.raises(ValueError, match=r"y_true|raw_prediction"):
        getattr(loss, method)(y[:-1], raw)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_mismatched_n_sample_weight(cfg, method):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    for bad in (sw[:-1], np.ones(N + 1)):
        with pytest.raises(ValueError, match="sample_weight"):
            getattr(loss, method)(y, raw, bad)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_3d_arrays(cfg, method):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    f = getattr(loss, method)
    with pytest.raises(ValueError, match="y_true"):
        f(y.reshape(N, 1, 1), raw)
    with pytest.raises(ValueError, match="raw_prediction"):
        f(y, raw.reshape(N, -1, 1))
    with pytest.raises(ValueError, match="sample_weight"):
        f(y, raw, sw.reshape(N, 1, 1))


@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_2d_y_true_and_sample_weight_rejected(cfg):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    with pytest.raises(ValueError, match="y_true"):
        loss.loss(np.stack([y, y], axis=1), raw)
    with pytest.raises(ValueError, match="sample_weight"):
        loss.loss(y, raw, np.stack([sw, sw], axis=1))


@pytest.mark.parametrize("method", METHODS)
def test_multinomial_wrong_n_classes(method):
    loss = fastloss.HalfMultinomialLoss(n_classes=3)
    y, raw, _ = make_data(("HalfMultinomialLoss", {"n_classes": 3}))
    f = getattr(loss, method)
    rng = np.random.default_rng(1)
    for bad in (rng.normal(size=(N, 4)), rng.normal(size=(N, 2)), raw[:, 0].copy()):
        with pytest.raises(ValueError, match="raw_prediction"):
            f(y, bad)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cfg", [("HalfSquaredError", {}), ("HalfBinomialLoss", {})], ids=cfg_id)
def test_1d_loss_rejects_2d_raw_with_several_columns(cfg, method):
    loss = make_loss(cfg)
    y, raw, _ = make_data(cfg)
    with pytest.raises(ValueError, match="raw_prediction"):
        getattr(loss, method)(y, np.stack([raw, raw], axis=1))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cfg", ONE_D_CONFIGS, ids=cfg_id)
def test_1d_loss_accepts_column_raw(cfg, method):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    expected = as_tuple(getattr(loss, method)(y, raw, sw))
    got = as_tuple(getattr(loss, method)(y, raw.reshape(-1, 1), sw))
    for e, g in zip(expected, got):
        assert g.shape == (N,)
        np.testing.assert_array_equal(g, e)


# --------------------------------------------------------------------------
# dtypes


def _bad_dtype_arrays(a):
    return {
        "object": a.astype(object),
        "complex": a.astype(np.complex128),
        "str": a.astype(str),
        "datetime64": np.arange(a.size).reshape(a.shape).astype("datetime64[s]"),
    }


@pytest.mark.parametrize("kind", ["object", "complex", "str", "datetime64"])
@pytest.mark.parametrize("arg", ["y_true", "raw_prediction", "sample_weight"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_bad_input_dtype_is_type_error(cfg, method, arg, kind):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    args = {"y_true": y, "raw_prediction": raw, "sample_weight": sw}
    args[arg] = _bad_dtype_arrays(args[arg])[kind]
    with pytest.raises(TypeError, match=arg):
        getattr(loss, method)(**args)


@pytest.mark.parametrize(
    "dtype", [np.int8, np.int32, np.int64, np.uint16, np.uint64, bool]
)
@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_integer_and_bool_y_true(cfg, dtype):
    loss = make_loss(cfg)
    rng = np.random.default_rng(3)
    y_int = make_y(cfg, N, rng, integer=True)
    raw = make_raw(cfg, N, rng)
    if dtype is bool:
        if cfg[0] == "HalfGammaLoss" or (_power(cfg) is not None and _power(cfg) >= 2):
            pytest.skip("0 is outside the domain")
        y_int = (np.arange(N) % 2).astype(int)
    elif np.issubdtype(dtype, np.unsignedinteger):
        y_int = np.abs(y_int)
    y_int = y_int.astype(dtype)
    y_float = y_int.astype(np.float64)
    sw = rng.uniform(0.5, 2, N)
    for method in METHODS:
        expected = as_tuple(getattr(loss, method)(y_float, raw, sw))
        got = as_tuple(getattr(loss, method)(y_int, raw, sw))
        for e, g in zip(expected, got):
            assert g.dtype == np.float64
            np.testing.assert_array_equal(g, e)
    for red in ("sum", "mean"):
        assert loss.loss(y_int, raw, sw, reduction=red) == loss.loss(
            y_float, raw, sw, reduction=red
        )
    assert loss(y_int, raw, sw) == loss(y_float, raw, sw)


@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_float_dtype_promotion(cfg):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    y32, raw32, sw32 = y.astype(np.float32), raw.astype(np.float32), sw.astype(np.float32)
    for method in METHODS:
        for res in as_tuple(getattr(loss, method)(y32, raw32, sw32)):
            assert res.dtype == np.float32
        for args in ((y32, raw, sw32), (y, raw32, sw32), (y32, raw32, sw)):
            for res in as_tuple(getattr(loss, method)(*args)):
                assert res.dtype == np.float64


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_out_dtype_independent_of_inputs(cfg, method):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    expected = as_tuple(getattr(loss, method)(y, raw, sw))
    for in_dtype, out_dtype in ((np.float64, np.float32), (np.float32, np.float64)):
        outs = {a: np.full(out_shape(cfg, a), SENTINEL, dtype=out_dtype) for a in OUT_ARGS[method]}
        got = as_tuple(
            getattr(loss, method)(
                y.astype(in_dtype), raw.astype(in_dtype), sw.astype(in_dtype), **outs
            )
        )
        for a, g, e in zip(OUT_ARGS[method], got, expected):
            assert g is outs[a]
            assert g.dtype == out_dtype
            np.testing.assert_allclose(g, e, rtol=2e-5, atol=2e-6 * np.abs(e).max())


# --------------------------------------------------------------------------
# out arrays


def _bad_out(kind, good_shape, cfg):
    if kind == "shape_long":
        return np.full((good_shape[0] + 1,) + good_shape[1:], SENTINEL)
    if kind == "shape_cols":
        shape = (good_shape[0], good_shape[1] + 1) if len(good_shape) == 2 else (good_shape[0], 2)
        return np.full(shape, SENTINEL)
    if kind == "int":
        return np.full(good_shape, 12345, dtype=np.int64)
    if kind == "float16":
        return np.full(good_shape, 123.0, dtype=np.float16)
    if kind == "complex":
        return np.full(good_shape, SENTINEL, dtype=np.complex128)
    if kind == "readonly":
        a = np.full(good_shape, SENTINEL)
        a.flags.writeable = False
        return a
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["shape_long", "shape_cols", "int", "float16", "complex", "readonly"]
)
@pytest.mark.parametrize(
    "method,arg", [(m, a) for m in METHODS for a in OUT_ARGS[m]]
)
@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_bad_out_array(cfg, method, arg, kind):
    if kind == "shape_cols" and arg == "loss_out":
        kind = "shape_long"
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    bad = _bad_out(kind, out_shape(cfg, arg), cfg)
    bad_before = bad.copy()
    # The other out argument is valid: it must not be written either.
    others = {
        a: np.full(out_shape(cfg, a), SENTINEL) for a in OUT_ARGS[method] if a != arg
    }
    with pytest.raises(ValueError, match=arg):
        getattr(loss, method)(y, raw, sw, **{arg: bad}, **others)
    np.testing.assert_array_equal(bad, bad_before)
    assert bad.dtype == bad_before.dtype
    for a, o in others.items():
        assert np.all(o == SENTINEL), f"{a} was written before {arg} was rejected"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_argument_error_leaves_out_arrays_untouched(cfg, method):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    bad_inputs = [
        ({"sample_weight": sw[:-1]}, "sample_weight"),
        ({"sample_weight": sw.astype(object)}, "sample_weight"),
        ({"raw_prediction": raw.astype(complex)}, "raw_prediction"),
        ({"n_threads": 0}, "n_threads"),
    ]
    for override, name in bad_inputs:
        outs = {a: np.full(out_shape(cfg, a), SENTINEL) for a in OUT_ARGS[method]}
        kwargs = {"y_true": y, "raw_prediction": raw, "sample_weight": sw, **override}
        with pytest.raises((ValueError, TypeError), match=name):
            getattr(loss, method)(**kwargs, **outs)
        for a, o in outs.items():
            assert np.all(o == SENTINEL), f"{a} written although {name} was invalid"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_valid_out_arrays_are_returned(cfg, method):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    expected = as_tuple(getattr(loss, method)(y, raw, sw))
    outs = {a: np.full(out_shape(cfg, a), SENTINEL) for a in OUT_ARGS[method]}
    got = as_tuple(getattr(loss, method)(y, raw, sw, **outs))
    for a, g, e in zip(OUT_ARGS[method], got, expected):
        assert g is outs[a]
        np.testing.assert_array_equal(g, e)


# --------------------------------------------------------------------------
# y_true domain


def _value_regex(v):
    if np.isnan(v):
        return r"(?i)nan"
    if float(v).is_integer():
        return rf"(?<![\d.]){int(v)}(\.0*)?(?![\d])"
    return rf"(?<![\d.]){re.escape(repr(float(v)))}0*(?![\d])"


def assert_domain_error(f, idx, value):
    with pytest.raises(ValueError, match="y_true") as excinfo:
        f()
    msg = str(excinfo.value)
    assert re.search(rf"(?<![\d.]){idx}(?![\d])", msg), f"index {idx} not in {msg!r}"
    assert re.search(_value_regex(value), msg), f"value {value} not in {msg!r}"


# (config, first bad value, second bad value)
DOMAIN_CASES = [
    (("HalfPoissonLoss", {}), -2.5, -7.25),
    (("HalfPoissonLoss", {}), -1.0, 0.0 - 3.0),
    (("HalfGammaLoss", {}), 0.0, -7.25),
    (("HalfGammaLoss", {}), -2.5, 0.0),
    (("HalfBinomialLoss", {}), 1.5, -0.25),
    (("HalfBinomialLoss", {}), -0.25, 1.5),
    (("ExponentialLoss", {}), 2.0, -0.25),
    (("ExponentialLoss", {}), -0.5, 3.5),
    (("HalfTweedieLoss", {"power": 1.5}), -2.5, -1.0),
    (("HalfTweedieLoss", {"power": 1.0}), -0.5, -1.0),
    (("HalfTweedieLoss", {"power": 2.0}), 0.0, -1.0),
    (("HalfTweedieLoss", {"power": 3.0}), -2.5, 0.0),
    (("HalfTweedieLossIdentity", {"power": 1.5}), -2.5, -1.0),
    (("HalfTweedieLossIdentity", {"power": 3.0}), 0.0, -1.0),
    (("HalfMultinomialLoss", {"n_classes": 3}), 1.5, 3.0),
    (("HalfMultinomialLoss", {"n_classes": 3}), -1.0, 0.5),
    (("HalfMultinomialLoss", {"n_classes": 3}), 3.0, -1.0),
    (("HalfMultinomialLoss", {"n_classes": 3}), 17.0, 1.5),
    (("HalfMultinomialLoss", {"n_classes": 3}), np.nan, 5.0),
]
BAD_IDX, BAD_IDX2 = 13, 17


@pytest.mark.parametrize("method", METHODS + ["__call__"])
@pytest.mark.parametrize(
    "cfg,v1,v2", DOMAIN_CASES, ids=[f"{cfg_id(c)}-{a}" for c, a, _ in DOMAIN_CASES]
)
def test_y_true_domain_error(cfg, v1, v2, method):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    y[BAD_IDX] = v1
    y[BAD_IDX2] = v2
    f = getattr(loss, method)
    assert_domain_error(lambda: f(y, raw, sw), BAD_IDX, v1)
    assert_domain_error(lambda: f(y, raw), BAD_IDX, v1)


@pytest.mark.parametrize("cfg,v1,v2", DOMAIN_CASES[:2], ids=["a", "b"])
def test_y_true_domain_error_float32(cfg, v1, v2):
    loss = make_loss(cfg)
    y, raw, _ = make_data(cfg)
    y[BAD_IDX] = v1
    y[BAD_IDX2] = v2
    assert_domain_error(
        lambda: loss.loss(y.astype(np.float32), raw.astype(np.float32)), BAD_IDX, v1
    )


def test_multinomial_domain_error_in_gradient_proba():
    cfg = ("HalfMultinomialLoss", {"n_classes": 3})
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    y[BAD_IDX] = 3.0
    assert_domain_error(lambda: loss.gradient_proba(y, raw, sw), BAD_IDX, 3.0)


@pytest.mark.parametrize(
    "cfg,y_ok",
    [
        (("HalfPoissonLoss", {}), 0.0),
        (("HalfBinomialLoss", {}), 0.0),
        (("HalfBinomialLoss", {}), 1.0),
        (("ExponentialLoss", {}), 1.0),
        (("HalfTweedieLoss", {"power": 1.5}), 0.0),
        (("HalfTweedieLoss", {"power": 0.0}), -5.0),
        (("HalfTweedieLoss", {"power": -1.0}), -5.0),
        (("HalfTweedieLossIdentity", {"power": 0.0}), -5.0),
        (("HalfTweedieLossIdentity", {"power": 1.5}), 0.0),
        (("HalfMultinomialLoss", {"n_classes": 3}), 2.0),
        (("HalfMultinomialLoss", {"n_classes": 3}), 0.0),
    ],
    ids=lambda x: cfg_id(x) if isinstance(x, tuple) else str(x),
)
def test_y_true_domain_boundary_accepted(cfg, y_ok):
    loss = make_loss(cfg)
    y, raw, _ = make_data(cfg)
    y[BAD_IDX] = y_ok
    for method in METHODS:
        for res in as_tuple(getattr(loss, method)(y, raw)):
            assert np.all(np.isfinite(res))


@pytest.mark.parametrize("int_dtype", [np.int64, np.int32, np.uint8])
def test_multinomial_int_labels(int_dtype):
    cfg = ("HalfMultinomialLoss", {"n_classes": 4})
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    for method in METHODS + ["gradient_proba"]:
        expected = as_tuple(getattr(loss, method)(y, raw, sw))
        got = as_tuple(getattr(loss, method)(y.astype(int_dtype), raw, sw))
        for e, g in zip(expected, got):
            np.testing.assert_array_equal(g, e)
    if np.issubdtype(int_dtype, np.signedinteger):
        y_bad = y.astype(int_dtype)
        y_bad[BAD_IDX] = -1
        assert_domain_error(lambda: loss.loss(y_bad, raw), BAD_IDX, -1)
    y_bad = y.astype(int_dtype)
    y_bad[BAD_IDX] = 4
    assert_domain_error(lambda: loss.loss(y_bad, raw), BAD_IDX, 4)


# --------------------------------------------------------------------------
# NaN propagation (1-D losses)


@pytest.mark.parametrize("where", ["y_true", "raw_prediction"])
@pytest.mark.parametrize("cfg", ONE_D_CONFIGS, ids=cfg_id)
def test_nan_propagates_in_loss(cfg, where):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    clean = loss.loss(y, raw, sw)
    if where == "y_true":
        y[5] = np.nan
    else:
        raw[5] = np.nan
    for res in (loss.loss(y, raw, sw), loss.loss_gradient(y, raw, sw)[0]):
        assert np.isnan(res[5])
        mask = np.arange(N) != 5
        np.testing.assert_allclose(res[mask], clean[mask], rtol=1e-14)
    assert np.isnan(loss.loss(y, raw, sw, reduction="sum"))
    assert np.isnan(loss.loss(y, raw, sw, reduction="mean"))
    assert np.isnan(loss.loss_gradient(y, raw, sw, reduction="mean")[0])
    assert np.isnan(loss(y, raw, sw))


@pytest.mark.parametrize("where", ["y_true", "raw_prediction"])
@pytest.mark.parametrize("cfg", ONE_D_CONFIGS, ids=cfg_id)
def test_nan_propagates_in_gradient(cfg, where):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    clean = loss.gradient(y, raw, sw)
    if where == "y_true":
        y[5] = np.nan
    else:
        raw[5] = np.nan
    grads = [
        loss.gradient(y, raw, sw),
        loss.loss_gradient(y, raw, sw)[1],
        loss.gradient_hessian(y, raw, sw)[0],
    ]
    mask = np.arange(N) != 5
    for g in grads:
        assert np.isnan(g[5])
        np.testing.assert_allclose(g[mask], clean[mask], rtol=1e-14)


# --------------------------------------------------------------------------
# check_input=False


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_check_input_false_same_result_on_valid_input(cfg, method):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    expected = as_tuple(getattr(loss, method)(y, raw, sw))
    got = as_tuple(getattr(loss, method)(y, raw, sw, check_input=False))
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize(
    "cfg,bad",
    [
        (("HalfPoissonLoss", {}), -2.5),
        (("HalfGammaLoss", {}), -2.5),
        (("HalfBinomialLoss", {}), 1.5),
        (("ExponentialLoss", {}), -0.5),
    ],
    ids=lambda x: cfg_id(x) if isinstance(x, tuple) else str(x),
)
def test_check_input_false_skips_domain_check(cfg, bad):
    sk_loss = pytest.importorskip("sklearn._loss.loss")
    loss = make_loss(cfg)
    ref = getattr(sk_loss, cfg[0])(**cfg[1])
    y, raw, sw = make_data(cfg)
    y[BAD_IDX] = bad
    with pytest.raises(ValueError):
        loss.loss(y, raw, sw)
    l_, g_ = loss.loss_gradient(y, raw, sw, check_input=False)
    el, eg = ref.loss_gradient(y, raw, sw)
    g2, h2 = loss.gradient_hessian(y, raw, sw, check_input=False)
    eg2, eh2 = ref.gradient_hessian(y, raw, sw)
    for got, expected in ((l_, el), (g_, eg), (g2, eg2), (h2, eh2)):
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("bad", [-1.0, 3.0, 1e300, -1e300, np.nan, np.inf, 1.5])
def test_multinomial_check_input_false_bad_label_gives_nan_row(bad):
    cfg = ("HalfMultinomialLoss", {"n_classes": 3})
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    clean_l, clean_g = loss.loss_gradient(y, raw, sw)
    clean_h = loss.gradient_hessian(y, raw, sw)[1]
    y[BAD_IDX] = bad
    mask = np.arange(N) != BAD_IDX
    l_ = loss.loss(y, raw, sw, check_input=False)
    l2, g2 = loss.loss_gradient(y, raw, sw, check_input=False)
    g3 = loss.gradient(y, raw, sw, check_input=False)
    g4, h4 = loss.gradient_hessian(y, raw, sw, check_input=False)
    for arr in (l_, l2):
        assert np.isnan(arr[BAD_IDX])
        np.testing.assert_array_equal(arr[mask], clean_l[mask])
    for arr in (g2, g3, g4):
        assert np.all(np.isnan(arr[BAD_IDX]))
        np.testing.assert_array_equal(arr[mask], clean_g[mask])
    np.testing.assert_array_equal(h4[mask], clean_h[mask])
    assert np.isnan(loss.loss(y, raw, sw, reduction="sum", check_input=False))


# --------------------------------------------------------------------------
# n_threads, reduction


@pytest.mark.parametrize("n_threads", [0, -2, -5, 1.5, 2.0, "a", "2"])
@pytest.mark.parametrize("method", METHODS + ["__call__"])
@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_invalid_n_threads(cfg, method, n_threads):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    with pytest.raises(ValueError, match="n_threads"):
        getattr(loss, method)(y, raw, sw, n_threads=n_threads)


def test_invalid_n_threads_gradient_proba():
    cfg = ("HalfMultinomialLoss", {"n_classes": 3})
    loss = make_loss(cfg)
    y, raw, _ = make_data(cfg)
    for n_threads in (0, -2, 1.5, "a"):
        with pytest.raises(ValueError, match="n_threads"):
            loss.gradient_proba(y, raw, n_threads=n_threads)


@pytest.mark.parametrize("n_threads", [1, 2, 3, 64, None, -1])
@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_valid_n_threads(cfg, n_threads):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    np.testing.assert_array_equal(
        loss.loss(y, raw, sw, n_threads=n_threads), loss.loss(y, raw, sw, n_threads=1)
    )


@pytest.mark.parametrize("reduction", ["avg", "", 1, "none "])
@pytest.mark.parametrize("method", ["loss", "loss_gradient"])
@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_invalid_reduction(cfg, method, reduction):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    with pytest.raises(ValueError, match="reduction"):
        getattr(loss, method)(y, raw, sw, reduction=reduction)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("method", ["loss", "loss_gradient"])
@pytest.mark.parametrize("cfg", SMALL_CONFIGS, ids=cfg_id)
def test_loss_out_with_reduction(cfg, method, reduction):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    loss_out = np.full(N, SENTINEL)
    with pytest.raises(ValueError, match="loss_out"):
        getattr(loss, method)(y, raw, sw, loss_out=loss_out, reduction=reduction)
    assert np.all(loss_out == SENTINEL)


def assert_sum_close(a, b, terms, rtol=1e-13):
    """a == b up to rounding of a sum whose terms are `terms`."""
    assert abs(a - b) <= rtol * (abs(b) + np.abs(terms).sum()), (a, b)


@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_reductions_values(cfg):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg)
    per_sample = loss.loss(y, raw, sw)
    unweighted = loss.loss(y, raw)
    s = loss.loss(y, raw, sw, reduction="sum")
    m = loss.loss(y, raw, sw, reduction="mean")
    assert type(s) is float and type(m) is float
    assert_sum_close(s, per_sample.sum(), per_sample)
    assert_sum_close(m, per_sample.sum() / sw.sum(), per_sample / sw.sum())
    assert_sum_close(loss.loss(y, raw, reduction="mean"), unweighted.mean(), unweighted / N)
    g = loss.gradient(y, raw, sw)
    ls, gs = loss.loss_gradient(y, raw, sw, reduction="sum")
    lm, gm = loss.loss_gradient(y, raw, sw, reduction="mean")
    assert type(ls) is float and type(lm) is float
    assert_sum_close(ls, s, per_sample, rtol=1e-12)
    assert_sum_close(lm, m, per_sample / sw.sum(), rtol=1e-12)
    np.testing.assert_allclose(gs, g, rtol=1e-12, atol=1e-14 * np.abs(g).max())
    np.testing.assert_allclose(gm, gs / sw.sum(), rtol=1e-14)
    lm1, gm1 = loss.loss_gradient(y, raw, reduction="mean")
    _, gs1 = loss.loss_gradient(y, raw, reduction="sum")
    np.testing.assert_allclose(gm1, gs1 / N, rtol=1e-14)


# --------------------------------------------------------------------------
# constructor parameters (compared with scikit-learn, which validates quantile)


@pytest.mark.parametrize("quantile", [0, 1, 0.0, 1.0, -0.1, 1.5, "a", None])
@pytest.mark.parametrize("name", ["PinballLoss", "HuberLoss"])
def test_quantile_validation_as_sklearn(name, quantile):
    sk_loss = pytest.importorskip("sklearn._loss.loss")
    with pytest.raises((ValueError, TypeError)) as sk_exc:
        getattr(sk_loss, name)(quantile=quantile)
    with pytest.raises((ValueError, TypeError)) as fl_exc:
        getattr(fastloss, name)(quantile=quantile)
    assert type(fl_exc.value) is type(sk_exc.value)
    assert str(fl_exc.value) == str(sk_exc.value)


@pytest.mark.parametrize("quantile", [0.01, 0.5, 0.99, np.float32(0.3), np.float64(0.7)])
@pytest.mark.parametrize("name", ["PinballLoss", "HuberLoss"])
def test_quantile_valid(name, quantile):
    loss = getattr(fastloss, name)(quantile=quantile)
    assert loss.quantile == pytest.approx(float(quantile))


@pytest.mark.parametrize("n_classes", [0, -1, 2.5, "3"])
def test_multinomial_n_classes_validation(n_classes):
    with pytest.raises((ValueError, TypeError), match="n_classes"):
        fastloss.HalfMultinomialLoss(n_classes=n_classes)


@pytest.mark.parametrize("n_classes", [2, 3, 7, np.int64(4)])
def test_multinomial_n_classes_valid(n_classes):
    loss = fastloss.HalfMultinomialLoss(n_classes=n_classes)
    assert loss.n_classes == n_classes
    rng = np.random.default_rng(0)
    y = rng.integers(0, int(n_classes), N).astype(float)
    raw = rng.normal(size=(N, int(n_classes)))
    g = loss.gradient(y, raw)
    assert g.shape == (N, int(n_classes))
    # softmax minus one-hot sums to zero over classes
    np.testing.assert_allclose(g.sum(axis=1), 0, atol=1e-14)


# --------------------------------------------------------------------------
# n = 0


@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_empty_input(cfg):
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg, n=0)
    grad_shape = raw.shape
    for weights in (None, sw):
        assert loss.loss(y, raw, weights).shape == (0,)
        assert loss.gradient(y, raw, weights).shape == grad_shape
        l_, g_ = loss.loss_gradient(y, raw, weights)
        assert l_.shape == (0,) and g_.shape == grad_shape
        g_, h_ = loss.gradient_hessian(y, raw, weights)
        assert g_.shape == grad_shape and h_.shape == grad_shape
        assert g_.dtype == np.float64 and h_.dtype == np.float64
        for red in ("sum", "mean"):
            r = loss.loss(y, raw, weights, reduction=red)
            assert r == 0.0 and type(r) is float
            r, g = loss.loss_gradient(y, raw, weights, reduction=red)
            assert r == 0.0 and g.shape == grad_shape


def test_misaligned_strides():
    """Arrays whose strides are not whole elements (possible with np.ndarray on
    a byte buffer) are never indexed by the kernels as if they were: raw is
    copied, an output raises."""
    import fastloss

    loss = fastloss.HalfMultinomialLoss(n_classes=3)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 5).astype(float)
    raw = rng.standard_normal((5, 3))
    buf = np.zeros(5 * 28 + 8, dtype=np.uint8)
    odd = np.ndarray((5, 3), dtype=np.float64, buffer=buf, offset=1, strides=(28, 8))
    odd[...] = raw
    np.testing.assert_array_equal(loss.loss(y, odd), loss.loss(y, raw))
    with pytest.raises(ValueError, match="gradient_out has strides"):
        loss.gradient(y, raw, gradient_out=odd)
