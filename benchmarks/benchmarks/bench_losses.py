"""asv benchmarks of the fused ``loss_gradient`` of every loss.

``time_*`` benchmarks of fastloss write into preallocated outputs (the call
that a training loop makes); ``peakmem_*`` benchmarks make the allocating
default call, whose outputs are what the peak memory is about.  The NumPy
reference (``fastloss.reference``) has no ``out`` parameters and always
allocates (float64).  All fastloss calls are the validated default
(``check_input=True``) with ``n_threads=1``.
"""

from .common import (
    DTYPES,
    LOSS_NAMES,
    SIZES,
    LossBenchmark,
    has_keyword,
    reference,
    reference_params,
)


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
