"""Benchmark of the fused ``loss_gradient``: fastloss vs its floor and its peers.

This module is the logic behind ``python -m fastloss bench`` (the command line
lives in :mod:`fastloss.__main__`).  For every loss of :data:`fastloss.LOSSES`
it times, on the same data and in the same round,

* ``floor``: the compiled streaming kernel of :mod:`fastloss._kernels` that
  moves exactly the bytes of the fused call and does no maths (read
  ``y_true`` and ``raw_prediction``, write two arrays: ``stream_floor``; the
  multinomial loss's ``stream_floor_multinomial`` reads ``y`` (n) and ``raw``
  (n, K) and writes ``loss`` (n) and ``gradient`` (n, K)), in the run's dtype,
  with the same number of threads as fastloss;
* ``fastloss``: ``loss.loss_gradient(y_true, raw_prediction, loss_out=...,
  gradient_out=..., n_threads=...)``, the default call (validated,
  ``reduction="none"``) writing into **preallocated** per-sample outputs of the
  input dtype;
* ``numpy``: :func:`fastloss.reference.loss_gradient`, the plain NumPy oracle,
  which has no ``out`` parameters and so allocates its outputs (float64);
* ``sklearn``: the scikit-learn loss object of the same class name, writing
  into the same kind of preallocated outputs (it needs same-dtype C-contiguous
  inputs and explicit out arrays to avoid extra copies);
* ``torch`` (when PyTorch is importable): the per-sample loss **and** gradient
  computed with PyTorch CPU tensor ops on ``torch.from_numpy`` views of the
  same arrays, in the input dtype, under ``torch.set_num_threads(threads)``.
  There is no autograd here: each loss is written as its explicit closed-form
  loss and gradient (as the NumPy reference is), e.g. ``softplus(r) - y r``
  and ``sigmoid(r) - y`` for the binomial loss, ``-log_softmax(r)[y]`` and
  ``exp(log_softmax(r)) - onehot(y)`` for the multinomial loss.  The final
  operation of each output writes into preallocated tensors of the input
  dtype (``out=``); intermediate results are allocated by PyTorch as usual.
  See :func:`torch_loss_gradient`.

With ``reduction="mean"`` the fused call is ``loss_gradient(...,
reduction="mean", gradient_out=...)`` (a float and the gradient, no per-sample
loss array), its floor is ``stream_floor_reduce`` (read two arrays, write one)
and its only peer is the NumPy reference followed by ``loss.mean()`` and
``gradient / n`` (scikit-learn and PyTorch have no such fused call).

Each measurement is repeated ``repeat`` times in interleaved rounds, so that
slow drifts of the machine (frequency, other load) hit the columns alike:
first fastloss and its floor, then the peers (whose large allocations slow
whatever runs after them; see ``_bench_one``); the reported figure is the
median, in nanoseconds per sample.
The ratios are ``fastloss / floor`` and ``fastloss / best peer`` (the fastest
of numpy, sklearn and torch): below 1 fastloss is faster than every peer.
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

__all__ = [
    "bench",
    "format_table",
    "make_data",
    "plot",
    "torch_loss_gradient",
    "LIBRARIES",
    "PEERS",
    "COLUMNS",
    "REDUCTIONS",
]

#: The libraries compared, in the order they run within a round.
LIBRARIES = ("fastloss", "numpy", "sklearn", "torch")
#: The libraries fastloss is compared against ("best peer" is the fastest).
PEERS = ("numpy", "sklearn", "torch")
#: Every timed column, in round order: the floor kernel, then the libraries.
COLUMNS = ("floor", *LIBRARIES)
#: Values of ``reduction`` the bench can time.
REDUCTIONS = ("none", "mean")
# The columns of each reduction (scikit-learn and PyTorch have no fused mean).
_MODE_COLUMNS = {
    "none": COLUMNS,
    "mean": ("floor", "fastloss", "numpy"),
}

DEFAULT_N = 1_000_000
DEFAULT_REPEAT = 5
DEFAULT_SEED = 0
#: Classes of the multinomial loss in the benchmark.
MULTINOMIAL_N_CLASSES = 10

# A single call at small n is shorter than the timer's jitter and the Python
# call overhead dominates anyway, so each measurement loops the call until it
# lasts at least this long (as timeit's autorange does).  At the default
# n = 1e6 the slow calls run once per measurement.
_MIN_MEASUREMENT_S = 0.05
_MAX_NUMBER = 100_000

# Loss parameters the reference needs explicitly; read from the fastloss object
# so that all libraries compute the same loss.
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
    """Mean duration of one call in ns over ``number`` back-to-back calls,
    after one untimed call.

    The untimed call absorbs what the previous column left behind: the first
    call after a peer that allocated and freed large arrays (the NumPy
    reference, at n = 1e7) ran 2-4x slower than the next ones (measured:
    the multinomial floor, float64, 14-32 ns/row first, then 6.7-7.7), and
    in the interleaved rounds that first call was always the floor's, which
    made every ratio to the floor look better than it was.
    """
    fn()
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



def _max_abs_rel(a, b):
    return _max_rel_diff(np.atleast_1d(a), np.atleast_1d(b))


# ---------------------------------------------------------------------------
# PyTorch: explicit closed-form loss and gradient with torch tensor ops
# ---------------------------------------------------------------------------

def _torch_module():
    try:
        import torch
    except Exception:  # noqa: BLE001 - torch missing or broken: no column
        return None
    return torch


def torch_loss_gradient(name, params, torch):
    """PyTorch's closest equivalent of a fused ``loss_gradient``, or None.

    Parameters
    ----------
    name : str
        Key of :data:`fastloss.LOSSES`.
    params : dict
        The loss's parameters (``quantile``, ``delta``, ``power``), as for
        :mod:`fastloss.reference`.
    torch : module
        The imported ``torch`` module.

    Returns
    -------
    fn : callable or None
        ``fn(y, raw, loss_out, gradient_out)`` on torch CPU tensors of one
        float dtype (``raw`` and ``gradient_out`` of shape (n, K) for the
        multinomial loss) writing the unweighted per-sample loss and its
        gradient with respect to ``raw``, computed in that dtype with explicit
        closed-form formulas (no autograd).  The last operation of each
        output writes into ``loss_out`` / ``gradient_out`` (``out=``); the
        intermediates are allocated by PyTorch.  None where no equivalent is
        written (Tweedie powers 0, 1 and 2 with the identity link).
    """
    F = torch.nn.functional

    if name == "squared_error":
        def fn(y, r, lo, go):
            torch.sub(r, y, out=go)                      # r - y
            torch.mul(go, go, out=lo)
            lo.mul_(0.5)                                 # (r - y)^2 / 2
    elif name == "absolute_error":
        def fn(y, r, lo, go):
            d = r - y
            torch.abs(d, out=lo)
            one = d.new_ones(())
            torch.where(d > 0, one, -one, out=go)        # +1 if r > y else -1
    elif name == "pinball_loss":
        q = float(params.get("quantile", 0.5))

        def fn(y, r, lo, go):
            d = y - r
            upper = d >= 0
            torch.where(upper, q * d, (q - 1.0) * d, out=lo)
            torch.where(upper, d.new_full((), -q), d.new_full((), 1.0 - q), out=go)
    elif name == "huber_loss":
        delta = float(params.get("delta", 0.5))

        def fn(y, r, lo, go):
            d = r - y
            a = d.abs()
            torch.where(a <= delta, 0.5 * d * d, delta * (a - 0.5 * delta), out=lo)
            torch.clamp(d, -delta, delta, out=go)        # d or delta * sign(d)
    elif name == "poisson_loss":
        def fn(y, r, lo, go):
            e = torch.exp(r)
            torch.sub(e, y * r, out=lo)                  # exp(r) - y r
            torch.sub(e, y, out=go)                      # exp(r) - y
    elif name == "gamma_loss":
        def fn(y, r, lo, go):
            t = y * torch.exp(-r)
            torch.add(r, t, out=lo)                      # r + y exp(-r)
            torch.neg(t, out=go)
            go.add_(1.0)                                 # 1 - y exp(-r)
    elif name == "tweedie_loss":
        p = float(params.get("power", 1.5))
        if p == 0.0:
            def fn(y, r, lo, go):
                e = torch.exp(r)
                d = e - y
                torch.mul(d, d, out=lo)
                lo.mul_(0.5)
                torch.mul(e, d, out=go)
        elif p == 1.0:
            return torch_loss_gradient("poisson_loss", params, torch)
        elif p == 2.0:
            return torch_loss_gradient("gamma_loss", params, torch)
        else:
            a, b = 2.0 - p, 1.0 - p

            def fn(y, r, lo, go):
                ea = torch.exp(a * r)                    # mu^(2-p)
                yeb = y * torch.exp(b * r)               # y mu^(1-p)
                torch.sub(ea / a, yeb / b, out=lo)
                torch.sub(ea, yeb, out=go)
    elif name == "tweedie_loss_identity":
        p = float(params.get("power", 1.5))
        if p in (0.0, 1.0, 2.0):
            return None
        a, b = 2.0 - p, 1.0 - p

        def fn(y, r, lo, go):
            rb = torch.pow(r, b)                         # r^(1-p)
            const = torch.where(y > 0, torch.pow(y, a), 0.0) / (a * b)
            torch.add(rb * r / a - y * rb / b, const, out=lo)
            torch.mul(rb / r, r - y, out=go)             # r^(-p) (r - y)
    elif name == "binomial_loss":
        def fn(y, r, lo, go):
            torch.sub(F.softplus(r), y * r, out=lo)      # log(1 + e^r) - y r
            torch.sub(torch.sigmoid(r), y, out=go)       # expit(r) - y
    elif name == "exponential_loss":
        def fn(y, r, lo, go):
            neg = y * torch.exp(-r)
            pos = (1.0 - y) * torch.exp(r)
            torch.add(neg, pos, out=lo)
            torch.sub(pos, neg, out=go)
    elif name == "multinomial_loss":
        def fn(y, r, lo, go):
            labels = y.long().unsqueeze(1)
            log_p = torch.log_softmax(r, dim=1)
            torch.neg(log_p.gather(1, labels).squeeze(1), out=lo)
            torch.exp(log_p, out=go)                     # softmax
            go.scatter_add_(1, labels, torch.full_like(lo, -1.0).unsqueeze(1))
    else:
        return None
    return fn


# ---------------------------------------------------------------------------
# floor kernels
# ---------------------------------------------------------------------------

def _floor_module():
    try:
        from fastloss._kernels import kernels
    except Exception:  # noqa: BLE001 - an old or broken build: no floor
        return None
    return kernels


def _kernel_variant(kernels):
    if kernels is None:
        return None
    leaf = kernels.__name__.rsplit(".", 1)[-1]
    return {"_loss": "baseline"}.get(leaf, leaf.replace("_loss_", ""))


def _floor_call(kernels, reduction, y, raw, threads):
    """Return ``(fn, kernel_name, note)`` of the floor matching one call.

    ``fn`` is None (and ``note`` says why) where this build lacks the kernel.
    """
    multiclass = raw.ndim == 2
    if reduction == "none" or multiclass:
        kernel = "stream_floor_multinomial" if multiclass else "stream_floor"
    else:
        kernel = "stream_floor_reduce"
    note = None
    if multiclass and reduction == "mean":
        k = raw.shape[1]
        note = (
            f"floor: no reduce variant for (n, {k}) raw; stream_floor_multinomial "
            f"also writes the n-sample loss ({2 * k + 2} values moved per row "
            f"instead of {2 * k + 1})"
        )
    fn_kernel = getattr(kernels, kernel, None) if kernels is not None else None
    if fn_kernel is None:
        return None, kernel, f"floor: this build has no {kernel}"
    n = y.shape[0]
    out1 = _touched(np.empty(n, dtype=raw.dtype))
    if kernel == "stream_floor_reduce":
        def fn():
            fn_kernel(y, raw, out1, threads)
    else:
        out2 = _touched(np.empty_like(raw))

        def fn():
            fn_kernel(y, raw, out1, out2, threads)
    return fn, kernel, note


def _prepare(name, loss_cls, n, dtype, n_threads, sk_loss, torch, kernels,
             reduction, seed):
    """Build the per-column callables for one loss (untimed)."""
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
    notes = []
    floor_fn, floor_kernel, note = _floor_call(kernels, reduction, y, raw, threads)
    if note:
        notes.append(note)
    if floor_fn is not None:
        calls["floor"] = floor_fn

    if reduction == "mean":
        calls["fastloss"] = lambda: loss.loss_gradient(
            y, raw, gradient_out=gradient_out, n_threads=n_threads, reduction="mean"
        )

        def numpy_mean():
            lss, grad = reference.loss_gradient(name, y, raw, **params)
            grad /= n
            return float(lss.mean()), grad

        calls["numpy"] = numpy_mean
        return loss, params, floor_kernel, calls, notes

    calls["fastloss"] = lambda: loss.loss_gradient(
        y, raw, loss_out=loss_out, gradient_out=gradient_out, n_threads=n_threads
    )
    calls["numpy"] = lambda: reference.loss_gradient(name, y, raw, **params)

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

    if torch is not None:
        torch_fn = torch_loss_gradient(name, params, torch)
        if torch_fn is None:
            notes.append(f"torch: no equivalent written for {name} with {params}")
        else:
            t_loss_np = _touched(np.empty(n, dtype=dtype))
            t_grad_np = _touched(np.empty_like(raw))
            t_y, t_raw = torch.from_numpy(y), torch.from_numpy(raw)
            t_loss, t_grad = torch.from_numpy(t_loss_np), torch.from_numpy(t_grad_np)

            def torch_call():
                torch_fn(t_y, t_raw, t_loss, t_grad)
                return t_loss_np, t_grad_np

            calls["torch"] = torch_call
    return loss, params, floor_kernel, calls, notes


def bench(
    n=DEFAULT_N,
    dtype="float64",
    n_threads=1,
    repeat=DEFAULT_REPEAT,
    losses=None,
    sklearn=True,
    seed=DEFAULT_SEED,
    progress=False,
    torch=True,
    reduction="none",
):
    """Time ``loss_gradient`` of fastloss against its floor and its peers.

    Parameters
    ----------
    n : int, default=1_000_000
        Number of samples (rows of ``raw_prediction``).
    dtype : {"float64", "float32"}, default="float64"
        dtype of ``y_true``, ``raw_prediction``, of the floor kernel and of
        the preallocated outputs of fastloss, scikit-learn and PyTorch.  The
        NumPy reference always returns float64.
    n_threads : int, default=1
        Passed as ``n_threads`` to fastloss, the floor kernel and
        scikit-learn, and to ``torch.set_num_threads`` (``-1``: all available
        CPUs; the others get that number).  The NumPy reference is
        single-threaded.
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
    torch : bool, default=True
        Also time PyTorch (see :func:`torch_loss_gradient`) when it is
        importable.
    reduction : {"none", "mean"}, default="none"
        ``"none"``: per-sample outputs, every column.  ``"mean"``:
        ``loss_gradient(reduction="mean")`` against the
        ``stream_floor_reduce`` floor and the NumPy reference's mean (no
        scikit-learn or PyTorch column).

    Returns
    -------
    result : dict
        JSON-serialisable, with keys

        ``"meta"``
            machine, versions and settings (``n_samples``, ``dtype``,
            ``reduction``, ``n_threads``, ``threads_used``, ``repeat``,
            ``columns`` (every column of this mode, in round order),
            ``libraries`` (those that are run), ``peers``,
            ``kernel_variant``, ``cpu_count``, ...).
        ``"results"``
            one dict per loss with ``loss``, ``class``, ``params``,
            ``status`` (``"ok"`` or ``"error"``), ``error``,
            ``ns_per_sample`` (median per column of :data:`COLUMNS`, None
            where not run), ``samples_ns_per_sample`` (every round),
            ``number`` (calls per measurement), ``floor_kernel``,
            ``ratio_to_floor`` (fastloss / floor), ``best_peer`` and
            ``ratio_to_best_peer`` (fastloss / the fastest peer: below 1
            fastloss is faster than all of them), ``speedup_vs_numpy``,
            ``speedup_vs_sklearn``, ``speedup_vs_torch`` (timing ratios
            other/fastloss), ``max_rel_diff`` (largest ``|a - b| / (1 + |b|)``
            of fastloss's loss and gradient against each peer on the warm-up
            call), ``agrees`` and ``notes``.  Values not available are None.

    Raises
    ------
    ValueError
        If ``n`` or ``repeat`` is not positive, ``dtype`` is not float32 or
        float64, ``reduction`` is not "none" or "mean", or a name in
        ``losses`` is not in :data:`fastloss.LOSSES`.
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
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    all_names = list(fastloss.LOSSES)
    names = all_names if losses is None else list(losses)
    unknown = [name for name in names if name not in fastloss.LOSSES]
    if unknown:
        raise ValueError(
            f"unknown loss name(s) {unknown}; valid names are {all_names}"
        )

    columns = _MODE_COLUMNS[reduction]
    sk_loss = _sklearn_module() if sklearn and "sklearn" in columns else None
    torch_mod = _torch_module() if torch and "torch" in columns else None
    kernels = _floor_module()
    threads_used = _resolve_threads(n_threads)
    reporter = progress if hasattr(progress, "update") else (
        _Progress() if progress else _NoProgress()
    )
    available = {
        "fastloss": True,
        "numpy": True,
        "sklearn": sk_loss is not None,
        "torch": torch_mod is not None,
    }
    libraries = [lib for lib in LIBRARIES if lib in columns and available[lib]]

    meta = {
        "benchmark": "loss_gradient",
        "reduction": reduction,
        "outputs": (
            "fastloss, sklearn and torch write into preallocated loss_out/"
            "gradient_out of the input dtype; the NumPy reference allocates "
            "float64 outputs"
            if reduction == "none"
            else "fastloss writes the gradient into a preallocated gradient_out "
            "of the input dtype and returns the mean loss (no per-sample loss "
            "array); the NumPy reference allocates float64 outputs, then takes "
            "loss.mean() and gradient / n"
        ),
        "n_samples": n,
        "dtype": dtype,
        "n_threads": n_threads,
        "threads_used": {
            "floor": threads_used,
            "fastloss": threads_used,
            "numpy": 1,
            **({"sklearn": threads_used} if sk_loss is not None else {}),
            **({"torch": threads_used} if torch_mod is not None else {}),
        },
        "repeat": repeat,
        "statistic": "median",
        "unit": "ns/sample",
        "seed": seed,
        "multinomial_n_classes": MULTINOMIAL_N_CLASSES,
        "columns": list(columns),
        "libraries": libraries,
        "peers": [lib for lib in PEERS if lib in libraries],
        "kernel_variant": _kernel_variant(kernels),
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
            "torch": (
                getattr(torch_mod, "__version__", None) if torch_mod is not None else None
            ),
        },
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }

    torch_threads = None
    if torch_mod is not None:
        torch_threads = torch_mod.get_num_threads()
        torch_mod.set_num_threads(threads_used)
    rows = []
    try:
        for index, name in enumerate(names, start=1):
            head = f"[{index}/{len(names)}] {name}"
            reporter.update(head, "...")
            rows.append(
                _bench_one(
                    name, fastloss.LOSSES[name], n, dtype, n_threads, repeat,
                    sk_loss, torch_mod, kernels, reduction, seed, reporter, head,
                )
            )
    finally:
        reporter.close()
        if torch_threads is not None:
            torch_mod.set_num_threads(torch_threads)
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
        "ns_per_sample": dict.fromkeys(COLUMNS),
        "samples_ns_per_sample": {col: [] for col in COLUMNS},
        "number": dict.fromkeys(COLUMNS),
        "floor_kernel": None,
        "ratio_to_floor": None,
        "best_peer": None,
        "ratio_to_best_peer": None,
        "speedup_vs_numpy": None,
        "speedup_vs_sklearn": None,
        "speedup_vs_torch": None,
        "max_rel_diff": dict.fromkeys(PEERS),
        "agrees": None,
        "notes": [],
    }


