"""Loss classes: validate, allocate, dispatch.

Each class mirrors the scikit-learn loss of the same name (``sklearn._loss.loss``):
same constructor, attributes, methods, keywords, defaults and results.  A loss
object holds a compiled kernel object (``closs``, from ``fastloss._kernels``) and
a link object (``link``, from ``fastloss.links``).  No per-sample maths lives in
this module; it only checks the arguments, prepares arrays and calls the kernel.

Conventions (scikit-learn's)
----------------------------
- ``y_true``, ``sample_weight`` have shape (n_samples,); ``raw_prediction`` has
  shape (n_samples,) or, for the multinomial loss, (n_samples, n_classes).
  An (n_samples, 1) array is squeezed.
- ``y_pred = link.inverse(raw_prediction)``.
- Per-sample outputs are multiplied by the sample weights.

Beyond scikit-learn
-------------------
- ``reduction="none" | "sum" | "mean"`` on ``loss`` and ``loss_gradient``.
- ``n_threads=None`` chooses the number of threads automatically.
- Validation with clear errors (``check_input=False`` turns it off).
- Outputs have identical bits for every ``n_threads``.
"""

import math
import numbers

import numpy as np

# The best instruction-set variant of the compiled kernels for this CPU.
from fastloss._kernels import kernels as _k
from fastloss.links import (
    HalfLogitLink,
    IdentityLink,
    Interval,
    LogitLink,
    LogLink,
    MultinomialLogit,
)

__all__ = [
    "BaseLoss",
    "HalfSquaredError",
    "AbsoluteError",
    "PinballLoss",
    "HuberLoss",
    "HalfPoissonLoss",
    "HalfGammaLoss",
    "HalfTweedieLoss",
    "HalfTweedieLossIdentity",
    "HalfBinomialLoss",
    "ExponentialLoss",
    "HalfMultinomialLoss",
    "LOSSES",
    "get_loss",
]

_REDUCTIONS = ("none", "sum", "mean")

# Automatic threading: below this many values of work (n_samples, or
# n_samples * n_classes for the multinomial loss) one thread is used.
# Measured with loss_gradient on the 2-core AMD EPYC (Zen 4) dev machine,
# median of 9, 1 vs 2 threads (see the closing note of the core issue):
#   squared error (the cheapest loss):  4096: 0.99x  16384: 1.28x  32768: ~1x
#                                        65536: 1.36x  131072: 2.06x
#   binomial (the costliest 1-D loss):  4096: 0.95x   8192: 1.98x  65536: 2.35x
# Inputs of one block (4096 samples) cannot use a second thread at all, and
# for the cheap losses the gain is only reliable from 64k samples, so the
# threshold is set there: "automatic" is then never slower than one thread.
AUTO_THREADS_MIN_WORK = 65536

_BAD_KINDS = {
    "O": "object",
    "c": "complex",
    "U": "string",
    "S": "bytes",
    "M": "datetime",
    "m": "timedelta",
    "V": "structured/void",
}


# ---------------------------------------------------------------------------
# Argument checks (all O(1) except the copies needed for foreign layouts)
# ---------------------------------------------------------------------------


def _resolve_n_threads(n_threads, work, min_work=AUTO_THREADS_MIN_WORK):
    """Validate ``n_threads`` and turn it into a positive int for the kernel.

    ``None`` gives one thread when ``work < min_work`` (the caller's measured
    threshold), else the OpenMP maximum; -1 gives the OpenMP maximum.
    """
    if n_threads is None:
        if work < min_work:
            return 1
        return max(1, _k.openmp_max_threads())
    if isinstance(n_threads, (bool, np.bool_)) or not isinstance(
        n_threads, numbers.Integral
    ):
        raise ValueError(
            f"n_threads must be None, -1 or a positive int; got {n_threads!r}."
        )
    n_threads = int(n_threads)
    if n_threads == -1:
        return max(1, _k.openmp_max_threads())
    if n_threads < 1:
        raise ValueError(
            f"n_threads must be None, -1 or a positive int; got {n_threads}."
        )
    return n_threads


def _as_array(name, x):
    """np.asarray with a dtype-kind check that names the argument."""
    x = np.asarray(x)
    kind = x.dtype.kind
    if kind in _BAD_KINDS:
        raise TypeError(
            f"{name} must be a float, integer or bool array; got an array of "
            f"dtype {x.dtype} ({_BAD_KINDS[kind]})."
        )
    if kind not in "fiub":
        raise TypeError(f"{name} has unsupported dtype {x.dtype}.")
    return x


def _float_dtype(*arrays):
    """The common float dtype: float64 if any float array is float64 (or wider)
    or if there are no float arrays at all, else float32."""
    seen_float = False
    for a in arrays:
        if a is not None and a.dtype.kind == "f":
            seen_float = True
            if a.dtype.itemsize >= 8:
                return np.float64
    return np.float32 if seen_float else np.float64


def _squeeze_column(name, x, ndim_expected=1):
    """Accept (n,) and (n, 1) for 1-D arguments."""
    if x.ndim == 1:
        return x
    if x.ndim == 2 and x.shape[1] == 1:
        return x[:, 0]
    raise ValueError(
        f"{name} must have shape (n_samples,) or (n_samples, 1); got shape {x.shape}."
    )


def _partial_strides(a):
    """Whether a stride of ``a`` is not a whole number of elements (possible
    with np.ndarray on a byte buffer); the kernels index whole elements."""
    return any(st % a.itemsize for st in a.strides)


