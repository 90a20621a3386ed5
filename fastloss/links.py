"""Link functions and value intervals.

A link g maps predicted target values to raw predictions,
``raw_prediction = g(y_pred)``; its inverse h maps back,
``y_pred = h(raw_prediction)``.  The names and conventions are scikit-learn's
(``sklearn._loss.link``), so that code written for one works with the other.
Only NumPy is needed.
"""

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Interval",
    "BaseLink",
    "IdentityLink",
    "LogLink",
    "LogitLink",
    "HalfLogitLink",
    "MultinomialLogit",
    "LINKS",
]


@dataclass
class Interval:
    """An interval of the real line, open or closed at either end.

    Parameters
    ----------
    low, high : float
        The bounds, ``low <= high``; may be infinite.
    low_inclusive, high_inclusive : bool
        Whether each bound belongs to the interval.
    """

    low: float
    high: float
    low_inclusive: bool
    high_inclusive: bool

    def __post_init__(self):
        if self.low > self.high:
            raise ValueError(
                f"One must have low <= high; got low={self.low}, high={self.high}."
            )

    def includes(self, x):
        """Return True if every element of ``x`` lies in the interval.

        NaN lies in no interval, so any NaN gives False.

        Parameters
        ----------
        x : array-like

        Returns
        -------
        bool
        """
        x = np.asarray(x)
        low = np.greater_equal(x, self.low) if self.low_inclusive else np.greater(x, self.low)
        if not np.all(low):
            return False
        high = np.less_equal(x, self.high) if self.high_inclusive else np.less(x, self.high)
        return bool(np.all(high))


def _expit(x):
    """Logistic sigmoid 1 / (1 + exp(-x)) without overflow for any x."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(
        np.result_type(x.dtype, np.float32), copy=False
    )


def _logit(p):
    """log(p / (1 - p))."""
    p = np.asarray(p)
    return np.log(p) - np.log1p(-p)


class BaseLink:
    """Base class of the invertible, differentiable link functions.

    Attributes
    ----------
    interval_y_pred : Interval
        The values ``y_pred = inverse(raw_prediction)`` can take.
    is_multiclass : bool
        True for links of (n_samples, n_classes) predictions.
    """

    is_multiclass = False
    interval_y_pred = Interval(-np.inf, np.inf, False, False)

    def link(self, y_pred):
        """Compute ``raw_prediction = g(y_pred)``."""
        raise NotImplementedError

    def inverse(self, raw_prediction):
        """Compute ``y_pred = h(raw_prediction)``."""
        raise NotImplementedError


class IdentityLink(BaseLink):
    """The identity link, g(x) = x."""

    def link(self, y_pred):
        return y_pred

    inverse = link


class LogLink(BaseLink):
    """The log link, g(x) = log(x), h(x) = exp(x)."""

    interval_y_pred = Interval(0, np.inf, False, False)

    def link(self, y_pred):
        return np.log(y_pred)

    def inverse(self, raw_prediction):
        return np.exp(raw_prediction)


class LogitLink(BaseLink):
    """The logit link, g(x) = log(x / (1 - x)), h = expit."""

    interval_y_pred = Interval(0, 1, False, False)

    def link(self, y_pred):
        return _logit(y_pred)

    def inverse(self, raw_prediction):
        return _expit(raw_prediction)


class HalfLogitLink(BaseLink):
    """Half the logit link, g(x) = logit(x) / 2; used by the exponential loss."""

    interval_y_pred = Interval(0, 1, False, False)

    def link(self, y_pred):
        return 0.5 * _logit(y_pred)

    def inverse(self, raw_prediction):
        return _expit(2 * np.asarray(raw_prediction))


class MultinomialLogit(BaseLink):
    """The symmetric multinomial logit link; its inverse is the softmax.

    ``g(y_pred)[k] = log(y_pred[k]) - mean_j log(y_pred[j])``: the raw
    predictions of a row sum to zero (the geometric mean of the probabilities
    is the reference category).  Arrays have shape (n_samples, n_classes).
    """

    is_multiclass = True
    interval_y_pred = Interval(0, 1, False, False)

    def symmetrize_raw_prediction(self, raw_prediction):
        """Subtract each row's mean, which leaves the softmax unchanged."""
        return raw_prediction - np.mean(raw_prediction, axis=1)[:, None]

    def link(self, y_pred):
        log_p = np.log(y_pred)
        return log_p - np.mean(log_p, axis=1)[:, None]

    def inverse(self, raw_prediction):
        raw = np.asarray(raw_prediction)
        e = np.exp(raw - np.max(raw, axis=1, keepdims=True))
        return e / np.sum(e, axis=1, keepdims=True)


LINKS = {
    "identity": IdentityLink,
    "log": LogLink,
    "logit": LogitLink,
    "half_logit": HalfLogitLink,
    "multinomial_logit": MultinomialLogit,
}
