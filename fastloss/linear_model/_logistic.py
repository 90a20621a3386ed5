"""Logistic regression (binary and multinomial) with an L2 penalty.

A drop-in for scikit-learn's ``LogisticRegression`` with its L2-penalised
solvers ('lbfgs', 'newton-cg', 'newton-cholesky'): the same parameters,
defaults, attributes and objective,

    C * sum_i s_i * loss(y_i, X_i @ W + b) + 1/2 * ||W||^2,

minimised as ``mean-weighted loss + 1 / (C * sum(s)) / 2 * ||W||^2`` over
fastloss's :class:`~fastloss.linear_model.LinearModelLoss` (one fused pass
over X per evaluation; float32 X is used as it is, sums are float64).  Two
additions: ``n_threads`` (``None``: automatic, as in the loss objects) and the
fitted ``loss_curve_``, the objective after every solver iteration.

Needs scikit-learn (and scipy for the solvers).
"""

import inspect
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import compute_class_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

import fastloss
from fastloss.linear_model import _solvers
from fastloss.linear_model._glm import (
    N_THREADS_CONSTRAINT,
    NO_FINITE_CHECK,
    _checked_sample_weight,
    _solve,
    _validate_data,
)

__all__ = ["LogisticRegression"]

_SOLVERS = {
    "lbfgs": _solvers.lbfgs,
    "newton-cg": _solvers.newton_cg,
    "newton-cholesky": _solvers.newton_cholesky,
}

_CONVERGENCE_HINT = (
    "Please also refer to the documentation for alternative solver options:\n"
    "    https://scikit-learn.org/stable/modules/linear_model.html"
    "#logistic-regression"
)


def _integer_labels(y):
    """y as int64 when every label is an integer (integer or bool dtype, or
    whole floats within +-2^53), else None.  Integral 1-D labels are what
    scikit-learn's ``type_of_target`` calls "binary" or "multiclass", so
    ``fit`` needs no ``check_classification_targets`` for them (it costs a
    ``np.unique``: ~13 ms for 1e6 labels)."""
    y = np.asarray(y)
    if not y.size:
        return None
    if y.dtype.kind in "ib" or (y.dtype.kind == "u" and y.dtype.itemsize < 8):
        return y.astype(np.int64, copy=False)
    if y.dtype.kind == "f":
        # Whole floats within +-2^53 (exactly representable, so the cast and
        # the cast back are exact); NaN or inf fail the range check first,
        # so the cast never sees them.
        lo, hi = y.min(), y.max()
        if -(2.0**53) <= lo and hi <= 2.0**53:
            cand = y.astype(np.int64)
            if np.array_equal(cand, y):
                return cand
    return None


def _encode_labels(y, yi=None):
    """``(classes, codes)``: the sorted distinct labels and y as indices into
    them (``np.unique(y, return_inverse=True)``; integer labels of a small
    range, also when stored as floats, are counted in one pass instead of
    hashed or sorted: 1e6 float labels take ~5 ms, ``np.unique`` 33-62 ms).
    yi: ``_integer_labels(y)`` when the caller has it."""
    y = np.asarray(y)
    if yi is None:
        yi = _integer_labels(y)
    if yi is not None:
        low, high = int(yi.min()), int(yi.max())
        span = high - low + 1
        if span <= max(1024, yi.size):
            offset = yi - low if low else yi
            counts = np.bincount(offset, minlength=span)
            present = np.flatnonzero(counts)
            table = np.zeros(span, dtype=np.intp)
            table[present] = np.arange(present.size)
            classes = (present + low).astype(y.dtype)
            return classes, table[offset]
    classes, codes = np.unique(y, return_inverse=True)
    return classes, codes.reshape(-1)


def _softmax(raw):
    raw = raw - raw.max(axis=1, keepdims=True)
    np.exp(raw, out=raw)
    raw /= raw.sum(axis=1, keepdims=True)
    return raw