def _check_out(name, out, shape):
    """Check a user-supplied output array; O(1)."""
    if not isinstance(out, np.ndarray):
        raise ValueError(f"{name} must be a numpy.ndarray; got {type(out).__name__}.")
    if out.dtype not in (np.float32, np.float64) or not out.dtype.isnative:
        raise ValueError(
            f"{name} must have dtype float32 or float64 (native byte order); "
            f"got {out.dtype}."
        )
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only; it must be writeable.")
    if len(shape) == 1 and out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got shape {out.shape}.")
    if _partial_strides(out):
        raise ValueError(
            f"{name} has strides {out.strides} that are not multiples of its "
            f"item size ({out.itemsize}); the kernels index whole elements."
        )
    return out


class _Outputs:
    """Output arrays for one kernel call.

    The kernel needs all its outputs in one dtype and 1-D outputs C-contiguous.
    A user array that does not fit (non-contiguous, or a dtype different from the
    first output's) is replaced by a fresh *stage* array, copied back by
    ``finish`` after the kernel succeeded.
    """

    def __init__(self, dtype, specs, check=True):
        # specs: list of (name, user_array_or_None, shape)
        self.copies = []
        if not check:
            # check_input=False: trust the caller (no staging, no checks).
            self.kernel = self.results = [
                np.empty(shape, dtype=dtype) if out is None
                else (out[:, 0] if len(shape) == 1 and out.ndim == 2 else out)
                for _, out, shape in specs
            ]
            return
        given = [(n, o, s) for n, o, s in specs if o is not None]
        checked = {n: _check_out(n, o, s) for n, o, s in given}
        if given:
            dtype = checked[given[0][0]].dtype
        self.kernel = []
        self.results = []
        for name, out, shape in specs:
            if out is None:
                arr = np.empty(shape, dtype=dtype)
                self.kernel.append(arr)
                self.results.append(arr)
                continue
            out = checked[name]
            ok = out.dtype == dtype and (len(shape) == 2 or out.flags.c_contiguous)
            if ok:
                self.kernel.append(out)
            else:
                stage = np.empty(shape, dtype=dtype)
                self.kernel.append(stage)
                self.copies.append((out, stage))
            self.results.append(out)

    def finish(self):
        for out, stage in self.copies:
            out[...] = stage
        return self.results


# ---------------------------------------------------------------------------
# The base class
# ---------------------------------------------------------------------------


