"""Benchmark of ``LinearModelLoss.loss_gradient`` against the memory floor.

The fused kernel streams X from memory once per evaluation, so its natural
yardstick is the *floor*: the time of one streaming read of X (the sum of all
its elements by a compiled loop, or NumPy's ``X.sum()``, whichever is faster
in each round).  :func:`bench_linear_loss` times, interleaved within each round
so that drifts of a shared machine hit all of them alike,

* the floor;
* fastloss's ``LinearModelLoss.loss_gradient`` for the Poisson (log link) and
  binomial losses on C-ordered X, and for the Poisson loss on F-ordered X;
* scikit-learn's ``LinearModelLoss.loss_gradient`` on the same Poisson problem
  (when scikit-learn is installed; it computes ``X @ w`` and ``X.T @ g``, two
  passes over X, with BLAS, limited to the same number of threads);

and reports the median over ``repeat`` rounds in nanoseconds per sample, with
the ratio of each median to the floor's median.  The command line is
``python -m fastloss bench --mode linear`` (:mod:`fastloss.__main__`).
"""

import gc
import statistics
import time

import numpy as np

from fastloss._bench import DEFAULT_REPEAT

__all__ = ["bench_linear_loss", "CASES"]

#: Benchmarked cases: (label, library, loss, layout).
CASES = (
    ("fastloss poisson C", "fastloss", "poisson", "C"),
    ("fastloss binomial C", "fastloss", "binomial", "C"),
    ("fastloss poisson F", "fastloss", "poisson", "F"),
    ("sklearn poisson C", "sklearn", "poisson", "C"),
)


def _make(n, n_features, dtype, seed):
    rng = np.random.default_rng(seed)
    X = np.empty((n, n_features), dtype=dtype)
    # Fill in row blocks: no float64 temporary of the full size for float32.
    step = 65536
    for s in range(0, n, step):
        e = min(n, s + step)
        X[s:e] = rng.standard_normal((e - s, n_features))
    coef = np.zeros(n_features + 1)
    coef[:n_features] = rng.standard_normal(n_features) / (2.0 * np.sqrt(n_features))
    raw = X @ coef[:n_features].astype(dtype)
    y = {
        "poisson": rng.poisson(np.exp(raw)).astype(np.float64),
        "binomial": (rng.random(n) < 1.0 / (1.0 + np.exp(-raw))).astype(np.float64),
    }
    return X, y, coef


def _floor_fn(X):
    from fastloss.linear_model._linear_loss import _lk as lk

    Xc = np.ascontiguousarray(X)
    return lambda: lk.floor_sum(Xc), lambda: Xc.sum()


