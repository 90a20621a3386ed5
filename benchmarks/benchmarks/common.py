"""Shared base of the fastloss asv benchmarks.

Everything here must import against any version of fastloss, including one
where a loss, the NumPy reference or fastloss itself is missing: the
benchmark matrix is fixed at import time and a combination that cannot run
raises :class:`NotImplementedError` in ``setup``, which asv reports as
skipped ("n/a") rather than failed.
"""

import inspect
import math
import statistics
import time

import numpy as np

try:
    import fastloss
except ImportError:  # asv discovers the suite even without the package
    fastloss = None

try:
    from fastloss import reference
except ImportError:
    reference = None

#: Keys of ``fastloss.LOSSES`` benchmarked (fixed so the matrix is stable).
LOSS_NAMES = (
    "squared_error",
    "absolute_error",
    "pinball_loss",
    "huber_loss",
    "poisson_loss",
    "gamma_loss",
    "tweedie_loss",
    "tweedie_loss_identity",
    "binomial_loss",
    "exponential_loss",
    "multinomial_loss",
)
DTYPES = ("float32", "float64")
SIZES = (10_000, 1_000_000)
MULTINOMIAL_N_CLASSES = 10
SEED = 0

# Loss parameters the reference takes explicitly (values read from the loss).
_REFERENCE_PARAMS = {
    "pinball_loss": ("quantile",),
    "huber_loss": ("quantile", "delta"),
    "tweedie_loss": ("power",),
    "tweedie_loss_identity": ("power",),
}


def get_loss(name):
    """Instantiate loss ``name`` with default parameters, or skip.

    Multinomial gets ``n_classes=MULTINOMIAL_N_CLASSES``.

    Raises
    ------
    NotImplementedError
        If fastloss is not importable or has no loss ``name``.
    """
    losses = getattr(fastloss, "LOSSES", None) or {}
    if name not in losses:
        raise NotImplementedError(f"fastloss has no loss {name!r}")
    if name == "multinomial_loss":
        return losses[name](n_classes=MULTINOMIAL_N_CLASSES)
    return losses[name]()


def reference_params(name, loss):
    """Keyword arguments for :mod:`fastloss.reference` matching ``loss``."""
    params = {key: float(getattr(loss, key)) for key in _REFERENCE_PARAMS.get(name, ())}
    if name == "multinomial_loss":
        params["n_classes"] = int(loss.n_classes)
    return params