class BaseLoss:
    """Base class of the losses of 1-D targets.

    Parameters
    ----------
    closs : compiled kernel object
        From ``fastloss._kernels._loss`` ("c"loss as in scikit-learn).
    link : BaseLink
        From ``fastloss.links``.
    n_classes : int or None
        The number of classes for classification, else None.

    Attributes
    ----------
    closs : compiled kernel object
    link : BaseLink
    n_classes : int or None
    interval_y_true : Interval
        Valid values of y_true.
    interval_y_pred : Interval
        Valid values of ``y_pred = link.inverse(raw_prediction)``.
    differentiable : bool
        Whether the loss is differentiable in raw_prediction everywhere.
    approx_hessian : bool
        Whether the hessian is an approximation (then >= the exact one).
    constant_hessian : bool
        Whether the hessian is the constant 1 (without sample weights).
    is_multiclass : bool
        Whether n_classes > 2 is allowed.

    Notes
    -----
    NaN in ``y_true``, ``raw_prediction`` or ``sample_weight`` is not an error:
    it propagates to the loss and gradient of that sample (and to a hessian
    that depends on the inputs), and to a "sum"/"mean" reduction.  For the
    multinomial loss a NaN label is not a valid class and raises ``ValueError``.
    """

    differentiable = True
    is_multiclass = False

    def __init__(self, closs, link, n_classes=None):
        self.closs = closs
        self.link = link
        self.n_classes = n_classes
        self.approx_hessian = False
        self.constant_hessian = False
        self.interval_y_true = Interval(-np.inf, np.inf, False, False)
        self.interval_y_pred = self.link.interval_y_pred

    # -- ranges -----------------------------------------------------------------

    def in_y_true_range(self, y):
        """Return True if every value of y is in the valid range of y_true.

        Parameters
        ----------
        y : ndarray
        """
        return self.interval_y_true.includes(y)

    def in_y_pred_range(self, y):
        """Return True if every value of y is in the valid range of y_pred.

        Parameters
        ----------
        y : ndarray
        """
        return self.interval_y_pred.includes(y)

    def _first_bad_y(self, y):
        """Index of the first y outside interval_y_true (NaN counts as inside).

        Only the error path calls it, after the kernel counted bad values.
        Infinite bounds are not checked (as in the kernels).
        """
        iv = self.interval_y_true
        bad = np.zeros(y.shape, dtype=bool)
        if not math.isinf(iv.low):
            bad |= (y < iv.low) if iv.low_inclusive else (y <= iv.low)
        if not math.isinf(iv.high):
            bad |= (y > iv.high) if iv.high_inclusive else (y >= iv.high)
        idx = np.flatnonzero(bad)
        if idx.size:
            return int(idx[0])
        return None

    def _domain_error(self, y):
        i = self._first_bad_y(y)
        iv = self.interval_y_true
        lo = "[" if iv.low_inclusive else "("
        hi = "]" if iv.high_inclusive else ")"
        where = f"y_true[{i}] = {y[i]!r}" if i is not None else "y_true"
        return ValueError(
            f"{where} is outside the domain of {type(self).__name__}: y_true must "
            f"lie in {lo}{iv.low:g}, {iv.high:g}{hi}."
        )

    # -- argument preparation ---------------------------------------------------

    def _prepare(self, y_true, raw_prediction, sample_weight, check_input):
        """Return (y, raw, sw) as contiguous arrays of one float dtype."""
        if not check_input:
            if raw_prediction.ndim == 2 and not self.is_multiclass:
                raw_prediction = raw_prediction[:, 0]
            return y_true, raw_prediction, sample_weight
        y = _as_array("y_true", y_true)
        raw = _as_array("raw_prediction", raw_prediction)
        sw = None if sample_weight is None else _as_array("sample_weight", sample_weight)
        y = _squeeze_column("y_true", y)
        if self.is_multiclass:
            if raw.ndim != 2 or raw.shape[1] != self.n_classes:
                raise ValueError(
                    f"raw_prediction must have shape (n_samples, n_classes="
                    f"{self.n_classes}); got shape {raw.shape}."
                )
        else:
            raw = _squeeze_column("raw_prediction", raw)
        n = y.shape[0]
        if raw.shape[0] != n:
            raise ValueError(
                f"raw_prediction has {raw.shape[0]} samples but y_true has {n}; "
                "they must be equal."
            )
        if sw is not None:
            sw = _squeeze_column("sample_weight", sw)
            if sw.shape[0] != n:
                raise ValueError(
                    f"sample_weight has {sw.shape[0]} samples but y_true has {n}; "
                    "they must be equal."
                )
        dtype = _float_dtype(y, raw, sw)
        y = np.ascontiguousarray(y, dtype=dtype)
        if self.is_multiclass:
            # Any strides are fine for the kernel; only the dtype and the byte
            # order must match.
            if raw.dtype != dtype or _partial_strides(raw):
                raw = raw.astype(dtype)   # (a copy has whole-element strides)
        else:
            raw = np.ascontiguousarray(raw, dtype=dtype)
        if sw is not None:
            sw = np.ascontiguousarray(sw, dtype=dtype)
        return y, raw, sw

    def _grad_shape(self, raw):
        return raw.shape

    def _call(self, method, y, raw, sw, n_threads, check_input, *args):
        nt = _resolve_n_threads(n_threads, raw.size)
        n_bad = getattr(self.closs, method)(y, raw, sw, *args, nt)
        if n_bad and check_input:
            raise self._domain_error(y)
        return n_bad

    @staticmethod
    def _check_reduction(reduction, loss_out):
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"reduction must be one of {_REDUCTIONS}; got {reduction!r}."
            )
        if reduction != "none" and loss_out is not None:
            raise ValueError(
                f"loss_out must be None when reduction={reduction!r}: the result "
                "is a float, no per-sample losses are stored."
            )

    def _reduce(self, y, raw, sw, reduction, n_threads, check_input, gradient=None):
        """Run a sum kernel; return (value, gradient_or_None)."""
        n = y.shape[0]
        if reduction == "mean":
            total_w = float(n) if sw is None else float(np.sum(sw, dtype=np.float64))
            if n > 0 and total_w == 0:
                raise ZeroDivisionError(
                    "sample_weight sums to zero: the weighted mean is undefined."
                )
        else:
            total_w = 1.0
        partials = np.zeros(_k.n_blocks(n, self.is_multiclass), dtype=np.float64)
        if gradient is None:
            self._call("loss_sum", y, raw, sw, n_threads, check_input, partials)
        else:
            scale = 1.0 if (reduction == "sum" or n == 0) else 1.0 / total_w
            self._call(
                "loss_gradient_sum", y, raw, sw, n_threads, check_input,
                gradient, partials, scale,
            )
        if n == 0:
            return 0.0
        # Partials are one per fixed block: their number and order do not
        # depend on the threads.  fsum adds them exactly, then rounds once.
        total = math.fsum(partials)
        return total / total_w if reduction == "mean" else total

    # -- the public methods -----------------------------------------------------

    def loss(
        self,
        y_true,
        raw_prediction,
        sample_weight=None,
        loss_out=None,
        n_threads=None,
        *,
        reduction="none",
        check_input=True,
    ):
        """Compute the loss of each sample, or their weighted sum or mean.

        Parameters
        ----------
        y_true : array of shape (n_samples,)
            Observed, true target values.
        raw_prediction : array of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction values (in link space).
        sample_weight : None or array of shape (n_samples,)
            Sample weights.
        loss_out : None or array of shape (n_samples,)
            Where to store the result (float32 or float64, writeable).  If None,
            a new array of the inputs' float dtype is made.
        n_threads : int or None, default=None
            OpenMP threads: None chooses automatically (one thread for small
            inputs, else ``omp_get_max_threads()``, which honours
            OMP_NUM_THREADS and threadpoolctl), -1 means all, k > 0 means k.
        reduction : {"none", "sum", "mean"}, default="none"
            "none" returns the per-sample losses.  "sum" and "mean" return a
            float, the weighted sum or weighted mean, accumulated in float64
            without storing per-sample losses.
        check_input : bool, default=True
            Validate shapes, dtypes and the domain of y_true.  False skips it
            (for estimators' inner loops); the arrays must then be C-contiguous,
            of one float dtype, with matching lengths.

        Returns
        -------
        loss : array of shape (n_samples,) or float
            Element-wise loss function (times sample_weight), or its reduction.

        Raises
        ------
        TypeError
            For non-numeric inputs (object, complex, string, datetime).
        ValueError
            For shape mismatches, bad output arrays, bad ``n_threads`` or
            ``reduction``, and y_true outside the domain (the message gives the
            first offending index and value).  A domain error is found inside
            the kernel: ``loss_out`` may then be partly written.
        """
        self._check_reduction(reduction, loss_out)
        y, raw, sw = self._prepare(y_true, raw_prediction, sample_weight, check_input)
        if reduction != "none":
            return self._reduce(y, raw, sw, reduction, n_threads, check_input)
        outs = _Outputs(raw.dtype, [("loss_out", loss_out, y.shape)], check_input)
        self._call("loss", y, raw, sw, n_threads, check_input, *outs.kernel)
        return outs.finish()[0]

    def gradient(
        self,
        y_true,
        raw_prediction,
        sample_weight=None,
        gradient_out=None,
        n_threads=None,
        *,
        check_input=True,
    ):
        """Compute the gradient of the loss with respect to raw_prediction.

        Parameters
        ----------
        y_true : array of shape (n_samples,)
            Observed, true target values.
        raw_prediction : array of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction values (in link space).
        sample_weight : None or array of shape (n_samples,)
            Sample weights.
        gradient_out : None or array of shape (n_samples,) or (n_samples, n_classes)
            Where to store the result.
        n_threads : int or None, default=None
            See :meth:`loss`.
        check_input : bool, default=True
            See :meth:`loss`.

        Returns
        -------
        gradient : array of shape (n_samples,) or (n_samples, n_classes)
            Element-wise gradients (times sample_weight).
        """
        y, raw, sw = self._prepare(y_true, raw_prediction, sample_weight, check_input)
        outs = _Outputs(raw.dtype, [("gradient_out", gradient_out, raw.shape)], check_input)
        self._call("gradient", y, raw, sw, n_threads, check_input, *outs.kernel)
        return outs.finish()[0]

    def loss_gradient(
        self,
        y_true,
        raw_prediction,
        sample_weight=None,
        loss_out=None,
        gradient_out=None,
        n_threads=None,
        *,
        reduction="none",
        check_input=True,
    ):
        """Compute the loss and its gradient w.r.t. raw_prediction in one pass.

        Parameters
        ----------
        y_true : array of shape (n_samples,)
            Observed, true target values.
        raw_prediction : array of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction values (in link space).
        sample_weight : None or array of shape (n_samples,)
            Sample weights.
        loss_out : None or array of shape (n_samples,)
            Where to store the loss; must be None with a reduction.
        gradient_out : None or array of shape (n_samples,) or (n_samples, n_classes)
            Where to store the gradient.
        n_threads : int or None, default=None
            See :meth:`loss`.
        reduction : {"none", "sum", "mean"}, default="none"
            With "sum" or "mean", returns ``(float, gradient)`` where the
            gradient is that of the float: ``w_i * g_i`` for "sum" and
            ``w_i * g_i / sum(w)`` for "mean".
        check_input : bool, default=True
            See :meth:`loss`.

        Returns
        -------
        loss : array of shape (n_samples,) or float
        gradient : array of shape (n_samples,) or (n_samples, n_classes)
        """
        self._check_reduction(reduction, loss_out)
        y, raw, sw = self._prepare(y_true, raw_prediction, sample_weight, check_input)
        if reduction != "none":
            outs = _Outputs(raw.dtype, [("gradient_out", gradient_out, raw.shape)], check_input)
            value = self._reduce(
                y, raw, sw, reduction, n_threads, check_input, gradient=outs.kernel[0]
            )
            return value, outs.finish()[0]
        outs = _Outputs(
            raw.dtype,
            [("loss_out", loss_out, y.shape), ("gradient_out", gradient_out, raw.shape)],
            check_input,
        )
        self._call("loss_gradient", y, raw, sw, n_threads, check_input, *outs.kernel)
        return tuple(outs.finish())

    def gradient_hessian(
        self,
        y_true,
        raw_prediction,
        sample_weight=None,
        gradient_out=None,
        hessian_out=None,
        n_threads=None,
        *,
        check_input=True,
    ):
        """Compute the gradient and the hessian w.r.t. raw_prediction.

        Parameters
        ----------
        y_true : array of shape (n_samples,)
            Observed, true target values.
        raw_prediction : array of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction values (in link space).
        sample_weight : None or array of shape (n_samples,)
            Sample weights.
        gradient_out, hessian_out : None or array of shape (n_samples,) or \
(n_samples, n_classes)
            Where to store the results.
        n_threads : int or None, default=None
            See :meth:`loss`.
        check_input : bool, default=True
            See :meth:`loss`.

        Returns
        -------
        gradient, hessian : arrays of shape (n_samples,) or (n_samples, n_classes)
            For the multinomial loss, the hessian is the diagonal in the classes.
        """
        y, raw, sw = self._prepare(y_true, raw_prediction, sample_weight, check_input)
        outs = _Outputs(
            raw.dtype,
            [("gradient_out", gradient_out, raw.shape), ("hessian_out", hessian_out, raw.shape)],
            check_input,
        )
        self._call("gradient_hessian", y, raw, sw, n_threads, check_input, *outs.kernel)
        return tuple(outs.finish())

    def __call__(self, y_true, raw_prediction, sample_weight=None, n_threads=None):
        """Compute the weighted mean loss.

        Parameters
        ----------
        y_true : array of shape (n_samples,)
        raw_prediction : array of shape (n_samples,) or (n_samples, n_classes)
        sample_weight : None or array of shape (n_samples,)
        n_threads : int or None, default=None

        Returns
        -------
        loss : float
            ``sum(w_i * loss_i) / sum(w_i)``.
        """
        return self.loss(
            y_true, raw_prediction, sample_weight, n_threads=n_threads, reduction="mean"
        )

    def fit_intercept_only(self, y_true, sample_weight=None):
        """Compute the raw prediction of an intercept-only model.

        The weighted mean of y_true, clipped into the range of y_pred, mapped
        through the link.  Useful as the starting point of a fit.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
        sample_weight : None or array of shape (n_samples,)

        Returns
        -------
        raw_prediction : numpy scalar or array of shape (n_classes,)
        """
        y_pred = np.average(y_true, weights=sample_weight, axis=0)
        eps = 10 * np.finfo(y_pred.dtype).eps
        iv = self.interval_y_pred
        if iv.low == -np.inf:
            a_min = None
        elif iv.low_inclusive:
            a_min = iv.low
        else:
            a_min = iv.low + eps
        if iv.high == np.inf:
            a_max = None
        elif iv.high_inclusive:
            a_max = iv.high
        else:
            a_max = iv.high - eps
        if a_min is None and a_max is None:
            return self.link.link(y_pred)
        return self.link.link(np.clip(y_pred, a_min, a_max))

    def constant_to_optimal_zero(self, y_true, sample_weight=None):
        """Return the term dropped from the loss: adding it makes the loss of a
        perfect prediction zero.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
        sample_weight : None or array of shape (n_samples,)

        Returns
        -------
        constant : ndarray of shape (n_samples,)
        """
        return np.zeros_like(y_true)

    def init_gradient_and_hessian(self, n_samples, dtype=np.float64, order="F"):
        """Allocate arrays for gradients and hessians.

        Parameters
        ----------
        n_samples : int
        dtype : {np.float64, np.float32}, default=np.float64
        order : {"C", "F"}, default="F"
            Memory order of (n_samples, n_classes) arrays; "F" keeps each class
            contiguous along samples.

        Returns
        -------
        gradient : array of shape (n_samples,) or (n_samples, n_classes)
            Uninitialised.
        hessian : array of shape (n_samples,), (n_samples, n_classes) or (1,)
            Uninitialised, except for a constant hessian: then ``ones((1,))``.
        """
        if dtype not in (np.float32, np.float64):
            raise ValueError(
                "Valid options for 'dtype' are np.float32 and np.float64. "
                f"Got dtype={dtype} instead."
            )
        shape = (n_samples, self.n_classes) if self.is_multiclass else (n_samples,)
        gradient = np.empty(shape=shape, dtype=dtype, order=order)
        if self.constant_hessian:
            hessian = np.ones(shape=(1,), dtype=dtype)
        else:
            hessian = np.empty(shape=shape, dtype=dtype, order=order)
        return gradient, hessian

    def __repr__(self):
        params = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._param_names)
        return f"{type(self).__name__}({params})"

    _param_names = ()

    def __reduce__(self):
        # Rebuilt from the constructor parameters rather than the compiled
        # kernel object, whose class belongs to the instruction-set variant of
        # *this* machine.
        state = {k: v for k, v in self.__dict__.items() if k != "closs"}
        params = {k: getattr(self, k) for k in self._param_names}
        return (_rebuild, (type(self), params, state))