def _expit(raw):
    # 1 / (1 + exp(-x)) without overflow warnings
    out = np.empty_like(raw)
    pos = raw >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-raw[pos]))
    e = np.exp(raw[~pos])
    out[~pos] = e / (1.0 + e)
    return out


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression (logit, MaxEnt) classifier with an L2 penalty.

    fastloss's drop-in for :class:`sklearn.linear_model.LogisticRegression`
    with its L2 solvers: two classes fit a binomial model, more classes a
    multinomial (softmax) model.

    Parameters
    ----------
    penalty : {'l2', None}, default='l2'
        'l2' penalises ``1/2 * ||coef||^2`` (strength ``1 / C``); None fits
        unpenalised (as ``C=np.inf``). Only L2 is supported.
    C : float, default=1.0
        Inverse of regularisation strength; positive. ``np.inf`` is
        unpenalised.
    l1_ratio : float, default=0.0
        Only 0 (pure L2) is supported (scikit-learn's parameter, for
        compatibility).
    dual : bool, default=False
        Only the primal (False) is supported.
    tol : float, default=1e-4
        Stopping tolerance on ``max |gradient|`` of the objective.
    fit_intercept : bool, default=True
        Add a constant (intercept) to the decision function.
    intercept_scaling : float, default=1
        Unused (scikit-learn uses it for 'liblinear' only).
    class_weight : dict or 'balanced', default=None
        Weights of the classes ``{class_label: weight}``; 'balanced' uses
        ``n_samples / (n_classes * np.bincount(y))`` (weighted by
        sample_weight). Multiplied with ``sample_weight``.
    random_state : int, RandomState instance or None, default=None
        Unused (the solvers are deterministic).
    solver : {'lbfgs', 'newton-cg', 'newton-cholesky'}, default='lbfgs'
        'lbfgs': scipy's L-BFGS-B. 'newton-cg': Newton steps from conjugate
        gradients on Hessian-vector products. 'newton-cholesky': Newton steps
        with the full Hessian (memory quadratic in
        ``n_features * n_classes``).
    max_iter : int, default=100
        Maximum number of solver iterations.
    verbose : int, default=0
        Print the objective after every iteration when positive.
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_``.
    n_jobs : None, default=None
        Unused (as in scikit-learn >= 1.8); see ``n_threads``.
    n_threads : int, default=None
        Threads of the loss and gradient computations: None chooses
        automatically, -1 uses all cores. Results do not depend on it.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        ``(1, n_features)`` for two classes (the coefficients of
        ``classes_[1]``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,)
        Solver iterations.
    loss_curve_ : list of float
        The objective (mean loss plus penalty) after every solver iteration.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X has string feature names.
    """

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l2"}), None],
        "C": [Interval(Real, 0, None, closed="right")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "dual": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "intercept_scaling": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
        "solver": [StrOptions(set(_SOLVERS))],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "n_jobs": [None, Integral],
        "n_threads": N_THREADS_CONSTRAINT,
    }

    def __init__(
        self,
        penalty="l2",
        *,
        C=1.0,
        l1_ratio=0.0,
        dual=False,
        tol=1e-4,
        fit_intercept=True,
        intercept_scaling=1,
        class_weight=None,
        random_state=None,
        solver="lbfgs",
        max_iter=100,
        verbose=0,
        warm_start=False,
        n_jobs=None,
        n_threads=None,
    ):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.n_threads = n_threads

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 and float64 arrays (C or F order) and CSR
            matrices are used without a copy; other input is converted.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        self._validate_params()
        if self.l1_ratio not in (0, None):
            raise ValueError(
                "fastloss's LogisticRegression supports only the L2 penalty "
                f"(l1_ratio=0); got l1_ratio={self.l1_ratio!r}."
            )
        if self.dual:
            raise ValueError(
                f"Solver {self.solver} supports only dual=False, got dual=True"
            )
        C = np.inf if self.penalty is None else float(self.C)

        X, y = _validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            **NO_FINITE_CHECK,
        )
        y_int = _integer_labels(y)
        if y_int is None:  # (integer labels are "binary" or "multiclass")
            check_classification_targets(y)
        classes, y_encoded = _encode_labels(y, y_int)
        self.classes_ = classes
        n_classes = classes.shape[0]
        if n_classes < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {classes[0]!r}"
            )
        n_samples, n_features = X.shape
        is_binary = n_classes == 2
        n_dof = n_features + int(self.fit_intercept)

        if sample_weight is not None or self.class_weight is not None:
            sample_weight = _checked_sample_weight(
                np.ones(n_samples) if sample_weight is None else sample_weight,
                X,
                copy=True,
            )
        if self.class_weight is not None:
            kwargs = {}
            if "sample_weight" in inspect.signature(compute_class_weight).parameters:
                kwargs["sample_weight"] = sample_weight  # scikit-learn >= 1.6
            weights = compute_class_weight(
                self.class_weight, classes=classes, y=y, **kwargs
            )
            sample_weight *= weights[y_encoded]
        sw_sum = n_samples if sample_weight is None else float(np.sum(sample_weight))
        l2_reg_strength = 1.0 / (C * sw_sum)

        if is_binary:
            base_loss = fastloss.HalfBinomialLoss()
            target = y_encoded.astype(np.float64)
            shape = (n_dof,)
        else:
            base_loss = fastloss.HalfMultinomialLoss(n_classes=n_classes)
            target = y_encoded.astype(np.float64)
            shape = (n_classes, n_dof)
        linear_loss = _solvers.LinearModelLoss(
            base_loss=base_loss, fit_intercept=self.fit_intercept
        )

        coef = np.zeros(shape, dtype=np.float64, order="F")
        warm = getattr(self, "coef_", None) if self.warm_start else None
        if warm is not None:
            warm = np.asarray(warm, dtype=np.float64)
            if self.fit_intercept:
                intercept = np.asarray(self.intercept_, dtype=np.float64)
                warm = np.concatenate([warm, intercept.reshape(-1, 1)], axis=1)
            expected = (1, n_dof) if is_binary else (n_classes, n_dof)
            if warm.shape != expected:
                raise ValueError(
                    f"Initialization coef is of shape {warm.shape}, expected "
                    f"shape {expected}"
                )
            coef[...] = warm[0] if is_binary else warm
        # Flat coefficients, the classes of one feature contiguous.
        coef = coef.ravel(order="F")

        extra = {}
        if self.solver == "lbfgs":
            extra["extra_warning_msg"] = _CONVERGENCE_HINT
        result = _solve(
            self,
            _SOLVERS[self.solver],
            linear_loss,
            coef,
            X,
            target,
            sample_weight,
            l2_reg_strength=l2_reg_strength,
            n_threads=self.n_threads,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
            **extra,
        )
        w = result.coef
        if is_binary:
            w = w.reshape(1, n_dof)
        else:
            w = w.reshape((n_classes, n_dof), order="F")
        w = np.ascontiguousarray(w, dtype=X.dtype)
        if self.fit_intercept:
            self.intercept_ = w[:, -1].copy()
            self.coef_ = w[:, :-1].copy()
        else:
            self.intercept_ = np.zeros(w.shape[0], dtype=X.dtype)
            self.coef_ = w
        self.n_iter_ = np.asarray([result.n_iter], dtype=np.int32)
        self.loss_curve_ = result.loss_curve
        return self

    def decision_function(self, X):
        """Confidence scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the score of ``classes_[1]`` (> 0: predicted).
        """
        check_is_fitted(self)
        X = _validate_data(self, X, accept_sparse="csr", reset=False)
        scores = X @ self.coef_.T + self.intercept_
        scores = np.asarray(scores)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            indices = (scores > 0).astype(np.intp)
        else:
            indices = scores.argmax(axis=1)
        return self.classes_[indices]

    def predict_proba(self, X):
        """Class probabilities (columns ordered as ``classes_``).

        Two classes: the logistic function of the decision function;
        more: its softmax.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p1 = _expit(scores)
            return np.stack([1.0 - p1, p1], axis=1)
        return _softmax(scores)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
