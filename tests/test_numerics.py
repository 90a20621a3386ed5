"""Numerical tests of the compiled kernels (the loss classes in ``fastloss``).

Ground truth is mpmath at 50 significant digits, evaluated at the exact input
values (all test data is float32-exact, so one truth serves every dtype).
The kernels are compared with that truth, with ``fastloss.reference`` and with
scikit-learn, for every loss, method, dtype combination and reduction;
gradients and hessians are also checked against finite differences, and the
extreme raw predictions against mpmath.

Tolerance model (used by every comparison with the truth)
----------------------------------------------------------
A value v computed in floating point as a sum of terms t_i, where a term may
contain exp(x_i) (or r**x_i = exp(x_i log r)) of a rounded argument, has an
error of at most

    |got - v| <= C * u * scale,   scale = sum_i |t_i| * (1 + |x_i|)

with u the unit roundoff (2**-53 in float64, 2**-24 once float32 is involved
in the inputs or the output) and C the number of roundings along the way.
The factor 1 + |x_i| is the relative error of exp(x) when x itself carries a
relative error of one rounding (|x| u); e.g. exp((2 - p) r) at r = 40.
Every formula here is at most ~6 operations, each <= 1 u with glibc's libm
(exp, log, log1p, pow are < 1 ulp).  On this data the kernels and the
reference measure at most 3 and 4.5 u * scale, so C = 16 leaves a margin of
> 3x, while a real formula error (a wrong factor, a dropped term, float32
internals, a textbook formula where the terms cancel) is orders of magnitude
larger: scikit-learn's binomial loss() (log(1 + exp(r)) - y r) misses the
strict tolerance by 1e14 at y = 1, r >= 33.3, and its exponential / Tweedie
kernels give NaN at r = +-1e3.
Where the terms do not cancel, scale == |v| and this is a plain relative
tolerance of 16 u (8 ulp).

``scale`` is "strict" or "lenient":
- strict: the terms of a stable formula.  For the binomial and exponential
  losses with labels y in {0, 1}, the loss, gradient and hessian are sums of
  terms of one sign (log1p(exp(-|r|)) + (1 - y) r for r > 0, ...), so a
  relative tolerance applies *everywhere*, including y = 1, r = 40 where the
  log loss is 4.2e-18 and log(1 + exp(r)) - y r cancels to 0.
- lenient: the terms of the textbook formula (what scikit-learn evaluates),
  used for comparisons with scikit-learn.
Near-cancellations that are inherent to a loss keep their textbook terms in
both scales (the spec's "except near cancellation"): Poisson exp(r) - y r,
Tweedie's two power terms, the identity-link deviances near r == y, and the
multinomial p_y - 1 and log(1 + s_rest) near p_y -> 1 (an absolute error of
C u there: logsumexp rounds 1 + s_rest).

Results below the normal range (|v| < 2**-1022 in float64) are only held to an
absolute C * tiny: gradual underflow loses relative precision by design.
A true value beyond the largest finite float must come out as inf of the
right sign; NaN is never accepted where the true value exists.
"""

import importlib.util
import math
import pathlib
import zlib
from functools import lru_cache

import numpy as np
import pytest

mpmath = pytest.importorskip("mpmath")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402


