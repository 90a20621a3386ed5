"""Benchmark of the fused ``loss_gradient``: fastloss vs NumPy vs scikit-learn.

This module is the logic behind ``python -m fastloss bench`` (the command line
lives in :mod:`fastloss.__main__`).  For every loss of :data:`fastloss.LOSSES`
it times, on the same data and in the same round,

* ``fastloss``: ``loss.loss_gradient(y_true, raw_prediction, loss_out=...,
  gradient_out=..., n_threads=...)``, the default call (validated,
  ``reduction="none"``) writing into **preallocated** per-sample outputs of the
  input dtype;
* ``numpy``: :func:`fastloss.reference.loss_gradient`, the plain NumPy oracle,
  which has no ``out`` parameters and so allocates its outputs (float64);
* ``sklearn``: the scikit-learn loss object of the same class name, writing
  into the same kind of preallocated outputs (it needs same-dtype C-contiguous
  inputs and explicit out arrays to avoid extra copies).

Each measurement is repeated ``repeat`` times, the libraries interleaved within
a round so that slow drifts of the machine (frequency, other load) hit all of
them alike; the reported figure is the median, in nanoseconds per sample.
"""

import gc
import math
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone

import numpy as np

__all__ = ["bench", "format_table", "make_data", "LIBRARIES"]

#: The libraries compared, in the order they run within a round.
LIBRARIES = ("fastloss", "numpy", "sklearn")

DEFAULT_N = 1_000_000
DEFAULT_REPEAT = 5
DEFAULT_SEED = 0
#: Classes of the multinomial loss in the benchmark.
MULTINOMIAL_N_CLASSES = 10

# A single call at small n is shorter than the timer's jitter and the Python
# call overhead dominates anyway, so each measurement loops the call until it
# lasts at least this long (as timeit's autorange does).  At the default
# n = 1e6 every call is longer than this and runs once per measurement.
_MIN_MEASUREMENT_S = 0.05
_MAX_NUMBER = 100_000

# Loss parameters the reference needs explicitly; read from the fastloss object
# so that all three libraries compute the same loss.
_REFERENCE_PARAMS = {
    "pinball_loss": ("quantile",),
    "huber_loss": ("quantile", "delta"),
    "tweedie_loss": ("power",),
    "tweedie_loss_identity": ("power",),
}

# Agreement check done on the warm-up call: a benchmark of a wrong result is
# worthless.  float32 outputs carry ~6e-8 relative rounding per operation and
# the losses chain a few libm calls.
_AGREEMENT_RTOL = {"float64": 1e-9, "float32": 1e-4}