def _rebuild(cls, params, state):
    obj = cls(**params)
    obj.__dict__.update(state)
    return obj


def _check_quantile(quantile):
    """scikit-learn's check_scalar for a quantile in the open interval (0, 1)."""
    if not isinstance(quantile, numbers.Real) or isinstance(quantile, bool):
        raise TypeError(
            f"quantile must be an instance of float, not {type(quantile).__qualname__}."
        )
    if quantile <= 0:
        raise ValueError(f"quantile == {quantile}, must be > 0.")
    if quantile >= 1:
        raise ValueError(f"quantile == {quantile}, must be < 1.")


def _xlogy(x, y):
    """x * log(y), with 0 where x == 0 (like scipy.special.xlogy)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(y)
    return np.where(x == 0, 0.0, out)


def _weighted_percentile(y, sample_weight, percentile):
    """Weighted percentile of the 'inverted CDF' kind, as scikit-learn's."""
    return np.percentile(
        np.asarray(y), percentile, axis=0, method="inverted_cdf",
        weights=np.asarray(sample_weight),
    )


# ---------------------------------------------------------------------------
# Regression losses
# ---------------------------------------------------------------------------


class HalfSquaredError(BaseLoss):
    """Half squared error with identity link, for regression.

    Domain: y_true and y_pred all real numbers.

    Link: y_pred = raw_prediction.

    For a given sample i::

        loss_i = 0.5 * (y_true_i - raw_prediction_i)**2

    The factor 0.5 gives a unit hessian.  It is half the Normal deviance.
    """

    def __init__(self, sample_weight=None):
        super().__init__(closs=_k.CyHalfSquaredError(), link=IdentityLink())
        self.constant_hessian = sample_weight is None


