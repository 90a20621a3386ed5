"""The softmax steps of the multinomial loss for every number of classes.

On AVX-512 builds the row-major block (C-ordered raw_prediction) takes its
maxima, x - max, sums and gradient rows one masked vector per row
(fastloss/_kernels/multinomial_simd.h: chunks of 16 float32 / 8 float64 lanes,
the last one masked), and the class-major block (F-ordered raw) adds its sums
in that same lane order; the other builds run the plain loops of
multinomial_rows.  Each must give
exactly the bits of its operations emulated in NumPy, and the NumPy
reference's values.  The class counts below cover one partial chunk, exact
chunks, several chunks and a masked tail after full chunks, in both dtypes.
"""

import numpy as np
import pytest

import fastloss
from fastloss import reference
from fastloss._kernels import available_variants, load

KS = [1, 2, 3, 4, 5, 7, 8, 9, 10, 15, 16, 17, 24, 33]
N = 203   # 12 blocks of 16 rows and a short block of 11 (zero-padded)


def _data(K, dtype, seed=0):
    rng = np.random.default_rng(seed + K)
    scale = rng.choice([0.1, 1.0, 10.0, 40.0], size=(N, 1))
    raw = rng.normal(size=(N, K)) * scale
    y = rng.integers(0, K, N).astype(float)
    raw[3] = 7.5                       # a row of equal values
    raw[4, 0] = 1e30                   # one huge value: p is one-hot
    raw[5, -1] = np.nan                # NaN in the last class: a NaN row
    raw[6, 0] = np.inf                 # +inf: inf - inf, a NaN row
    y[7] = K                           # invalid labels: NaN rows, counted
    y[8] = 0.5
    return y.astype(dtype), raw.astype(dtype)


def _outputs(mod, y, raw, sw, out_order="C"):
    """loss_gradient, gradient, gradient_hessian and gradient_proba of the
    compiled kernel (no validation) of one instruction-set variant, with 2-D
    outputs in out_order; also (keys "more_*") loss, loss_sum and
    loss_gradient_sum, which _emulate does not cover."""
    k = mod.CyHalfMultinomialLoss()
    n, K = raw.shape

    def empty2():
        return np.empty((n, K), raw.dtype, order=out_order)

    out = {}
    lo, g = np.empty(n, raw.dtype), empty2()
    out["n_bad"] = k.loss_gradient(y, raw, sw, lo, g, 1)
    out["lg_loss"], out["lg_grad"] = lo, g
    g = empty2()
    k.gradient(y, raw, sw, g, 1)
    out["g_grad"] = g
    g, h = empty2(), empty2()
    k.gradient_hessian(y, raw, sw, g, h, 1)
    out["gh_grad"], out["gh_hess"] = g, h
    g, p = empty2(), empty2()
    k.gradient_proba(y, raw, sw, g, p, 1)
    out["gp_grad"], out["gp_proba"] = g, p
    lo = np.empty(n, raw.dtype)
    k.loss(y, raw, sw, lo, 1)
    out["more_loss"] = lo
    parts = np.zeros(mod.n_blocks(n, True))
    k.loss_sum(y, raw, sw, parts, 1)
    out["more_loss_sum"] = parts
    parts, g = np.zeros(mod.n_blocks(n, True)), empty2()
    k.loss_gradient_sum(y, raw, sw, g, parts, 0.25, 1)
    out["more_lgs_sum"], out["more_lgs_grad"] = parts, g
    return out


def _emulate(mod, y, raw, sw):
    """The kernel's operations in NumPy, in the kernel's dtype and order, with
    the module's own exp and log (its test hooks): the expected bits.  The row
    sums are in lane order (16 float32 / 8 float64 slots, folded in halves)
    on the AVX-512 build, in class order on the others."""
    with np.errstate(invalid="ignore"):
        return _emulate_ops(mod, y, raw, sw)


def _emulate_ops(mod, y, raw, sw):
    dt = raw.dtype.type
    n, K = raw.shape
    m = raw.max(axis=1)
    e = np.empty(n * K, dt)
    mod._vec_exp_nonpos(np.ascontiguousarray(raw - m[:, None]).ravel(), e)
    e = e.reshape(n, K)
    lanes = {"avx512": (16, 8)}.get(mod.build_isa())
    if lanes is not None:
        W = lanes[0] if dt is np.float32 else lanes[1]
        slots = np.zeros((n, W), dt)
        for k in range(K):
            slots[:, k % W] += e[:, k]
        h = W // 2
        while h >= 1:
            slots[:, :h] = slots[:, :h] + slots[:, h:2 * h]
            h //= 2
        s = slots[:, 0].copy()
    else:
        s = e[:, 0].copy()
        for k in range(1, K):
            s = s + e[:, k]
    ls = np.empty(n, dt)
    mod._vec_log(s, ls)
    inv = dt(1) / s
    valid = (y >= 0) & (y <= K - 1) & (y == np.floor(y))
    lab = np.where(valid, y, 0).astype(np.int64)
    loss = ((m - raw[np.arange(n), lab]) + ls).astype(np.float64)
    loss[~valid] = np.nan
    inv[~valid] = np.nan
    proba = e * inv[:, None]
    onehot = (np.arange(K)[None, :] == lab[:, None]).astype(dt)
    grad = proba - onehot
    hess = proba * (dt(1) - proba)
    if sw is not None:
        loss = loss * sw.astype(np.float64)
        grad = grad * sw[:, None]
        hess = hess * sw[:, None]
    return {"lg_loss": loss.astype(dt), "lg_grad": grad, "g_grad": grad,
            "gh_grad": grad, "gh_hess": hess, "gp_grad": grad, "gp_proba": proba}