def _bench_one(name, loss_cls, n, dtype, n_threads, repeat, sk_loss, torch,
               kernels, reduction, seed, reporter, head):
    row = _empty_row(name, loss_cls)
    try:
        loss, params, floor_kernel, calls, notes = _prepare(
            name, loss_cls, n, dtype, n_threads, sk_loss, torch, kernels,
            reduction, seed,
        )
    except Exception as exc:  # noqa: BLE001 - reported in the row
        row["status"] = "error"
        row["error"] = f"setup: {type(exc).__name__}: {exc}"
        return row
    row["params"] = params
    row["floor_kernel"] = floor_kernel if "floor" in calls else None
    row["notes"].extend(notes)

    # Two groups of rounds: fastloss and its floor interleaved, then the
    # peers interleaved, each group warmed up just before its rounds.  The
    # NumPy reference (and PyTorch) allocate and free arrays of the size of
    # the data, and that slows whatever runs next for seconds, beyond one
    # untimed call (_measure): at n = 1e7, 10 classes, after allocating and
    # freeing 1.6 GB the multinomial floor took 12.8 ns/row instead of 5.9 and
    # fastloss 23-25 instead of 18.6 (float64, measured in a loop with and
    # without that churn).  Interleaved with the peers, or right after their
    # warm-up calls, the floor and fastloss were timed in those conditions.
    own = [lib for lib in calls if lib in ("floor", "fastloss")]
    groups = [own, [lib for lib in calls if lib not in own]]
    outputs = {}
    numbers = {}
    samples = {}
    for group in groups:
        # Warm-up: first call of each column (page faults, lazy imports,
        # thread pool start), calibration of `number`, and the outputs for
        # the agreement check.
        reporter.update(head, "warm-up")
        for lib in group:
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
            if lib != "floor":
                outputs[lib] = out
            numbers[lib] = max(
                1, min(_MAX_NUMBER, math.ceil(_MIN_MEASUREMENT_S / max(elapsed, 1e-9)))
            )
        timed = [lib for lib in group if lib in calls]
        for lib in timed:
            samples[lib] = []
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for round_index in range(repeat):
                for lib in timed:
                    reporter.update(head, f"round {round_index + 1}/{repeat} {lib}")
                    samples[lib].append(_measure(calls[lib], numbers[lib]) / n)
        finally:
            if gc_was_enabled:
                gc.enable()
    row["number"].update(numbers)

    rtol = _AGREEMENT_RTOL[dtype]
    agrees = True
    fl_loss, fl_grad = outputs["fastloss"]
    for lib in PEERS:
        if lib not in outputs:
            continue
        other_loss, other_grad = outputs[lib]
        diff = max(_max_abs_rel(fl_loss, other_loss), _max_abs_rel(fl_grad, other_grad))
        row["max_rel_diff"][lib] = diff
        if not diff <= rtol:
            agrees = False
            row["notes"].append(
                f"fastloss differs from {lib}: max |a-b|/(1+|b|) = {diff:.3g}"
            )
    row["agrees"] = agrees
    del outputs, fl_loss, fl_grad

    for lib, values in samples.items():
        row["samples_ns_per_sample"][lib] = values
        row["ns_per_sample"][lib] = statistics.median(values)
    ns = row["ns_per_sample"]
    fl = ns["fastloss"]
    if fl > 0:
        for lib in PEERS:
            if ns[lib] is not None:
                row[f"speedup_vs_{lib}"] = ns[lib] / fl
    if ns["floor"]:
        row["ratio_to_floor"] = fl / ns["floor"]
    peers = {lib: ns[lib] for lib in PEERS if ns[lib]}
    if peers:
        best = min(peers, key=peers.get)
        row["best_peer"] = best
        row["ratio_to_best_peer"] = fl / peers[best]
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