def _expit(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _loss_params(name, loss):
    params = {}
    for key in _REFERENCE_PARAMS.get(name, ()):
        value = getattr(loss, key, None)
        if value is not None:
            params[key] = float(value)
    if getattr(loss, "is_multiclass", False):
        params["n_classes"] = int(loss.n_classes)
    return params


def make_data(name, loss, n, dtype="float64", seed=DEFAULT_SEED):
    """Make a realistic ``(y_true, raw_prediction)`` pair for one loss.

    ``raw_prediction`` is drawn from N(0, 1) (shape ``(n, n_classes)``,
    C-ordered, for the multinomial loss), except for links whose inverse must
    be positive without a log (the Tweedie loss with identity link), where it
    is ``exp(N(0, 1))``.  ``y_true`` is then drawn from the loss's own model
    around the prediction: Gaussian noise for the regression losses, Poisson
    counts, Gamma and compound Poisson-Gamma (Tweedie, ``1 < power < 2``)
    positive values, 0/1 labels for the binary losses and integer labels for
    the multinomial loss.

    Parameters
    ----------
    name : str
        Key of the loss in :data:`fastloss.LOSSES`.
    loss : object
        The loss instance (its ``n_classes`` and ``power`` are used).
    n : int
        Number of samples.
    dtype : {"float64", "float32"}, default="float64"
        dtype of both returned arrays.
    seed : int, default=0
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same
        data.

    Returns
    -------
    y_true : ndarray of shape (n,)
        C-contiguous, of ``dtype``.
    raw_prediction : ndarray of shape (n,) or (n, n_classes)
        C-contiguous, of ``dtype``.
    """
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if getattr(loss, "is_multiclass", False):
        n_classes = int(loss.n_classes)
        raw = rng.standard_normal((n, n_classes))
        y = rng.integers(0, n_classes, size=n).astype(np.float64)
    else:
        z = rng.standard_normal(n)
        raw = z
        if name in ("squared_error", "absolute_error", "pinball_loss", "huber_loss"):
            y = z + rng.standard_normal(n)
        elif name == "poisson_loss":
            y = rng.poisson(np.exp(z)).astype(np.float64)
        elif name == "gamma_loss":
            shape = 2.0
            y = rng.gamma(shape, np.exp(z) / shape)
        elif name in ("tweedie_loss", "tweedie_loss_identity"):
            mean = np.exp(z)
            if name == "tweedie_loss_identity":
                raw = mean
            y = _tweedie_sample(rng, mean, float(getattr(loss, "power", 1.5)))
        elif name == "binomial_loss":
            y = (rng.random(n) < _expit(z)).astype(np.float64)
        elif name == "exponential_loss":
            # HalfLogitLink: P(y = 1) = expit(2 * raw)
            y = (rng.random(n) < _expit(2.0 * z)).astype(np.float64)
        else:
            y = _generic_y(loss, rng, n)
    y = np.ascontiguousarray(y, dtype=dtype)
    raw = np.ascontiguousarray(raw, dtype=dtype)
    return y, raw


def _tweedie_sample(rng, mean, power, dispersion=1.0):
    if power <= 1.0:
        return rng.poisson(mean).astype(np.float64)
    if power >= 2.0:
        return rng.gamma(2.0, mean / 2.0)
    # Compound Poisson-Gamma: N ~ Poisson(lam), y = sum of N Gamma(alpha, scale).
    lam = mean ** (2.0 - power) / (dispersion * (2.0 - power))
    alpha = (2.0 - power) / (power - 1.0)
    scale = dispersion * (power - 1.0) * mean ** (power - 1.0)
    counts = rng.poisson(lam)
    return rng.gamma(counts * alpha, scale)  # shape 0 gives exactly 0


def _generic_y(loss, rng, n):
    # A loss added to LOSSES after this module was written: pick the first
    # candidate that lies in its y_true domain.
    for candidate in (
        rng.standard_normal(n),
        rng.poisson(1.0, n).astype(np.float64),
        rng.gamma(2.0, 0.5, n),
        rng.random(n),
    ):
        try:
            if loss.in_y_true_range(candidate):
                return candidate
        except Exception:  # noqa: BLE001 - any failure means "try the next"
            continue
    raise ValueError("cannot generate y_true for this loss")


def _sklearn_module():
    try:
        from sklearn._loss import loss as sk_loss
    except Exception:  # noqa: BLE001 - sklearn missing or broken: no column
        return None
    return sk_loss


def _version(module_name):
    try:
        from importlib.metadata import version

        return version(module_name)
    except Exception:  # noqa: BLE001
        module = sys.modules.get(module_name)
        return getattr(module, "__version__", None)


def _cpu_available():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _openmp_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    try:
        return [
            {
                "internal_api": info.get("internal_api"),
                "num_threads": info.get("num_threads"),
                "version": info.get("version"),
            }
            for info in threadpool_info()
            if info.get("user_api") == "openmp"
        ]
    except Exception:  # noqa: BLE001 - informational only
        return []


def _load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _resolve_threads(n_threads):
    if n_threads == -1:
        return _cpu_available()
    return int(n_threads)


class _Progress:
    """One live line on stderr (rewritten with ``\\r`` on a terminal).

    Where stderr is not a terminal (CI logs, pipes) each new loss gets a line
    of its own and the per-round updates are dropped, so logs stay readable.
    """

    def __init__(self, stream=None):
        self.stream = sys.stderr if stream is None else stream
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._width = 0
        self._last_head = None

    def update(self, head, detail=""):
        if self.live:
            text = f"{head} {detail}".rstrip()
            pad = max(0, self._width - len(text))
            self.stream.write("\r" + text + " " * pad)
            self._width = len(text)
            self.stream.flush()
        elif head != self._last_head:
            self.stream.write(head + "\n")
            self.stream.flush()
        self._last_head = head

    def close(self):
        if self.live and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
        self._width = 0


class _NoProgress:
    def update(self, head, detail=""):
        pass

    def close(self):
        pass


def _measure(fn, number):
    """Mean duration of one call in ns over ``number`` back-to-back calls."""
    t0 = time.perf_counter_ns()
    for _ in range(number):
        fn()
    return (time.perf_counter_ns() - t0) / number


def _max_rel_diff(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        b = b.reshape(a.shape)
    both_nan = np.isnan(a) & np.isnan(b)
    diff = np.abs(a - b) / (1.0 + np.abs(b))
    diff[both_nan] = 0.0
    if diff.size == 0:
        return 0.0
    return float(np.max(np.where(np.isnan(diff), np.inf, diff)))


def _touched(array):
    array.fill(0.0)
    return array


def _prepare(name, loss_cls, n, dtype, n_threads, sk_loss, seed):
    """Build the per-library callables for one loss (untimed)."""
    import fastloss.reference as reference

    ctor = {"n_classes": MULTINOMIAL_N_CLASSES} if name == "multinomial_loss" else {}
    loss = loss_cls(**ctor)
    params = _loss_params(name, loss)
    y, raw = make_data(name, loss, n, dtype, seed)
    threads = _resolve_threads(n_threads)

    # Outputs allocated and touched before any timing: np.zeros may hand out
    # lazily mapped pages (calloc), whose first-write faults would be timed.
    loss_out = _touched(np.empty(n, dtype=dtype))
    gradient_out = _touched(np.empty_like(raw))

    calls = {}
    calls["fastloss"] = lambda: loss.loss_gradient(
        y, raw, loss_out=loss_out, gradient_out=gradient_out, n_threads=n_threads
    )
    calls["numpy"] = lambda: reference.loss_gradient(name, y, raw, **params)

    notes = []
    if sk_loss is not None:
        sk_cls = getattr(sk_loss, type(loss).__name__, None)
        if sk_cls is None:
            notes.append(f"scikit-learn has no {type(loss).__name__}")
        else:
            sk_kwargs = {k: v for k, v in params.items()}
            sk = sk_cls(**sk_kwargs)
            sk_loss_out = _touched(np.empty(n, dtype=dtype))
            sk_gradient_out = _touched(np.empty_like(raw))
            calls["sklearn"] = lambda: sk.loss_gradient(
                y,
                raw,
                loss_out=sk_loss_out,
                gradient_out=sk_gradient_out,
                n_threads=threads,
            )
    return loss, params, calls, notes


def bench(
    n=DEFAULT_N,
    dtype="float64",
    n_threads=1,
    repeat=DEFAULT_REPEAT,
    losses=None,
    sklearn=True,
    seed=DEFAULT_SEED,
    progress=False,
):
    """Time ``loss_gradient`` of fastloss, the NumPy reference and scikit-learn.

    Parameters
    ----------
    n : int, default=1_000_000
        Number of samples (rows of ``raw_prediction``).
    dtype : {"float64", "float32"}, default="float64"
        dtype of ``y_true``, ``raw_prediction`` and of the preallocated
        outputs of fastloss and scikit-learn.  The NumPy reference always
        returns float64.
    n_threads : int, default=1
        Passed as ``n_threads`` to fastloss and scikit-learn (``-1``: all
        available CPUs; scikit-learn gets that number).  The NumPy reference
        is single-threaded.
    repeat : int, default=5
        Number of interleaved rounds; the median over rounds is reported.
    losses : iterable of str or None, default=None
        Names (keys of :data:`fastloss.LOSSES`) to run, in that order; None
        runs all of them.
    sklearn : bool, default=True
        Also time scikit-learn's loss objects when scikit-learn is importable.
    seed : int, default=0
        Seed of the data.
    progress : bool or object, default=False
        True shows a live progress line on stderr; an object with
        ``update(head, detail)`` and ``close()`` methods receives the updates.

    Returns
    -------
    result : dict
        JSON-serialisable, with keys

        ``"meta"``
            machine, versions and settings (``n_samples``, ``dtype``,
            ``n_threads``, ``threads_used``, ``repeat``, ``cpu_count``, ...).
        ``"results"``
            one dict per loss with ``loss``, ``class``, ``params``,
            ``status`` (``"ok"`` or ``"error"``), ``error``,
            ``ns_per_sample`` (median per library, None where not run),
            ``samples_ns_per_sample`` (every round), ``number`` (calls per
            measurement), ``speedup_vs_numpy``, ``speedup_vs_sklearn``
            (timing ratios other/fastloss, None where not available),
            ``max_rel_diff`` (largest ``|a - b| / (1 + |b|)`` of fastloss's
            loss and gradient against each other library on the warm-up
            call), ``agrees`` and ``notes``.

    Raises
    ------
    ValueError
        If ``n`` or ``repeat`` is not positive, ``dtype`` is not float32 or
        float64, or a name in ``losses`` is not in :data:`fastloss.LOSSES`.
    """
    import fastloss

    n = int(n)
    repeat = int(repeat)
    if n < 1:
        raise ValueError(f"n must be a positive integer, got {n}")
    if repeat < 1:
        raise ValueError(f"repeat must be a positive integer, got {repeat}")
    dtype = np.dtype(dtype).name
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    all_names = list(fastloss.LOSSES)
    names = all_names if losses is None else list(losses)
    unknown = [name for name in names if name not in fastloss.LOSSES]
    if unknown:
        raise ValueError(
            f"unknown loss name(s) {unknown}; valid names are {all_names}"
        )

    sk_loss = _sklearn_module() if sklearn else None
    threads_used = _resolve_threads(n_threads)
    reporter = progress if hasattr(progress, "update") else (
        _Progress() if progress else _NoProgress()
    )
    libraries = [lib for lib in LIBRARIES if lib != "sklearn" or sk_loss is not None]

    meta = {
        "benchmark": "loss_gradient",
        "reduction": "none",
        "outputs": (
            "fastloss and sklearn write into preallocated loss_out/gradient_out "
            "of the input dtype; the NumPy reference allocates float64 outputs"
        ),
        "n_samples": n,
        "dtype": dtype,
        "n_threads": n_threads,
        "threads_used": {
            "fastloss": threads_used,
            "numpy": 1,
            **({"sklearn": threads_used} if sk_loss is not None else {}),
        },
        "repeat": repeat,
        "statistic": "median",
        "unit": "ns/sample",
        "seed": seed,
        "multinomial_n_classes": MULTINOMIAL_N_CLASSES,
        "libraries": libraries,
        "cpu_count": os.cpu_count(),
        "cpu_available": _cpu_available(),
        "load_average": _load_average(),
        "openmp": _openmp_info(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _processor_name(),
        "python": platform.python_version(),
        "versions": {
            "fastloss": _version("fastloss"),
            "numpy": np.__version__,
            "sklearn": _version("scikit-learn") if sk_loss is not None else None,
        },
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }

    rows = []
    try:
        for index, name in enumerate(names, start=1):
            head = f"[{index}/{len(names)}] {name}"
            reporter.update(head, "...")
            rows.append(
                _bench_one(
                    name, fastloss.LOSSES[name], n, dtype, n_threads, repeat,
                    sk_loss, seed, reporter, head,
                )
            )
    finally:
        reporter.close()
    # The OpenMP runtime is only loaded once a threaded kernel ran.
    meta["openmp"] = _openmp_info()
    return {"meta": meta, "results": rows}


def _empty_row(name, loss_cls):
    return {
        "loss": name,
        "class": getattr(loss_cls, "__name__", str(loss_cls)),
        "params": {},
        "status": "ok",
        "error": None,
        "ns_per_sample": dict.fromkeys(LIBRARIES),
        "samples_ns_per_sample": {lib: [] for lib in LIBRARIES},
        "number": dict.fromkeys(LIBRARIES),
        "speedup_vs_numpy": None,
        "speedup_vs_sklearn": None,
        "max_rel_diff": {"numpy": None, "sklearn": None},
        "agrees": None,
        "notes": [],
    }


def _bench_one(name, loss_cls, n, dtype, n_threads, repeat, sk_loss, seed,
               reporter, head):
    row = _empty_row(name, loss_cls)
    try:
        loss, params, calls, notes = _prepare(
            name, loss_cls, n, dtype, n_threads, sk_loss, seed
        )
    except Exception as exc:  # noqa: BLE001 - reported in the row
        row["status"] = "error"
        row["error"] = f"setup: {type(exc).__name__}: {exc}"
        return row
    row["params"] = params
    row["notes"].extend(notes)

    # Warm-up: first call of each library (page faults, lazy imports, thread
    # pool start), calibration of `number`, and the agreement check.
    reporter.update(head, "warm-up")
    outputs = {}
    numbers = {}
    for lib in list(calls):
        try:
            t0 = time.perf_counter()
            out = calls[lib]()
            elapsed = time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001 - reported in the row
            message = f"{lib}: {type(exc).__name__}: {exc}"
            del calls[lib]
            if lib == "fastloss":
                row["status"] = "error"
                row["error"] = message
                return row
            row["notes"].append(message)
            continue
        outputs[lib] = out
        numbers[lib] = max(
            1, min(_MAX_NUMBER, math.ceil(_MIN_MEASUREMENT_S / max(elapsed, 1e-9)))
        )
    row["number"].update(numbers)

    rtol = _AGREEMENT_RTOL[dtype]
    agrees = True
    fl_loss, fl_grad = outputs["fastloss"]
    for lib in ("numpy", "sklearn"):
        if lib not in outputs:
            continue
        other_loss, other_grad = outputs[lib]
        diff = max(_max_rel_diff(fl_loss, other_loss), _max_rel_diff(fl_grad, other_grad))
        row["max_rel_diff"][lib] = diff
        if not diff <= rtol:
            agrees = False
            row["notes"].append(
                f"fastloss differs from {lib}: max |a-b|/(1+|b|) = {diff:.3g}"
            )
    row["agrees"] = agrees
    del outputs, fl_loss, fl_grad

    samples = {lib: [] for lib in calls}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for round_index in range(repeat):
            for lib, fn in calls.items():
                reporter.update(head, f"round {round_index + 1}/{repeat} {lib}")
                samples[lib].append(_measure(fn, numbers[lib]) / n)
    finally:
        if gc_was_enabled:
            gc.enable()

    for lib, values in samples.items():
        row["samples_ns_per_sample"][lib] = values
        row["ns_per_sample"][lib] = statistics.median(values)
    fl = row["ns_per_sample"]["fastloss"]
    for lib in ("numpy", "sklearn"):
        other = row["ns_per_sample"][lib]
        if other is not None and fl > 0:
            row[f"speedup_vs_{lib}"] = other / fl
    return row


def _processor_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _fmt_ns(value):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _fmt_speedup(value):
    if value is None:
        return "-"
    return f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


def _geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def format_table(result):
    """Render the result of :func:`bench` as a plain-text report.

    Parameters
    ----------
    result : dict
        The dict returned by :func:`bench` (or read back from its JSON).

    Returns
    -------
    text : str
        A header (machine, threads, dtype, versions, method) followed by one
        row per loss: loss | fastloss ns/sample | numpy ns/sample |
        sklearn ns/sample | speedup vs numpy | speedup vs sklearn, a geometric
        mean row and notes (errors, disagreements).
    """
    meta = result["meta"]
    rows = result["results"]
    versions = meta["versions"]
    threads = meta["threads_used"]
    lines = [
        f"fastloss bench: loss_gradient(reduction=\"none\"), n={meta['n_samples']:,} "
        f"samples, dtype={meta['dtype']}, multinomial with "
        f"{meta['multinomial_n_classes']} classes",
        f"machine: {meta['processor']}, {meta['cpu_count']} CPUs "
        f"({meta['cpu_available']} available), {meta['platform']}",
        "threads used: "
        + ", ".join(f"{lib} {count}" for lib, count in threads.items())
        + f" (--threads {meta['n_threads']})",
        "versions: "
        + ", ".join(f"{lib} {v}" for lib, v in versions.items() if v is not None)
        + f", Python {meta['python']}",
        f"timing: median of {meta['repeat']} interleaved rounds; {meta['outputs']}",
    ]
    load = meta.get("load_average")
    if load and load[0] > max(0.5, meta["cpu_available"] - 0.5):
        # Other processes compete for the CPUs: OpenMP barriers then wait for
        # descheduled threads and single calls can take a scheduler quantum.
        lines.append(
            f"WARNING: load average {load[0]} at start on {meta['cpu_available']} "
            "CPUs: the machine is busy and the timings are unreliable"
        )
    lines.append("")
    header = (
        "loss",
        "fastloss ns/sample",
        "numpy ns/sample",
        "sklearn ns/sample",
        "speedup vs numpy",
        "speedup vs sklearn",
    )
    body = []
    for row in rows:
        ns = row["ns_per_sample"]
        if row["status"] != "ok":
            body.append((row["loss"], "error", "-", "-", "-", "-"))
            continue
        body.append(
            (
                row["loss"],
                _fmt_ns(ns["fastloss"]),
                _fmt_ns(ns["numpy"]),
                _fmt_ns(ns["sklearn"]),
                _fmt_speedup(row["speedup_vs_numpy"]),
                _fmt_speedup(row["speedup_vs_sklearn"]),
            )
        )
    ok_rows = [row for row in rows if row["status"] == "ok"]
    if len(ok_rows) > 1:
        body.append(
            (
                "geometric mean",
                "",
                "",
                "",
                _fmt_speedup(_geomean([r["speedup_vs_numpy"] for r in ok_rows])),
                _fmt_speedup(_geomean([r["speedup_vs_sklearn"] for r in ok_rows])),
            )
        )
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def render(cells):
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:]))
        return " | ".join([first, *rest])

    lines.append(render(header))
    lines.append("-+-".join("-" * w for w in widths))
    lines.extend(render(cells) for cells in body)
    notes = []
    for row in rows:
        if row["error"]:
            notes.append(f"{row['loss']}: ERROR {row['error']}")
        for note in row["notes"]:
            notes.append(f"{row['loss']}: {note}")
    if notes:
        lines.append("")
        lines.append("notes:")
        lines.extend(f"  {note}" for note in notes)
    return "\n".join(lines)
