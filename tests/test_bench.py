"""Smoke tests of the benchmark (``fastloss._bench`` and ``python -m fastloss``).

Structure only: timings are never asserted (timed unit tests are flaky).
"""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import fastloss
from fastloss import _bench

LIBRARIES = ("fastloss", "numpy", "sklearn", "torch")
COLUMNS = ("floor", *LIBRARIES)
RATIO_KEYS = ("ratio_to_floor", "ratio_to_best_peer", "best_peer", "floor_kernel")


def _sklearn_importable():
    try:
        import sklearn._loss.loss  # noqa: F401
    except ImportError:
        return False
    return True


def _torch_importable():
    try:
        import torch  # noqa: F401
    except Exception:  # noqa: BLE001 - a broken torch gives no column either
        return False
    return True


def _floor_kernels():
    try:
        from fastloss._kernels import kernels
    except Exception:  # noqa: BLE001
        return None
    return kernels


def _has_floor(name):
    return hasattr(_floor_kernels(), name)


def _matplotlib_importable():
    return importlib.util.find_spec("matplotlib") is not None


def _check_result(result, names, dtype, n, repeat, with_sklearn, with_torch=None):
    if with_torch is None:
        with_torch = _torch_importable()
    assert set(result) == {"meta", "results"}
    meta = result["meta"]
    assert meta["n_samples"] == n
    assert meta["dtype"] == dtype
    assert meta["repeat"] == repeat
    assert meta["cpu_count"] >= 1
    assert meta["threads_used"]["fastloss"] == 1
    assert ("sklearn" in meta["libraries"]) == with_sklearn
    assert ("torch" in meta["libraries"]) == with_torch
    assert meta["reduction"] == "none"
    assert meta["columns"] == list(COLUMNS)
    assert meta["threads_used"]["floor"] == meta["threads_used"]["fastloss"]

    rows = result["results"]
    assert [row["loss"] for row in rows] == list(names)
    for row in rows:
        assert row["status"] == "ok", (row["loss"], row["error"])
        assert row["error"] is None
        assert row["agrees"] is True, (row["loss"], row["notes"])
        assert row["class"] == fastloss.LOSSES[row["loss"]].__name__
        assert set(row["ns_per_sample"]) == set(COLUMNS)
        assert set(row["samples_ns_per_sample"]) == set(COLUMNS)
        for key in RATIO_KEYS + ("speedup_vs_torch",):
            assert key in row
        assert set(row["max_rel_diff"]) == {"numpy", "sklearn", "torch"}
        # the best peer is the fastest of those that ran
        peers = {lib: row["ns_per_sample"][lib] for lib in ("numpy", "sklearn", "torch")
                 if row["ns_per_sample"][lib] is not None}
        assert row["best_peer"] == min(peers, key=peers.get)
        assert row["ratio_to_best_peer"] == pytest.approx(
            row["ns_per_sample"]["fastloss"] / peers[row["best_peer"]]
        )
        expected_floor = (
            "stream_floor_multinomial" if row["loss"] == "multinomial_loss"
            else "stream_floor"
        )
        if _has_floor(expected_floor):
            assert row["floor_kernel"] == expected_floor
            assert row["ns_per_sample"]["floor"] > 0
            assert len(row["samples_ns_per_sample"]["floor"]) == repeat
            assert row["ratio_to_floor"] == pytest.approx(
                row["ns_per_sample"]["fastloss"] / row["ns_per_sample"]["floor"]
            )
        else:
            assert row["ns_per_sample"]["floor"] is None
            assert row["ratio_to_floor"] is None
        if with_torch:
            # every loss at its default parameters has a torch equivalent
            assert row["ns_per_sample"]["torch"] > 0
            assert row["speedup_vs_torch"] > 0
            assert row["max_rel_diff"]["torch"] is not None
        else:
            assert row["ns_per_sample"]["torch"] is None
            assert row["speedup_vs_torch"] is None
        for lib in ("fastloss", "numpy"):
            value = row["ns_per_sample"][lib]
            assert isinstance(value, float) and value > 0
            assert len(row["samples_ns_per_sample"][lib]) == repeat
            assert row["number"][lib] >= 1
        assert row["speedup_vs_numpy"] > 0
        if with_sklearn:
            # every fastloss class has a scikit-learn counterpart
            assert row["ns_per_sample"]["sklearn"] > 0
            assert row["speedup_vs_sklearn"] > 0
            assert row["max_rel_diff"]["sklearn"] is not None
        else:
            assert row["ns_per_sample"]["sklearn"] is None
            assert row["speedup_vs_sklearn"] is None
    if any(row["loss"] == "multinomial_loss" for row in rows):
        row = next(row for row in rows if row["loss"] == "multinomial_loss")
        assert row["params"]["n_classes"] == _bench.MULTINOMIAL_N_CLASSES


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bench_all_losses(dtype):
    with_sklearn = _sklearn_importable()
    result = _bench.bench(n=2000, dtype=dtype, repeat=1, sklearn=True)
    _check_result(result, list(fastloss.LOSSES), dtype, 2000, 1, with_sklearn)
    # JSON round trip keeps everything
    assert json.loads(json.dumps(result)) == result
    table = _bench.format_table(result)
    for name in fastloss.LOSSES:
        assert name in table
    for column in (*COLUMNS, "/ floor", "/ best peer", "best peer"):
        assert column in table
    assert dtype in table


