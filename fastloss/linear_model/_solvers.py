"""Solvers behind fastloss's linear-model estimators.

Three solvers minimise the objective of a
:class:`~fastloss.linear_model.LinearModelLoss` (weighted mean loss plus
``l2_reg_strength / 2 * ||w||^2``) over flat float64 coefficients
(multinomial: ``(n_classes * n_dof,)``, the classes of one feature
contiguous, as ``LinearModelLoss`` expects):

* :func:`lbfgs`: scipy's L-BFGS-B with scikit-learn's settings
  (``maxls=50``, ``gtol=tol``, ``ftol=64 * eps``);
* :func:`newton_cholesky`: Newton steps from the full Hessian, solved by a
  symmetric (Cholesky-type) factorisation, with a backtracking Armijo line
  search and a fall back to L-BFGS on trouble;
* :func:`newton_cg`: truncated Newton, the step from conjugate gradients on
  Hessian-vector products, with a Wolfe line search.

They follow the algorithms and stopping rules of scikit-learn's solvers of the
same names, so that fits agree with scikit-learn's and take as many
iterations or fewer.  Each returns a :class:`SolverResult` whose
``loss_curve`` holds the objective after every iteration.

scipy is an optional dependency of fastloss: it is imported inside the solver
functions, never at module import.
"""

import math
import warnings

import numpy as np

# --------------------------------------------------------------------------
# The linear-model objective.  This is the one place that chooses it: every
# estimator gets LinearModelLoss from here.
from fastloss.linear_model._linear_loss import LinearModelLoss  # noqa: F401
# --------------------------------------------------------------------------

__all__ = [
    "SolverResult",
    "NonFiniteStart",
    "lbfgs",
    "newton_cholesky",
    "newton_cg",
    "LinearModelLoss",
]

# The objective is accumulated in float64 whatever the dtype of X (float32 X
# is read as it is), so the tolerances of the line searches and of L-BFGS-B's
# ftol are those of float64.
_EPS = float(np.finfo(np.float64).eps)
#: L-BFGS-B's relative reduction tolerance (scikit-learn's choice).
LBFGS_FTOL = 64 * _EPS
#: Maximum line-search steps of L-BFGS-B (scipy's default is 20).
LBFGS_MAXLS = 50


def _convergence_warning_class():
    try:
        from sklearn.exceptions import ConvergenceWarning
    except ImportError:  # pragma: no cover - the estimators need sklearn
        return RuntimeWarning
    return ConvergenceWarning


class NonFiniteStart(ValueError):
    """The objective at the starting point is not finite (NaN or inf).

    Raised by the solvers when asked to (``check_start=True``) on their first
    evaluation, before any iteration: the estimators then look for NaN or
    infinite values in X, a check they leave to this first pass over X
    instead of making a separate one.
    """


def _check_start(value, check_start):
    if check_start and not math.isfinite(value):
        raise NonFiniteStart(f"the objective at the starting point is {value}")


class SolverResult:
    """What a solver returns.

    Attributes
    ----------
    coef : ndarray of float64, flat
    n_iter : int
        Iterations done (as scikit-learn counts them).
    loss_curve : list of float
        The objective after each iteration (``len(loss_curve) == n_iter``).
    converged : bool
    """

    __slots__ = ("coef", "n_iter", "loss_curve", "converged")

    def __init__(self, coef, n_iter, loss_curve, converged):
        self.coef = coef
        self.n_iter = int(n_iter)
        self.loss_curve = [float(v) for v in loss_curve]
        self.converged = bool(converged)

    def __repr__(self):
        return (
            f"SolverResult(n_iter={self.n_iter}, converged={self.converged}, "
            f"final objective={self.loss_curve[-1] if self.loss_curve else None})"
        )


