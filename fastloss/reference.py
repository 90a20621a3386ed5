"""Plain-NumPy reference implementation of every fastloss loss (the test oracle).

Each loss is written once, as a small set of float64 NumPy expressions chosen
for clarity first and numerical stability second: no compiled code, no SciPy,
no scikit-learn.  The compiled kernels are tested against these functions (and
against scikit-learn and mpmath), so every formula here states the maths it
implements and why a particular form was chosen.

Public functions (``name`` is a key of ``fastloss.LOSSES``):

    loss(name, y_true, raw_prediction, **params)       -> per-sample loss
    gradient(name, y_true, raw_prediction, **params)   -> d loss / d raw
    hessian(name, y_true, raw_prediction, **params)    -> d2 loss / d raw2
    loss_gradient(name, y_true, raw_prediction, sample_weight=None, **params)
                                                        -> (w * loss, w * grad)

``loss``, ``gradient`` and ``hessian`` return *unweighted* float64 arrays.
Parameters: ``quantile`` (pinball_loss, huber_loss), ``delta`` (huber_loss),
``power`` (tweedie_loss, tweedie_loss_identity), ``n_classes``
(multinomial_loss, optional: inferred from ``raw_prediction.shape[1]``).
Defaults are scikit-learn's.

The hessian follows scikit-learn's conventions where the loss is not twice
differentiable: absolute error and pinball loss return 1, Huber returns 1
inside ``|raw - y| <= delta`` and 0 outside, multinomial returns the diagonal
``p_k (1 - p_k)``.

NaN in ``y_true`` or ``raw_prediction`` propagates to the outputs.  Inputs are
not validated against the loss's domain.
"""

import numpy as np

__all__ = ["loss", "gradient", "hessian", "loss_gradient", "LOSS_NAMES"]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _sign_pm1(d):
    """+1 where d > 0, -1 where d <= 0, NaN where d is NaN."""
    return np.where(d > 0, 1.0, np.where(d <= 0, -1.0, np.nan))


def _log_ratio(r, y):
    """log(r / y) for r, y > 0, accurate also where r / y is close to 1.

    Near 1 the rounding of r / y (one ulp, i.e. an absolute error of u in the
    logarithm) would dominate a small result, so log1p((r - y) / y) is used
    there; r - y is exact when r and y are within a factor 2 (Sterbenz).
    Far from 1 the plain quotient is accurate (log1p of a number near -1
    would amplify the rounding of its argument instead), unless it overflows
    or leaves the normal range (r / y > DBL_MAX or < DBL_MIN, e.g. y = 1e-308):
    then log(r) - log(y), whose cancellation is harmless as |log(r / y)| > 708.
    """
    d = r - y
    q = r / y
    q_normal = (q >= np.finfo(np.float64).tiny) & (q <= np.finfo(np.float64).max)
    far = np.where(q_normal, np.log(q), np.log(r) - np.log(y))
    return np.where(np.abs(d) < 0.5 * y, np.log1p(d / y), far)


def _two_exp_terms(c1, a, c2, b, r):
    """``c1 * exp(a * r) + c2 * exp(b * r)`` for ``a - b = 1``, without inf - inf.

    Evaluated directly where that is finite.  Where one exponential overflows
    the other may too (p < 1, r -> +inf or p > 2, r -> -inf, both with opposite
    signs): there the larger exponential is factored out,

        r > 0:  exp(a r) * (c1 + c2 * exp(-r))
        r <= 0: exp(b r) * (c1 * exp(r) + c2),

    whose bracket is bounded, so the product is the correctly signed inf (or a
    finite number when the true value is finite).  A term whose coefficient is
    0 contributes exactly 0 (never 0 * inf).
    """
    e_a = np.exp(a * r)
    e_b = np.exp(b * r)
    t1 = np.where(c1 == 0, 0.0, c1 * e_a)
    t2 = np.where(c2 == 0, 0.0, c2 * e_b)
    direct = t1 + t2
    e_r = np.exp(-np.abs(r))  # in (0, 1]
    factored = np.where(
        r > 0,
        e_a * (c1 + np.where(c2 == 0, 0.0, c2 * e_r)),
        e_b * (np.where(c1 == 0, 0.0, c1 * e_r) + c2),
    )
    return np.where(np.isfinite(direct) | np.isnan(r), direct, factored)


