"""The inline exp/log/log1p of fastloss/_kernels/simd_math.h hold their stated
error bound (2 ulp, in the output's precision) against mpmath, in every
instruction-set variant this machine can run, and follow C99 at special values.

The functions are called through the kernels' test hooks ``_vec_<fn>``, which
run them in the same kind of loop as the loss kernels, so the vectorised code
(not a scalar fallback) is what is measured.
"""

import numpy as np
import pytest

from fastloss._kernels import available_variants, load

mpmath = pytest.importorskip("mpmath")

# The bound stated in simd_math.h.  Measured maxima on the grids below are
# about 1.0 ulp (float64) and 1.1 ulp (float32).
MAX_ULP = 2.0

VARIANTS = available_variants()
DTYPES = [np.float64, np.float32]
FUNCTIONS = {"exp": mpmath.exp, "log": mpmath.log, "log1p": mpmath.log1p,
             "log1p_unit": mpmath.log1p}


def _grid(fn, dtype, rng):
    if dtype == np.float64:
        exp_lo, exp_hi, log_lo, log_hi = -745.0, 709.7, -744.0, 709.0
    else:
        exp_lo, exp_hi, log_lo, log_hi = -103.0, 88.7, -103.0, 88.0
    if fn == "exp":
        x = np.concatenate([
            rng.uniform(exp_lo, exp_hi, 1500),   # whole range, incl. subnormal results
            rng.uniform(-1, 1, 500),             # around 0
            np.linspace(-50, 50, 401),           # the losses' typical raw range
        ])
    elif fn == "log":
        x = np.concatenate([
            np.exp(rng.uniform(log_lo, log_hi, 1500)),
            rng.uniform(0.5, 2.0, 500),          # around 1, where log is small
            [np.finfo(dtype).tiny / 4, np.finfo(dtype).tiny, np.finfo(dtype).max],
        ])
    elif fn == "log1p_unit":                     # the binomial loss's log1p(e), e in (0, 1]
        x = np.concatenate([
            rng.uniform(0.0, 1.0, 1000),
            np.exp(rng.uniform(-60, 0, 1000)),
            [0.0, 1.0, np.sqrt(2.0) - 1.0],
        ])
    else:
        x = np.concatenate([
            rng.uniform(-0.999, 1.0, 1000),
            np.exp(rng.uniform(-60, 5, 1000)),   # tiny to moderate
            -np.exp(rng.uniform(-60, -0.01, 300)),
        ])
    return x.astype(dtype)


def _ulp_errors(got, x, fn, dtype):
    mpmath.mp.dps = 40
    f = FUNCTIONS[fn]
    errs = np.empty(x.size)
    for i, v in enumerate(x.astype(np.float64)):
        exact = f(mpmath.mpf(float(v)))
        rounded = dtype(float(exact))            # the correctly rounded answer
        if not np.isfinite(rounded) or rounded == 0:
            errs[i] = 0.0 if got[i] == rounded else np.inf
            continue
        ulp = float(np.spacing(np.abs(rounded)))
        errs[i] = abs(float(mpmath.mpf(float(got[i])) - exact)) / ulp
    return errs