class _Objective:
    """The objective and its gradient from one fused ``loss_gradient`` call.

    ``value(w)`` and ``gradient(w)`` at the same ``w`` (as line searches ask
    for them, one after the other) cost one pass over X: the last few
    evaluations are remembered.
    """

    _KEEP = 3

    def __init__(
        self,
        linear_loss,
        X,
        y,
        sample_weight,
        l2_reg_strength,
        n_threads,
        check_start=False,
    ):
        self.linear_loss = linear_loss
        self.args = (X, y, sample_weight, l2_reg_strength, n_threads)
        self._cache = []  # [(w, value, gradient)], newest last
        self.n_evaluations = 0
        self.check_start = check_start

    def _lookup(self, w):
        for cw, value, grad in reversed(self._cache):
            if cw.shape == w.shape and np.array_equal(cw, w):
                return value, grad
        return None

    def __call__(self, w):
        """``(value, gradient)`` at ``w`` (the ``jac=True`` form of scipy)."""
        hit = self._lookup(w)
        if hit is not None:
            return hit[0], hit[1].copy()
        value, grad = self.linear_loss.loss_gradient(w, *self.args)
        value = float(value)
        if self.n_evaluations == 0:
            _check_start(value, self.check_start)
        grad = np.asarray(grad, dtype=np.float64).ravel()
        self.n_evaluations += 1
        self._cache.append((np.array(w, dtype=np.float64, copy=True), value, grad))
        del self._cache[: -self._KEEP]
        return value, grad.copy()

    def value(self, w):
        return self(w)[0]

    def gradient(self, w):
        return self(w)[1]


def _lbfgs_warning_message(result, n_iter, max_iter, extra_warning_msg):
    msg = (
        f"lbfgs failed to converge after {n_iter} iteration(s) "
        f"(status={result.status}):\n{result.message}\n"
    )
    if n_iter == max_iter:
        msg += (
            "\nIncrease the number of iterations to improve the convergence "
            f"(max_iter={max_iter})."
        )
    msg += (
        "\nYou might also want to scale the data as shown in:\n"
        "    https://scikit-learn.org/stable/modules/preprocessing.html"
    )
    if extra_warning_msg:
        msg += "\n" + extra_warning_msg
    return msg


def lbfgs(
    linear_loss,
    coef,
    X,
    y,
    sample_weight=None,
    *,
    l2_reg_strength=0.0,
    n_threads=None,
    max_iter=100,
    tol=1e-4,
    verbose=0,
    extra_warning_msg=None,
    check_start=False,
):
    """Minimise with scipy's L-BFGS-B, scikit-learn's settings.

    Stops when ``max |gradient| <= tol`` (``gtol``), on a relative reduction
    of the objective below ``64 * eps`` (``ftol``), or after ``max_iter``
    iterations (then with a ``ConvergenceWarning``).
    """
    from scipy.optimize import minimize

    objective = _Objective(
        linear_loss, X, y, sample_weight, l2_reg_strength, n_threads, check_start
    )
    curve = []

    def callback(xk):
        # L-BFGS-B reports an iterate after evaluating it: the value is cached.
        value = objective.value(xk)
        curve.append(value)
        if verbose:
            print(f"lbfgs iteration {len(curve)}: objective = {value:.12g}")

    result = minimize(
        objective,
        np.asarray(coef, dtype=np.float64).ravel(),
        method="L-BFGS-B",
        jac=True,
        callback=callback,
        options={
            "maxiter": max_iter,
            "maxls": LBFGS_MAXLS,
            "gtol": tol,
            "ftol": LBFGS_FTOL,
        },
    )
    n_iter = min(int(result.nit), max_iter)
    if result.status != 0:
        warnings.warn(
            _lbfgs_warning_message(result, n_iter, max_iter, extra_warning_msg),
            _convergence_warning_class(),
            stacklevel=3,
        )
    elif verbose:
        print(f"lbfgs converged after {n_iter} iteration(s): {result.message}")
    return SolverResult(result.x, n_iter, curve[:n_iter], result.status == 0)


# --------------------------------------------------------------------------
# Newton-Cholesky
# --------------------------------------------------------------------------

# Backtracking line search of the Newton solvers: step t in 1, 1/2, ..., 2**-20,
# accept on sufficient decrease f(w + t p) - f(w) <= t * SIGMA * g @ p.
_LS_BETA = 0.5
_LS_SIGMA = 2.0**-11
_LS_MAX_STEPS = 21
# Losses closer than this (relative) count as equal in the line searches.
_TINY_RELATIVE = 16 * _EPS