@pytest.mark.parametrize("isa", available_variants())
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("K", KS)
def test_bits_of_every_variant(K, dtype, isa):
    """Every instruction-set variant gives exactly the bits of its operations
    emulated in NumPy (_emulate), for C- and F-ordered raw and outputs,
    weighted or not: on AVX-512 this checks the masked-vector steps (tails,
    several chunks, the sum order, the gradient rows) of C-ordered raw and
    the class-major blocks of F-ordered raw, whose sums must follow the same
    lane order (mn_sum_lanes_cm); elsewhere the plain loops.  The methods
    that _emulate does not cover (loss, loss_sum, loss_gradient_sum) must give
    the same bits for every order as for C order."""
    mod = load(isa)
    y, raw = _data(K, dtype)
    sw = np.random.default_rng(K).uniform(0.5, 2.0, N).astype(dtype)
    for w in (None, sw):
        want = _emulate(mod, y, raw, w)
        first = None
        for order in ("C", "F"):
            for out_order in ("C", "F"):
                got = _outputs(mod, y, np.asarray(raw, order=order), w, out_order)
                assert got.pop("n_bad") == 2
                where = f"{isa} K={K} raw {order} out {out_order} weighted={w is not None}"
                for key in want:
                    np.testing.assert_array_equal(got[key], want[key], err_msg=f"{where}: {key}")
                if first is None:
                    first = got
                for key in got:
                    np.testing.assert_array_equal(got[key], first[key], err_msg=f"{where}: {key}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("K", KS)
def test_matches_the_reference_for_every_class_count(K, dtype):
    """The selected kernels against the NumPy reference (float64), on the
    finite rows with valid labels; the special rows are NaN.

    Tolerances.  float64: the loss is (m - x_label) + log(sum), a few
    roundings of terms up to |raw|, so 16 eps of (max |raw| of the row + 1);
    the gradient is a probability (<= 1) minus 0 or 1, with the exp's 2 ulp,
    K roundings in the sum and one in the division: (K + 8) eps absolute.
    float32: 4 float32 ulp of max(|value|, 1) from the float64 result (the
    bound stated in _lossmath.pxd and tested at K = 10 in
    test_accuracy_ulp.py)."""
    y, raw = _data(K, dtype)
    y[[7, 8]] = 0      # the validated API refuses invalid labels
    loss = fastloss.HalfMultinomialLoss(n_classes=K)
    lo, g = loss.loss_gradient(y, raw)
    _, h = loss.gradient_hessian(y, raw)
    bad = np.zeros(N, bool)
    bad[[5, 6]] = True
    assert np.isnan(lo[bad]).all() and np.isnan(g[bad]).all()
    assert np.isfinite(lo[~bad]).all() and np.isfinite(g[~bad]).all()
    yk, rk = y[~bad].astype(np.float64), raw[~bad].astype(np.float64)
    rlo, rg = reference.loss_gradient("multinomial_loss", yk, rk)
    rh = reference.hessian("multinomial_loss", yk, rk)
    if dtype == np.float64:
        eps = np.finfo(np.float64).eps
        tol_l = 16 * eps * (np.abs(rk).max(axis=1) + 1)
        np.testing.assert_array_less(np.abs(lo[~bad] - rlo), tol_l)
        np.testing.assert_array_less(np.abs(g[~bad] - rg), (K + 8) * eps)
        np.testing.assert_array_less(np.abs(h[~bad] - rh), (K + 8) * eps)
    else:
        lo64, g64 = fastloss.HalfMultinomialLoss(n_classes=K).loss_gradient(
            y.astype(np.float64), raw.astype(np.float64))
        for what, a, b in (("loss", lo[~bad], lo64[~bad]), ("gradient", g[~bad], g64[~bad])):
            unit = np.spacing(np.maximum(np.abs(b), 1.0).astype(np.float32)).astype(np.float64)
            err = np.abs(a.astype(np.float64) - b) / unit
            assert err.max() <= 4.0, f"K={K} float32 {what}: {err.max():.2f} ulp"
        # and the float64 kernel itself against the reference, as above
        eps = np.finfo(np.float64).eps
        np.testing.assert_array_less(np.abs(g64[~bad] - rg), (K + 8) * eps)
