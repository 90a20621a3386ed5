"""Generalized linear models: Poisson, Gamma and Tweedie regression.

Drop-ins for scikit-learn's ``PoissonRegressor``, ``GammaRegressor`` and
``TweedieRegressor``: the same parameters, defaults, attributes and
objective,

    1 / sum(s_i) * sum_i s_i * loss(y_i, X_i @ w + b) + alpha / 2 * ||w||^2,

(``loss`` half the unit deviance, ``s`` the sample weights), minimised over
fastloss's :class:`~fastloss.linear_model.LinearModelLoss` (one fused pass
over X per evaluation; float32 X is used as it is, sums are float64).  Two
additions: ``n_threads`` (``None``: automatic, as in the loss objects) and the
fitted ``loss_curve_``, the objective after every solver iteration.

These estimators need scikit-learn (and scipy for the solvers).
"""

import inspect
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

import fastloss
from fastloss.linear_model import _solvers

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # pragma: no cover - scikit-learn 1.5

    def _sk_validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)


__all__ = ["PoissonRegressor", "GammaRegressor", "TweedieRegressor"]

#: ``n_threads`` as in fastloss's loss objects: None (automatic), a positive
#: int, or -1 (all cores).
N_THREADS_CONSTRAINT = [
    None,
    Interval(Integral, 1, None, closed="left"),
    Options(Integral, {-1}),
]


def _validate_data(estimator, *args, **kwargs):
    return _sk_validate_data(estimator, *args, **kwargs)


# check_array's switch of the NaN / inf check (renamed in scikit-learn 1.6).
_FINITE_KW = (
    "ensure_all_finite"
    if "ensure_all_finite" in inspect.signature(check_array).parameters
    else "force_all_finite"
)
#: validate_data arguments that leave X's NaN / inf check to the solver.
NO_FINITE_CHECK = {_FINITE_KW: False}


def _solve(estimator, solver, linear_loss, coef, X, y, sample_weight, **kwargs):
    """Run ``solver``, checking X for NaN and inf without a pass of its own.

    X is validated without the finite check (a full pass over X). NaN or inf
    in X make every raw prediction they touch non-finite (also times a zero
    coefficient or a zero sample weight), so the objective at the starting
    point is finite exactly when X is (for finite y and weights, which are
    checked): the solver raises ``NonFiniteStart`` on a non-finite first
    value, and only then is X checked, raising scikit-learn's usual error.
    A non-finite start with a finite X (an overflow) is solved as usual.
    """
    try:
        return solver(
            linear_loss, coef, X, y, sample_weight, check_start=True, **kwargs
        )
    except _solvers.NonFiniteStart:
        check_array(
            X,
            accept_sparse=True,
            dtype=None,
            ensure_2d=False,
            estimator=estimator,
            input_name="X",
        )
        return solver(linear_loss, coef, X, y, sample_weight, **kwargs)


def _checked_sample_weight(sample_weight, X, copy=False):
    """float64, C-contiguous sample weights (None stays None)."""
    if sample_weight is None:
        return None
    return _check_sample_weight(sample_weight, X, dtype=np.float64, copy=copy)


_GLM_DOC = """\
    Parameters
    ----------
    alpha : float, default=1
        Strength of the L2 penalty ``alpha / 2 * ||coef||^2`` (the intercept is
        not penalised). ``alpha = 0`` is an unpenalised GLM; X must then have
        full column rank.
    fit_intercept : bool, default=True
        Add a constant (intercept) to the linear predictor ``X @ coef + intercept``.
    solver : {'lbfgs', 'newton-cholesky'}, default='lbfgs'
        'lbfgs': scipy's L-BFGS-B. 'newton-cholesky': Newton steps with the
        full Hessian (a good choice for ``n_samples >> n_features``; memory
        quadratic in ``n_features``).
    max_iter : int, default=100
        Maximum number of solver iterations.
    tol : float, default=1e-4
        Stopping tolerance: the fit stops when ``max |g_j| <= tol`` for the
        gradient ``g`` of the objective (newton-cholesky also asks half the
        squared Newton decrement to be ``<= tol``).
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_``.
    verbose : int, default=0
        Print the objective after every iteration when positive.
    n_threads : int, default=None
        Threads of the loss and gradient computations: None chooses
        automatically, -1 uses all cores. Results do not depend on it.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
    loss_curve_ : list of float
        The objective (mean loss plus penalty) after every solver iteration.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X has string feature names.
"""