def _as_1d(raw_prediction):
    raw = np.asarray(raw_prediction, dtype=np.float64)
    if raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    return raw


# ---------------------------------------------------------------------------
# per-loss formulas: each returns (loss, gradient, hessian), float64, unweighted
# ---------------------------------------------------------------------------

def _squared_error(y, r):
    """Half squared error.

    loss = (r - y)**2 / 2,  gradient = r - y,  hessian = 1.
    Link: identity.  Domain: y, r real.
    """
    d = r - y
    return 0.5 * d * d, d, np.ones_like(d)


def _absolute_error(y, r):
    """Absolute error.

    loss = |r - y|,  gradient = +1 if r > y else -1,  hessian = 1
    (the true hessian is 0 almost everywhere; 1 keeps Newton boosting steps
    defined, as in scikit-learn).  Link: identity.
    """
    d = r - y
    return np.abs(d), _sign_pm1(d), np.ones_like(d)


def _pinball_loss(y, r, quantile=0.5):
    """Pinball (quantile) loss with quantile q.

    loss = q (y - r)        if y >= r
           (1 - q) (r - y)  otherwise
    gradient = -q if y >= r else 1 - q,  hessian = 1 (convention).
    Link: identity.
    """
    q = float(quantile)
    d = y - r
    upper = d >= 0
    lss = np.where(upper, q * d, (1.0 - q) * (-d))
    grad = np.where(upper, -q, 1.0 - q)
    grad = np.where(np.isnan(d), np.nan, grad)
    return lss, grad, np.ones_like(d)


def _huber_loss(y, r, quantile=0.9, delta=0.5):
    """Huber loss with threshold delta (``quantile`` is accepted and unused:
    scikit-learn uses it only to update delta between boosting iterations).

    With d = r - y:
    loss     = d**2 / 2                     if |d| <= delta
               delta (|d| - delta / 2)      otherwise
    gradient = d if |d| <= delta else delta * sign(d)
    hessian  = 1 if |d| <= delta else 0
    Link: identity.
    """
    delta = float(delta)
    d = r - y
    a = np.abs(d)
    inner = a <= delta
    lss = np.where(inner, 0.5 * a * a, delta * (a - 0.5 * delta))
    grad = np.where(inner, d, delta * np.sign(d))
    hess = np.where(inner, 1.0, np.where(np.isnan(d), np.nan, 0.0))
    return lss, grad, hess


def _poisson_loss(y, r):
    """Half Poisson deviance with log link, constant terms dropped.

    loss = exp(r) - y r,  gradient = exp(r) - y,  hessian = exp(r).
    Link: y_pred = exp(r).  Domain: y >= 0.
    y r is taken as 0 where y == 0 (the limit of the deviance), so that a
    non-finite r never turns a y == 0 sample into NaN.
    """
    e = np.exp(r)
    yr = np.where(y == 0, 0.0, y * r)
    return e - yr, e - y, e


def _gamma_loss(y, r):
    """Half Gamma deviance with log link, constant terms dropped.

    loss = r + y exp(-r),  gradient = 1 - y exp(-r),  hessian = y exp(-r).
    Link: y_pred = exp(r).  Domain: y > 0.
    """
    t = y * np.exp(-r)
    return r + t, 1.0 - t, t


