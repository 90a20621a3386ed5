"""asv benchmarks of ``fastloss.linear_model.LinearModelLoss``.

``time_loss_gradient``: one evaluation of the objective and its gradient (the
call a solver makes per iteration) on n = 200,000 x 50 features (and 2, 5 or
10 in ``LinearLossFewFeatures``), fastloss's fused one-pass kernel next to
scikit-learn's ``LinearModelLoss`` (X @ w, then X.T @ g).  ``track_ratio_to_floor``: fastloss's time divided by the time of one
streaming read of X (the least any pass over X can cost), measured in the same
rounds.  fastloss runs with ``n_threads=1``.
"""

import time

import numpy as np

try:
    import fastloss
    from fastloss.linear_model import LinearModelLoss
    from fastloss.linear_model._linear_loss import _lk
except ImportError:  # asv discovers the suite even without the package
    fastloss = None

N_SAMPLES = 200_000
N_FEATURES = 50
N_CLASSES = 10
SEED = 0
LOSSES = ("poisson", "binomial", "multinomial")
LAYOUTS = ("C", "F", "float32", "csr")


def _make(loss, layout, d=N_FEATURES):
    if fastloss is None:
        raise NotImplementedError("fastloss.linear_model is not importable")
    rng = np.random.default_rng(SEED)
    n = N_SAMPLES
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d) / (2.0 * np.sqrt(d))
    raw = X @ w
    if loss == "poisson":
        base = fastloss.HalfPoissonLoss()
        y = rng.poisson(np.exp(raw)).astype(np.float64)
        coef = np.zeros(d + 1)
    elif loss == "binomial":
        base = fastloss.HalfBinomialLoss()
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-raw))).astype(np.float64)
        coef = np.zeros(d + 1)
    else:
        base = fastloss.HalfMultinomialLoss(n_classes=N_CLASSES)
        y = rng.integers(0, N_CLASSES, n).astype(np.float64)
        coef = np.zeros((N_CLASSES, d + 1), order="F")
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "float32":
        X = X.astype(np.float32)
    elif layout == "csr":
        try:
            from scipy import sparse
        except ImportError:
            raise NotImplementedError("scipy is not installed")
        X[rng.random(X.shape) < 0.9] = 0.0
        X = sparse.csr_matrix(X)
    return base, X, y, coef


def _sklearn_lml(loss):
    try:
        from sklearn._loss import loss as skl
        from sklearn.linear_model._linear_loss import LinearModelLoss as SkLML
    except ImportError:
        raise NotImplementedError("scikit-learn is not installed")
    cls = {
        "poisson": lambda: skl.HalfPoissonLoss(),
        "binomial": lambda: skl.HalfBinomialLoss(),
        "multinomial": lambda: skl.HalfMultinomialLoss(n_classes=N_CLASSES),
    }[loss]
    return SkLML(cls(), fit_intercept=True)


class LinearLossGradient:
    """``LinearModelLoss.loss_gradient``: fastloss vs scikit-learn."""

    params = (LOSSES, LAYOUTS, ("fastloss", "sklearn"))
    param_names = ("loss", "layout", "library")
    timeout = 180
    version = "1"

    def setup(self, loss, layout, library):
        base, self.X, self.y, self.coef = _make(loss, layout)
        if library == "fastloss":
            self.lml = LinearModelLoss(base, fit_intercept=True)
        else:
            self.lml = _sklearn_lml(loss)
            if layout == "float32":
                # scikit-learn computes in X's dtype and needs y and coef in it
                self.y = self.y.astype(np.float32)
                self.coef = self.coef.astype(np.float32)

    def time_loss_gradient(self, loss, layout, library):
        self.lml.loss_gradient(self.coef, self.X, self.y, n_threads=1)


class LinearLossFewFeatures:
    """``loss_gradient`` with few features (d = 2, 5, 10; row-major float64
    X): per-row costs, not the read of X, dominate here."""

    params = (("poisson", "multinomial"), (2, 5, 10), ("fastloss", "sklearn"))
    param_names = ("loss", "n_features", "library")
    timeout = 180
    version = "1"

    def setup(self, loss, n_features, library):
        base, self.X, self.y, self.coef = _make(loss, "C", d=n_features)
        self.lml = (
            LinearModelLoss(base, fit_intercept=True)
            if library == "fastloss"
            else _sklearn_lml(loss)
        )

    def time_loss_gradient(self, loss, n_features, library):
        self.lml.loss_gradient(self.coef, self.X, self.y, n_threads=1)


class LinearLossHessp:
    """One Hessian-vector product (what Newton-CG calls per inner step)."""

    params = (("poisson", "multinomial"), ("fastloss", "sklearn"))
    param_names = ("loss", "library")
    timeout = 180
    version = "1"

    def setup(self, loss, library):
        base, self.X, self.y, coef = _make(loss, "C")
        lml = (
            LinearModelLoss(base, fit_intercept=True)
            if library == "fastloss"
            else _sklearn_lml(loss)
        )
        _, self.hessp = lml.gradient_hessian_product(coef, self.X, self.y)
        self.s = np.random.default_rng(1).standard_normal(coef.shape)

    def time_hessp(self, loss, library):
        self.hessp(self.s)


class LinearLossFloorRatio:
    """fastloss ``loss_gradient`` time / time of one streaming read of X.

    The floor is the faster of fastloss's compiled sum of all elements of X
    and NumPy's ``X.sum()``; both are timed in the same rounds as the
    evaluation, and the medians of 7 rounds are compared.
    """

    params = (("poisson", "binomial"), ("C", "float32"))
    param_names = ("loss", "layout")
    timeout = 180
    version = "1"
    unit = "ratio"

    def setup(self, loss, layout):
        base, self.X, self.y, self.coef = _make(loss, layout)
        self.lml = LinearModelLoss(base, fit_intercept=True)

    def track_ratio_to_floor(self, loss, layout):
        X = self.X
        fns = {
            "eval": lambda: self.lml.loss_gradient(self.coef, X, self.y, n_threads=1),
            "compiled": lambda: _lk.floor_sum(X),
            "numpy": lambda: X.sum(),
        }
        for f in fns.values():
            f()
        times = {k: [] for k in fns}
        for _ in range(7):
            for k, f in fns.items():
                t0 = time.perf_counter()
                f()
                times[k].append(time.perf_counter() - t0)
        med = {k: float(np.median(v)) for k, v in times.items()}
        return med["eval"] / min(med["compiled"], med["numpy"])