def _backtracking(objective, coef, value, grad, step, grad_dot_step, verbose):
    """Armijo backtracking from ``coef`` along ``step``.

    Returns ``(coef, value, grad)`` at the accepted point or ``None``.  A step
    whose loss change is within rounding of the old loss is accepted if it
    reduces ``sum |gradient|``.
    """
    t = 1.0
    armijo = _LS_SIGMA * grad_dot_step
    tiny = abs(value) * _TINY_RELATIVE
    l1_old = None
    for i in range(_LS_MAX_STEPS):
        trial = coef + t * step
        new_value, new_grad = objective(trial)
        change = new_value - value
        if change <= t * armijo:
            return trial, new_value, new_grad
        if abs(change) <= tiny:
            if l1_old is None:
                l1_old = float(np.sum(np.abs(grad)))
            if float(np.sum(np.abs(new_grad))) < l1_old:
                return trial, new_value, new_grad
        if verbose >= 2:
            print(f"    line search step {i + 1}: t={t:g}, change={change:.6g}")
        t *= _LS_BETA
    return None


class _MultinomialGauge:
    """The multinomial objective is invariant to adding a constant to all classes
    of an unpenalised feature: fix the last class at zero for those.

    Without penalty every feature (intercept included) is unpenalised; with a
    penalty only the intercept is.
    """

    def __init__(self, linear_loss, l2_reg_strength, size):
        base = linear_loss.base_loss
        self.active = bool(getattr(base, "is_multiclass", False))
        if not self.active:
            return
        self.n_classes = int(base.n_classes)
        self.all_features = l2_reg_strength == 0
        self.intercept_only = not self.all_features and linear_loss.fit_intercept
        self.active = self.all_features or self.intercept_only
        if not self.active:
            return
        self.n_dof = size // self.n_classes
        keep = np.ones(size, dtype=bool)
        if self.all_features:
            keep[self.n_classes - 1 :: self.n_classes] = False
        else:
            keep[-1] = False
        self.keep = keep

    def normalise(self, coef):
        """Shift ``coef`` (in place) so that the fixed entries are zero."""
        if not self.active:
            return coef
        if self.all_features:
            c2 = coef.reshape((self.n_classes, -1), order="F")
            c2 -= c2[-1, :]
        else:
            coef[-self.n_classes :] -= coef[-1]
        return coef

    def reduce(self, grad, hess):
        if not self.active:
            return grad, hess
        return grad[self.keep], hess[np.ix_(self.keep, self.keep)]

    def expand(self, step):
        if not self.active:
            return step
        full = np.zeros(self.keep.shape[0])
        full[self.keep] = step
        return full

    def symmetric(self, coef):
        """Back to the symmetric convention (classes sum to zero)."""
        if not self.active:
            return coef
        if self.all_features:
            c2 = coef.reshape((self.n_classes, -1), order="F")
            c2 -= c2.mean(axis=0)
        else:
            coef[-self.n_classes :] -= coef[-self.n_classes :].mean()
        return coef


