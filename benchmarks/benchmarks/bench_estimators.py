"""asv benchmarks of whole estimator fits: fastloss vs scikit-learn.

Small fits (n = 20,000 samples, 20 features) of ``PoissonRegressor`` and of
binary and 5-class ``LogisticRegression``, X dense float64, dense float32 or
CSR, same solver and tolerance in both libraries, single-threaded (fastloss
``n_threads=1``; both under ``threadpoolctl.threadpool_limits(1)``).  The
large runs of the issue (n = 1e6, 50 features) are
``fastloss._bench_fit.bench_fits`` (``python -m fastloss bench``).

A combination that cannot run (fastloss without ``linear_model``,
scikit-learn or scipy missing) raises ``NotImplementedError`` in ``setup``,
which asv reports as skipped.
"""

import warnings

import numpy as np

N = 20_000
N_FEATURES = 20
CASES = ("poisson", "binary", "multinomial")
KINDS = ("dense f64", "dense f32", "sparse")
LIBRARIES = ("fastloss", "sklearn")
SEED = 0


def _modules(library):
    try:
        if library == "fastloss":
            import fastloss.linear_model as module
        else:
            import sklearn.linear_model as module
        import scipy.sparse  # noqa: F401 - the sparse case and the solvers
        from threadpoolctl import threadpool_limits
    except ImportError as exc:
        raise NotImplementedError(f"{library} estimators unavailable: {exc}") from exc
    if not hasattr(module, "PoissonRegressor"):
        raise NotImplementedError(f"{library} has no PoissonRegressor")
    return module, threadpool_limits


def _data(case, kind):
    import scipy.sparse as sp

    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((N, N_FEATURES)) / np.sqrt(N_FEATURES)
    if kind == "sparse":
        X[rng.random(X.shape) > 0.2] = 0.0
        X *= np.sqrt(5.0)
    if case == "poisson":
        y = rng.poisson(np.exp(X @ rng.uniform(-1, 1, N_FEATURES) + 0.5)).astype(float)
    elif case == "binary":
        p = 1.0 / (1.0 + np.exp(-(X @ rng.standard_normal(N_FEATURES))))
        y = (rng.random(N) < p).astype(np.int64)
    else:
        W = rng.standard_normal((N_FEATURES, 5))
        y = np.argmax(X @ W + rng.gumbel(size=(N, 5)), axis=1)
    if kind == "sparse":
        X = sp.csr_matrix(X)
    elif kind == "dense f32":
        X = X.astype(np.float32)
    return X, y


class EstimatorFit:
    """``fit`` of one estimator: fastloss vs scikit-learn."""

    params = (CASES, KINDS, LIBRARIES)
    param_names = ("case", "X", "library")
    timeout = 120
    version = "1"

    def setup(self, case, kind, library):
        module, self.threadpool_limits = _modules(library)
        extra = {"n_threads": 1} if library == "fastloss" else {}
        if case == "poisson":
            self.estimator = module.PoissonRegressor(alpha=1e-4, **extra)
        else:
            self.estimator = module.LogisticRegression(**extra)
        self.X, self.y = _data(case, kind)

    def time_fit(self, case, kind, library):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with self.threadpool_limits(limits=1):
                self.estimator.fit(self.X, self.y)

    def track_n_iter(self, case, kind, library):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with self.threadpool_limits(limits=1):
                self.estimator.fit(self.X, self.y)
        return int(np.max(self.estimator.n_iter_))

    track_n_iter.unit = "iterations"