def _fmt_ratio(value):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


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
        row per loss: loss | the median ns per sample of each column (floor,
        fastloss, numpy, sklearn, torch; ``-`` where not run) | fastloss /
        floor | fastloss / best peer | best peer, a geometric mean row of the
        ratios and notes (missing columns, errors, disagreements).
    """
    meta = result["meta"]
    rows = result["results"]
    versions = meta["versions"]
    threads = meta["threads_used"]
    reduction = meta.get("reduction", "none")
    columns = meta.get("columns") or list(_MODE_COLUMNS[reduction])
    peers = [lib for lib in PEERS if lib in columns]
    floors = sorted({row["floor_kernel"] for row in rows if row.get("floor_kernel")})
    variant = meta.get("kernel_variant")
    lines = [
        f"fastloss bench: loss_gradient(reduction=\"{reduction}\"), "
        f"n={meta['n_samples']:,} samples, dtype={meta['dtype']}, multinomial with "
        f"{meta['multinomial_n_classes']} classes",
        f"machine: {meta['processor']}, {meta['cpu_count']} CPUs "
        f"({meta['cpu_available']} available), {meta['platform']}",
        "threads used: "
        + ", ".join(f"{lib} {count}" for lib, count in threads.items())
        + f" (--threads {meta['n_threads']})",
        "versions: "
        + ", ".join(f"{lib} {v}" for lib, v in versions.items() if v is not None)
        + f", Python {meta['python']}",
        f"timing: median of {meta['repeat']} interleaved rounds, ns per sample; "
        f"{meta['outputs']}",
        "floor: "
        + (
            ", ".join(floors)
            + (f" ({variant} kernels)" if variant else "")
            + ": stream the call's bytes, no maths"
            if floors
            else "not available in this build"
        ),
        "ratios: fastloss / floor, fastloss / best peer (fastest of "
        + ", ".join(peers)
        + "; below 1: fastloss is faster than every peer)",
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
    header = ("loss", *columns, "/ floor", "/ best peer", "best peer")
    body = []
    for row in rows:
        ns = row["ns_per_sample"]
        if row["status"] != "ok":
            body.append((row["loss"], *(["-"] * (len(header) - 2)), "error"))
            continue
        body.append(
            (
                row["loss"],
                *(_fmt_ns(ns.get(col)) for col in columns),
                _fmt_ratio(row.get("ratio_to_floor")),
                _fmt_ratio(row.get("ratio_to_best_peer")),
                row.get("best_peer") or "-",
            )
        )
    ok_rows = [row for row in rows if row["status"] == "ok"]
    if len(ok_rows) > 1:
        body.append(
            (
                "geometric mean",
                *([""] * len(columns)),
                _fmt_ratio(_geomean([r.get("ratio_to_floor") for r in ok_rows])),
                _fmt_ratio(_geomean([r.get("ratio_to_best_peer") for r in ok_rows])),
                "",
            )
        )
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def render(cells):
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:]))
        return " | ".join([first, *rest]).rstrip()

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


# Bar colours by column (colour-blind-safe Okabe-Ito palette).
_PLOT_COLOURS = {
    "fastloss": "#0072B2",
    "numpy": "#E69F00",
    "sklearn": "#009E73",
    "torch": "#CC79A7",
}


def plot(result, path):
    """Draw the result of :func:`bench` as a grouped bar chart in ``path``.

    One group of bars per loss, one bar per library (median ns per sample,
    log y axis), the floor drawn as a black line across its group.  Needs
    matplotlib (imported here, lazily; the pyplot state is not touched).

    Parameters
    ----------
    result : dict
        The dict returned by :func:`bench` (or read back from its JSON).
    path : str or path-like
        The image file to write; the format follows its suffix (``.png``).

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "plotting the bench needs matplotlib, which is not installed: "
            "pip install matplotlib (or: pip install 'fastloss[plot]')"
        ) from exc

    meta = result["meta"]
    rows = [row for row in result["results"] if row["status"] == "ok"]
    columns = meta.get("columns") or list(COLUMNS)
    libs = [lib for lib in LIBRARIES if lib in columns
            and any(row["ns_per_sample"].get(lib) for row in rows)]
    n_libs = max(1, len(libs))
    width = 0.8 / n_libs

    fig = Figure(figsize=(max(7.0, 1.0 + 1.0 * len(rows)), 5.0), layout="constrained")
    ax = fig.add_subplot()
    for j, lib in enumerate(libs):
        xs, heights = [], []
        for i, row in enumerate(rows):
            value = row["ns_per_sample"].get(lib)
            if value:
                xs.append(i - 0.4 + width * (j + 0.5))
                heights.append(value)
        ax.bar(xs, heights, width, label=lib, color=_PLOT_COLOURS.get(lib))
    floor_label = "floor"
    for i, row in enumerate(rows):
        value = row["ns_per_sample"].get("floor")
        if value:
            ax.hlines(value, i - 0.45, i + 0.45, colors="black", linewidth=2,
                      label=floor_label, zorder=3)
            floor_label = None  # one legend entry
    ax.set_yscale("log")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([row["loss"] for row in rows], rotation=30, ha="right")
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylabel("ns per sample (median, log scale)")
    threads = meta["threads_used"].get("fastloss")
    ax.set_title(
        f"loss_gradient(reduction=\"{meta.get('reduction', 'none')}\"): "
        f"n={meta['n_samples']:,}, {meta['dtype']}, {threads} thread"
        f"{'s' if threads != 1 else ''}, {meta['processor']}",
        fontsize=9,
    )
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend(ncols=min(5, len(libs) + 1), fontsize=8)
    fig.savefig(path, dpi=120)
