"""fastloss.reference (the NumPy oracle) against scikit-learn's loss objects.

The reference is loaded straight from ``fastloss/reference.py`` so that these
tests run without the compiled package.  scikit-learn is optional: every
comparison with it is skipped when it is absent.

Tolerance used throughout (``_assert_agree``): both sides are float64
evaluations of the same closed form, scikit-learn with the textbook formula
and the reference with a rearranged, stable one.  A float64 evaluation of a
sum of terms t_i, where t_i may contain exp(x_i) of a rounded argument, has an
error of at most  c * u * sum_i |t_i| (1 + |x_i|)  with u = 2**-53 the unit
roundoff and c the number of roundings along the way (<= ~6 here, libm's exp,
log, log1p and pow are < 1 ulp).  The 1 + |x_i| factor is the relative error
of exp(x) when x itself carries a relative rounding error u.  We allow
C = 16 per side, so 2 * C * u * scale for the difference of the two sides.
``scale`` is that sum of term magnitudes, computed from the textbook formula
(the less accurate of the two), by ``_term_scale`` below; where the terms do
not cancel it is just |value| (a pure relative tolerance).
"""

import importlib.util
import pathlib
import zlib

import numpy as np
import pytest

_REF_PATH = pathlib.Path(__file__).resolve().parents[1] / "fastloss" / "reference.py"