def _tweedie_loss(y, r, power=1.5):
    """Half Tweedie deviance with log link and power p, constant terms dropped.

    For p not in {0, 1, 2}, with mu = exp(r):
        loss     = mu**(2-p) / (2-p) - y mu**(1-p) / (1-p)
        gradient = mu**(2-p) - y mu**(1-p)
        hessian  = (2-p) mu**(2-p) - (1-p) y mu**(1-p)
    Special cases (scikit-learn's definitions, not the limits of the above):
        p = 0: loss = (exp(r) - y)**2 / 2,  gradient = exp(r) (exp(r) - y),
               hessian = exp(r) (2 exp(r) - y)
        p = 1: half Poisson deviance (see ``_poisson_loss``)
        p = 2: half Gamma deviance (see ``_gamma_loss``)
    Link: y_pred = exp(r).  Domain: y real for p <= 0, y >= 0 for 0 < p < 2,
    y > 0 for p >= 2.

    mu**(2-p) and mu**(1-p) are exp((2-p) r) and exp((1-p) r), computed from r
    directly (never as a power of an overflowed exp(r)), and combined without
    inf - inf (``_two_exp_terms``).
    """
    p = float(power)
    if p == 0.0:
        e = np.exp(r)
        d = e - y
        return 0.5 * d * d, e * d, e * (2.0 * e - y)
    if p == 1.0:
        return _poisson_loss(y, r)
    if p == 2.0:
        return _gamma_loss(y, r)
    a, b = 2.0 - p, 1.0 - p
    lss = _two_exp_terms(1.0 / a, a, -y / b, b, r)
    grad = _two_exp_terms(np.ones_like(y), a, -y, b, r)
    hess = _two_exp_terms(np.full_like(y, a), a, -b * y, b, r)
    return lss, grad, hess


def _tweedie_loss_identity(y, r, power=1.5):
    """Half Tweedie deviance with identity link and power p, *with* the
    constant terms (its minimum over r is 0).  Here r = y_pred > 0 (p != 0).

    For p not in {0, 1, 2}:
        loss     = max(y, 0)**(2-p) / ((1-p)(2-p)) - y r**(1-p) / (1-p)
                   + r**(2-p) / (2-p)
        gradient = r**(-p) (r - y)
        hessian  = r**(-p) ((1-p) + p y / r)
    (the max(y, 0) term follows scikit-learn, which adds it only for y > 0.)
    Special cases (scikit-learn's definitions):
        p = 0: half squared error (r - y)**2 / 2
        p = 1: y log(y / r) + r - y  (= r where y == 0),
               gradient = 1 - y / r,  hessian = y / r**2
        p = 2: log(r / y) + y / r - 1,
               gradient = (r - y) / r**2,  hessian = (2 y / r - 1) / r**2
    For p = 1 and 2 the loss is written as (r - y) - y log(r / y) and
    log(r / y) - (r - y) / r, with log(r / y) from ``_log_ratio``: the two
    terms cancel near the minimum r = y, and there the logarithm is the
    accurate log1p((r - y) / y) rather than the log of a rounded quotient.
    """
    p = float(power)
    if p == 0.0:
        return _squared_error(y, r)
    if p == 1.0:
        lss = np.where(y == 0, r, (r - y) - y * _log_ratio(r, y))
        return lss, 1.0 - y / r, y / (r * r)
    if p == 2.0:
        lss = _log_ratio(r, y) - (r - y) / r
        return lss, (r - y) / (r * r), (2.0 * y - r) / (r * r * r)
    a, b = 2.0 - p, 1.0 - p
    const = np.where(y > 0, np.power(np.maximum(y, 0.0), a) / (a * b), 0.0)
    const = np.where(np.isnan(y), np.nan, const)
    lss = np.power(r, a) / a - y * np.power(r, b) / b + const
    r_mp = np.power(r, -p)
    return lss, r_mp * (r - y), r_mp * (b + p * y / r)