def _load_sibling(filename):
    path = pathlib.Path(__file__).with_name(filename)
    spec = importlib.util.spec_from_file_location("_fastloss_tests_" + path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The loss configurations, their data and the NumPy term scales are shared
# with test_reference.py (loaded by path: tests are not a package).
_tr = _load_sibling("test_reference.py")
ref = _tr.ref
CONFIGS = _tr.CONFIGS
TWEEDIE_POWERS = _tr.TWEEDIE_POWERS
make_data = _tr.make_data
config_id = _tr._config_id

C = 16
U64 = 2.0**-53
U32 = 2.0**-24
MP_DPS = 50
N_SAMPLES = 400


def _fastloss():
    # Imported inside the tests so that the reference/mpmath tests of this
    # module still run (and the kernel tests fail, not skip) without a build.
    import fastloss

    return fastloss


def _make_loss(cfg):
    _, cls_name, params, _, _ = cfg
    return getattr(_fastloss(), cls_name)(**params)


# ---------------------------------------------------------------------------
# mpmath ground truth: (value, strict scale, lenient scale) per quantity
# ---------------------------------------------------------------------------


def _mp_1d(name, params, y, r):
    """Exact loss, gradient, hessian at float inputs y, r, with their scales.

    Returns three (value, strict, lenient) triples of mpf.
    """
    mpf, exp, log = mpmath.mpf, mpmath.exp, mpmath.log
    Y, R = mpf(y), mpf(r)
    aR, aY = abs(R), abs(Y)
    kap = 1 + aR  # 1 + |exponent| for exp(+-r)

    def same(*vals):  # strict == lenient == |value|
        return [(v, abs(v), abs(v)) for v in vals]

    p = params.get("power")
    if name == "tweedie_loss" and p == 1.0:
        name = "poisson_loss"
    elif name == "tweedie_loss" and p == 2.0:
        name = "gamma_loss"
    elif name == "tweedie_loss_identity" and p == 0.0:
        name = "squared_error"

    if name == "squared_error":
        d = R - Y
        return same(d * d / 2, d, mpf(1))
    if name == "absolute_error":
        return same(abs(R - Y), mpf(1) if R > Y else mpf(-1), mpf(1))
    if name == "pinball_loss":
        q = mpf(params["quantile"])
        d = Y - R
        if d >= 0:
            return same(q * d, -q, mpf(1))
        return same((1 - q) * (-d), 1 - q, mpf(1))
    if name == "huber_loss":
        delta = mpf(params["delta"])
        d = R - Y
        a = abs(d)
        if a <= delta:
            return same(d * d / 2, d, mpf(1))
        lo = delta * (a - delta / 2)
        s = delta * (a + delta / 2)
        g = delta if d >= 0 else -delta
        return [(lo, s, s), (g, abs(g), abs(g)), (mpf(0), mpf(0), mpf(0))]
    if name == "poisson_loss":
        E = exp(R)
        lo = E - Y * R
        s_lo = E * kap + abs(Y * R)
        s_g = E * kap + aY
        return [(lo, s_lo, s_lo), (E - Y, s_g, s_g), (E, E * kap, E * kap)]
    if name == "gamma_loss":
        T = Y * exp(-R)
        sT = abs(T) * kap
        return [(R + T, aR + sT, aR + sT), (1 - T, 1 + sT, 1 + sT), (T, sT, sT)]
    if name == "tweedie_loss" and p == 0.0:
        E = exp(R)
        D = E - Y
        s_lo = abs(D) * (E * kap + aY) + D * D / 2
        e2 = E * E * (1 + 2 * aR)
        s_g = e2 + E * aY * kap
        s_h = 2 * e2 + E * aY * kap
        return [(D * D / 2, s_lo, s_lo), (E * D, s_g, s_g), (E * (2 * E - Y), s_h, s_h)]
    if name == "tweedie_loss":
        P = mpf(p)
        a, b = 2 - P, 1 - P
        A, B = exp(a * R), exp(b * R)
        # an implementation may derive one exponential from the other
        # (exp(a r) = exp(b r) exp(r)): both terms get both exponents
        k = 1 + abs(a * R) + abs(b * R)
        s_lo = (A / abs(a) + aY * B / abs(b)) * k
        s_g = (A + aY * B) * k
        s_h = (abs(a) * A + abs(b) * aY * B) * k
        return [
            (A / a - Y * B / b, s_lo, s_lo),
            (A - Y * B, s_g, s_g),
            (a * A - b * Y * B, s_h, s_h),
        ]
    if name == "tweedie_loss_identity" and p == 1.0:
        if Y == 0:
            lo, s_lo = R, aR
        else:
            lo = Y * log(Y / R) + R - Y
            s_lo = abs(Y * log(Y / R)) + aR + 2 * aY
        h = Y / (R * R)
        return [(lo, s_lo, s_lo), (1 - Y / R, 1 + aY / aR, 1 + aY / aR), (h, abs(h), abs(h))]
    if name == "tweedie_loss_identity" and p == 2.0:
        lo = log(R / Y) + Y / R - 1
        s_lo = abs(log(R / Y)) + aY / aR + 2
        s_g = 1 / aR + aY / (R * R)
        s_h = 2 * aY / aR**3 + 1 / (R * R)
        return [(lo, s_lo, s_lo), ((R - Y) / (R * R), s_g, s_g), ((2 * Y / R - 1) / (R * R), s_h, s_h)]
    if name == "tweedie_loss_identity":
        P = mpf(p)
        a, b = 2 - P, 1 - P
        k = 1 + abs(a * log(R)) + (abs(a * log(Y)) if Y > 0 else 0)
        c = Y**a / (a * b) if Y > 0 else mpf(0)
        lo = R**a / a - Y * R**b / b + c
        s_lo = (R**a / abs(a) + aY * R**b / abs(b) + abs(c)) * k
        g = R ** (-P) * (R - Y)
        s_g = (R**b + aY * R ** (-P)) * k
        h = R ** (-P) * (b + P * Y / R)
        s_h = (abs(b) * R ** (-P) + abs(P) * aY * R ** (-P - 1)) * k
        return [(lo, s_lo, s_lo), (g, s_g, s_g), (h, s_h, s_h)]
    if name == "binomial_loss":
        E = exp(-aR)
        L1 = mpmath.log1p(E)
        lin = (1 - Y) * R if R > 0 else -Y * R
        lo = L1 + lin
        s_lo = L1 * kap + abs(lin)
        l_lo = (max(R, 0) + L1) * kap + aY * aR
        if R > 0:
            g = ((1 - Y) - Y * E) / (1 + E)
            s_g = (abs(1 - Y) + aY * E * kap) / (1 + E)
        else:
            g = ((1 - Y) * E - Y) / (1 + E)
            s_g = (abs(1 - Y) * E * kap + aY) / (1 + E)
        expit = 1 / (1 + exp(-R))
        l_g = expit * kap + aY
        h = E / (1 + E) ** 2
        return [(lo, s_lo, l_lo), (g, s_g, l_g), (h, h * kap, h * kap)]
    if name == "exponential_loss":
        T1 = Y * exp(-R) if Y != 0 else mpf(0)
        T2 = (1 - Y) * exp(R) if Y != 1 else mpf(0)
        s = (abs(T1) + abs(T2)) * kap
        return [(T1 + T2, s, s), (T2 - T1, s, s), (T1 + T2, s, s)]
    raise AssertionError(name)


def _mp_multinomial(label, row):
    """Exact loss, gradient_k, hessian_k, proba_k of one sample, with scales."""
    R = [mpmath.mpf(v) for v in row]
    m = max(R)
    z = [v - m for v in R]
    ez = [mpmath.exp(v) for v in z]
    s = mpmath.fsum(ez)
    p = [e / s for e in ez]
    spz = mpmath.fsum(pk * abs(zk) for pk, zk in zip(p, z))
    y = int(label)
    lo = mpmath.log(s) + m - R[y]
    s_lo = abs(mpmath.log(s)) + abs(m) + abs(R[y]) + 1 + spz
    out = {"loss": [(lo, s_lo, s_lo)], "grad": [], "hess": [], "proba": []}
    for k, (pk, zk) in enumerate(zip(p, z)):
        sp = pk * (2 + abs(zk) + spz)
        onehot = 1 if k == y else 0
        out["grad"].append((pk - onehot, sp + onehot, sp + onehot))
        out["hess"].append((pk * (1 - pk), sp * (1 + pk), sp * (1 + pk)))
        out["proba"].append((pk, sp, sp))
    return out


class Truth:
    """float64 arrays of true values and of their strict / lenient scales."""

    def __init__(self, value, strict, lenient):
        self.value, self.strict, self.lenient = value, strict, lenient

    def weighted(self, w):
        if w is None:
            return self
        w = np.asarray(w, dtype=np.float64)
        w = w[:, None] if self.value.ndim == 2 else w
        with np.errstate(invalid="ignore", over="ignore"):
            return Truth(w * self.value, w * self.strict, w * self.lenient)


def _to_float(x):
    return float(x)  # mpmath rounds to nearest, +-inf beyond the double range


@lru_cache(maxsize=None)
def _truth_cached(name, params_items, y_bytes, raw_bytes, raw_shape):
    params = dict(params_items)
    y = np.frombuffer(y_bytes, dtype=np.float64)
    raw = np.frombuffer(raw_bytes, dtype=np.float64).reshape(raw_shape)
    with mpmath.workdps(MP_DPS):
        if name == "multinomial_loss":
            cols = {"loss": [], "grad": [], "hess": [], "proba": []}
            for yi, row in zip(y, raw):
                res = _mp_multinomial(yi, row)
                for key in cols:
                    cols[key].append([[_to_float(v) for v in t] for t in res[key]])
            out = {}
            for key, rows in cols.items():
                arr = np.array(rows, dtype=np.float64)  # (n, K or 1, 3)
                if key == "loss":
                    arr = arr[:, 0, :]
                out[key] = Truth(arr[..., 0], arr[..., 1], arr[..., 2])
            return out
        rows = [
            [[_to_float(v) for v in t] for t in _mp_1d(name, params, yi, ri)]
            for yi, ri in zip(y, raw)
        ]
    arr = np.array(rows, dtype=np.float64).reshape(len(y), 3, 3)
    return {
        key: Truth(arr[:, j, 0], arr[:, j, 1], arr[:, j, 2])
        for j, key in enumerate(("loss", "grad", "hess"))
    }


def truth(name, params, y, raw):
    y = np.ascontiguousarray(y, dtype=np.float64)
    raw = np.ascontiguousarray(raw, dtype=np.float64)
    return _truth_cached(
        name, tuple(sorted(params.items())), y.tobytes(), raw.tobytes(), raw.shape
    )


def assert_matches_truth(got, tr, u, what, lenient=False, c=C):
    """Check ``got`` against Truth ``tr`` under the tolerance model above."""
    got = np.asarray(got)
    assert got.shape == tr.value.shape, (what, got.shape, tr.value.shape)
    fi = np.finfo(got.dtype if got.dtype.kind == "f" else np.float64)
    g = got.astype(np.float64)
    v = tr.value
    scale = tr.lenient if lenient else tr.strict
    with np.errstate(invalid="ignore", over="ignore"):
        tol = c * u * scale + c * float(fi.tiny)
        err = np.abs(g - v)
        over = np.isinf(v) | (np.abs(v) - tol > float(fi.max))
        maybe_over = ~over & (np.abs(v) + tol > float(fi.max))
        inf_ok = np.isinf(g) & (np.sign(g) == np.sign(v))
        ok = np.where(
            over,
            inf_ok,
            # an exact match passes even where the scale (hence tol) is NaN,
            # e.g. 0 * inf in the term scale of a zero-weight sample
            (np.isfinite(g) & ((err <= tol) | (g == v))) | (maybe_over & inf_ok),
        )
        # weight 0 times an overflowed (inf) term is NaN on both sides, as in
        # scikit-learn's sample-weight convention
        ok |= np.isnan(g) & np.isnan(v)
    if not np.all(ok):
        bad = np.flatnonzero(~ok.ravel())
        i = bad[0]
        raise AssertionError(
            f"{what}: {bad.size}/{ok.size} values outside tolerance; first at flat "
            f"index {i}: got {g.ravel()[i]!r}, true {v.ravel()[i]!r}, "
            f"|err|={err.ravel()[i]:.3g}, tol={tol.ravel()[i]:.3g} "
            f"({'overflow expected' if over.ravel()[i] else 'finite expected'})"
        )


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------

DTYPE_CASES = {
    # name: (y dtype, raw dtype, weight dtype); "mixed" promotes to float64
    "in32": (np.float32, np.float32, np.float32),
    "in64": (np.float64, np.float64, np.float64),
    "mixed": (np.float64, np.float32, np.float32),
}


def _data(cfg, n=N_SAMPLES):
    y, raw = make_data(cfg, n=n, seed=zlib.crc32(config_id(cfg).encode()))
    return y, raw


def _weights(n, seed=7):
    w = np.random.default_rng(seed).uniform(0.0, 3.0, size=n)
    w[::7] = 0.0
    w[1::11] = 1.0
    return w.astype(np.float32).astype(np.float64)


def _unit(in_case, out_dtype):
    common32 = in_case == "in32"
    return U32 if (common32 or out_dtype == np.float32) else U64


def _label(cfg, *extra):
    return " ".join([config_id(cfg), *map(str, extra)])


# ---------------------------------------------------------------------------
# 1. every method x dtype combination x weights, against mpmath
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("out_dtype", [np.float32, np.float64], ids=["out32", "out64"])
@pytest.mark.parametrize("in_case", list(DTYPE_CASES))
@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
def test_methods_against_truth(cfg, in_case, out_dtype, weighted):
    name, _, params, _, _ = cfg
    loss = _make_loss(cfg)
    y64, raw64 = _data(cfg)
    n = y64.shape[0]
    yt, rt, wt = DTYPE_CASES[in_case]
    y, raw = y64.astype(yt), raw64.astype(rt)
    w = _weights(n).astype(wt) if weighted else None
    common = np.result_type(yt, rt, *([wt] if weighted else []))
    u = _unit(in_case, out_dtype)
    T = {k: t.weighted(w) for k, t in truth(name, params, y64, raw64).items()}
    gshape = raw.shape if name == "multinomial_loss" else (n,)
    lbl = _label(cfg, in_case, np.dtype(out_dtype).name, "w" if weighted else "")

    def out(shape):  # NaN-filled: an element the kernel forgets shows up
        return np.full(shape, np.nan, dtype=out_dtype)

    lo_out = out((n,))
    lo = loss.loss(y, raw, w, loss_out=lo_out)
    assert lo is lo_out
    np.testing.assert_array_equal(
        loss.loss(y, raw, w, loss_out=out((n,)), reduction="none"), lo, err_msg=lbl + ' reduction="none"'
    )
    assert_matches_truth(lo, T["loss"], u, lbl + " loss()")

    g_out = out(gshape)
    g = loss.gradient(y, raw, w, gradient_out=g_out)
    assert g is g_out
    assert_matches_truth(g, T["grad"], u, lbl + " gradient()")

    lg_l, lg_g = loss.loss_gradient(y, raw, w, loss_out=out((n,)), gradient_out=out(gshape))
    gh_g, gh_h = loss.gradient_hessian(y, raw, w, gradient_out=out(gshape), hessian_out=out(gshape))
    assert_matches_truth(gh_h, T["hess"], u, lbl + " gradient_hessian() hessian")

    # one per-sample formula behind every method: identical bits
    np.testing.assert_array_equal(lg_l, lo, err_msg=lbl + " loss_gradient loss vs loss()")
    np.testing.assert_array_equal(lg_g, g, err_msg=lbl + " loss_gradient grad vs gradient()")
    np.testing.assert_array_equal(gh_g, g, err_msg=lbl + " gradient_hessian grad vs gradient()")

    if name == "multinomial_loss":
        gp_g, gp_p = loss.gradient_proba(y, raw, w, gradient_out=out(gshape), proba_out=out(gshape))
        np.testing.assert_array_equal(gp_g, g, err_msg=lbl + " gradient_proba grad vs gradient()")
        # probabilities are not weighted
        assert_matches_truth(gp_p, truth(name, params, y64, raw64)["proba"], u, lbl + " proba")

    # without out arrays: the common float dtype, and the same bits as with
    # out arrays of that dtype
    lo_d = loss.loss(y, raw, w)
    g_d = loss.gradient(y, raw, w)
    assert lo_d.dtype == common and g_d.dtype == common, (lbl, lo_d.dtype, g_d.dtype, common)
    if np.dtype(out_dtype) == common:
        np.testing.assert_array_equal(lo_d, lo, err_msg=lbl + " default out")
        np.testing.assert_array_equal(g_d, g, err_msg=lbl + " default out")

    # weighting is one multiplication of the unweighted double result
    if weighted and in_case != "in32" and out_dtype == np.float64:
        w64 = w.astype(np.float64)
        wg = w64[:, None] if g.ndim == 2 else w64
        np.testing.assert_array_equal(lo, w64 * loss.loss(y, raw, loss_out=out((n,))))
        np.testing.assert_array_equal(g, wg * loss.gradient(y, raw, gradient_out=out(gshape)))
        np.testing.assert_array_equal(
            gh_h, wg * loss.gradient_hessian(y, raw, gradient_out=out(gshape), hessian_out=out(gshape))[1]
        )


@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
def test_reference_against_truth(cfg):
    """The oracle itself, on the same data, to the same strict tolerance."""
    name, _, params, _, _ = cfg
    y, raw = _data(cfg)
    T = truth(name, params, y, raw)
    lbl = _label(cfg, "reference")
    assert_matches_truth(ref.loss(name, y, raw, **params), T["loss"], U64, lbl + " loss")
    assert_matches_truth(ref.gradient(name, y, raw, **params), T["grad"], U64, lbl + " gradient")
    assert_matches_truth(ref.hessian(name, y, raw, **params), T["hess"], U64, lbl + " hessian")


# ---------------------------------------------------------------------------
# 2. reductions and __call__
# ---------------------------------------------------------------------------


def _sum_tolerance(T, u_in, n):
    # per-sample errors add up; the float64 accumulation of n terms adds at
    # most n u64 sum|terms| (the recursive-summation bound)
    return C * u_in * np.sum(T.strict) + n * U64 * np.sum(np.abs(T.value)) + C * 2.0**-1022


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("in_case", ["in32", "in64"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
def test_reductions_against_truth(cfg, in_case, weighted):
    name, _, params, _, _ = cfg
    loss = _make_loss(cfg)
    y64, raw64 = _data(cfg)
    n = y64.shape[0]
    yt, rt, wt = DTYPE_CASES[in_case]
    y, raw = y64.astype(yt), raw64.astype(rt)
    w = _weights(n).astype(wt) if weighted else None
    u_in = U32 if in_case == "in32" else U64
    T = {k: t.weighted(w) for k, t in truth(name, params, y64, raw64).items()}
    lbl = _label(cfg, in_case, "w" if weighted else "")

    true_sum = math.fsum(T["loss"].value)
    w_sum = float(np.sum(w, dtype=np.float64)) if weighted else float(n)
    tol_sum = _sum_tolerance(T["loss"], u_in, n)

    s = loss.loss(y, raw, w, reduction="sum")
    assert isinstance(s, float), (lbl, type(s))
    assert abs(s - true_sum) <= tol_sum, (lbl, "sum", s, true_sum, tol_sum)

    mean = loss.loss(y, raw, w, reduction="mean")
    assert isinstance(mean, float)
    true_mean = true_sum / w_sum
    tol_mean = tol_sum / w_sum + abs(true_mean) * (n + 2) * U64
    assert abs(mean - true_mean) <= tol_mean, (lbl, "mean", mean, true_mean, tol_mean)

    # loss_gradient's reductions: the same float, and the gradient of that float
    s2, g_sum = loss.loss_gradient(y, raw, w, reduction="sum")
    m2, g_mean = loss.loss_gradient(y, raw, w, reduction="mean")
    assert s2 == s and m2 == mean, (lbl, s2, s, m2, mean)
    g_none = loss.gradient(y, raw, w)
    np.testing.assert_array_equal(g_sum, g_none, err_msg=lbl + " sum-gradient == w * g")
    u_out = U32 if g_mean.dtype == np.float32 else U64
    gm = T["grad"]
    tr_mean = Truth(gm.value / w_sum, gm.strict / w_sum, gm.lenient / w_sum)
    assert_matches_truth(g_mean, tr_mean, max(u_in, u_out), lbl + " mean-gradient", c=C + 4)

    # __call__: the weighted mean loss, as a Python float
    c = loss(y, raw, w)
    assert isinstance(c, float)
    assert abs(c - true_mean) <= tol_mean, (lbl, "__call__", c, true_mean, tol_mean)


_EMPTY_CASES = [
    c for c in CONFIGS
    if config_id(c) in ("squared_error", "binomial_loss", "multinomial_loss-n_classes=3", "tweedie_loss-power=1.5")
]


@pytest.mark.parametrize("cfg", _EMPTY_CASES, ids=config_id)
def test_reductions_empty(cfg):
    loss = _make_loss(cfg)
    name = cfg[0]
    y = np.zeros(0)
    raw = np.zeros((0, cfg[2]["n_classes"])) if name == "multinomial_loss" else np.zeros(0)
    for red in ("sum", "mean"):
        assert loss.loss(y, raw, reduction=red) == 0.0
        assert loss.loss(y, raw, np.zeros(0), reduction=red) == 0.0
        val, g = loss.loss_gradient(y, raw, reduction=red)
        assert val == 0.0 and g.shape == raw.shape


# ---------------------------------------------------------------------------
# 3. against scikit-learn (float64, its textbook formulas: lenient scale)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
def test_methods_against_sklearn(cfg, weighted):
    skl = pytest.importorskip("sklearn._loss.loss")
    name, cls_name, params, _, _ = cfg
    loss = _make_loss(cfg)
    sk = getattr(skl, cls_name)(**params)
    y, raw = _data(cfg)
    w = _weights(y.shape[0]) if weighted else None
    T = {k: t.weighted(w) for k, t in truth(name, params, y, raw).items()}
    lbl = _label(cfg, "vs sklearn", "w" if weighted else "")
    # |fastloss - sklearn| <= |fastloss - truth| + |truth - sklearn|: both
    # within C u lenient-scale, hence 2 C.
    pairs = [
        (loss.loss(y, raw, w), sk.loss(y, raw, w), "loss", "loss"),
        (loss.gradient(y, raw, w), sk.gradient(y, raw, w), "grad", "gradient"),
        (loss.loss_gradient(y, raw, w)[0], sk.loss_gradient(y, raw, w)[0], "loss", "loss_gradient[0]"),
        (loss.loss_gradient(y, raw, w)[1], sk.loss_gradient(y, raw, w)[1], "grad", "loss_gradient[1]"),
        (loss.gradient_hessian(y, raw, w)[0], sk.gradient_hessian(y, raw, w)[0], "grad", "gradient_hessian[0]"),
        (loss.gradient_hessian(y, raw, w)[1], sk.gradient_hessian(y, raw, w)[1], "hess", "gradient_hessian[1]"),
    ]
    if name == "multinomial_loss":
        fg, fp = loss.gradient_proba(y, raw, w)
        sg, sp = sk.gradient_proba(y, raw, w)
        pairs += [(fg, sg, "grad", "gradient_proba[0]")]
        tp = truth(name, params, y, raw)["proba"]
        assert_matches_truth(fp, Truth(sp, tp.strict, tp.lenient), U64, lbl + " proba", lenient=True, c=2 * C)
    for got, expected, key, what in pairs:
        tr = T[key]
        assert_matches_truth(
            got, Truth(np.asarray(expected, dtype=np.float64), tr.strict, tr.lenient),
            U64, f"{lbl} {what}", lenient=True, c=2 * C,
        )
    # __call__ is the weighted mean
    fl_call, sk_call = loss(y, raw, w), sk(y, raw, w)
    n = y.shape[0]
    tol = 2 * C * U64 * np.sum(T["loss"].lenient) / (np.sum(w) if weighted else n) + 4 * n * U64 * abs(sk_call)
    assert abs(fl_call - sk_call) <= tol, (lbl, fl_call, sk_call, tol)


# ---------------------------------------------------------------------------
# 4. derivatives against finite differences (float64)
# ---------------------------------------------------------------------------
# Five-point central stencil  D f = [f(r-2h) - 8 f(r-h) + 8 f(r+h) - f(r+2h)] / 12h
# with truncation error h^4 / 30 * f^(5) and rounding error <= 1.5 eps_f / h.
# Steps are powers of two and the raw values float32-exact (24 significant
# bits), so r +- h, r +- 2h are exact in float64.  h = 2^-10 (relative to r for
# the identity-link Tweedie losses, whose derivatives scale like r^-k):
# truncation ~ 1e-12 * 2.5^5 e^{2.5 r}-type fifth derivatives, rounding
# ~ 1.5 * 16 u / 2^-10 ~ 3e-12 of the loss's term scale.  The truncation
# part is < 1e-10 of |f| + |f'| + |f''| on this data, so rtol 1e-8 has a 100x
# margin; the rounding part is added explicitly (it dominates where the loss
# is a small difference of large terms, e.g. the multinomial loss m + log(s)
# - r_y near p_y = 1).  A wrong derivative (a sign, a factor, a dropped term)
# is off by O(1).
# Points within 3h of a kink (|r - y| = 0 for absolute / pinball / Huber,
# |r - y| = delta for Huber) are left out.  Absolute error and pinball
# hessians are conventions (1), not derivatives, and are not checked.

FD_RTOL = 1e-8
IMPLS = ["reference", "fastloss"]


def _impl_functions(impl, cfg):
    name, _, params, _, _ = cfg
    if impl == "reference":
        return (
            lambda y, r: ref.loss(name, y, r, **params),
            lambda y, r: ref.gradient(name, y, r, **params),
            lambda y, r: ref.hessian(name, y, r, **params),
        )
    loss = _make_loss(cfg)
    return (
        lambda y, r: loss.loss(y, r),
        lambda y, r: loss.gradient(y, r),
        lambda y, r: loss.gradient_hessian(y, r)[1],
    )


def _fd(f, y, raw, h, col=None):
    def shifted(k):
        r = raw.copy()
        if col is None:
            r = r + k * h
        else:
            r[:, col] = r[:, col] + k * h
        return f(y, r)

    return (shifted(-2) - 8 * shifted(-1) + 8 * shifted(1) - shifted(2)) / (12 * h)


def _fd_sample(cfg):
    name, _, params, _, rawdom = cfg
    y, raw = make_data(cfg, n=300, seed=11)
    if rawdom == "pos":  # identity-link Tweedie: relative step
        h = 2.0 ** (np.floor(np.log2(raw)) - 10)
    else:
        h = np.full(raw.shape[0], 2.0**-10)
    keep = np.ones(y.shape[0], dtype=bool)
    if name in ("absolute_error", "pinball_loss", "huber_loss"):
        keep &= np.abs(raw - y) > 3 * h
    if name == "huber_loss":
        keep &= np.abs(np.abs(raw - y) - params["delta"]) > 3 * h
    return y[keep], raw[keep], h[keep]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
def test_derivatives_against_finite_differences(cfg, impl):
    name, _, params, _, _ = cfg
    f, g, hs = _impl_functions(impl, cfg)
    y, raw, h = _fd_sample(cfg)
    lbl = _label(cfg, impl)
    lo, gr, he = f(y, raw), g(y, raw), hs(y, raw)
    # the stencil's rounding error: 1.5 * (error of one evaluation) / h, the
    # evaluation error being <= C u (lenient term scale) for either side
    if name == "multinomial_loss":
        s_lo, s_g, _ = _tr._multinomial_scale(y, raw)
        s_lo = s_lo[:, None]
        hh = h[:, None]
        size = np.abs(lo)[:, None] + np.abs(gr) + np.abs(he)
    else:
        s_lo, s_g, _ = _tr._term_scale(name, y, raw, params)
        hh = h
        size = np.abs(lo) + np.abs(gr) + np.abs(he)
    tol_g = FD_RTOL * size + 1.5 * C * U64 * s_lo / hh
    tol_h = FD_RTOL * size + 1.5 * C * U64 * s_g / hh + 1e-300
    if name == "multinomial_loss":
        for k in range(raw.shape[1]):
            fd_g = _fd(f, y, raw, h, col=k)
            np.testing.assert_array_less(np.abs(fd_g - gr[:, k]), tol_g[:, k], err_msg=f"{lbl} grad class {k}")
            fd_h = _fd(lambda yy, rr: g(yy, rr)[:, k], y, raw, h, col=k)
            np.testing.assert_array_less(np.abs(fd_h - he[:, k]), tol_h[:, k], err_msg=f"{lbl} hess class {k}")
        return
    fd_g = _fd(f, y, raw, h)
    np.testing.assert_array_less(np.abs(fd_g - gr), tol_g, err_msg=lbl + " gradient vs FD of loss")
    if name not in ("absolute_error", "pinball_loss"):
        fd_h = _fd(g, y, raw, h)
        np.testing.assert_array_less(np.abs(fd_h - he), tol_h, err_msg=lbl + " hessian vs FD of gradient")


# ---------------------------------------------------------------------------
# 5. extreme raw predictions against mpmath (float64)
# ---------------------------------------------------------------------------

RAW_EXTREME = np.concatenate(
    [[-1e20, -1e3, -40.0, 40.0, 1e3, 1e20], np.arange(-200, 201) * 0.25]
)

EXTREME_CASES = [
    ("binomial_loss", "HalfBinomialLoss", {}, [0.0, 1.0, 0.25]),
    ("exponential_loss", "ExponentialLoss", {}, [0.0, 1.0, 0.25]),
    ("poisson_loss", "HalfPoissonLoss", {}, [0.0, 1.0, 3.5]),
    ("gamma_loss", "HalfGammaLoss", {}, [0.125, 1.0, 3.5]),
] + [
    ("tweedie_loss", "HalfTweedieLoss", {"power": p},
     ([-1.5] if p <= 0 else []) + ([0.0] if p < 2 else []) + [1.0, 3.5])
    for p in TWEEDIE_POWERS
]


def _extreme_id(case):
    name, _, params, _ = case
    return name + "".join(f"-{k}={v}" for k, v in params.items())


def _extreme_data(case):
    ys = case[3]
    y = np.repeat(np.array(ys, dtype=np.float64), RAW_EXTREME.size)
    raw = np.tile(RAW_EXTREME, len(ys))
    return y, raw


@pytest.mark.parametrize(
    "impl, out_dtype",
    [("reference", np.float64), ("fastloss", np.float64), ("fastloss", np.float32)],
    ids=["reference", "fastloss-out64", "fastloss-out32"],
)
@pytest.mark.parametrize("case", EXTREME_CASES, ids=_extreme_id)
def test_extreme_raw_against_mpmath(case, impl, out_dtype):
    name, cls_name, params, _ = case
    y, raw = _extreme_data(case)
    T = truth(name, params, y, raw)
    lbl = f"{_extreme_id(case)} {impl} {np.dtype(out_dtype).name}"
    if impl == "reference":
        lo, gr, he = (fn(name, y, raw, **params) for fn in (ref.loss, ref.gradient, ref.hessian))
        u = U64
    else:
        loss = getattr(_fastloss(), cls_name)(**params)
        n = y.shape[0]
        lo = loss.loss(y, raw, loss_out=np.full(n, np.nan, out_dtype))
        gr, he = loss.gradient_hessian(
            y, raw, gradient_out=np.full(n, np.nan, out_dtype), hessian_out=np.full(n, np.nan, out_dtype)
        )
        l2, g2 = loss.loss_gradient(y, raw, loss_out=np.full(n, np.nan, out_dtype), gradient_out=np.full(n, np.nan, out_dtype))
        np.testing.assert_array_equal(l2, lo, err_msg=lbl)
        np.testing.assert_array_equal(g2, gr, err_msg=lbl)
        u = U64 if out_dtype == np.float64 else U32
    assert_matches_truth(lo, T["loss"], u, lbl + " loss")
    assert_matches_truth(gr, T["grad"], u, lbl + " gradient")
    assert_matches_truth(he, T["hess"], u, lbl + " hessian")


_MULTI_VALUES = [-1e20, -1e3, -50.0, -40.0, -12.5, -1.0, 0.0, 1.0, 12.5, 40.0, 50.0, 1e3, 1e20]


def _multinomial_extreme_data():
    rows, labels = [], []
    for a in _MULTI_VALUES:
        for b in _MULTI_VALUES:
            for lab in (0, 1, 2):
                rows.append([a, b, 0.0])
                labels.append(float(lab))
    return np.array(labels), np.array(rows)


@pytest.mark.parametrize("impl", IMPLS)
def test_multinomial_extreme_raw_against_mpmath(impl):
    y, raw = _multinomial_extreme_data()
    T = truth("multinomial_loss", {}, y, raw)
    if impl == "reference":
        lo, gr, he = (fn("multinomial_loss", y, raw) for fn in (ref.loss, ref.gradient, ref.hessian))
        proba = None
    else:
        loss = _fastloss().HalfMultinomialLoss(n_classes=3)
        lo = loss.loss(y, raw)
        gr, he = loss.gradient_hessian(y, raw)
        g2, proba = loss.gradient_proba(y, raw)
        np.testing.assert_array_equal(g2, gr)
        np.testing.assert_array_equal(loss.loss_gradient(y, raw)[0], lo)
        np.testing.assert_array_equal(loss.loss_gradient(y, raw)[1], gr)
    assert_matches_truth(lo, T["loss"], U64, f"multinomial {impl} loss")
    assert_matches_truth(gr, T["grad"], U64, f"multinomial {impl} gradient")
    assert_matches_truth(he, T["hess"], U64, f"multinomial {impl} hessian")
    if proba is not None:
        assert_matches_truth(proba, T["proba"], U64, f"multinomial {impl} proba")


# ---------------------------------------------------------------------------
# 6. property-based: kernels vs the reference on structured random inputs
# ---------------------------------------------------------------------------

_finite = dict(allow_nan=False, allow_infinity=False)
_Y_STRATEGY = {
    "real": st.floats(-1e3, 1e3, **_finite),
    "nonneg": st.one_of(st.just(0.0), st.floats(0.0, 1e3, **_finite)),
    "pos": st.floats(1e-6, 1e3, **_finite),
    "unit": st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0, **_finite)),
}


def _raw_strategy(cfg):
    name, _, _, _, rawdom = cfg
    if rawdom == "pos":
        return st.floats(1e-3, 1e3, **_finite)
    if rawdom == "near_y":
        return st.floats(-1e3, 1e3, **_finite)
    if name == "binomial_loss":
        return st.floats(-60.0, 60.0, **_finite)
    return st.floats(-30.0, 30.0, **_finite)


@st.composite
def _problem(draw):
    cfg = draw(st.sampled_from(CONFIGS))
    name, _, params, ydom, _ = cfg
    n = draw(st.integers(1, 24))
    if name == "multinomial_loss":
        k = params["n_classes"]
        y = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), dtype=np.float64)
        raw = np.array(
            draw(st.lists(st.floats(-50.0, 50.0, **_finite), min_size=n * k, max_size=n * k))
        ).reshape(n, k)
    else:
        y = np.array(draw(st.lists(_Y_STRATEGY[ydom], min_size=n, max_size=n)))
        raw = np.array(draw(st.lists(_raw_strategy(cfg), min_size=n, max_size=n)))
        if draw(st.booleans()):  # ties raw == y: kinks and minima
            m = min(n, draw(st.integers(1, 4)))
            if cfg[4] != "pos" or np.all(y[:m] > 0):
                raw[:m] = y[:m]
    w = None
    if draw(st.booleans()):
        w = np.array(draw(st.lists(st.floats(0.0, 10.0, **_finite), min_size=n, max_size=n)))
    return cfg, y, raw, w


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_problem())
def test_kernels_match_reference_property(problem):
    cfg, y, raw, w = problem
    name, _, params, _, _ = cfg
    loss = _make_loss(cfg)
    lbl = _label(cfg, "hypothesis")
    r_lo, r_g = ref.loss_gradient(name, y, raw, sample_weight=w, **params)
    r_h = ref.hessian(name, y, raw, **params)
    if w is not None:
        r_h = r_h * (w[:, None] if r_h.ndim == 2 else w)
    lo, g = loss.loss_gradient(y, raw, w)
    g2, h = loss.gradient_hessian(y, raw, w)
    np.testing.assert_array_equal(g2, g, err_msg=lbl)
    np.testing.assert_array_equal(loss.loss(y, raw, w), lo, err_msg=lbl)
    np.testing.assert_array_equal(loss.gradient(y, raw, w), g, err_msg=lbl)
    # both sides within C u of the truth in the lenient term scale (NumPy's
    # evaluation of that scale, from test_reference.py)
    if name == "multinomial_loss":
        s_lo, s_g, s_h = _tr._multinomial_scale(y, raw)
    else:
        s_lo, s_g, s_h = _tr._term_scale(name, y, raw, params)
    ww = np.ones_like(y) if w is None else w
    wg = ww[:, None] if g.ndim == 2 else ww
    for got, exp_, sc, what in ((lo, r_lo, ww * s_lo, "loss"), (g, r_g, wg * s_g, "gradient"), (h, r_h, wg * s_h, "hessian")):
        assert_matches_truth(got, Truth(exp_, sc, sc), U64, f"{lbl} {what} vs reference", c=2 * C)