class _GeneralizedLinearRegressor(RegressorMixin, BaseEstimator):
    """Base of the GLM regressors: penalised GLM with an L2 prior.

    See the regressors for parameters and attributes.
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0.0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions({"lbfgs", "newton-cholesky"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="neither")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "n_threads": N_THREADS_CONSTRAINT,
    }

    def __init__(
        self,
        *,
        alpha=1.0,
        fit_intercept=True,
        solver="lbfgs",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        verbose=0,
        n_threads=None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.n_threads = n_threads

    def fit(self, X, y, sample_weight=None):
        """Fit the GLM.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 and float64 arrays (C or F order) and CSR
            matrices are used without a copy; other input is converted.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        self._validate_params()
        X, y = _validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            y_numeric=True,
            multi_output=False,
            **NO_FINITE_CHECK,
        )
        y = check_array(y, dtype=np.float64, order="C", ensure_2d=False)
        sample_weight = _checked_sample_weight(sample_weight, X)

        base_loss = self._get_loss()
        self._base_loss = base_loss
        linear_loss = _solvers.LinearModelLoss(
            base_loss=base_loss, fit_intercept=self.fit_intercept
        )
        if not base_loss.in_y_true_range(y):
            raise ValueError(
                "Some value(s) of y are out of the valid range of the loss"
                f" {base_loss.__class__.__name__!r}."
            )

        n_features = X.shape[1]
        if self.warm_start and hasattr(self, "coef_"):
            coef = np.asarray(self.coef_, dtype=np.float64).ravel()
            if self.fit_intercept:
                coef = np.append(coef, float(self.intercept_))
            if coef.shape[0] != n_features + int(self.fit_intercept):
                raise ValueError(
                    f"warm_start: the previous fit has {coef.shape[0]} coefficients, "
                    f"expected {n_features + int(self.fit_intercept)}."
                )
        else:
            coef = np.zeros(n_features + int(self.fit_intercept), dtype=np.float64)
            if self.fit_intercept:
                coef[-1] = float(
                    np.ravel(base_loss.fit_intercept_only(y, sample_weight))[0]
                )

        solve = _solvers.lbfgs if self.solver == "lbfgs" else _solvers.newton_cholesky
        result = _solve(
            self,
            solve,
            linear_loss,
            coef,
            X,
            y,
            sample_weight,
            l2_reg_strength=float(self.alpha),
            n_threads=self.n_threads,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
        )
        coef = result.coef.astype(X.dtype, copy=False)
        if self.fit_intercept:
            self.intercept_ = coef[-1]
            self.coef_ = coef[:-1].copy()
        else:
            self.intercept_ = 0.0
            self.coef_ = coef.copy()
        self.n_iter_ = result.n_iter
        self.loss_curve_ = result.loss_curve
        return self

    def _linear_predictor(self, X):
        """``X @ coef_ + intercept_`` (the raw prediction)."""
        check_is_fitted(self)
        X = _validate_data(
            self,
            X,
            accept_sparse=["csr", "csc", "coo"],
            dtype=[np.float64, np.float32],
            ensure_2d=True,
            allow_nd=False,
            reset=False,
        )
        return X @ self.coef_ + self.intercept_

    def predict(self, X):
        """Predicted means ``link.inverse(X @ coef_ + intercept_)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        raw_prediction = self._linear_predictor(X)
        return self._base_loss.link.inverse(raw_prediction)

    def score(self, X, y, sample_weight=None):
        """D^2, the fraction of deviance explained.

        ``D^2 = 1 - D(y, y_pred) / D_null`` with ``D`` the (weighted) deviance
        of this GLM's distribution and ``D_null`` that of the intercept-only
        model predicting the (weighted) mean of y. At most 1; can be negative.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        raw_prediction = self._linear_predictor(X)
        y = check_array(y, dtype=raw_prediction.dtype, order="C", ensure_2d=False)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=y.dtype)
        base_loss = self._base_loss
        if not base_loss.in_y_true_range(y):
            raise ValueError(
                "Some value(s) of y are out of the valid range of the loss"
                f" {base_loss.__class__.__name__!r}."
            )
        # The loss is half the deviance up to a term constant in the
        # prediction: add it back (the factor 1/2 cancels in the ratio).
        constant = np.average(
            base_loss.constant_to_optimal_zero(y, None), weights=sample_weight
        )
        deviance = base_loss(y, raw_prediction, sample_weight, n_threads=1)
        y_mean = base_loss.link.link(np.average(y, weights=sample_weight))
        deviance_null = base_loss(
            y,
            np.full(y.shape[0], y_mean, dtype=y.dtype),
            sample_weight,
            n_threads=1,
        )
        return float(1 - (deviance + constant) / (deviance_null + constant))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        try:
            base_loss = self._get_loss()
            tags.target_tags.positive_only = not base_loss.in_y_true_range(
                np.array([-1.0])
            )
        except (ValueError, AttributeError, TypeError):  # pragma: no cover
            pass  # invalid power / link: default tags
        return tags

    def _get_loss(self):
        return fastloss.HalfSquaredError()


