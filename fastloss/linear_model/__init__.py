"""Linear models on fastloss's losses.

``LinearModelLoss`` is the objective of a linear model (raw = X @ coef +
intercept) over any fastloss loss, evaluated by fused one-pass Cython kernels.
Importing this package needs neither scipy nor scikit-learn.
"""

from fastloss.linear_model._linear_loss import LinearModelLoss

__all__ = ["LinearModelLoss"]

# The estimators need scikit-learn (and scipy for their solvers): they are
# imported on first access, so that importing this package needs neither.
_ESTIMATORS = {
    "PoissonRegressor": "fastloss.linear_model._glm",
    "GammaRegressor": "fastloss.linear_model._glm",
    "TweedieRegressor": "fastloss.linear_model._glm",
    "LogisticRegression": "fastloss.linear_model._logistic",
}
__all__ += list(_ESTIMATORS)


def __getattr__(name):
    module_name = _ESTIMATORS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(
            f"fastloss.linear_model.{name} needs scikit-learn and scipy "
            f"(pip install 'fastloss[sklearn]'): {exc}"
        ) from exc
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_ESTIMATORS))