def test_bench_filter_no_sklearn_threads():
    names = ["poisson_loss", "multinomial_loss"]
    result = _bench.bench(n=500, repeat=2, losses=names, sklearn=False, n_threads=-1)
    assert result["meta"]["n_threads"] == -1
    assert result["meta"]["threads_used"]["fastloss"] >= 1
    rows = result["results"]
    assert [row["loss"] for row in rows] == names
    assert all(row["ns_per_sample"]["sklearn"] is None for row in rows)
    assert all(len(row["samples_ns_per_sample"]["fastloss"]) == 2 for row in rows)
    table = _bench.format_table(result)
    assert "sklearn" in table.splitlines()[table.splitlines().index("") + 1]


@pytest.mark.parametrize(
    "kwargs",
    [{"n": 0}, {"repeat": 0}, {"dtype": "int64"}, {"losses": ["nope"]},
     {"reduction": "sum"}],
)
def test_bench_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        _bench.bench(**kwargs)


@pytest.mark.parametrize("name", list(fastloss.LOSSES))
def test_make_data_in_domain(name):
    loss = fastloss.LOSSES[name](n_classes=10) if name == "multinomial_loss" else (
        fastloss.LOSSES[name]()
    )
    y, raw = _bench.make_data(name, loss, 1000, "float32", seed=3)
    assert y.dtype == raw.dtype == "float32"
    assert y.flags.c_contiguous and raw.flags.c_contiguous
    assert raw.shape == ((1000, 10) if name == "multinomial_loss" else (1000,))
    assert loss.in_y_true_range(y)
    y2, raw2 = _bench.make_data(name, loss, 1000, "float32", seed=3)
    assert (y == y2).all() and (raw == raw2).all()