class AbsoluteError(BaseLoss):
    """Absolute error with identity link, for regression.

    Domain: y_true and y_pred all real numbers.

    Link: y_pred = raw_prediction.

    For a given sample i::

        loss_i = |y_true_i - raw_prediction_i|

    The exact hessian is 0 almost everywhere; 1 is returned instead (as in
    scikit-learn), so ``approx_hessian`` is True.
    """

    differentiable = False

    def __init__(self, sample_weight=None):
        super().__init__(closs=_k.CyAbsoluteError(), link=IdentityLink())
        self.approx_hessian = True
        self.constant_hessian = sample_weight is None

    def fit_intercept_only(self, y_true, sample_weight=None):
        """The weighted median of y_true."""
        if sample_weight is None:
            return np.median(y_true, axis=0)
        return _weighted_percentile(y_true, sample_weight, 50)


class PinballLoss(BaseLoss):
    """Pinball (quantile) loss with identity link, for regression.

    Domain: y_true and y_pred all real numbers; quantile in (0, 1).

    Link: y_pred = raw_prediction.

    For a given sample i, with u = y_true_i - raw_prediction_i::

        loss_i = quantile * u          if u >= 0
                 (quantile - 1) * u    if u < 0

    ``2 * PinballLoss(quantile=0.5)`` equals ``AbsoluteError()``.  The hessian
    is approximated by 1.

    Parameters
    ----------
    sample_weight : None or array
        Only whether it is None matters (constant hessian).
    quantile : float, default=0.5
        The quantile level, in (0, 1).
    """

    differentiable = False
    _param_names = ("quantile",)

    def __init__(self, sample_weight=None, quantile=0.5):
        _check_quantile(quantile)
        super().__init__(closs=_k.CyPinballLoss(float(quantile)), link=IdentityLink())
        self.quantile = float(quantile)
        self.approx_hessian = True
        self.constant_hessian = sample_weight is None

    def fit_intercept_only(self, y_true, sample_weight=None):
        """The weighted ``quantile``-quantile of y_true."""
        if sample_weight is None:
            return np.percentile(y_true, 100 * self.quantile, axis=0)
        return _weighted_percentile(y_true, sample_weight, 100 * self.quantile)


