"""Plots of fitted models: :func:`plot_loss_curve`.

matplotlib is an optional dependency (``pip install fastloss[plot]``); it is
imported when a plot is drawn, not when this module is imported.
"""

from collections.abc import Mapping

import numpy as np

__all__ = ["plot_loss_curve"]


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "fastloss.plotting needs matplotlib, which is not installed. "
            "Install it with `pip install matplotlib` (or `pip install "
            "fastloss[plot]`)."
        ) from exc
    return plt


def _as_curve(item, where):
    """(values, default label) of one estimator or one sequence of numbers."""
    if hasattr(item, "loss_curve_"):
        return np.asarray(item.loss_curve_, dtype=np.float64), type(item).__name__
    if hasattr(item, "get_params") and hasattr(item, "fit"):
        raise ValueError(
            f"{where}: {type(item).__name__} has no loss_curve_: fit it first "
            "(and use an estimator that records one, such as fastloss's)."
        )
    try:
        values = np.asarray(item, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{where}: expected a fitted estimator with loss_curve_ or a sequence "
            f"of numbers, got {type(item).__name__}."
        ) from None
    if values.ndim != 1:
        raise ValueError(
            f"{where}: a loss curve must be 1-D, got shape {values.shape}."
        )
    return values, None


def _curves(estimator_or_curves):
    """Normalise the input to a list of (label, values)."""
    obj = estimator_or_curves
    if isinstance(obj, Mapping):
        items = [(str(key), value) for key, value in obj.items()]
    elif hasattr(obj, "loss_curve_") or hasattr(obj, "get_params"):
        items = [(None, obj)]
    else:
        try:
            values = np.asarray(obj, dtype=np.float64)
        except (TypeError, ValueError):
            values = None  # ragged or objects: a list of curves / estimators
        if values is not None and values.ndim == 1 and values.size == 0:
            raise ValueError("no loss curve to plot.")
        if values is not None and values.ndim == 1:
            items = [(None, obj)]
        elif values is not None and values.ndim == 2:
            items = [(None, row) for row in values]
        elif values is not None:
            raise ValueError(
                "expected an estimator, a curve, a list of those or a dict "
                f"label -> curve; got an array of shape {values.shape}."
            )
        else:
            items = [(None, item) for item in obj]
    if not items:
        raise ValueError("no loss curve to plot.")
    curves = []
    for i, (label, item) in enumerate(items):
        values, default = _as_curve(item, f"curve {label if label else i}")
        if label is None:
            label = default if default is not None else f"curve {i}"
        curves.append((label, values))
    return curves


def plot_loss_curve(estimator_or_curves, ax=None):
    """Plot the objective after every solver iteration.

    Parameters
    ----------
    estimator_or_curves : estimator, sequence of float, list or dict of those
        A fitted estimator with a ``loss_curve_`` attribute (fastloss's
        ``PoissonRegressor``, ``LogisticRegression``, ...), one loss curve
        (a sequence of objective values), a list of estimators and/or curves,
        or a dict ``{label: estimator or curve}``. Each curve is one line,
        drawn against the iteration number (1, 2, ...); estimators are
        labelled with their class name unless a dict gives the labels.
    ax : matplotlib Axes, default=None
        Where to draw; None creates a new figure.

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    curves = _curves(estimator_or_curves)
    plt = _import_pyplot()
    from matplotlib.ticker import MaxNLocator

    if ax is None:
        _, ax = plt.subplots()
    for label, values in curves:
        ax.plot(np.arange(1, values.shape[0] + 1), values, marker=".", label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("objective (mean loss + penalty)")
    ax.set_title("Loss curve" if len(curves) == 1 else "Loss curves")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    return ax
