"""asv benchmarks of the fused ``loss_gradient`` of every loss.

``time_*`` benchmarks of fastloss write into preallocated outputs (the call
that a training loop makes); ``peakmem_*`` benchmarks make the allocating
default call, whose outputs are what the peak memory is about.  The NumPy
reference (``fastloss.reference``) has no ``out`` parameters and always
allocates (float64).  All fastloss calls are the validated default
(``check_input=True``) with ``n_threads=1``.

The same cases as ``python -m fastloss bench``:

* ``Floor.time_floor``: the compiled floor kernels (stream the bytes of a
  fused call, no maths), the yardstick of every loss;
* ``RatioToFloor.track_ratio_to_floor`` and
  ``RatioToFloorMean.track_ratio_to_floor_mean``: fastloss's time over its
  floor's, both timed alternately in the same rounds (unit "ratio": lower is
  better, 1 is the memory-bandwidth floor);
* ``PeakMemReduction.peakmem_loss_gradient``: the peak memory of
  ``reduction="none"`` next to ``reduction="mean"`` (no per-sample loss array);
* ``MultinomialOrder.time_method``: the multinomial loss on C- and F-ordered
  raw_prediction (F order, with outputs in the same order, is how
  scikit-learn's gradient boosting keeps them), for loss_gradient, gradient
  and gradient_hessian.

The peers (scikit-learn, PyTorch) are timed by ``python -m fastloss bench``
only: they do not change from one fastloss commit to the next, and each asv
parameter combination costs about a second of process start-up and data.
"""

import numpy as np

from .common import (
    DTYPES,
    FLOOR_KERNELS,
    LOSS_NAMES,
    SEED,
    SIZES,
    LossBenchmark,
    floor_call,
    floor_kernel_name,
    get_loss,
    has_keyword,
    make_data,
    ratio_of_medians,
    reference,
    reference_params,
    touched,
)

#: n of the ratio benchmarks (one size keeps quick runs short).
RATIO_N = 1_000_000
#: Interleaved rounds of the ratio benchmarks (the median of each is taken).
RATIO_ROUNDS = 5


class LossGradient(LossBenchmark):
    """``loss_gradient(..., reduction="none")``: fastloss vs the NumPy reference."""

    params = (LOSS_NAMES, DTYPES, SIZES, ("fastloss", "numpy"))
    param_names = ("loss", "dtype", "n", "library")
    version = "1"

    def setup(self, name, dtype, n, library):
        self.make(name, dtype, n)
        if library == "numpy":
            if reference is None or not hasattr(reference, "loss_gradient"):
                raise NotImplementedError("fastloss.reference.loss_gradient is missing")
            self.ref_params = reference_params(name, self.loss)

    def time_loss_gradient(self, name, dtype, n, library):
        if library == "fastloss":
            self.loss.loss_gradient(
                self.y_true,
                self.raw_prediction,
                loss_out=self.loss_out,
                gradient_out=self.gradient_out,
                n_threads=self.n_threads,
            )
        else:
            reference.loss_gradient(
                name, self.y_true, self.raw_prediction, **self.ref_params
            )

    def peakmem_loss_gradient(self, name, dtype, n, library):
        if library == "fastloss":
            self.loss.loss_gradient(
                self.y_true, self.raw_prediction, n_threads=self.n_threads
            )
        else:
            reference.loss_gradient(
                name, self.y_true, self.raw_prediction, **self.ref_params
            )


class LossGradientMean(LossBenchmark):
    """fastloss ``loss_gradient(..., reduction="mean")``: a float and the gradient."""

    params = (LOSS_NAMES, DTYPES, SIZES)
    param_names = ("loss", "dtype", "n")
    version = "1"

    def setup(self, name, dtype, n):
        self.make(name, dtype, n)
        if not has_keyword(self.loss.loss_gradient, "reduction"):
            raise NotImplementedError("this fastloss has no reduction= keyword")

    def time_loss_gradient_mean(self, name, dtype, n):
        self.loss.loss_gradient(
            self.y_true,
            self.raw_prediction,
            gradient_out=self.gradient_out,
            n_threads=self.n_threads,
            reduction="mean",
        )

    def peakmem_loss_gradient_mean(self, name, dtype, n):
        self.loss.loss_gradient(
            self.y_true,
            self.raw_prediction,
            n_threads=self.n_threads,
            reduction="mean",
        )


class Floor(LossBenchmark):
    """The floor kernels alone: ``stream_floor`` (read y and raw, write two
    arrays; the floor of every 1-D loss), ``stream_floor_multinomial`` (y (n)
    and raw (n, 10) in, loss (n) and gradient (n, 10) out) and
    ``stream_floor_reduce`` (read two arrays, write one: the floor of
    ``reduction="mean"``), at the sizes and dtypes of ``LossGradient``."""

    params = (FLOOR_KERNELS, DTYPES, SIZES)
    param_names = ("kernel", "dtype", "n")
    version = "1"

    def setup(self, kernel, dtype, n):
        name = "multinomial_loss" if kernel == "stream_floor_multinomial" else (
            "squared_error"
        )
        y_true, raw_prediction = make_data(name, n, dtype)
        self.call = floor_call(kernel, y_true, raw_prediction, self.n_threads)

    def time_floor(self, kernel, dtype, n):
        self.call()