def _run_cli(args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "fastloss", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_cli_bench_json(tmp_path):
    proc = _run_cli(["bench", "--n", "1000", "--repeat", "1", "--json", "out.json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "out.json").read_text())
    assert [row["loss"] for row in result["results"]] == list(fastloss.LOSSES)
    assert result["meta"]["n_samples"] == 1000
    assert "fastloss" in proc.stdout and "/ floor" in proc.stdout
    assert result["meta"]["columns"] == list(COLUMNS)
    for row in result["results"]:
        assert set(row["ns_per_sample"]) == set(COLUMNS)
        for key in RATIO_KEYS:
            assert key in row
    # progress goes to stderr, the table to stdout
    assert "[1/" in proc.stderr
    assert "[1/" not in proc.stdout


def test_cli_help(tmp_path):
    proc = _run_cli(["--help"], tmp_path)
    assert proc.returncode == 0 and "bench" in proc.stdout
    proc = _run_cli(["bench", "--help"], tmp_path)
    assert proc.returncode == 0
    for option in ("--n", "--dtype", "--threads", "--repeat", "--losses", "--json",
                   "--no-sklearn", "--plot", "--reduction", "--no-torch", "--mode",
                   "--n-features", "--models", "--x", "--solver", "--tol"):
        assert option in proc.stdout


@pytest.mark.parametrize(
    "args",
    [[], ["bench", "--losses", "nope"], ["bench", "--threads", "0"], ["bench", "--n", "0"],
     ["bench", "--reduction", "sum"], ["bench", "--mode", "nope"],
     # an option that the chosen mode does not read is refused, not ignored
     ["bench", "--mode", "linear", "--losses", "poisson_loss"],
     ["bench", "--mode", "fits", "--dtype", "float32"],
     ["bench", "--models", "poisson"],
     ["bench", "--mode", "fits", "--x", "dense"],
     ["bench", "--mode", "fits", "--models", "poisson,gamma"],
     ["bench", "--mode", "fits", "--tol", "0"]],
)
def test_cli_usage_errors(tmp_path, args):
    proc = _run_cli(args, tmp_path)
    assert proc.returncode == 2
    assert "usage" in proc.stderr


def test_bench_torch_column_iff_importable():
    with_torch = _torch_importable()
    result = _bench.bench(n=300, repeat=1, losses=["binomial_loss"], sklearn=False)
    assert ("torch" in result["meta"]["libraries"]) == with_torch
    assert (result["meta"]["versions"]["torch"] is not None) == with_torch
    assert (result["results"][0]["ns_per_sample"]["torch"] is not None) == with_torch
    # switched off on request
    result = _bench.bench(n=300, repeat=1, losses=["binomial_loss"], torch=False)
    assert "torch" not in result["meta"]["libraries"]
    assert result["results"][0]["ns_per_sample"]["torch"] is None
    assert "torch" in _bench.format_table(result)  # the column, shown as "-"


@pytest.mark.parametrize("name", list(fastloss.LOSSES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_loss_gradient_matches_reference(name, dtype):
    torch = pytest.importorskip("torch")
    loss = fastloss.LOSSES[name](n_classes=4) if name == "multinomial_loss" else (
        fastloss.LOSSES[name]()
    )
    params = _bench._loss_params(name, loss)
    fn = _bench.torch_loss_gradient(name, params, torch)
    assert fn is not None
    y, raw = _bench.make_data(name, loss, 500, dtype, seed=1)
    lo = np.empty(500, dtype=dtype)
    go = np.empty_like(raw)
    fn(torch.from_numpy(y), torch.from_numpy(raw), torch.from_numpy(lo), torch.from_numpy(go))
    ref_loss, ref_grad = fastloss.reference.loss_gradient(name, y, raw, **params)
    rtol = 1e-10 if dtype == "float64" else 2e-5
    np.testing.assert_allclose(lo, ref_loss, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(go, ref_grad, rtol=rtol, atol=rtol)


def test_bench_reduction_mean():
    names = ["squared_error", "binomial_loss", "multinomial_loss"]
    result = _bench.bench(n=1000, repeat=2, losses=names, reduction="mean")
    meta = result["meta"]
    assert meta["reduction"] == "mean"
    assert meta["columns"] == ["floor", "fastloss", "numpy"]
    assert meta["libraries"] == ["fastloss", "numpy"]
    for row in result["results"]:
        assert row["status"] == "ok", row["error"]
        assert row["agrees"] is True, row["notes"]
        ns = row["ns_per_sample"]
        assert ns["fastloss"] > 0 and ns["numpy"] > 0
        assert ns["sklearn"] is None and ns["torch"] is None
        assert row["best_peer"] == "numpy"
        expected = (
            "stream_floor_multinomial" if row["loss"] == "multinomial_loss"
            else "stream_floor_reduce"
        )
        if _has_floor(expected):
            assert row["floor_kernel"] == expected
            assert ns["floor"] > 0 and row["ratio_to_floor"] > 0
        else:
            assert ns["floor"] is None and row["ratio_to_floor"] is None
            assert any(expected in note for note in row["notes"])
    table = _bench.format_table(result)
    assert 'reduction="mean"' in table
    assert "sklearn" not in table.split("\n\n")[1].splitlines()[0]


@pytest.mark.skipif(not _matplotlib_importable(), reason="matplotlib is not installed")
def test_plot_writes_png(tmp_path):
    result = _bench.bench(n=500, repeat=1, losses=["poisson_loss", "multinomial_loss"])
    path = tmp_path / "bench.png"
    _bench.plot(result, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # from JSON too
    path2 = tmp_path / "again.png"
    _bench.plot(json.loads(json.dumps(result)), path2)
    assert path2.stat().st_size > 1000


@pytest.mark.skipif(not _matplotlib_importable(), reason="matplotlib is not installed")
def test_cli_bench_plot(tmp_path):
    proc = _run_cli(
        ["bench", "--n", "500", "--repeat", "1", "--losses", "squared_error",
         "--plot", "chart.png", "--no-progress"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    assert "chart written to chart.png" in proc.stdout


def test_cli_bench_reduction_mean(tmp_path):
    proc = _run_cli(
        ["bench", "--n", "500", "--repeat", "1", "--losses", "poisson_loss",
         "--reduction", "mean", "--json", "m.json", "--no-progress"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "m.json").read_text())
    assert result["meta"]["reduction"] == "mean"
    assert 'reduction="mean"' in proc.stdout


def test_cli_bench_plot_without_matplotlib(tmp_path):
    # A matplotlib that fails to import, first on the path: a clear usage error
    # before any timing, no traceback.
    fake = tmp_path / "fake" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no matplotlib here')\n")
    proc = subprocess.run(
        [sys.executable, "-m", "fastloss", "bench", "--n", "100", "--plot", "x.png"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "fake")},
    )
    assert proc.returncode == 2
    assert "--plot needs matplotlib" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_cli_bench_mode_linear(tmp_path):
    proc = _run_cli(
        ["bench", "--mode", "linear", "--n", "3000", "--n-features", "7", "--repeat",
         "1", "--dtype", "float32", "--threads", "-1", "--json", "out.json"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "out.json").read_text())
    meta = result["meta"]
    assert meta["n_threads"] == meta["cpu_available"]   # -1 resolved, not recorded as -1
    assert (meta["mode"], meta["n_samples"], meta["n_features"], meta["dtype"]) == (
        "linear", 3000, 7, "float32")
    cases = [row["case"] for row in result["results"]]
    assert cases[:3] == ["fastloss poisson C", "fastloss binomial C", "fastloss poisson F"]
    assert cases[-1] == "floor (one read of X)"
    assert ("sklearn poisson C" in cases) == _sklearn_importable()
    for row in result["results"]:
        assert row["ns_per_sample"] > 0
        assert row["ratio"] == pytest.approx(row["ns_per_sample"] / row["floor_ns_per_sample"])
    assert "floor (one read of X)" in proc.stdout


def test_bench_linear_holds_blas_to_n_threads(monkeypatch):
    # While the cases run, BLAS (scikit-learn's X @ w, NumPy's sum) is held to
    # n_threads: a larger idle pool busy-waits after each call and made the
    # fastloss calls timed next ~2x slower on a 2-core machine.  The limit
    # is lifted afterwards.
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from fastloss import _bench_linear

    def blas_threads():
        return [p["num_threads"] for p in threadpoolctl.threadpool_info()
                if p["user_api"] == "blas"]

    if not blas_threads():
        pytest.skip("no BLAS library seen by threadpoolctl")
    before = blas_threads()
    seen = []
    real_floor_fn = _bench_linear._floor_fn

    def spy_floor_fn(X):
        compiled, numpy_sum = real_floor_fn(X)
        return compiled, lambda: (seen.append(blas_threads()), numpy_sum())[1]

    monkeypatch.setattr(_bench_linear, "_floor_fn", spy_floor_fn)
    _bench_linear.bench_linear_loss(n=500, n_features=3, repeat=2, n_threads=1,
                                    cases=["fastloss poisson C"])
    assert len(seen) == 3  # warm-up and 2 rounds
    assert all(threads == [1] * len(before) for threads in seen)
    assert blas_threads() == before


@pytest.mark.skipif(not _sklearn_importable(), reason="needs scikit-learn")
def test_cli_bench_mode_fits(tmp_path):
    proc = _run_cli(
        ["bench", "--mode", "fits", "--n", "2000", "--n-features", "5", "--repeat", "1",
         "--models", "poisson,multinomial", "--x", "dense-f32,sparse", "--tol", "1e-8",
         "--json", "out.json"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "out.json").read_text())
    assert result["meta"]["mode"] == "fits"
    rows = result["results"]
    assert [(r["estimator"], r["X"]) for r in rows] == [
        ("PoissonRegressor", "dense f32"), ("PoissonRegressor", "sparse"),
        ("LogisticRegression 10 classes", "dense f32"),
        ("LogisticRegression 10 classes", "sparse"),
    ]
    for r in rows:
        assert r["fastloss_s"] > 0 and r["sklearn_s"] > 0
        assert r["ratio"] == pytest.approx(r["fastloss_s"] / r["sklearn_s"])
        assert r["fastloss_n_iter"] >= 1 and r["sklearn_n_iter"] >= 1
        # The same problem, solver and tolerance: the two fits agree.  1e-3
        # absolute on coefficients of order 0.1-1: at tol=1e-8 both are at the
        # optimum to far better than that, but the float32 case is fitted on
        # float32 X by both (scikit-learn's objective rounds in float32).
        assert r["max_abs_coef_diff"] < 1e-3
    assert "PoissonRegressor" in proc.stdout and "round 1/1" in proc.stderr