def newton_cholesky(
    linear_loss,
    coef,
    X,
    y,
    sample_weight=None,
    *,
    l2_reg_strength=0.0,
    n_threads=None,
    max_iter=100,
    tol=1e-4,
    verbose=0,
    check_start=False,
):
    """Newton's method with the full Hessian.

    Each iteration computes gradient and Hessian (``gradient_hessian``),
    solves ``H p = -g`` by a symmetric factorisation, and backtracks along
    ``p``.  Converged when ``max |g| <= tol`` and half the squared Newton
    decrement ``p @ H @ p / 2 <= tol``.  A singular Hessian, a pointwise
    Hessian with many negative values, a step that is not a descent direction
    or a failed line search hand over to :func:`lbfgs` for the remaining
    iterations.
    """
    import scipy.linalg

    warning_class = _convergence_warning_class()
    objective = _Objective(linear_loss, X, y, sample_weight, l2_reg_strength, n_threads)
    coef = np.array(coef, dtype=np.float64, copy=True).ravel()
    gauge = _MultinomialGauge(linear_loss, l2_reg_strength, coef.size)
    gauge.normalise(coef)
    value = float(
        linear_loss.loss(coef, X, y, sample_weight, l2_reg_strength, n_threads)
    )
    _check_start(value, check_start)
    curve = []
    completed = 0
    converged = False
    fallback = False
    name = "NewtonCholeskySolver"
    while completed < max_iter and not converged:
        iteration = completed + 1
        if verbose:
            print(f"Newton iteration {iteration}")
        grad, hess, hessian_warning = linear_loss.gradient_hessian(
            coef,
            X,
            y,
            sample_weight=sample_weight,
            l2_reg_strength=l2_reg_strength,
            n_threads=n_threads,
        )
        grad = np.asarray(grad, dtype=np.float64).ravel().copy()
        hess = np.asarray(hess, dtype=np.float64)
        if hessian_warning:
            warnings.warn(
                f"The inner solver of {name} detected a pointwise hessian with many "
                f"negative values at iteration #{iteration}. It will now resort to "
                "lbfgs instead.",
                warning_class,
                stacklevel=3,
            )
            fallback = True
            break
        if gauge.active:
            grad[~gauge.keep] = 0.0
            hess[~gauge.keep, :] = 0.0
            hess[:, ~gauge.keep] = 0.0
        g_red, h_red = gauge.reduce(grad, hess)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
                step = scipy.linalg.solve(
                    h_red, -g_red, check_finite=False, assume_a="sym"
                )
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgWarning) as exc:
            warnings.warn(
                f"The inner solver of {name} stumbled upon a singular or very "
                f"ill-conditioned Hessian matrix at iteration {iteration}. It will "
                "now resort to lbfgs instead.\nFurther options are to use another "
                "solver or to avoid such situation in the first place. Possible "
                "remedies are removing collinear features of X or increasing the "
                "penalization strengths.\nThe original Linear Algebra message "
                "was:\n" + str(exc),
                scipy.linalg.LinAlgWarning,
                stacklevel=3,
            )
            fallback = True
            break
        step = gauge.expand(step)
        grad_dot_step = float(grad @ step)
        if not grad_dot_step <= 0:  # not a descent direction (or NaN)
            if verbose:
                print("  Newton step is not a descent direction: resort to lbfgs.")
            fallback = True
            break
        accepted = _backtracking(
            objective, coef, value, grad, step, grad_dot_step, verbose
        )
        if accepted is None:
            warnings.warn(
                f"Line search of Newton solver {name} at iteration #{iteration} did "
                f"not converge after {_LS_MAX_STEPS} line search refinement "
                "iterations. It will now resort to lbfgs instead.",
                warning_class,
                stacklevel=3,
            )
            fallback = True
            break
        coef, value, grad = accepted
        completed += 1
        curve.append(value)
        if verbose:
            print(f"  objective = {value:.12g}")
        # Convergence: gradient at the new point, decrement of the step taken.
        if np.max(np.abs(grad)) <= tol:
            decrement = 0.5 * float(step @ hess @ step)
            converged = decrement <= tol
            if verbose:
                print(f"  max |gradient| <= tol; half Newton decrement {decrement:.3g}")

    if not converged:
        if fallback:
            rest = lbfgs(
                linear_loss,
                coef,
                X,
                y,
                sample_weight,
                l2_reg_strength=l2_reg_strength,
                n_threads=n_threads,
                max_iter=max_iter - completed,
                tol=tol,
                verbose=verbose,
            )
            coef = rest.coef
            completed += rest.n_iter
            curve.extend(rest.loss_curve)
            converged = rest.converged
        else:
            warnings.warn(
                f"Newton solver did not converge after {completed} iterations.",
                warning_class,
                stacklevel=3,
            )
    gauge.symmetric(coef)
    return SolverResult(coef, completed, curve, converged)


# --------------------------------------------------------------------------
# Newton-CG
# --------------------------------------------------------------------------


def _conjugate_gradient(hessp, grad, max_iter, tol):
    """Approximately solve ``H p = -grad`` by conjugate gradients (from 0).

    Stops when ``sum |residual| <= tol``, after ``max_iter`` steps, or on
    (near) non-positive curvature: then the step so far is returned (at the
    first step, negative curvature gives the steepest-descent direction).
    """
    eps = _TINY_RELATIVE
    step = np.zeros_like(grad)
    residual = grad.copy()
    direction = -residual
    rr = float(residual @ residual)
    direction_norm2 = rr
    i = 0
    while i <= max_iter:
        if float(np.sum(np.abs(residual))) <= tol:
            break
        hd = hessp(direction)
        curvature = float(direction @ hd)
        if 0 <= curvature <= eps * direction_norm2:
            break
        if curvature < 0:
            if i == 0:
                step += (rr / curvature) * direction
            break
        alpha = rr / curvature
        step += alpha * direction
        residual += alpha * hd
        rr_new = float(residual @ residual)
        beta = rr_new / rr
        direction = -residual + beta * direction
        direction_norm2 = rr_new + beta**2 * direction_norm2
        rr = rr_new
        i += 1
    return step


