"""Benchmark of whole fits: fastloss's estimators vs scikit-learn's.

The logic behind ``python -m fastloss bench --mode fits`` (the command line
is in :mod:`fastloss.__main__`).  :func:`bench_fits` fits, side by side on
the same data, with the same solver, tolerance and other parameters,

* ``PoissonRegressor`` (counts drawn from a Poisson GLM),
* binary ``LogisticRegression``,
* 10-class (multinomial) ``LogisticRegression``,

on X given three ways: dense float64, dense float32 (C order) and sparse CSR
(float64).  Both libraries run single-threaded by default: fastloss with
``n_threads=1``, scikit-learn (whose GLMs otherwise use every core) under
``threadpoolctl.threadpool_limits(1)``, held for the whole run, which also
holds BLAS to one thread for both.  Each fit is repeated ``repeat`` times,
the two libraries alternating within a round; the median wall time is
reported with the iteration counts (``n_iter_``) and the largest difference
of the fitted coefficients.

Needs scikit-learn and scipy (fastloss's estimators do).
"""

import gc
import statistics
import time

import numpy as np

__all__ = ["bench_fits", "format_fit_table", "make_fit_data", "ESTIMATORS", "X_KINDS"]

#: Benchmarked models: name -> (estimator class name, number of classes or None).
ESTIMATORS = {
    "PoissonRegressor": ("PoissonRegressor", None),
    "LogisticRegression binary": ("LogisticRegression", 2),
    "LogisticRegression 10 classes": ("LogisticRegression", 10),
}
#: The ways X is given.
X_KINDS = ("dense f64", "dense f32", "sparse")

DEFAULT_N = 1_000_000
DEFAULT_N_FEATURES = 50
DEFAULT_REPEAT = 3
DEFAULT_DENSITY = 0.1


