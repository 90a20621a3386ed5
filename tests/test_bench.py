"""Smoke tests of the benchmark (``fastloss._bench`` and ``python -m fastloss``).

Structure only: timings are never asserted (timed unit tests are flaky).
"""

import json
import subprocess
import sys

import pytest

import fastloss
from fastloss import _bench

LIBRARIES = ("fastloss", "numpy", "sklearn")


def _sklearn_importable():
    try:
        import sklearn._loss.loss  # noqa: F401
    except ImportError:
        return False
    return True


def _check_result(result, names, dtype, n, repeat, with_sklearn):
    assert set(result) == {"meta", "results"}
    meta = result["meta"]
    assert meta["n_samples"] == n
    assert meta["dtype"] == dtype
    assert meta["repeat"] == repeat
    assert meta["cpu_count"] >= 1
    assert meta["threads_used"]["fastloss"] == 1
    assert ("sklearn" in meta["libraries"]) == with_sklearn

    rows = result["results"]
    assert [row["loss"] for row in rows] == list(names)
    for row in rows:
        assert row["status"] == "ok", (row["loss"], row["error"])
        assert row["error"] is None
        assert row["agrees"] is True, (row["loss"], row["notes"])
        assert row["class"] == fastloss.LOSSES[row["loss"]].__name__
        assert set(row["ns_per_sample"]) == set(LIBRARIES)
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
    assert "speedup vs numpy" in table
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
    assert "sklearn ns/sample" in _bench.format_table(result)


@pytest.mark.parametrize(
    "kwargs", [{"n": 0}, {"repeat": 0}, {"dtype": "int64"}, {"losses": ["nope"]}]
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
    assert "fastloss ns/sample" in proc.stdout
    # progress goes to stderr, the table to stdout
    assert "[1/" in proc.stderr
    assert "[1/" not in proc.stdout


def test_cli_help(tmp_path):
    proc = _run_cli(["--help"], tmp_path)
    assert proc.returncode == 0 and "bench" in proc.stdout
    proc = _run_cli(["bench", "--help"], tmp_path)
    assert proc.returncode == 0
    for option in ("--n", "--dtype", "--threads", "--repeat", "--losses", "--json", "--no-sklearn"):
        assert option in proc.stdout


@pytest.mark.parametrize(
    "args",
    [[], ["bench", "--losses", "nope"], ["bench", "--threads", "0"], ["bench", "--n", "0"]],
)
def test_cli_usage_errors(tmp_path, args):
    proc = _run_cli(args, tmp_path)
    assert proc.returncode == 2
    assert "usage" in proc.stderr