def _binomial_loss(y, r):
    """Half binomial deviance (log loss) with logit link.

    loss = log(1 + exp(r)) - y r,  gradient = expit(r) - y,
    hessian = expit(r) (1 - expit(r)).
    Link: y_pred = expit(r) = 1 / (1 + exp(-r)).  Domain: 0 <= y <= 1.

    With e = exp(-|r|) in (0, 1], nothing overflows:
        log(1 + exp(r)) = max(r, 0) + log1p(e), and the linear part
        max(r, 0) - y r is grouped as (1 - y) r for r > 0, -y r for r <= 0,
        a non-negative number: the loss is a sum of two non-negative terms
        (no cancellation even for y = 1, r >> 0 where the loss is ~e);
        expit(r) - y = ((1 - y) - y e) / (1 + e)    for r > 0,
                       ((1 - y) e - y) / (1 + e)    for r <= 0;
        hessian = e / (1 + e)**2 (symmetric in r).
    """
    e = np.exp(-np.abs(r))
    pos = r > 0
    lss = np.log1p(e) + np.where(pos, (1.0 - y) * r, -y * r)
    grad = np.where(pos, (1.0 - y) - y * e, (1.0 - y) * e - y) / (1.0 + e)
    hess = e / ((1.0 + e) * (1.0 + e))
    return lss, grad, hess


def _exponential_loss(y, r):
    """Exponential (AdaBoost) loss with half-logit link.

    loss = y exp(-r) + (1 - y) exp(r),  gradient = -y exp(-r) + (1 - y) exp(r),
    hessian = loss.
    Link: y_pred = expit(2 r).  Domain: 0 <= y <= 1.
    A term with a zero coefficient (y == 0 or y == 1) is exactly 0, so that
    0 * inf never occurs where its exponential overflows.
    """
    neg = np.where(y == 0, 0.0, y * np.exp(-r))
    pos = np.where(y == 1, 0.0, (1.0 - y) * np.exp(r))
    lss = neg + pos
    return lss, pos - neg, lss


def _multinomial_loss(y, raw, n_classes=None):
    """Half multinomial deviance (categorical cross-entropy), softmax link.

    For a sample with label y in {0, ..., K-1} and raw predictions r_k:
        loss       = logsumexp(r) - r_y
        gradient_k = p_k - [y == k],   p_k = exp(r_k - logsumexp(r))
        hessian_k  = p_k (1 - p_k)     (diagonal, scikit-learn's convention)
    With m = max_k r_k and s = sum_k exp(r_k - m) = 1 + s_rest (the maximum's
    own term is exactly 1):
        loss = log1p(s_rest) + (m - r_y)           (no m + log(s) - r_y
                                                    cancellation)
        1 - p_k = s_rest / s for the (first) arg-max class k, so that
        p_k - 1 and p_k (1 - p_k) keep their relative accuracy as p_k -> 1.
    """
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 2:
        raise ValueError(f"multinomial raw_prediction must be 2-D, got {raw.shape}")
    n, k = raw.shape
    if n_classes is not None and int(n_classes) != k:
        raise ValueError(f"n_classes={n_classes} but raw_prediction has {k} columns")
    labels = np.asarray(y, dtype=np.float64)
    if labels.shape != (n,):
        raise ValueError(f"y_true shape {labels.shape} does not match {(n,)}")
    if not np.all((labels == np.floor(labels)) & (labels >= 0) & (labels < k)):
        raise ValueError("multinomial labels must be integers in 0..n_classes-1")
    labels = labels.astype(np.intp)
    rows = np.arange(n)

    amax = np.argmax(raw, axis=1)
    m = raw[rows, amax]
    z = raw - m[:, None]
    ez = np.exp(z)
    ez_rest = ez.copy()
    ez_rest[rows, amax] = 0.0
    s_rest = ez_rest.sum(axis=1)
    s = 1.0 + s_rest

    lss = np.log1p(s_rest) + (m - raw[rows, labels])
    proba = ez / s[:, None]
    one_minus_p = 1.0 - proba
    one_minus_p[rows, amax] = s_rest / s
    onehot = np.zeros_like(raw)
    onehot[rows, labels] = 1.0
    grad = proba - onehot
    # p_y - 1 = -(1 - p_y), exact form where y is the arg-max class
    is_max = labels == amax
    grad[rows[is_max], labels[is_max]] = -one_minus_p[rows[is_max], labels[is_max]]
    hess = proba * one_minus_p
    return lss, grad, hess