def make_fit_data(
    estimator, n, n_features, kind="dense f64", density=DEFAULT_DENSITY, seed=0
):
    """``(X, y)`` for one benchmark case.

    X has independent standard normal features (for ``sparse``, a CSR matrix
    keeping a fraction ``density`` of them); the true coefficients are drawn
    so that the linear predictor has unit variance, and y is drawn from the
    model: Poisson counts with log-mean ``X @ w + 0.5``, or labels from the
    logistic / softmax probabilities of ``X @ W``.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}; known: {list(ESTIMATORS)}")
    if kind not in X_KINDS:
        raise ValueError(f"unknown X kind {kind!r}; known: {list(X_KINDS)}")
    rng = np.random.default_rng(seed)
    _, n_classes = ESTIMATORS[estimator]
    if kind == "sparse":
        import scipy.sparse as sp

        X = sp.random(
            n,
            n_features,
            density=density,
            format="csr",
            dtype=np.float64,
            random_state=rng,
            data_rvs=rng.standard_normal,
        )
        scale = 1.0 / np.sqrt(density * n_features)
    else:
        X = rng.standard_normal((n, n_features))
        scale = 1.0 / np.sqrt(n_features)
    if n_classes is None:
        w = rng.standard_normal(n_features) * scale
        y = rng.poisson(np.exp(X @ w + 0.5)).astype(np.float64)
    elif n_classes == 2:
        w = rng.standard_normal(n_features) * scale
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        y = (rng.random(n) < p).astype(np.int64)
    else:
        W = rng.standard_normal((n_features, n_classes)) * scale
        y = np.argmax(X @ W + rng.gumbel(size=(n, n_classes)), axis=1)
    if kind == "dense f32":
        X = X.astype(np.float32)
    return X, y


def _estimators(estimator, solver, tol, n_threads, params):
    import sklearn.linear_model as sk_lm

    import fastloss.linear_model as fl_lm

    class_name, _ = ESTIMATORS[estimator]
    kwargs = {"tol": tol, **(params or {})}
    if solver is not None:
        kwargs["solver"] = solver
    return (
        getattr(fl_lm, class_name)(n_threads=n_threads, **kwargs),
        getattr(sk_lm, class_name)(**kwargs),
    )


def _timed_fit(est, X, y):
    # (The thread limit is held by bench_fits around the whole run.)
    import warnings

    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter
        start = time.perf_counter()
        est.fit(X, y)
        elapsed = time.perf_counter() - start
    return elapsed, int(np.max(est.n_iter_))


def _params_of(est):
    return np.concatenate([np.ravel(est.coef_), np.ravel(est.intercept_)]).astype(
        np.float64
    )


def bench_fits(
    n=DEFAULT_N,
    n_features=DEFAULT_N_FEATURES,
    repeat=DEFAULT_REPEAT,
    *,
    estimators=tuple(ESTIMATORS),
    kinds=X_KINDS,
    solver=None,
    tol=1e-4,
    params=None,
    n_threads=1,
    density=DEFAULT_DENSITY,
    seed=0,
    progress=None,
):
    """Time fastloss's and scikit-learn's fits of the same models.

    Parameters
    ----------
    n, n_features : int
        Shape of X.
    repeat : int
        Fits per library and case; the median time is reported.
    estimators : sequence of str
        Keys of :data:`ESTIMATORS`.
    kinds : sequence of str
        Entries of :data:`X_KINDS`.
    solver : str or None
        Solver of both libraries (None: the estimators' default, 'lbfgs').
    tol : float
        Tolerance of both libraries.
    params : dict or None
        More parameters for both estimators (e.g. ``{"alpha": 1e-3}``), or a
        dict ``{estimator key: parameters}``.
    n_threads : int
        fastloss's ``n_threads`` and the thread limit (threadpoolctl) of both.
    density : float
        Fraction of non-zeros of the sparse X.
    seed : int
    progress : callable or None
        Called with a line of text before each case.

    Returns
    -------
    rows : list of dict
        One per (estimator, X kind): ``estimator``, ``X``, ``solver``,
        ``fastloss_s``, ``sklearn_s`` (median wall seconds), ``ratio``
        (fastloss / sklearn), ``fastloss_n_iter``, ``sklearn_n_iter``,
        ``max_abs_coef_diff`` (fitted coefficients and intercepts),
        ``n``, ``n_features``, ``n_threads``, ``repeat``.
    """
    if repeat < 1:
        raise ValueError("repeat must be >= 1")
    from threadpoolctl import threadpool_limits

    rows = []
    # BLAS held to n_threads for the whole run, data making included (not
    # only inside each timed fit): an idle BLAS pool larger than n_threads
    # busy-waits after a call and can slow whatever runs next on a small
    # machine (measured in the linear bench, _bench_linear.py).
    with threadpool_limits(limits=n_threads):
        for i, estimator in enumerate(estimators):
            case_params = params
            if params and estimator in params and isinstance(params[estimator], dict):
                case_params = params[estimator]
            for kind in kinds:
                if progress is not None:
                    progress(f"{estimator}, X {kind}: making data (n={n}, d={n_features})")
                X, y = make_fit_data(estimator, n, n_features, kind, density, seed + i)
                times = {"fastloss": [], "sklearn": []}
                n_iter = {}
                fitted = {}
                for r in range(repeat):
                    order = ("fastloss", "sklearn")
                    for library in order if r % 2 == 0 else order[::-1]:
                        if progress is not None:
                            progress(f"  round {r + 1}/{repeat}: {library}")
                        fl_est, sk_est = _estimators(
                            estimator, solver, tol, n_threads, case_params
                        )
                        est = fl_est if library == "fastloss" else sk_est
                        seconds, iters = _timed_fit(est, X, y)
                        times[library].append(seconds)
                        n_iter[library] = iters
                        fitted[library] = est
                fl_s = statistics.median(times["fastloss"])
                sk_s = statistics.median(times["sklearn"])
                diff = _params_of(fitted["fastloss"]) - _params_of(fitted["sklearn"])
                diff = float(np.max(np.abs(diff)))
                rows.append(
                    {
                        "estimator": estimator,
                        "X": kind,
                        "solver": fitted["fastloss"].solver,
                        "fastloss_s": fl_s,
                        "sklearn_s": sk_s,
                        "ratio": fl_s / sk_s,
                        "fastloss_n_iter": n_iter["fastloss"],
                        "sklearn_n_iter": n_iter["sklearn"],
                        "max_abs_coef_diff": diff,
                        "n": n,
                        "n_features": n_features,
                        "n_threads": n_threads,
                        "repeat": repeat,
                    }
                )
                del X, y, fitted
    return rows


def format_fit_table(rows):
    """The rows of :func:`bench_fits` as a plain-text table."""
    header = (
        f"{'estimator':30s} {'X':10s} {'solver':16s} {'fastloss s':>10s} "
        f"{'sklearn s':>10s} {'ratio':>6s} {'iter fl':>7s} {'iter sk':>7s} "
        f"{'max|dcoef|':>10s}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['estimator']:30s} {row['X']:10s} {row['solver']:16s} "
            f"{row['fastloss_s']:10.3f} {row['sklearn_s']:10.3f} {row['ratio']:6.2f} "
            f"{row['fastloss_n_iter']:7d} {row['sklearn_n_iter']:7d} "
            f"{row['max_abs_coef_diff']:10.2e}"
        )
    return "\n".join(lines)