class RatioToFloor(LossBenchmark):
    """fastloss's default ``loss_gradient`` (validated, preallocated outputs,
    one thread) over its floor kernel, timed alternately in the same rounds at
    n = 1e6; the median of each.  Lower is better; 1 is the floor."""

    params = (LOSS_NAMES, DTYPES)
    param_names = ("loss", "dtype")
    unit = "ratio"
    version = "1"

    def setup(self, name, dtype):
        self.make(name, dtype, RATIO_N)
        self.floor = floor_call(
            floor_kernel_name(name), self.y_true, self.raw_prediction, self.n_threads
        )
        self.call = lambda: self.loss.loss_gradient(
            self.y_true,
            self.raw_prediction,
            loss_out=self.loss_out,
            gradient_out=self.gradient_out,
            n_threads=self.n_threads,
        )

    def track_ratio_to_floor(self, name, dtype):
        return ratio_of_medians(self.call, self.floor, RATIO_ROUNDS)


class RatioToFloorMean(LossBenchmark):
    """fastloss ``loss_gradient(reduction="mean", gradient_out=...)`` over
    ``stream_floor_reduce`` (read two arrays, write one; the multinomial loss:
    ``stream_floor_multinomial``), as ``RatioToFloor``."""

    params = (LOSS_NAMES, DTYPES)
    param_names = ("loss", "dtype")
    unit = "ratio"
    version = "1"

    def setup(self, name, dtype):
        self.make(name, dtype, RATIO_N)
        if not has_keyword(self.loss.loss_gradient, "reduction"):
            raise NotImplementedError("this fastloss has no reduction= keyword")
        self.floor = floor_call(
            floor_kernel_name(name, "mean"), self.y_true, self.raw_prediction,
            self.n_threads,
        )
        self.call = lambda: self.loss.loss_gradient(
            self.y_true,
            self.raw_prediction,
            gradient_out=self.gradient_out,
            n_threads=self.n_threads,
            reduction="mean",
        )

    def track_ratio_to_floor_mean(self, name, dtype):
        return ratio_of_medians(self.call, self.floor, RATIO_ROUNDS)


class PeakMemReduction:
    """Peak memory of the allocating ``loss_gradient`` call with
    ``reduction="none"`` (allocates the loss and the gradient) next to
    ``reduction="mean"`` (the gradient only): the difference is the saved
    per-sample loss array, n * itemsize bytes.

    asv reports the peak RSS of the whole process, setup included, so setup
    allocates nothing but the two inputs (drawn directly in their dtype), and
    n = 1e7 makes the arrays (40 or 80 MB each) dominate the interpreter's own
    memory.
    """

    params = (("squared_error", "binomial_loss"), DTYPES, ("none", "mean"))
    param_names = ("loss", "dtype", "reduction")
    version = "1"
    timeout = 180
    N = 10_000_000

    def setup(self, name, dtype, reduction):
        self.loss = get_loss(name)
        if reduction != "none" and not has_keyword(self.loss.loss_gradient, "reduction"):
            raise NotImplementedError("this fastloss has no reduction= keyword")
        rng = np.random.default_rng(SEED)
        if name == "binomial_loss":
            self.y_true = rng.random(self.N, dtype=dtype)
        else:
            self.y_true = rng.standard_normal(self.N, dtype=dtype)
        self.raw_prediction = rng.standard_normal(self.N, dtype=dtype)
        self.kwargs = {} if reduction == "none" else {"reduction": reduction}

    def peakmem_loss_gradient(self, name, dtype, reduction):
        self.loss.loss_gradient(
            self.y_true, self.raw_prediction, n_threads=1, **self.kwargs
        )


class MultinomialOrder(LossBenchmark):
    """The multinomial loss on C- and F-ordered raw_prediction, outputs in
    the same order (n = 1e6 rows, 10 classes, n_threads=1)."""

    params = (("C", "F"), DTYPES, ("loss_gradient", "gradient", "gradient_hessian"))
    param_names = ("order", "dtype", "method")
    version = "1"

    def setup(self, order, dtype, method):
        self.make("multinomial_loss", dtype, RATIO_N)
        self.raw_prediction = np.asarray(self.raw_prediction, order=order)
        self.gradient_out = touched(np.empty_like(self.raw_prediction, order=order))
        self.hessian_out = touched(np.empty_like(self.raw_prediction, order=order))

    def time_method(self, order, dtype, method):
        loss, y, raw = self.loss, self.y_true, self.raw_prediction
        if method == "loss_gradient":
            loss.loss_gradient(y, raw, loss_out=self.loss_out,
                               gradient_out=self.gradient_out, n_threads=1)
        elif method == "gradient":
            loss.gradient(y, raw, gradient_out=self.gradient_out, n_threads=1)
        else:
            loss.gradient_hessian(y, raw, gradient_out=self.gradient_out,
                                  hessian_out=self.hessian_out, n_threads=1)
