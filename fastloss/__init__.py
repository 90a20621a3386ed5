"""fastloss: machine-learning loss functions on typed, OpenMP-parallel Cython kernels.

A drop-in for scikit-learn's loss objects (``sklearn._loss.loss``): the same
classes, methods and results, plus validation, ``reduction="sum"|"mean"``,
automatic threading and bitwise reproducibility across thread counts.

>>> import numpy as np
>>> from fastloss import HalfBinomialLoss
>>> loss = HalfBinomialLoss()
>>> value, grad = loss.loss_gradient(np.array([0.0, 1.0]), np.array([0.5, 2.0]),
...                                  reduction="mean")
"""

try:
    from fastloss._kernels import _loss as _compiled  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on how it was installed
    import os as _os

    raise ImportError(
        "fastloss's compiled kernels could not be imported from "
        f"{_os.path.dirname(__file__)!r} ({exc}). If that folder is the source "
        "checkout, either install it in place with `pip install -e .` or run "
        "Python from another directory so that the installed package is used."
    ) from exc

from fastloss.links import (
    HalfLogitLink,
    IdentityLink,
    Interval,
    LogitLink,
    LogLink,
    MultinomialLogit,
)
from fastloss.losses import (
    LOSSES,
    AbsoluteError,
    BaseLoss,
    ExponentialLoss,
    HalfBinomialLoss,
    HalfGammaLoss,
    HalfMultinomialLoss,
    HalfPoissonLoss,
    HalfSquaredError,
    HalfTweedieLoss,
    HalfTweedieLossIdentity,
    HuberLoss,
    PinballLoss,
    get_loss,
)

__version__ = "0.1.0"

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
    "Interval",
    "IdentityLink",
    "LogLink",
    "LogitLink",
    "HalfLogitLink",
    "MultinomialLogit",
]