class HuberLoss(BaseLoss):
    """Huber loss with identity link, for regression.

    Domain: y_true and y_pred all real numbers; quantile in (0, 1).

    Link: y_pred = raw_prediction.

    For a given sample i, with d = |y_true_i - raw_prediction_i|::

        loss_i = 0.5 * d**2                 if d <= delta
                 delta * (d - 0.5 * delta)  if d > delta

    The hessian is 1 where d <= delta and 0 elsewhere.

    Parameters
    ----------
    sample_weight : None or array
    quantile : float, default=0.9
        The quantile of |y_true - y_pred| that estimators use to choose
        ``delta`` (stored only; the loss itself uses ``delta``).
    delta : float, default=0.5
        Where the loss turns from quadratic to linear.
    """

    differentiable = False
    _param_names = ("quantile", "delta")

    def __init__(self, sample_weight=None, quantile=0.9, delta=0.5):
        _check_quantile(quantile)
        self.quantile = quantile
        super().__init__(closs=_k.CyHuberLoss(float(delta)), link=IdentityLink())
        self.delta = float(delta)
        self.approx_hessian = True
        self.constant_hessian = False

    def fit_intercept_only(self, y_true, sample_weight=None):
        """The weighted median, plus the mean of the clipped residuals."""
        if sample_weight is None:
            median = np.percentile(y_true, 50, axis=0)
        else:
            median = _weighted_percentile(y_true, sample_weight, 50)
        diff = y_true - median
        term = np.sign(diff) * np.minimum(self.delta, np.abs(diff))
        return median + np.average(term, weights=sample_weight)


class HalfPoissonLoss(BaseLoss):
    """Half Poisson deviance with log link, for regression.

    Domain: y_true in [0, inf); y_pred in (0, inf).

    Link: y_pred = exp(raw_prediction).

    For a given sample i::

        loss_i = exp(raw_prediction_i) - y_true_i * raw_prediction_i

    which is half the Poisson deviance without the constant term
    ``y_true_i * log(y_true_i) - y_true_i`` (see ``constant_to_optimal_zero``).
    Where exp overflows the loss, gradient and hessian are +inf, never NaN.
    """

    def __init__(self, sample_weight=None):
        super().__init__(closs=_k.CyHalfPoissonLoss(), link=LogLink())
        self.interval_y_true = Interval(0, np.inf, True, False)

    def constant_to_optimal_zero(self, y_true, sample_weight=None):
        term = _xlogy(y_true, y_true) - y_true
        if sample_weight is not None:
            term *= sample_weight
        return term


class HalfGammaLoss(BaseLoss):
    """Half Gamma deviance with log link, for regression.

    Domain: y_true in (0, inf); y_pred in (0, inf).

    Link: y_pred = exp(raw_prediction).

    For a given sample i::

        loss_i = raw_prediction_i + y_true_i * exp(-raw_prediction_i)

    which is half the Gamma deviance without the constant ``-log(y_true_i) - 1``.
    """

    def __init__(self, sample_weight=None):
        super().__init__(closs=_k.CyHalfGammaLoss(), link=LogLink())
        self.interval_y_true = Interval(0, np.inf, False, False)

    def constant_to_optimal_zero(self, y_true, sample_weight=None):
        term = -np.log(y_true) - 1
        if sample_weight is not None:
            term *= sample_weight
        return term


def _tweedie_interval_y_true(power):
    if power <= 0:
        return Interval(-np.inf, np.inf, False, False)
    if power < 2:
        return Interval(0, np.inf, True, False)
    return Interval(0, np.inf, False, False)