def _wolfe_line_search(objective, xk, pk, gk, old_fval, old_old_fval):
    """Wolfe line search (MINPACK's, then the tiny-change rule, then
    scipy's fallback).  Returns ``(alpha, new_fval, old_fval)`` or ``None``."""
    try:
        from scipy.optimize._linesearch import line_search_wolfe1
    except ImportError:  # pragma: no cover - private scipy module moved
        line_search_wolfe1 = None
    from scipy.optimize import line_search as line_search_wolfe2

    if line_search_wolfe1 is not None:
        ret = line_search_wolfe1(
            objective.value, objective.gradient, xk, pk, gk, old_fval, old_old_fval
        )
        if ret[0] is not None:
            return ret[0], ret[3], ret[4]
    # The full step changes the loss by no more than rounding: accept it if it
    # reduces sum |gradient|.
    trial = xk + pk
    fval, grad = objective(trial)
    if abs(fval - old_fval) <= abs(old_fval) * _TINY_RELATIVE:
        if np.sum(np.abs(grad)) < np.sum(np.abs(gk)):
            return 1.0, fval, old_fval
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # LineSearchWarning
        ret = line_search_wolfe2(
            objective.value, objective.gradient, xk, pk, gk, old_fval, old_old_fval
        )
    if ret[0] is None:
        return None
    return ret[0], ret[3], ret[4]


def newton_cg(
    linear_loss,
    coef,
    X,
    y,
    sample_weight=None,
    *,
    l2_reg_strength=0.0,
    n_threads=None,
    max_iter=100,
    tol=1e-4,
    verbose=0,
    max_inner=200,
    check_start=False,
):
    """Truncated Newton (Newton-CG) with Hessian-vector products.

    Stops when ``max |gradient| <= tol``.  The inner conjugate gradient runs
    to ``sum |residual| <= min(0.5, sqrt(sum|g|)) * sum|g|``.
    """
    warning_class = _convergence_warning_class()
    objective = _Objective(
        linear_loss, X, y, sample_weight, l2_reg_strength, n_threads, check_start
    )
    xk = np.array(coef, dtype=np.float64, copy=True).ravel()
    old_fval = objective.value(xk)
    old_old_fval = None
    curve = []
    k = 0
    converged = False
    while k < max_iter:
        grad, hessp = linear_loss.gradient_hessian_product(
            xk, X, y, sample_weight, l2_reg_strength, n_threads
        )
        grad = np.asarray(grad, dtype=np.float64).ravel()
        abs_grad = np.abs(grad)
        if verbose:
            print(f"Newton-CG iteration {k}: max |gradient| = {abs_grad.max():.3g}")
        if abs_grad.max() <= tol:
            converged = True
            break
        sum_abs = float(abs_grad.sum())
        term = min(0.5, math.sqrt(sum_abs)) * sum_abs
        step = _conjugate_gradient(
            lambda s: np.asarray(hessp(s), dtype=np.float64).ravel(),
            grad,
            max_inner,
            term,
        )
        found = _wolfe_line_search(objective, xk, step, grad, old_fval, old_old_fval)
        if found is None:
            warnings.warn("Line Search failed", warning_class, stacklevel=3)
            break
        alpha, new_fval, prev_fval = found
        xk = xk + alpha * step
        old_old_fval, old_fval = prev_fval, new_fval
        k += 1
        curve.append(old_fval)
        if verbose:
            print(f"  objective = {old_fval:.12g}")
    if k >= max_iter:
        warnings.warn(
            f"newton-cg failed to converge at loss = {old_fval}. Increase the "
            "number of iterations.",
            warning_class,
            stacklevel=3,
        )
    return SolverResult(xk, k, curve, converged)