_FORMULAS = {
    "squared_error": _squared_error,
    "absolute_error": _absolute_error,
    "pinball_loss": _pinball_loss,
    "huber_loss": _huber_loss,
    "poisson_loss": _poisson_loss,
    "gamma_loss": _gamma_loss,
    "tweedie_loss": _tweedie_loss,
    "tweedie_loss_identity": _tweedie_loss_identity,
    "binomial_loss": _binomial_loss,
    "exponential_loss": _exponential_loss,
    "multinomial_loss": _multinomial_loss,
}

#: The loss names the reference implements (the keys of ``fastloss.LOSSES``).
LOSS_NAMES = tuple(_FORMULAS)


def _evaluate(name, y_true, raw_prediction, params):
    try:
        formula = _FORMULAS[name]
    except KeyError:
        raise ValueError(
            f"unknown loss {name!r}; valid names are {sorted(_FORMULAS)}"
        ) from None
    y = np.asarray(y_true, dtype=np.float64)
    if name == "multinomial_loss":
        raw = np.asarray(raw_prediction, dtype=np.float64)
    else:
        raw = _as_1d(raw_prediction)
        y = y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
        if y.shape != raw.shape:
            raise ValueError(
                f"y_true shape {y.shape} does not match raw_prediction shape {raw.shape}"
            )
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        return formula(y, raw, **params)


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------

def loss(name, y_true, raw_prediction, **params):
    """Per-sample loss, unweighted, float64.

    Parameters
    ----------
    name : str
        A key of ``fastloss.LOSSES`` (see ``LOSS_NAMES``).
    y_true : array-like of shape (n_samples,)
        Observed targets (class labels for ``multinomial_loss``).
    raw_prediction : array-like of shape (n_samples,) or (n_samples, 1)
        Predictions in link space; (n_samples, n_classes) for multinomial.
    **params
        ``quantile``, ``delta``, ``power`` or ``n_classes`` as the loss takes.

    Returns
    -------
    loss : ndarray of shape (n_samples,), float64
    """
    return _evaluate(name, y_true, raw_prediction, params)[0]


def gradient(name, y_true, raw_prediction, **params):
    """Per-sample gradient of the loss w.r.t. ``raw_prediction``, unweighted.

    Parameters are those of :func:`loss`.

    Returns
    -------
    gradient : ndarray of shape (n_samples,) or (n_samples, n_classes), float64
    """
    return _evaluate(name, y_true, raw_prediction, params)[1]


def hessian(name, y_true, raw_prediction, **params):
    """Per-sample (diagonal) hessian w.r.t. ``raw_prediction``, unweighted.

    Follows scikit-learn's conventions where the loss is not twice
    differentiable (see the module docstring).  Parameters are those of
    :func:`loss`.

    Returns
    -------
    hessian : ndarray of shape (n_samples,) or (n_samples, n_classes), float64
    """
    return _evaluate(name, y_true, raw_prediction, params)[2]


def loss_gradient(name, y_true, raw_prediction, sample_weight=None, **params):
    """Weighted per-sample loss and gradient.

    Parameters
    ----------
    name, y_true, raw_prediction, **params
        As for :func:`loss`.
    sample_weight : None or array-like of shape (n_samples,)
        Per-sample weights w_i; None means all ones.

    Returns
    -------
    loss : ndarray of shape (n_samples,)
        ``w_i * loss_i``.
    gradient : ndarray of shape (n_samples,) or (n_samples, n_classes)
        ``w_i * gradient_i``.
    """
    lss, grad, _ = _evaluate(name, y_true, raw_prediction, params)
    if sample_weight is None:
        return lss, grad
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != lss.shape:
        raise ValueError(
            f"sample_weight shape {w.shape} does not match {lss.shape}"
        )
    w_grad = w[:, None] if grad.ndim == 2 else w
    with np.errstate(invalid="ignore"):  # 0 * inf is NaN, as in the kernels
        return w * lss, w_grad * grad
