"""Thread-count invariance and memory layouts.

Results (per-sample arrays and reductions) must be bitwise identical for every
``n_threads``, under threadpoolctl limits and OMP_NUM_THREADS, and for read-only,
memory-mapped, strided, Fortran-ordered and byte-swapped arrays.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastloss

N_BIG = 200_003  # spans many blocks and is a multiple of nothing useful
N_MED = 10_007
THREADS = [1, 2, 3, None, -1]

CONFIGS = [
    ("HalfSquaredError", {}),
    ("AbsoluteError", {}),
    ("PinballLoss", {"quantile": 0.25}),
    ("HuberLoss", {"quantile": 0.9, "delta": 0.5}),
    ("HalfPoissonLoss", {}),
    ("HalfGammaLoss", {}),
    ("HalfTweedieLoss", {"power": 1.5}),
    ("HalfTweedieLoss", {"power": 0.0}),
    ("HalfTweedieLossIdentity", {"power": 1.5}),
    ("HalfBinomialLoss", {}),
    ("ExponentialLoss", {}),
    ("HalfMultinomialLoss", {"n_classes": 3}),
]
MULTI = ("HalfMultinomialLoss", {"n_classes": 3})


def cfg_id(cfg):
    name, params = cfg
    return name + "".join(f"-{k}={v}" for k, v in params.items())


def make_loss(cfg):
    return getattr(fastloss, cfg[0])(**cfg[1])


def make_data(cfg, n, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    name, params = cfg
    if name == "HalfMultinomialLoss":
        y = rng.integers(0, params["n_classes"], n).astype(float)
        raw = rng.normal(size=(n, params["n_classes"])) * 2
    elif name in ("HalfBinomialLoss", "ExponentialLoss"):
        y = rng.integers(0, 2, n).astype(float)
        y[::5] = rng.uniform(0, 1, y[::5].size)
        raw = rng.normal(size=n) * 3
    elif name in ("HalfPoissonLoss",) or (name.startswith("HalfTweedie") and 0 < params["power"] < 2):
        y = rng.poisson(2.0, n).astype(float)
        raw = rng.normal(size=n)
    elif name == "HalfGammaLoss":
        y = rng.gamma(2.0, 1.0, n) + 1e-3
        raw = rng.normal(size=n)
    else:
        y = rng.normal(size=n) * 2
        raw = rng.normal(size=n)
    if name == "HalfTweedieLossIdentity":
        raw = np.abs(raw) + 0.1
    sw = rng.uniform(0.1, 3.0, n)
    return y.astype(dtype), raw.astype(dtype), sw.astype(dtype)


def all_outputs(loss, y, raw, sw, n_threads=None):
    """Every method and reduction; arrays are returned as-is, reductions as floats."""
    out = {}
    kw = {"n_threads": n_threads}
    out["loss"] = loss.loss(y, raw, sw, **kw)
    for red in ("sum", "mean"):
        out[f"loss_{red}"] = loss.loss(y, raw, sw, reduction=red, **kw)
    out["gradient"] = loss.gradient(y, raw, sw, **kw)
    out["lg_loss"], out["lg_grad"] = loss.loss_gradient(y, raw, sw, **kw)
    for red in ("sum", "mean"):
        out[f"lg_{red}"], out[f"lg_{red}_grad"] = loss.loss_gradient(
            y, raw, sw, reduction=red, **kw
        )
    out["gh_grad"], out["gh_hess"] = loss.gradient_hessian(y, raw, sw, **kw)
    out["call"] = loss(y, raw, sw, **kw)
    if loss.is_multiclass:
        out["gp_grad"], out["gp_proba"] = loss.gradient_proba(y, raw, sw, **kw)
    return out


def assert_identical(got, expected, context=""):
    assert got.keys() == expected.keys()
    for key, e in expected.items():
        g = got[key]
        if isinstance(e, np.ndarray):
            assert isinstance(g, np.ndarray), key
            assert g.shape == e.shape and g.dtype == e.dtype, (context, key)
            assert np.array_equal(g, e, equal_nan=True), f"{context}: {key} differs"
        else:
            assert type(g) is type(e), (context, key)
            assert g == e or (np.isnan(g) and np.isnan(e)), f"{context}: {key} {g!r} != {e!r}"


# --------------------------------------------------------------------------
# n_threads


@pytest.fixture(scope="module")
def big_data():
    cache = {}

    def get(cfg, dtype=np.float64):
        key = (cfg_id(cfg), dtype)
        if key not in cache:
            cache[key] = make_data(cfg, N_BIG, seed=1, dtype=dtype)
        return cache[key]

    return get


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_bitwise_identical_across_n_threads(cfg, weighted, big_data):
    loss = make_loss(cfg)
    y, raw, sw = big_data(cfg)
    sw = sw if weighted else None
    expected = all_outputs(loss, y, raw, sw, n_threads=1)
    # sanity: the reductions are what they claim to be
    assert type(expected["loss_sum"]) is float
    np.testing.assert_allclose(expected["loss_sum"], expected["loss"].sum(), rtol=1e-10)
    for n_threads in THREADS[1:]:
        assert_identical(all_outputs(loss, y, raw, sw, n_threads), expected, f"n_threads={n_threads}")


@pytest.mark.parametrize(
    "cfg", [("HalfSquaredError", {}), ("HalfBinomialLoss", {}), ("HalfTweedieLoss", {"power": 1.5}), MULTI],
    ids=cfg_id,
)
def test_bitwise_identical_across_n_threads_float32(cfg, big_data):
    loss = make_loss(cfg)
    y, raw, sw = big_data(cfg, np.float32)
    for weights in (None, sw):
        expected = all_outputs(loss, y, raw, weights, n_threads=1)
        assert expected["loss"].dtype == np.float32
        for n_threads in THREADS[1:]:
            assert_identical(
                all_outputs(loss, y, raw, weights, n_threads), expected, f"n_threads={n_threads}"
            )


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1023, 4097, 65537])
def test_small_and_odd_sizes_across_n_threads(n):
    for cfg in (("HalfPoissonLoss", {}), MULTI):
        loss = make_loss(cfg)
        y, raw, sw = make_data(cfg, n, seed=n)
        expected = all_outputs(loss, y, raw, sw, n_threads=1)
        for n_threads in (2, 3, 8, -1):
            assert_identical(all_outputs(loss, y, raw, sw, n_threads), expected, f"n={n}")


def test_threadpool_limits(big_data):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    for cfg in (("HalfPoissonLoss", {}), ("HalfBinomialLoss", {}), MULTI):
        loss = make_loss(cfg)
        y, raw, sw = big_data(cfg)
        free = {t: all_outputs(loss, y, raw, sw, t) for t in (None, -1, 2)}
        with threadpoolctl.threadpool_limits(limits=1):
            limited = {t: all_outputs(loss, y, raw, sw, t) for t in (None, -1, 2)}
        with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
            limited_omp = all_outputs(loss, y, raw, sw, None)
        for t in free:
            assert_identical(limited[t], free[t], f"threadpool_limits(1), n_threads={t}")
        assert_identical(limited_omp, free[None], "openmp limit")
        # and the limit is released afterwards
        assert_identical(all_outputs(loss, y, raw, sw, None), free[None], "after limits")


_OMP_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import fastloss

    rng = np.random.default_rng(7)
    n = int(sys.argv[2])
    y = rng.poisson(2.0, n).astype(float)
    raw = rng.normal(size=n)
    sw = rng.uniform(0.1, 3.0, n)
    yk = rng.integers(0, 3, n).astype(float)
    rawk = rng.normal(size=(n, 3))
    p = fastloss.HalfPoissonLoss()
    m = fastloss.HalfMultinomialLoss(n_classes=3)
    l, g = p.loss_gradient(y, raw, sw)
    lm, gm = m.loss_gradient(yk, rawk, sw)
    s = p.loss(y, raw, sw, reduction="sum")
    sm = m.loss(yk, rawk, sw, reduction="mean")
    np.savez(sys.argv[1], l=l, g=g, lm=lm, gm=gm, s=np.array(s), sm=np.array(sm))
    """
)