class PoissonRegressor(_GeneralizedLinearRegressor):
    """Generalized linear model with a Poisson distribution and log link.

    fastloss's drop-in for :class:`sklearn.linear_model.PoissonRegressor`
    (same parameters, defaults and attributes, the same optimum), plus
    ``n_threads`` and ``loss_curve_``.
    """

    _parameter_constraints: dict = {
        **_GeneralizedLinearRegressor._parameter_constraints
    }

    def _get_loss(self):
        return fastloss.HalfPoissonLoss()


class GammaRegressor(_GeneralizedLinearRegressor):
    """Generalized linear model with a Gamma distribution and log link.

    fastloss's drop-in for :class:`sklearn.linear_model.GammaRegressor`
    (same parameters, defaults and attributes, the same optimum), plus
    ``n_threads`` and ``loss_curve_``.
    """

    _parameter_constraints: dict = {
        **_GeneralizedLinearRegressor._parameter_constraints
    }

    def _get_loss(self):
        return fastloss.HalfGammaLoss()


class TweedieRegressor(_GeneralizedLinearRegressor):
    """Generalized linear model with a Tweedie distribution.

    fastloss's drop-in for :class:`sklearn.linear_model.TweedieRegressor`
    (same parameters, defaults and attributes, the same optimum), plus
    ``n_threads`` and ``loss_curve_``.

    Parameters
    ----------
    power : float, default=0
        The Tweedie power: 0 Normal, 1 Poisson, (1, 2) compound Poisson-Gamma,
        2 Gamma, 3 inverse Gaussian (no distribution for 0 < power < 1).
    link : {'auto', 'identity', 'log'}, default='auto'
        'auto' is 'identity' for ``power <= 0`` and 'log' otherwise.
    """

    _parameter_constraints: dict = {
        **_GeneralizedLinearRegressor._parameter_constraints,
        "power": [Interval(Real, None, None, closed="neither")],
        "link": [StrOptions({"auto", "identity", "log"})],
    }

    def __init__(
        self,
        *,
        power=0.0,
        alpha=1.0,
        fit_intercept=True,
        link="auto",
        solver="lbfgs",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        verbose=0,
        n_threads=None,
    ):
        super().__init__(
            alpha=alpha,
            fit_intercept=fit_intercept,
            solver=solver,
            max_iter=max_iter,
            tol=tol,
            warm_start=warm_start,
            verbose=verbose,
            n_threads=n_threads,
        )
        self.link = link
        self.power = power

    def _get_loss(self):
        link = self.link
        if link == "auto":
            link = "identity" if self.power <= 0 else "log"
        if link == "log":
            return fastloss.HalfTweedieLoss(power=self.power)
        return fastloss.HalfTweedieLossIdentity(power=self.power)


for _cls in (PoissonRegressor, GammaRegressor):
    _cls.__doc__ = _cls.__doc__.rstrip() + "\n\n" + _GLM_DOC
TweedieRegressor.__doc__ = (
    TweedieRegressor.__doc__.rstrip()
    + "\n"
    + _GLM_DOC.split("----------\n", 1)[1]
)
del _cls