def bench_linear_loss(
    n=1_000_000,
    n_features=50,
    dtype=np.float64,
    repeat=DEFAULT_REPEAT,
    n_threads=1,
    cases=None,
    seed=0,
):
    """Time ``LinearModelLoss.loss_gradient`` and the floor, side by side.

    Parameters
    ----------
    n, n_features : int
        Shape of X.
    dtype : float32 or float64
        dtype of X (fastloss uses float32 X as it is, with float64 sums).
    repeat : int
        Rounds; every case runs once per round, the cases interleaved.
    n_threads : int
        Threads of the fastloss kernels, and the limit of the BLAS threads
        (threadpoolctl) while the cases run.
    cases : iterable of str or None
        Labels of :data:`CASES` to run (default: all that can run here).
    seed : int

    Returns
    -------
    rows : list of dict
        One per case, then the floor: ``{"case", "ns_per_sample",
        "floor_ns_per_sample", "ratio"}`` (medians; ratio = case / floor).
    """
    import fastloss
    from fastloss.linear_model import LinearModelLoss

    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    if repeat < 1 or n < 1 or n_features < 1:
        raise ValueError("n, n_features and repeat must be positive")
    X, ys, coef = _make(n, n_features, dtype, seed)
    wanted = None if cases is None else set(cases)
    if wanted is not None:
        unknown = wanted - {c[0] for c in CASES}
        if unknown:
            raise ValueError(f"unknown cases {sorted(unknown)}; known: {[c[0] for c in CASES]}")

    losses = {"poisson": fastloss.HalfPoissonLoss, "binomial": fastloss.HalfBinomialLoss}
    XF = None
    calls = {}
    for label, library, loss, layout in CASES:
        if wanted is not None and label not in wanted:
            continue
        y = ys[loss]
        if layout == "F":
            if XF is None:
                XF = np.asfortranarray(X)
            Xl = XF
        else:
            Xl = X
        if library == "fastloss":
            lml = LinearModelLoss(losses[loss](), fit_intercept=True)
            calls[label] = (
                lambda lml=lml, Xl=Xl, y=y: lml.loss_gradient(
                    coef, Xl, y, n_threads=n_threads
                )
            )
        else:
            try:
                from sklearn._loss import loss as skl
                from sklearn.linear_model._linear_loss import LinearModelLoss as SkLML
            except ImportError:
                if wanted is not None:
                    raise
                continue
            sk_cls = {"poisson": skl.HalfPoissonLoss, "binomial": skl.HalfBinomialLoss}
            sk = SkLML(sk_cls[loss](), fit_intercept=True)
            # scikit-learn computes in X's dtype: y and coef must match it
            y_sk = y.astype(dtype, copy=False)
            coef_sk = coef.astype(dtype, copy=False)
            calls[label] = (
                lambda sk=sk, Xl=Xl, y=y_sk, c=coef_sk: sk.loss_gradient(
                    c, Xl, y, n_threads=n_threads
                )
            )

    from threadpoolctl import threadpool_limits

    floor_compiled, floor_numpy = _floor_fn(X)
    times = {label: [] for label in calls}
    floor_times = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    # BLAS (scikit-learn's X @ w and X.T @ g, NumPy's sum) limited to
    # n_threads like fastloss: the idle workers of a larger BLAS pool
    # busy-wait after each call and, on a 2-core machine, made the fastloss
    # calls that followed them about 2x slower (measured: float32 Poisson
    # 12.3 ns/sample alone, 27.5 interleaved with an unlimited scikit-learn).
    limits = threadpool_limits(limits=n_threads)
    try:
        for f in list(calls.values()) + [floor_compiled, floor_numpy]:
            f()  # warm-up: pages mapped, caches and branch predictors primed
        for _ in range(repeat):
            t0 = time.perf_counter()
            floor_compiled()
            t1 = time.perf_counter()
            floor_numpy()
            t2 = time.perf_counter()
            floor_times.append(min(t1 - t0, t2 - t1))
            for label, f in calls.items():
                t0 = time.perf_counter()
                f()
                times[label].append(time.perf_counter() - t0)
    finally:
        limits.restore_original_limits()
        if gc_was_enabled:
            gc.enable()
    floor_ns = statistics.median(floor_times) * 1e9 / n
    rows = []
    for label, ts in times.items():
        ns = statistics.median(ts) * 1e9 / n
        rows.append(
            {"case": label, "ns_per_sample": ns, "floor_ns_per_sample": floor_ns,
             "ratio": ns / floor_ns}
        )
    rows.append(
        {"case": "floor (one read of X)", "ns_per_sample": floor_ns,
         "floor_ns_per_sample": floor_ns, "ratio": 1.0}
    )
    return rows


def format_rows(rows):
    """A plain-text table of :func:`bench_linear_loss`'s rows."""
    lines = [f"{'case':<26} {'ns/sample':>10} {'floor ns':>9} {'ratio':>6}"]
    for r in rows:
        lines.append(
            f"{r['case']:<26} {r['ns_per_sample']:>10.2f} "
            f"{r['floor_ns_per_sample']:>9.2f} {r['ratio']:>6.2f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(format_rows(bench_linear_loss()))