class HalfTweedieLoss(BaseLoss):
    """Half Tweedie deviance with log link, for regression.

    Domain: y_true real for power <= 0, in [0, inf) for 0 < power < 2, in
    (0, inf) for power >= 2; y_pred in (0, inf).

    Link: y_pred = exp(raw_prediction).

    For a given sample i, with p = power::

        loss_i = max(y_true_i, 0)**(2-p) / (1-p) / (2-p)
                 - y_true_i * exp(raw_prediction_i)**(1-p) / (1-p)
                 + exp(raw_prediction_i)**(2-p) / (2-p)

    without the first (constant) term.  Powers 0, 1 and 2 use their limits:
    half squared error with log link, ``HalfPoissonLoss`` and ``HalfGammaLoss``
    (each without its own constant, so the loss is not continuous in power).
    Where an exponential overflows the result is +-inf, never NaN.

    Parameters
    ----------
    sample_weight : None or array
    power : float, default=1.5
    """

    _param_names = ("power",)

    def __init__(self, sample_weight=None, power=1.5):
        power = float(power)
        if power == 0:
            closs = _k.CyHalfTweedie0Loss()
        elif power == 1:
            closs = _k.CyHalfPoissonLoss()
        elif power == 2:
            closs = _k.CyHalfGammaLoss()
        else:
            closs = _k.CyHalfTweedieLoss(power)
        super().__init__(closs=closs, link=LogLink())
        self.power = power
        self.interval_y_true = _tweedie_interval_y_true(power)

    def constant_to_optimal_zero(self, y_true, sample_weight=None):
        p = self.power
        if p == 0:
            return HalfSquaredError().constant_to_optimal_zero(y_true, sample_weight)
        if p == 1:
            return HalfPoissonLoss().constant_to_optimal_zero(y_true, sample_weight)
        if p == 2:
            return HalfGammaLoss().constant_to_optimal_zero(y_true, sample_weight)
        term = np.power(np.maximum(y_true, 0), 2 - p) / (1 - p) / (2 - p)
        if sample_weight is not None:
            term *= sample_weight
        return term


class HalfTweedieLossIdentity(BaseLoss):
    """Half Tweedie deviance with identity link, for regression.

    Domain: y_true as for ``HalfTweedieLoss``; y_pred in (0, inf) for
    power != 0, real for power = 0.

    Link: y_pred = raw_prediction.

    For a given sample i, with p = power and mu = raw_prediction_i::

        loss_i = max(y_true_i, 0)**(2-p) / (1-p) / (2-p)
                 - y_true_i * mu**(1-p) / (1-p) + mu**(2-p) / (2-p)

    with the limits for p = 0 (half squared error), 1 and 2.  The constant
    term is kept: the minimum of the loss is 0.

    Parameters
    ----------
    sample_weight : None or array
    power : float, default=1.5
    """

    _param_names = ("power",)

    def __init__(self, sample_weight=None, power=1.5):
        power = float(power)
        if power == 0:
            closs = _k.CyHalfSquaredError()
        elif power == 1:
            closs = _k.CyHalfPoissonLossIdentity()
        elif power == 2:
            closs = _k.CyHalfGammaLossIdentity()
        else:
            closs = _k.CyHalfTweedieLossIdentity(power)
        super().__init__(closs=closs, link=IdentityLink())
        self.power = power
        self.interval_y_true = _tweedie_interval_y_true(power)
        if power == 0:
            self.interval_y_pred = Interval(-np.inf, np.inf, False, False)
        else:
            self.interval_y_pred = Interval(0, np.inf, False, False)


# ---------------------------------------------------------------------------
# Classification losses
# ---------------------------------------------------------------------------


def _predict_proba_binary(link, raw_prediction):
    raw = np.asarray(raw_prediction)
    if raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    proba = np.empty((raw.shape[0], 2), dtype=raw.dtype if raw.dtype.kind == "f" else np.float64)
    proba[:, 1] = link.inverse(raw)
    proba[:, 0] = 1 - proba[:, 1]
    return proba


class HalfBinomialLoss(BaseLoss):
    """Half binomial deviance (log-loss, binary cross-entropy), logit link.

    Domain: y_true in [0, 1]; y_pred in (0, 1).

    Link: y_pred = expit(raw_prediction).

    For a given sample i::

        loss_i = log(1 + exp(raw_prediction_i)) - y_true_i * raw_prediction_i

    computed without overflow or cancellation for any finite raw_prediction
    (see ``fastloss/_kernels/_lossmath.pxd``).  Works for classes y in {0, 1}
    and for probabilities y in [0, 1].
    """

    def __init__(self, sample_weight=None):
        super().__init__(closs=_k.CyHalfBinomialLoss(), link=LogitLink(), n_classes=2)
        self.interval_y_true = Interval(0, 1, True, True)

    def constant_to_optimal_zero(self, y_true, sample_weight=None):
        term = _xlogy(y_true, y_true) + _xlogy(1 - np.asarray(y_true), 1 - np.asarray(y_true))
        if sample_weight is not None:
            term *= sample_weight
        return term

    def predict_proba(self, raw_prediction):
        """Predict probabilities.

        Parameters
        ----------
        raw_prediction : array of shape (n_samples,) or (n_samples, 1)

        Returns
        -------
        proba : array of shape (n_samples, 2)
        """
        return _predict_proba_binary(self.link, raw_prediction)


class ExponentialLoss(BaseLoss):
    """Exponential loss with (half) logit link, for binary classification.

    Domain: y_true in [0, 1]; y_pred in (0, 1).

    Link: y_pred = expit(2 * raw_prediction).

    For a given sample i::

        loss_i = y_true_i * exp(-raw_prediction_i)
                 + (1 - y_true_i) * exp(raw_prediction_i)

    The AdaBoost loss.  Its hessian equals the loss.
    """

    def __init__(self, sample_weight=None):
        super().__init__(closs=_k.CyExponentialLoss(), link=HalfLogitLink(), n_classes=2)
        self.interval_y_true = Interval(0, 1, True, True)

    def constant_to_optimal_zero(self, y_true, sample_weight=None):
        term = -2 * np.sqrt(y_true * (1 - np.asarray(y_true)))
        if sample_weight is not None:
            term *= sample_weight
        return term

    def predict_proba(self, raw_prediction):
        """Predict probabilities.

        Parameters
        ----------
        raw_prediction : array of shape (n_samples,) or (n_samples, 1)

        Returns
        -------
        proba : array of shape (n_samples, 2)
        """
        return _predict_proba_binary(self.link, raw_prediction)