@pytest.mark.parametrize("isa", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("fn", sorted(FUNCTIONS))
def test_error_bound_against_mpmath(isa, dtype, fn):
    mod = load(isa)
    x = _grid(fn, dtype, np.random.default_rng(0))
    out = np.empty_like(x)
    getattr(mod, f"_vec_{fn}")(x, out)
    errs = _ulp_errors(out, x, fn, dtype)
    worst = int(np.argmax(errs))
    assert errs[worst] <= MAX_ULP, (
        f"{isa} {fn}({x[worst]!r}) = {out[worst]!r}: {errs[worst]:.2f} ulp > {MAX_ULP}"
    )


SPECIAL = {
    # -nan: NaN with the sign bit set (the clamp on the bit pattern maps it
    # below the range, fl_nan_pass must restore it)
    "exp": [(np.inf, np.inf), (-np.inf, 0.0), (np.nan, np.nan), (-np.nan, np.nan),
            (0.0, 1.0), (1000.0, np.inf), (-1000.0, 0.0)],
    "log": [(0.0, -np.inf), (-1.0, np.nan), (np.inf, np.inf), (np.nan, np.nan),
            (1.0, 0.0), (-np.inf, np.nan)],
    "log1p": [(-1.0, -np.inf), (0.0, 0.0), (np.inf, np.inf), (np.nan, np.nan),
              (-2.0, np.nan), (1e-30, 1e-30)],
}


@pytest.mark.parametrize("isa", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("fn", sorted(SPECIAL))
def test_special_values(isa, dtype, fn):
    mod = load(isa)
    x = np.array([a for a, _ in SPECIAL[fn]], dtype=dtype)
    expected = np.array([b for _, b in SPECIAL[fn]], dtype=dtype)
    out = np.empty_like(x)
    getattr(mod, f"_vec_{fn}")(x, out)
    np.testing.assert_array_equal(out, expected)


def test_best_variant_is_selected():
    from fastloss._kernels import kernels

    assert kernels.build_isa() == VARIANTS[0]
    assert "baseline" in VARIANTS


@pytest.mark.parametrize("isa", VARIANTS)
def test_every_variant_matches_the_reference(isa):
    """The losses computed by each instruction-set variant agree with the NumPy
    reference (the test suite otherwise exercises only the selected one)."""
    import fastloss
    from fastloss import reference

    mod = load(isa)
    rng = np.random.default_rng(1)
    n = 5000
    raw = rng.normal(scale=3, size=n)
    cases = {
        "poisson_loss": rng.poisson(2.0, n).astype(float),
        "gamma_loss": rng.gamma(2.0, size=n) + 0.1,
        "binomial_loss": rng.integers(0, 2, n).astype(float),
        "exponential_loss": rng.random(n),
        "tweedie_loss": rng.poisson(2.0, n).astype(float),
    }
    for name, y in cases.items():
        loss = fastloss.get_loss(name)
        loss.closs = getattr(mod, type(loss.closs).__name__)(loss.closs.p0, loss.closs.p1)
        lo, g = loss.loss_gradient(y, raw)
        rlo, rg = reference.loss_gradient(name, y, raw, **({"power": 1.5} if name == "tweedie_loss" else {}))
        # 1e-12 relative to the size of the terms: a few ulp of a few terms;
        # the detailed ulp accounting lives in test_numerics.py.
        scale = np.abs(rlo) + np.abs(y * raw) + 1
        np.testing.assert_array_less(np.abs(lo - rlo), 1e-12 * scale, err_msg=f"{isa} {name} loss")
        np.testing.assert_array_less(np.abs(g - rg), 1e-12 * (np.abs(rg) + np.abs(y) + 1), err_msg=f"{isa} {name} gradient")


@pytest.mark.parametrize("isa", VARIANTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_exp_nonpos(isa, dtype):
    """exp for x <= 0 (the softmax, the binomial's exp(-|r|)): the same 2 ulp
    bound as exp, also where the result is subnormal (rounded once, not
    flushed to 0), and C99 special values."""
    mod = load(isa)
    rng = np.random.default_rng(3)
    lowest = -745.2 if dtype == np.float64 else -103.9    # exp rounds to 0 below
    lowest_normal = float(np.log(np.finfo(dtype).tiny))   # normal results above
    x = np.concatenate([
        rng.uniform(lowest, 0.0, 2000),
        np.linspace(lowest, lowest_normal, 400),          # subnormal results
        np.linspace(-50, 0, 201),
        -np.exp(rng.uniform(-40, 0, 300)),       # tiny |x|: exp(x) just below 1
        [0.0, -0.0, lowest_normal, -5e-324, -1000.0, -np.finfo(dtype).max],
    ]).astype(dtype)
    out = np.empty_like(x)
    mod._vec_exp_nonpos(x, out)
    errs = _ulp_errors(out, x, "exp", dtype)
    worst = int(np.argmax(errs))
    assert errs[worst] <= MAX_ULP, f"{isa} exp_nonpos({x[worst]!r}): {errs[worst]:.2f} ulp"
    # the same results as the general exp on the same inputs, to its bound
    ref = np.empty_like(x)
    mod._vec_exp(x, ref)
    tiny = np.finfo(dtype).smallest_subnormal
    np.testing.assert_array_less(np.abs(out - ref), 2 * MAX_ULP * np.spacing(ref) + tiny)

    special = np.array([-np.inf, np.nan, -np.nan, 0.0], dtype=dtype)
    assert np.signbit(special[2])
    got = np.empty_like(special)
    mod._vec_exp_nonpos(special, got)
    np.testing.assert_array_equal(got, [0.0, np.nan, np.nan, 1.0])