def test_omp_num_threads_env(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(_OMP_SCRIPT)
    results = {}
    for omp in ("1", "3"):
        env = dict(os.environ, OMP_NUM_THREADS=omp)
        target = tmp_path / f"omp{omp}.npz"
        proc = subprocess.run(
            [sys.executable, str(script), str(target), str(N_BIG)],
            env=env, capture_output=True, text=True, timeout=120, cwd=str(tmp_path),
        )
        assert proc.returncode == 0, proc.stderr
        results[omp] = dict(np.load(target))
    for omp in ("3",):
        for key in results["1"]:
            assert np.array_equal(results[omp][key], results["1"][key]), (omp, key)
    # the in-process result (default threads) is the same too
    rng = np.random.default_rng(7)
    y = rng.poisson(2.0, N_BIG).astype(float)
    raw = rng.normal(size=N_BIG)
    sw = rng.uniform(0.1, 3.0, N_BIG)
    l, g = fastloss.HalfPoissonLoss().loss_gradient(y, raw, sw)
    assert np.array_equal(l, results["1"]["l"]) and np.array_equal(g, results["1"]["g"])


# --------------------------------------------------------------------------
# memory layouts


@pytest.fixture(scope="module")
def med_data():
    return {cfg_id(c): make_data(c, N_MED, seed=3) for c in CONFIGS}


def _contig_expected(cfg, med_data, n_threads=1):
    loss = make_loss(cfg)
    y, raw, sw = med_data[cfg_id(cfg)]
    return loss, y, raw, sw, all_outputs(loss, y, raw, sw, n_threads)


def _check_unchanged(before, *arrays):
    for b, a in zip(before, arrays):
        assert np.array_equal(np.asarray(a), b), "input array was modified"


@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_read_only_inputs(cfg, med_data):
    loss, y, raw, sw, expected = _contig_expected(cfg, med_data)
    ro = []
    for a in (y, raw, sw):
        a = a.copy()
        a.flags.writeable = False
        ro.append(a)
    assert_identical(all_outputs(loss, *ro, n_threads=1), expected, "read-only")
    for weights in (None, sw):
        assert np.array_equal(
            loss.loss(ro[0], ro[1], None if weights is None else ro[2]),
            loss.loss(y, raw, weights),
        )


@pytest.mark.parametrize("cfg", [("HalfPoissonLoss", {}), ("HalfBinomialLoss", {}), MULTI], ids=cfg_id)
def test_memmap_inputs(cfg, med_data, tmp_path):
    loss, y, raw, sw, expected = _contig_expected(cfg, med_data)
    # .npy files opened read-only with np.load(mmap_mode="r")
    npy = []
    for name, a in (("y", y), ("raw", raw), ("sw", sw)):
        np.save(tmp_path / f"{name}.npy", a)
        m = np.load(tmp_path / f"{name}.npy", mmap_mode="r")
        assert isinstance(m, np.memmap) and not m.flags.writeable
        npy.append(m)
    assert_identical(all_outputs(loss, *npy, n_threads=2), expected, "np.load mmap")
    # raw files opened with np.memmap(mode="r"), multinomial raw in order F
    mm = []
    for name, a in (("y", y), ("raw", raw), ("sw", sw)):
        order = "F" if a.ndim == 2 else "C"
        path = tmp_path / f"{name}.bin"
        np.asarray(a, order=order).ravel(order="K").tofile(path)
        mm.append(np.memmap(path, dtype=a.dtype, mode="r", shape=a.shape, order=order))
    assert_identical(all_outputs(loss, *mm, n_threads=2), expected, "np.memmap")
    # an offset view into a memmap (not aligned to the file start)
    path = tmp_path / "y_off.bin"
    np.concatenate([[0.0], y]).tofile(path)
    y_off = np.memmap(path, dtype=np.float64, mode="r", shape=(N_MED,), offset=8)
    assert np.array_equal(loss.loss(y_off, raw, sw), expected["loss"])


def _strided(a, step=2):
    """A view of `a` with stride `step` along the samples axis."""
    big = np.empty((a.shape[0] * step,) + a.shape[1:], dtype=a.dtype)
    big[::step] = a
    big[1::step] = np.nan
    return big[::step]


@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_strided_inputs(cfg, med_data):
    loss, y, raw, sw, expected = _contig_expected(cfg, med_data)
    for step in (2, 3):
        ys, raws, sws = _strided(y, step), _strided(raw, step), _strided(sw, step)
        assert not ys.flags.c_contiguous
        assert_identical(all_outputs(loss, ys, raws, sws, 1), expected, f"step {step}")
    # negative strides
    rev = [np.flip(np.flip(a, 0).copy(), 0) for a in (y, raw, sw)]
    assert rev[0].strides[0] < 0
    assert_identical(all_outputs(loss, *rev, n_threads=1), expected, "negative strides")
    if raw.ndim == 2:
        # class axis strided: (n, 2K)[:, ::2]
        wide = np.full((N_MED, 2 * raw.shape[1]), np.nan)
        wide[:, ::2] = raw
        assert_identical(all_outputs(loss, y, wide[:, ::2], sw, 1), expected, "class stride")


@pytest.mark.parametrize("n_classes", [3, 5])
def test_multinomial_fortran_order(n_classes):
    cfg = ("HalfMultinomialLoss", {"n_classes": n_classes})
    loss = make_loss(cfg)
    y, raw, sw = make_data(cfg, N_MED, seed=4)
    expected = all_outputs(loss, y, raw, sw, 2)
    raw_f = np.asfortranarray(raw)
    assert raw_f.flags.f_contiguous and not raw_f.flags.c_contiguous
    assert_identical(all_outputs(loss, y, raw_f, sw, 2), expected, "raw order F")
    for raw_in in (raw, raw_f):
        g_out, h_out = loss.init_gradient_and_hessian(N_MED, dtype=np.float64, order="F")
        assert g_out.flags.f_contiguous
        g, h = loss.gradient_hessian(y, raw_in, sw, gradient_out=g_out, hessian_out=h_out, n_threads=2)
        assert g is g_out and h is h_out
        assert np.array_equal(g, expected["gh_grad"]) and np.array_equal(h, expected["gh_hess"])
        g_out = np.empty((N_MED, n_classes), order="F")
        g = loss.gradient(y, raw_in, sw, gradient_out=g_out, n_threads=2)
        assert g is g_out and np.array_equal(g, expected["gradient"])
        l_out = np.empty(N_MED)
        g_out = np.empty((N_MED, n_classes), order="F")
        l, g = loss.loss_gradient(y, raw_in, sw, loss_out=l_out, gradient_out=g_out, n_threads=2)
        assert l is l_out and g is g_out
        assert np.array_equal(l, expected["lg_loss"]) and np.array_equal(g, expected["lg_grad"])
        g_out = np.empty((N_MED, n_classes), order="F")
        p_out = np.empty((N_MED, n_classes), order="F")
        g, p = loss.gradient_proba(y, raw_in, sw, gradient_out=g_out, proba_out=p_out, n_threads=2)
        assert g is g_out and p is p_out
        assert np.array_equal(g, expected["gp_grad"]) and np.array_equal(p, expected["gp_proba"])


def test_1d_fortran_column_raw(med_data):
    # HistGradientBoosting passes raw of shape (n, 1) in order F
    for cfg in (("HalfSquaredError", {}), ("HalfBinomialLoss", {}), ("HalfGammaLoss", {})):
        loss, y, raw, sw, expected = _contig_expected(cfg, med_data)
        raw_col = np.asfortranarray(raw.reshape(-1, 1))
        assert_identical(all_outputs(loss, y, raw_col, sw, 1), expected, "raw (n, 1)")


@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_byte_swapped_inputs(cfg, med_data):
    loss, y, raw, sw, expected = _contig_expected(cfg, med_data)
    swapped = [a.astype(">f8") for a in (y, raw, sw)]
    assert not swapped[0].dtype.isnative
    assert_identical(all_outputs(loss, *swapped, n_threads=1), expected, ">f8")
    # only one argument swapped
    assert_identical(all_outputs(loss, y, swapped[1], sw, 1), expected, ">f8 raw only")
    # float32 big-endian equals native float32
    y32, raw32, sw32 = (a.astype(np.float32) for a in (y, raw, sw))
    exp32 = all_outputs(loss, y32, raw32, sw32, 1)
    got32 = all_outputs(loss, *(a.astype(">f4") for a in (y32, raw32, sw32)), n_threads=1)
    assert_identical(got32, exp32, ">f4")


@pytest.mark.parametrize("cfg", [("HalfTweedieLoss", {"power": 1.5}), MULTI], ids=cfg_id)
def test_everything_at_once(cfg, med_data):
    """Byte-swapped, strided, read-only, Fortran, with out arrays in order F."""
    loss, y, raw, sw, expected = _contig_expected(cfg, med_data)
    before = [a.copy() for a in (y, raw, sw)]
    args = []
    for a in (y, raw, sw):
        b = _strided(a.astype(">f8"), 2)
        if b.ndim == 2:
            b = np.asfortranarray(a).astype(">f8")
        b.flags.writeable = False
        args.append(b)
    assert_identical(all_outputs(loss, *args, n_threads=3), expected, "all at once")
    shape = raw.shape
    g_out = np.empty(shape, order="F")
    h_out = np.empty(shape, order="F")
    g, h = loss.gradient_hessian(*args, gradient_out=g_out, hessian_out=h_out, n_threads=-1)
    assert np.array_equal(g, expected["gh_grad"]) and np.array_equal(h, expected["gh_hess"])
    _check_unchanged(before, y, raw, sw)
    _check_unchanged(before, *args)


@pytest.mark.parametrize("cfg", CONFIGS, ids=cfg_id)
def test_inputs_not_modified(cfg, med_data):
    loss, y, raw, sw, _ = _contig_expected(cfg, med_data)
    before = [a.copy() for a in (y, raw, sw)]
    all_outputs(loss, y, raw, sw, 1)
    _check_unchanged(before, y, raw, sw)


# ---------------------------------------------------------------------------
# Allocation failure inside the parallel region
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n_threads", [1, 2])
def test_multinomial_work_buffer_allocation_failure_raises(n_threads):
    # Each thread of the multinomial kernels allocates a work buffer of
    # MN_ROWS * (2 * n_classes + 2) doubles.  A raw_prediction view with 2**44
    # classes (stride 0: no memory behind it) asks for more than the 2**47
    # bytes of a 64-bit process's address space, so malloc returns NULL even
    # under overcommit; the kernel must raise MemoryError, not dereference it.
    closs = fastloss.HalfMultinomialLoss(n_classes=3).closs
    raw = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(2, 2**44), strides=(0, 0))
    y = np.zeros(2)
    loss_out = np.empty(2)
    with pytest.raises(MemoryError):
        closs.loss(y, raw, None, loss_out, n_threads=n_threads)