def has_keyword(method, keyword):
    """Whether ``method`` accepts ``keyword`` (for optional API features)."""
    try:
        return keyword in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _expit(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def make_data(name, n, dtype, n_classes=MULTINOMIAL_N_CLASSES, seed=SEED):
    """Return C-contiguous ``(y_true, raw_prediction)`` of ``dtype``.

    ``raw_prediction`` ~ N(0, 1) (``exp`` of it for the identity-link Tweedie
    loss, whose prediction must be positive; shape ``(n, n_classes)`` for the
    multinomial loss) and ``y_true`` is drawn from the loss's model around it:
    Gaussian noise, Poisson counts, Gamma or compound Poisson-Gamma values,
    0/1 labels, class labels.
    """
    rng = np.random.default_rng(seed)
    if name == "multinomial_loss":
        raw = rng.standard_normal((n, n_classes))
        y = rng.integers(0, n_classes, size=n).astype(np.float64)
    else:
        raw = rng.standard_normal(n)
        mean = np.exp(raw)
        if name == "poisson_loss":
            y = rng.poisson(mean).astype(np.float64)
        elif name == "gamma_loss":
            y = rng.gamma(2.0, mean / 2.0)
        elif name in ("tweedie_loss", "tweedie_loss_identity"):
            # compound Poisson-Gamma for power 1.5, dispersion 1
            y = rng.gamma(rng.poisson(2.0 * np.sqrt(mean)) * 1.0, 0.5 * np.sqrt(mean))
            if name == "tweedie_loss_identity":
                raw = mean
        elif name == "binomial_loss":
            y = (rng.random(n) < _expit(raw)).astype(np.float64)
        elif name == "exponential_loss":
            y = (rng.random(n) < _expit(2.0 * raw)).astype(np.float64)
        else:
            y = raw + rng.standard_normal(n)
    return (
        np.ascontiguousarray(y, dtype=dtype),
        np.ascontiguousarray(raw, dtype=dtype),
    )


def touched(array):
    """Fill ``array`` so that its pages are mapped before timing; return it."""
    array.fill(0.0)
    return array


class LossBenchmark:
    """Base class: data for one (loss, dtype, n) made and paged in by setup.

    Subclasses call :meth:`make` from their ``setup``.  Work is single-threaded
    (``n_threads=1``) so that results compare across machines.
    """

    timeout = 180
    n_threads = 1

    def make(self, name, dtype, n):
        self.name = name
        self.loss = get_loss(name)
        self.y_true, self.raw_prediction = make_data(name, n, dtype)
        self.loss_out = touched(np.empty(n, dtype=dtype))
        self.gradient_out = touched(np.empty_like(self.raw_prediction))


# ---------------------------------------------------------------------------
# floor kernels: stream exactly the bytes of a fused call, no maths
# ---------------------------------------------------------------------------

#: The compiled floor kernels of ``fastloss._kernels.kernels``.
FLOOR_KERNELS = ("stream_floor", "stream_floor_multinomial", "stream_floor_reduce")


def floor_kernel_name(name, reduction="none"):
    """The floor kernel matching ``loss_gradient`` of loss ``name``.

    1-D losses: ``stream_floor`` (read y and raw, write two arrays), or for
    ``reduction="mean"`` ``stream_floor_reduce`` (read two, write one).  The
    multinomial loss: ``stream_floor_multinomial`` (read y (n) and raw (n, K),
    write loss (n) and gradient (n, K)) for either reduction, as there is no
    reduce variant for it (one n-array more than a mean call moves).
    """
    if name == "multinomial_loss":
        return "stream_floor_multinomial"
    return "stream_floor" if reduction == "none" else "stream_floor_reduce"


def floor_call(kernel, y_true, raw_prediction, n_threads=1):
    """Return a no-argument callable running floor ``kernel`` on the data.

    Its outputs are allocated and paged in here.

    Raises
    ------
    NotImplementedError
        If this fastloss has no such kernel.
    """
    try:
        from fastloss._kernels import kernels
    except Exception:  # noqa: BLE001 - an old or broken build
        kernels = None
    fn = getattr(kernels, kernel, None)
    if fn is None:
        raise NotImplementedError(f"this fastloss has no floor kernel {kernel}")
    out1 = touched(np.empty(y_true.shape[0], dtype=raw_prediction.dtype))
    if kernel == "stream_floor_reduce":
        return lambda: fn(y_true, raw_prediction, out1, n_threads)
    out2 = touched(np.empty_like(raw_prediction))
    return lambda: fn(y_true, raw_prediction, out1, out2, n_threads)


def _number(fn, min_seconds):
    t0 = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t0
    return max(1, math.ceil(min_seconds / max(elapsed, 1e-9)))


def ratio_of_medians(fn, floor_fn, rounds=5, min_seconds=0.01):
    """Median time of ``fn`` over the median time of ``floor_fn``.

    The two are timed alternately in the same ``rounds`` (so that a drift of
    the machine hits both alike), each measurement looping the call until it
    lasts at least ``min_seconds``.  Both are called once first (warm-up).
    """
    number = {f: _number(f, min_seconds) for f in (fn, floor_fn)}
    times = {fn: [], floor_fn: []}
    for _ in range(rounds):
        for f in (fn, floor_fn):
            t0 = time.perf_counter()
            for _ in range(number[f]):
                f()
            times[f].append((time.perf_counter() - t0) / number[f])
    return statistics.median(times[fn]) / statistics.median(times[floor_fn])