def _load_reference():
    if _REF_PATH.exists():
        spec = importlib.util.spec_from_file_location("_fastloss_reference", _REF_PATH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    from fastloss import reference  # installed, non-editable layout

    return reference


ref = _load_reference()

U64 = 2.0**-53
C_PER_SIDE = 16

# (loss name, scikit-learn class, params, y domain, raw domain)
CONFIGS = [
    ("squared_error", "HalfSquaredError", {}, "real", "near_y"),
    ("absolute_error", "AbsoluteError", {}, "real", "near_y"),
    ("pinball_loss", "PinballLoss", {"quantile": 0.1}, "real", "near_y"),
    ("pinball_loss", "PinballLoss", {"quantile": 0.5}, "real", "near_y"),
    ("pinball_loss", "PinballLoss", {"quantile": 0.9}, "real", "near_y"),
    ("huber_loss", "HuberLoss", {"quantile": 0.9, "delta": 0.5}, "real", "near_y"),
    ("huber_loss", "HuberLoss", {"quantile": 0.5, "delta": 0.125}, "real", "near_y"),
    ("huber_loss", "HuberLoss", {"quantile": 0.9, "delta": 2.0}, "real", "near_y"),
    ("poisson_loss", "HalfPoissonLoss", {}, "nonneg", "real"),
    ("gamma_loss", "HalfGammaLoss", {}, "pos", "real"),
    ("binomial_loss", "HalfBinomialLoss", {}, "unit", "real"),
    ("exponential_loss", "ExponentialLoss", {}, "unit", "real"),
    ("multinomial_loss", "HalfMultinomialLoss", {"n_classes": 3}, "labels", "real"),
    ("multinomial_loss", "HalfMultinomialLoss", {"n_classes": 5}, "labels", "real"),
]
TWEEDIE_POWERS = [-0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0]


def _tweedie_y_domain(power):
    # scikit-learn's interval_y_true: real for p <= 0, [0, inf) for 0 < p < 2,
    # (0, inf) for p >= 2.
    return "real" if power <= 0 else ("nonneg" if power < 2 else "pos")


for _p in TWEEDIE_POWERS:
    CONFIGS.append(
        ("tweedie_loss", "HalfTweedieLoss", {"power": _p}, _tweedie_y_domain(_p), "real")
    )
    CONFIGS.append(
        (
            "tweedie_loss_identity",
            "HalfTweedieLossIdentity",
            {"power": _p},
            _tweedie_y_domain(_p),
            "near_y" if _p == 0 else "pos",
        )
    )


def _config_id(cfg):
    name, _, params, _, _ = cfg
    return name + "".join(f"-{k}={v}" for k, v in params.items())


def make_data(cfg, n, seed):
    """y in the loss's domain with its boundary values, raw in link space.

    The first samples are the boundary cases: y = 0 for Poisson / Tweedie
    (p < 2), y in {0, 1} for binomial / exponential, raw == y (the kink of
    absolute / pinball / Huber) and |raw - y| == delta (Huber's switch).
    """
    name, _, params, ydom, rawdom = cfg
    rng = np.random.default_rng(seed)
    if ydom == "real":
        y = rng.normal(scale=2.0, size=n)
        y[:4] = [0.0, -1.0, 1.0, 0.0]
    elif ydom == "nonneg":
        y = rng.gamma(1.5, 2.0, size=n)
        y[: n // 8] = 0.0
        y[n // 8 : n // 8 + 4] = [1.0, 1e-3, 3.0, 100.0]
    elif ydom == "pos":
        y = rng.gamma(1.5, 2.0, size=n) + 1e-3
        y[:4] = [1e-3, 1.0, 3.0, 100.0]
    elif ydom == "unit":
        y = rng.uniform(0.0, 1.0, size=n)
        y[: n // 4] = 0.0
        y[n // 4 : n // 2] = 1.0
        y[n // 2] = 0.5
    elif ydom == "labels":
        y = rng.integers(0, params["n_classes"], size=n).astype(np.float64)
    else:  # pragma: no cover
        raise AssertionError(ydom)

    if name == "multinomial_loss":
        raw = rng.normal(scale=3.0, size=(n, params["n_classes"]))
        raw[0] = 0.0  # all classes tied
        raw[1, :] = -4.0
        raw[1, 0] = 12.0  # one class dominates
    elif rawdom == "real":
        raw = rng.uniform(-4.0, 4.0, size=n)
        raw[-5:] = [0.0, -4.0, 4.0, 1.0, -1.0]
    elif rawdom == "near_y":
        raw = y + rng.normal(scale=2.0, size=n)
        raw[:8] = y[:8]  # raw == y: the kink
        delta = params.get("delta", 0.5)
        raw[8], y[8] = delta, 0.0  # |raw - y| == delta exactly
        raw[9], y[9] = -delta, 0.0
    elif rawdom == "pos":
        raw = np.exp(rng.uniform(-3.0, 2.5, size=n))
        pos = np.flatnonzero(y > 0)[:8]
        raw[pos] = y[pos]  # the minimum of the identity-link deviance
    else:  # pragma: no cover
        raise AssertionError(rawdom)
    # float32-exact values, so that the same data serves float32 tests
    y = y.astype(np.float32).astype(np.float64)
    raw = raw.astype(np.float32).astype(np.float64)
    return y, raw


def _term_scale(name, y, r, params):
    """Sum of |terms| (1 + |exponent|) of the textbook formula, per sample.

    Returns (scale_loss, scale_gradient, scale_hessian) for the 1-D losses.
    See the module docstring for why this bounds a float64 evaluation's error.
    """
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        ay, ar = np.abs(y), np.abs(r)
        if name in ("squared_error", "absolute_error", "pinball_loss", "huber_loss"):
            lo, gr, he = (np.abs(v) for v in ref._FORMULAS[name](y, r, **params))
            return lo, gr, he
        if name == "tweedie_loss" and params["power"] == 1.0:
            name = "poisson_loss"
        if name == "tweedie_loss" and params["power"] == 2.0:
            name = "gamma_loss"
        if name == "tweedie_loss_identity" and params["power"] == 0.0:
            return _term_scale("squared_error", y, r, {})
        if name == "poisson_loss":
            e = np.exp(r) * (1 + ar)
            return e + np.abs(y * r), e + ay, e
        if name == "gamma_loss":
            t = ay * np.exp(-r) * (1 + ar)
            return ar + t, 1 + t, t
        if name == "tweedie_loss":
            p = params["power"]
            if p == 0:
                e = np.exp(r)
                ek, e2k = e * (1 + ar), e * e * (1 + 2 * ar)
                return np.abs(e - y) * (ek + ay) + 0.5 * (e - y) ** 2, e2k + ay * ek, 2 * e2k + ay * ek
            a, b = 2 - p, 1 - p
            kappa = 1 + np.abs(a * r) + np.abs(b * r)
            A, B = np.exp(a * r) * kappa, ay * np.exp(b * r) * kappa
            return A / abs(a) + B / abs(b), A + B, abs(a) * A + abs(b) * B
        if name == "tweedie_loss_identity":
            p = params["power"]
            if p == 1:
                ylog = np.where(y == 0, 0.0, np.abs(y * np.log(y / r)))
                return ylog + ar + 2 * ay, 1 + ay / ar, ay / r**2
            if p == 2:
                return np.abs(np.log(r / y)) + ay / ar + 2, 1 / ar + ay / r**2, 2 * ay / ar**3 + 1 / r**2
            a, b = 2 - p, 1 - p
            kappa = 1 + np.abs(a * np.log(r)) + np.abs(a * np.log(np.where(y > 0, y, 1.0)))
            lo = (r**a / abs(a) + ay * r**b / abs(b) + np.where(y > 0, ay**a, 0) / abs(a * b)) * kappa
            gr = (r**b + ay * r ** (-p)) * kappa
            he = (abs(b) * r ** (-p) + abs(p) * ay * r ** (-p - 1)) * kappa
            return lo, gr, he
        if name == "binomial_loss":
            kappa = 1 + ar
            lse = np.logaddexp(0, r)
            expit = 1 / (1 + np.exp(-r))
            # expit(r) * expit(-r) without the cancellation of 1 - expit(r),
            # which is 0 for r > 37 and would make the scale (tolerance) 0.
            e = np.exp(-ar)
            h = e / (1 + e) ** 2
            return (np.maximum(r, 0) + np.log1p(np.exp(-ar))) * kappa + ay * ar, expit * kappa + ay, h * kappa
        if name == "exponential_loss":
            t = (ay * np.exp(-r) + np.abs(1 - y) * np.exp(r)) * (1 + ar)
            return t, t, t
    raise AssertionError(name)


def _multinomial_scale(y, raw):
    """Term scale of logsumexp(r) - r_y, p_k - [y==k], p_k (1 - p_k)."""
    n = raw.shape[0]
    rows = np.arange(n)
    m = raw.max(axis=1)
    z = raw - m[:, None]
    s = np.exp(z).sum(axis=1)
    p = np.exp(z) / s[:, None]
    spz = (p * np.abs(z)).sum(axis=1)
    lab = y.astype(np.intp)
    lo = np.log(s) + np.abs(m) + np.abs(raw[rows, lab]) + 1 + spz
    pk = p * (2 + np.abs(z) + spz[:, None])
    onehot = np.zeros_like(raw)
    onehot[rows, lab] = 1.0
    return lo, pk + onehot, pk * (1 + p)


def _assert_agree(got, expected, scale, what):
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, (what, got.shape, expected.shape)
    assert not np.any(np.isnan(got)), (what, np.flatnonzero(np.isnan(got))[:5])
    tol = 2 * C_PER_SIDE * U64 * scale + 2.0**-1022
    err = np.abs(got - expected)
    bad = ~(err <= tol)
    if np.any(bad):
        i = np.flatnonzero(bad)[0]
        raise AssertionError(
            f"{what}: {bad.sum()} mismatches; first at {i}: got {got.flat[i]!r}, "
            f"expected {expected.flat[i]!r}, |diff|={err.flat[i]:.3g} > tol={tol.flat[i]:.3g}"
        )


# ---------------------------------------------------------------------------
# reference vs scikit-learn
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cfg", CONFIGS, ids=_config_id)
def test_reference_matches_sklearn(cfg):
    sk_loss_module = pytest.importorskip("sklearn._loss.loss")
    name, sk_name, params, _, _ = cfg
    y, raw = make_data(cfg, n=1000, seed=zlib.crc32(_config_id(cfg).encode()))
    sk = getattr(sk_loss_module, sk_name)(**params)

    lo, gr, he = ref.loss(name, y, raw, **params), ref.gradient(name, y, raw, **params), ref.hessian(name, y, raw, **params)
    sk_lo = sk.loss(y, raw)
    sk_gr, sk_he = sk.gradient_hessian(y, raw)
    if name == "multinomial_loss":
        s_lo, s_gr, s_he = _multinomial_scale(y, raw)
    else:
        s_lo, s_gr, s_he = _term_scale(name, y, raw, params)
    _assert_agree(lo, sk_lo, s_lo, f"{_config_id(cfg)} loss")
    _assert_agree(gr, sk_gr, s_gr, f"{_config_id(cfg)} gradient")
    _assert_agree(he, sk_he, s_he, f"{_config_id(cfg)} hessian")
    # scikit-learn's gradient() must agree with its own gradient_hessian(), so
    # comparing ours with both checks that we follow its conventions everywhere
    _assert_agree(gr, sk.gradient(y, raw), s_gr, f"{_config_id(cfg)} gradient()")

    # weighted loss_gradient, including zero weights
    w = np.random.default_rng(1).uniform(0.0, 3.0, size=y.shape[0])
    w[::7] = 0.0
    rl, rg = ref.loss_gradient(name, y, raw, sample_weight=w, **params)
    sl, sg = sk.loss_gradient(y, raw, sample_weight=w)
    wg = w[:, None] if raw.ndim == 2 else w
    _assert_agree(rl, sl, w * s_lo, f"{_config_id(cfg)} weighted loss")
    _assert_agree(rg, sg, wg * s_gr, f"{_config_id(cfg)} weighted gradient")


@pytest.mark.parametrize("power", TWEEDIE_POWERS)
def test_tweedie_special_powers_match_named_losses(power):
    """p = 1 (log link) is exactly Poisson, p = 2 exactly Gamma, p = 0 the
    half squared error of exp(r); identity link p = 0 is squared error.  The
    other powers must differ from these (a kernel that ignores ``power`` or
    always takes a special branch fails here)."""
    rng = np.random.default_rng(3)
    y = rng.gamma(2.0, size=200) + 0.5
    raw = rng.uniform(-2, 2, size=200)
    tw = ref.loss("tweedie_loss", y, raw, power=power)
    if power == 1.0:
        np.testing.assert_array_equal(tw, ref.loss("poisson_loss", y, raw))
    elif power == 2.0:
        np.testing.assert_array_equal(tw, ref.loss("gamma_loss", y, raw))
    elif power == 0.0:
        np.testing.assert_allclose(tw, 0.5 * (np.exp(raw) - y) ** 2, rtol=1e-14)
        np.testing.assert_array_equal(
            ref.loss("tweedie_loss_identity", y, raw, power=0.0),
            ref.loss("squared_error", y, raw),
        )
    else:
        a, b = 2 - power, 1 - power
        np.testing.assert_allclose(
            tw, np.exp(a * raw) / a - y * np.exp(b * raw) / b, rtol=1e-12
        )


# ---------------------------------------------------------------------------
# self-consistency and API of the oracle
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cfg", CONFIGS, ids=_config_id)
def test_loss_gradient_is_weighted_loss_and_gradient(cfg):
    name, _, params, _, _ = cfg
    y, raw = make_data(cfg, n=64, seed=5)
    w = np.linspace(0.0, 2.0, 64)
    lo, gr = ref.loss_gradient(name, y, raw, sample_weight=w, **params)
    np.testing.assert_array_equal(lo, w * ref.loss(name, y, raw, **params))
    wg = w[:, None] if raw.ndim == 2 else w
    np.testing.assert_array_equal(gr, wg * ref.gradient(name, y, raw, **params))
    lo1, gr1 = ref.loss_gradient(name, y, raw, **params)
    np.testing.assert_array_equal(lo1, ref.loss(name, y, raw, **params))
    np.testing.assert_array_equal(gr1, ref.gradient(name, y, raw, **params))
    for out in (lo, gr, lo1, gr1):
        assert out.dtype == np.float64


def test_boundary_values_exact():
    """Closed-form values at the domain boundaries, exact in float64."""
    r = np.array([-2.0, 0.0, 3.0])
    # Poisson with y = 0: exp(r)
    np.testing.assert_array_equal(ref.loss("poisson_loss", np.zeros(3), r), np.exp(r))
    # binomial at r = 0: log 2 for any y, gradient 1/2 - y, hessian 1/4
    y = np.array([0.0, 1.0, 0.25])
    z = np.zeros(3)
    np.testing.assert_allclose(ref.loss("binomial_loss", y, z), np.log(2.0), rtol=1e-15)
    np.testing.assert_array_equal(ref.gradient("binomial_loss", y, z), 0.5 - y)
    np.testing.assert_array_equal(ref.hessian("binomial_loss", y, z), 0.25)
    # exponential at r = 0: loss 1, gradient 1 - 2y
    np.testing.assert_array_equal(ref.loss("exponential_loss", y, z), 1.0)
    np.testing.assert_array_equal(ref.gradient("exponential_loss", y, z), 1.0 - 2 * y)
    # identity-link Tweedie deviances vanish at r == y: exactly for p = 1, 2
    # (x - log1p(x) at x = 0), up to the rounding of three O(y^(2-p)) terms
    # (each < 1e-15 here, so 1e-13 is ~30 roundings) for the other powers
    yy = np.array([0.5, 1.0, 7.0])
    for p in (0.5, 1.0, 1.5, 2.0, 3.0):
        lo = ref.loss("tweedie_loss_identity", yy, yy, power=p)
        if p in (1.0, 2.0):
            np.testing.assert_array_equal(lo, 0.0)
        np.testing.assert_allclose(lo, 0.0, atol=1e-13)
        np.testing.assert_allclose(
            ref.gradient("tweedie_loss_identity", yy, yy, power=p), 0.0, atol=1e-15
        )
    # Tweedie identity p = 1 with y = 0 is r
    np.testing.assert_array_equal(
        ref.loss("tweedie_loss_identity", np.zeros(2), np.array([0.5, 3.0]), power=1.0),
        [0.5, 3.0],
    )
    # multinomial with all-equal raw: log K, gradient 1/K - onehot, hessian (K-1)/K^2
    lab = np.array([0.0, 2.0])
    raw = np.zeros((2, 4))
    np.testing.assert_allclose(ref.loss("multinomial_loss", lab, raw), np.log(4.0), rtol=1e-15)
    g = ref.gradient("multinomial_loss", lab, raw)
    np.testing.assert_array_equal(g, 0.25 - np.eye(4)[[0, 2]])
    np.testing.assert_array_equal(ref.hessian("multinomial_loss", lab, raw), 0.1875)


def test_stable_at_extremes_no_nan():
    """Where textbook formulas give NaN (inf - inf, 0 * inf) the oracle does
    not.  The exact values are checked against mpmath in test_numerics.py."""
    r = np.array([-1e20, -1e3, -40.0, 40.0, 1e3, 1e20])
    for y in (0.0, 1.0, 0.3):
        for nm in ("binomial_loss", "exponential_loss"):
            for f in (ref.loss, ref.gradient, ref.hessian):
                assert not np.any(np.isnan(f(nm, np.full(6, y), r))), (nm, y, f.__name__)
    for p in TWEEDIE_POWERS:
        for yy in {0.0 if 0 < p < 2 else 2.0, 2.0}:
            y = np.full(6, yy)
            for f in (ref.loss, ref.gradient, ref.hessian):
                v = f("tweedie_loss", y, r, power=p)
                assert not np.any(np.isnan(v)), (p, yy, f.__name__, v)
    # binomial y = 1, r = 40: the loss is log1p(exp(-40)) ~ 4.25e-18, not 0
    v = ref.loss("binomial_loss", np.array([1.0]), np.array([40.0]))[0]
    assert v == pytest.approx(np.exp(-40.0), rel=1e-14)


def test_shapes_and_errors():
    y = np.array([0.0, 1.0, 2.0])
    raw_col = np.array([[0.5], [1.0], [2.0]])
    np.testing.assert_array_equal(
        ref.loss("squared_error", y, raw_col), ref.loss("squared_error", y, raw_col[:, 0])
    )
    with pytest.raises(ValueError, match="unknown loss"):
        ref.loss("no_such_loss", y, y)
    with pytest.raises(ValueError):
        ref.loss("squared_error", y, y[:2])
    with pytest.raises(ValueError):
        ref.loss("multinomial_loss", y, np.zeros((3, 2)))  # label 2 with 2 classes
    with pytest.raises(ValueError):
        ref.loss("multinomial_loss", y, np.zeros((3, 3)), n_classes=4)
    g = ref.gradient("multinomial_loss", y, np.zeros((3, 3)))
    assert g.shape == (3, 3)
    assert set(ref.LOSS_NAMES) == {
        "squared_error", "absolute_error", "pinball_loss", "huber_loss",
        "poisson_loss", "gamma_loss", "tweedie_loss", "tweedie_loss_identity",
        "binomial_loss", "exponential_loss", "multinomial_loss",
    }