class HalfMultinomialLoss(BaseLoss):
    """Categorical cross-entropy (half multinomial deviance), softmax link.

    Domain: y_true in {0, 1, ..., n_classes - 1} (float or integer labels);
    y_pred has n_classes elements in (0, 1).

    Link: y_pred = softmax(raw_prediction); the link is the symmetric
    multinomial logit.

    For a given sample i::

        loss_i = log(sum_k exp(raw_prediction_ik)) - raw_prediction_i,y_true_i

    computed with the row maximum subtracted before exponentiating.  The
    hessian is the diagonal in the classes, p_k (1 - p_k).

    A label that is not an integer in 0..n_classes-1 (including NaN) raises
    ``ValueError``; with ``check_input=False`` its row gets NaN instead.  It
    is never used to index memory.

    Parameters
    ----------
    sample_weight : None or array
    n_classes : int, default=3
    """

    is_multiclass = True
    _param_names = ("n_classes",)

    def __init__(self, sample_weight=None, n_classes=3):
        if (
            isinstance(n_classes, (bool, np.bool_))
            or not isinstance(n_classes, numbers.Integral)
            or n_classes < 1
        ):
            raise ValueError(f"n_classes must be a positive int; got {n_classes!r}.")
        super().__init__(
            closs=_k.CyHalfMultinomialLoss(), link=MultinomialLogit(), n_classes=int(n_classes)
        )
        self.interval_y_true = Interval(0, np.inf, True, False)
        self.interval_y_pred = Interval(0, 1, False, False)

    def in_y_true_range(self, y):
        """Return True if every y is a non-negative integer value.

        Parameters
        ----------
        y : ndarray
        """
        y = np.asarray(y)
        return self.interval_y_true.includes(y) and bool(np.all(y.astype(int) == y))

    def _first_bad_y(self, y):
        ok = (y >= 0) & (y <= self.n_classes - 1) & (y == np.floor(y))
        idx = np.flatnonzero(~ok)
        return int(idx[0]) if idx.size else None

    def _domain_error(self, y):
        i = self._first_bad_y(y)
        return ValueError(
            f"y_true[{i}] = {y[i]!r} is not a valid class label of "
            f"HalfMultinomialLoss(n_classes={self.n_classes}): labels must be "
            f"integers in 0..{self.n_classes - 1}."
        )

    def fit_intercept_only(self, y_true, sample_weight=None):
        """The link of the weighted class frequencies (clipped to [eps, 1-eps]).

        Returns
        -------
        raw_prediction : array of shape (n_classes,)
        """
        y_true = np.asarray(y_true)
        dtype = y_true.dtype if y_true.dtype.kind == "f" else np.float64
        out = np.zeros(self.n_classes, dtype=dtype)
        eps = np.finfo(dtype).eps
        for k in range(self.n_classes):
            out[k] = np.average(y_true == k, weights=sample_weight, axis=0)
            out[k] = np.clip(out[k], eps, 1 - eps)
        return self.link.link(out[None, :]).reshape(-1)

    def predict_proba(self, raw_prediction):
        """Predict probabilities (the softmax of each row).

        Parameters
        ----------
        raw_prediction : array of shape (n_samples, n_classes)

        Returns
        -------
        proba : array of shape (n_samples, n_classes)
        """
        return self.link.inverse(raw_prediction)

    def gradient_proba(
        self,
        y_true,
        raw_prediction,
        sample_weight=None,
        gradient_out=None,
        proba_out=None,
        n_threads=None,
        *,
        check_input=True,
    ):
        """Compute the gradient and the class probabilities in one pass.

        Parameters
        ----------
        y_true : array of shape (n_samples,)
        raw_prediction : array of shape (n_samples, n_classes)
        sample_weight : None or array of shape (n_samples,)
        gradient_out, proba_out : None or array of shape (n_samples, n_classes)
        n_threads : int or None, default=None
        check_input : bool, default=True

        Returns
        -------
        gradient : array of shape (n_samples, n_classes)
        proba : array of shape (n_samples, n_classes)
        """
        y, raw, sw = self._prepare(y_true, raw_prediction, sample_weight, check_input)
        outs = _Outputs(
            raw.dtype,
            [("gradient_out", gradient_out, raw.shape), ("proba_out", proba_out, raw.shape)],
            check_input,
        )
        self._call("gradient_proba", y, raw, sw, n_threads, check_input, *outs.kernel)
        return tuple(outs.finish())


LOSSES = {
    "squared_error": HalfSquaredError,
    "absolute_error": AbsoluteError,
    "pinball_loss": PinballLoss,
    "huber_loss": HuberLoss,
    "poisson_loss": HalfPoissonLoss,
    "gamma_loss": HalfGammaLoss,
    "tweedie_loss": HalfTweedieLoss,
    "tweedie_loss_identity": HalfTweedieLossIdentity,
    "binomial_loss": HalfBinomialLoss,
    "exponential_loss": ExponentialLoss,
    "multinomial_loss": HalfMultinomialLoss,
}


def get_loss(name, **params):
    """Make the loss registered under ``name`` (a key of ``LOSSES``).

    Parameters
    ----------
    name : str
        For example ``"binomial_loss"``.
    **params
        Constructor parameters, e.g. ``quantile=0.9`` or ``power=1.5``.

    Returns
    -------
    BaseLoss
    """
    try:
        cls = LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown loss {name!r}; valid names are {sorted(LOSSES)}."
        ) from None
    return cls(**params)
