"""Poisson regression of claim counts: fastloss inside a scikit-learn workflow.

fastloss's ``PoissonRegressor`` is a drop-in for scikit-learn's: here it sits
in a ``Pipeline`` (one-hot encoding of categorical columns, scaling of the
numeric ones), its penalty ``alpha`` is tuned by ``GridSearchCV``, the tuned
model is scored on held-out data (D^2, the fraction of Poisson deviance
explained), and finally the same pipeline is fitted with fastloss's and with
scikit-learn's ``PoissonRegressor`` on the same transformed features (same
alpha, solver and tolerance, one thread) and the two fit times, iteration
counts and coefficients are compared.

The data are synthetic insurance-like policies: exposure-free claim counts
drawn from a Poisson GLM over a driver age, a vehicle power, a region
(categorical) and a vehicle brand (categorical).

Run::

    python examples/poisson_pipeline.py            # 200,000 policies
    python examples/poisson_pipeline.py --n 1e6    # larger
    python examples/poisson_pipeline.py --plot loss_curve.png

Needs scikit-learn and scipy (``pip install fastloss[sklearn]``); ``--plot``
needs matplotlib.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor as SkPoissonRegressor
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from fastloss.linear_model import PoissonRegressor

N_REGIONS = 20
N_BRANDS = 12


def make_policies(n, seed=0):
    """Columns: driver age, vehicle power, region code, brand code; y: claims."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(18, 90, n)
    power = rng.gamma(6.0, 1.2, n)
    region = rng.integers(0, N_REGIONS, n)
    brand = rng.integers(0, N_BRANDS, n)
    region_effect = rng.normal(0, 0.3, N_REGIONS)
    brand_effect = rng.normal(0, 0.2, N_BRANDS)
    log_rate = (
        -2.0
        + 0.6 * np.exp(-(age - 18) / 10)  # young drivers claim more
        + 0.04 * (power - 7)
        + region_effect[region]
        + brand_effect[brand]
    )
    y = rng.poisson(np.exp(log_rate)).astype(np.float64)
    X = np.column_stack([age, power, region, brand])
    return X, y


def make_pipeline(regressor):
    features = ColumnTransformer(
        [
            ("numeric", StandardScaler(), [0, 1]),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), [2, 3]),
        ],
        # ~34 columns: a dense X is small and the fastest for both libraries.
        sparse_threshold=0.0,
    )
    return Pipeline([("features", features), ("glm", regressor)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=float, default=200_000, help="policies")
    parser.add_argument("--plot", metavar="FILE", help="save the loss curve here")
    args = parser.parse_args(argv)
    n = int(args.n)

    X, y = make_policies(n)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0
    )
    print(f"{n:,} policies, mean claim frequency {y.mean():.3f}")

    # 1. Tune the penalty of fastloss's PoissonRegressor by cross-validation.
    search = GridSearchCV(
        make_pipeline(PoissonRegressor(n_threads=1)),
        param_grid={"glm__alpha": [1e-6, 1e-4, 1e-2, 1.0]},
        cv=3,
    )
    start = time.perf_counter()
    search.fit(X_train, y_train)
    print(
        f"GridSearchCV (4 alphas x 3 folds): {time.perf_counter() - start:.2f} s, "
        f"best alpha = {search.best_params_['glm__alpha']:g}, "
        f"CV D^2 = {search.best_score_:.4f}"
    )
    best = search.best_estimator_
    print(f"held-out D^2 = {best.score(X_test, y_test):.4f}")
    glm = best.named_steps["glm"]
    print(
        f"refit on the training set: {glm.n_iter_} iterations, objective "
        f"{glm.loss_curve_[0]:.6f} -> {glm.loss_curve_[-1]:.6f}"
    )

    # 2. fastloss vs scikit-learn: the GLM fit of the tuned pipeline, on the
    #    same transformed features, same alpha, solver and tol, one thread.
    from threadpoolctl import threadpool_limits

    alpha = search.best_params_["glm__alpha"]
    Xt = best.named_steps["features"].transform(X_train)
    kind = "sparse CSR" if hasattr(Xt, "tocsr") else f"dense {Xt.dtype}"
    print(f"\nGLM fit on the transformed training set ({Xt.shape[1]} {kind} columns):")
    print(f"{'':14s} {'seconds':>8s} {'iterations':>10s}")
    results = {}
    for label, regressor in [
        ("fastloss", PoissonRegressor(alpha=alpha, n_threads=1)),
        ("scikit-learn", SkPoissonRegressor(alpha=alpha)),
    ]:
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            regressor.fit(Xt, y_train)
            seconds = time.perf_counter() - start
        results[label] = (seconds, regressor)
        print(f"{label:14s} {seconds:8.3f} {regressor.n_iter_:10d}")
    fast, slow = results["fastloss"], results["scikit-learn"]
    print(f"fastloss / scikit-learn time: {fast[0] / slow[0]:.2f}")
    diff = np.max(np.abs(fast[1].coef_ - slow[1].coef_))
    print(f"max |coef difference| = {diff:.2e}")

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from fastloss.plotting import plot_loss_curve

        ax = plot_loss_curve({"fastloss PoissonRegressor": fast[1]})
        ax.figure.savefig(args.plot, dpi=100)
        print(f"loss curve saved to {args.plot}")


if __name__ == "__main__":
    main()
