"""The objective of a linear model over a fastloss loss: ``LinearModelLoss``.

Mirrors scikit-learn's private ``sklearn.linear_model._linear_loss.LinearModelLoss``
(same methods, arguments, shapes and conventions), evaluated by the fused
one-pass kernels of ``_linear_kernels``:

* raw predictions, per-sample loss and gradient, and ``X.T @ gradient`` are
  computed tile by tile while a tile of X is in cache, so X is streamed from
  memory once per evaluation (not twice as with ``X @ w`` then ``X.T @ g``);
* chunks of rows run in parallel, each writing its own partial sums, which are
  added in chunk order: the results are bitwise identical for every
  ``n_threads``;
* float32 X is read as it is (never copied to float64); all sums are float64;
  the coefficients and the gradient are float64.

X may be a dense array (C- or F-ordered; other layouts are copied to C order)
or a scipy.sparse matrix (used as CSR; scipy is imported only when X is one).
"""

import importlib
import os
import sys

import numpy as np

__all__ = ["LinearModelLoss"]


def _load_kernels():
    """The compiled module of the fused loops: the best instruction-set
    variant that is built and that this CPU runs.

    ``_linear_kernels`` is the portable build.  If the build also provides
    ``_linear_kernels_avx2`` / ``_linear_kernels_avx512`` (the same source
    compiled with those instruction sets, as fastloss._kernels does for the
    loss kernels), the best one is used: it matters for the per-sample loss
    maths, whose vectorised exp/log need AVX2.  (The linear algebra has its own
    run-time AVX2 dispatch inside every variant.)  FASTLOSS_KERNELS=baseline,
    avx2 or avx512 forces a variant, as for the loss kernels.
    """
    forced = os.environ.get("FASTLOSS_KERNELS") or None
    if forced != "baseline":
        try:
            from fastloss._kernels import _loss as _base

            supports = getattr(_base, "cpu_supports", None)
        except ImportError:  # pragma: no cover
            supports = None
        for isa in ("avx512", "avx2"):
            if forced is not None and forced != isa:
                continue
            if supports is None or not supports(isa):
                continue
            try:
                return importlib.import_module(
                    f"fastloss.linear_model._linear_kernels_{isa}"
                )
            except ImportError:
                continue
    return importlib.import_module("fastloss.linear_model._linear_kernels")


_lk = _load_kernels()

_MODE = _lk.MODE_NAMES

# Below this amount of work (n_samples * n_features * n_classes) n_threads=None
# uses one thread: starting an OpenMP team costs ~10 us, as much as ~50k
# multiply-adds.
_AUTO_THREADS_MIN_WORK = 100_000

# n_threads is validated and resolved as for the loss objects.
from fastloss.losses import _resolve_n_threads  # noqa: E402


def _is_sparse(X):
    """True for a scipy.sparse matrix or array, without importing scipy."""
    sp = sys.modules.get("scipy.sparse")
    return sp is not None and sp.issparse(X)


class _Data:
    """X prepared for the kernels (dense with a unit stride, or CSR parts)."""

    __slots__ = (
        "X", "sparse", "layout", "data", "indices", "indptr", "n", "d", "itemsize"
    )

    def __init__(self, X):
        if _is_sparse(X):
            X = X.tocsr() if X.format != "csr" else X
            data, indices, indptr = X.data, X.indices, X.indptr
            if data.dtype not in (np.float32, np.float64) or not data.dtype.isnative:
                data = data.astype(np.float64)
            if indices.dtype != indptr.dtype or indices.dtype not in (
                np.int32,
                np.int64,
            ):
                indices = indices.astype(np.int64)
                indptr = indptr.astype(np.int64)
            self.sparse = True
            self.layout = "csr"
            self.X = X
            self.data = np.ascontiguousarray(data)
            self.indices = np.ascontiguousarray(indices)
            self.indptr = np.ascontiguousarray(indptr)
            self.n, self.d = X.shape
            self.itemsize = self.data.dtype.itemsize
            return
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-dimensional; got shape {X.shape}.")
        if X.dtype.kind not in "fiub":
            raise TypeError(f"X must be a numeric array; got dtype {X.dtype}.")
        if X.dtype not in (np.float32, np.float64) or not X.dtype.isnative:
            X = X.astype(np.float64)
        if not (X.flags.c_contiguous or X.flags.f_contiguous):
            # A unit stride along one axis is all the kernel needs.
            s0, s1 = X.strides
            if s1 != X.itemsize and s0 != X.itemsize:
                X = np.ascontiguousarray(X)
        self.sparse = False
        self.X = X
        self.n, self.d = X.shape
        self.itemsize = X.itemsize
        # The kernel's choice (a dimension of length 1 may have any stride).
        row_major = X.strides[1] == X.itemsize or self.d <= 1
        self.layout = "C" if row_major else "F"


# Hessian matrices (gradient_hessian): dense X is taken in row blocks of about
# this many bytes of float64, so that no n x d float64 temporary (a float64
# copy of float32 X, or diag(h) X) is made; CSR X goes to a compiled kernel in
# chunks whose partial Hessians take at most _SANDWICH_CSR_BUDGET doubles.
# Block sizes measured at d = 50, one thread (per row of X): one syrk per
# block (1-output losses) 151 ns at 1024 rows, 176 at 10485 (4 MiB);
# multinomial, 55 class pairs per block at 10 classes, 9.3 us at 2048 rows,
# 10.0 at 1024, 19.2 at 10485 (the block then leaves L2 between the pairs).
_SANDWICH_BLOCK_BYTES = 1 << 19
_SANDWICH_MN_BLOCK_BYTES = 1 << 20
_SANDWICH_CSR_CHUNKS = 16
_SANDWICH_CSR_BUDGET = 1 << 24


def _mirror_upper(H):
    """Copy H's strict upper triangle onto its lower one (in place): an
    exactly symmetric matrix from one computed triangle."""
    iu = np.triu_indices(H.shape[0], 1)
    H[(iu[1], iu[0])] = H[iu]


def _block_rows(n, d, nbytes):
    return max(1, min(n, nbytes // (8 * max(d, 1))))


def _dense_sandwich_sqrt(X, hp):
    """``(X.T @ diag(hp) @ X, X.T @ hp)`` in float64 for hp >= 0, as
    Y.T @ Y and Y.T @ sqrt(hp) with Y = sqrt(hp) X (a symmetric rank-k update,
    half the flops of a general product), one row block of Y at a time; the
    blocks are added in order."""
    n, d = X.shape
    rows = _block_rows(n, d, _SANDWICH_BLOCK_BYTES)
    H = np.zeros((d, d))
    xh = np.zeros(d)
    buf = np.empty((rows, d))
    for s in range(0, n, rows):
        e = min(n, s + rows)
        sq = np.sqrt(hp[s:e])
        Y = buf[: e - s]
        np.multiply(X[s:e], sq[:, None], out=Y)
        H += Y.T @ Y
        xh += Y.T @ sq
    return H, xh


def _csr_sandwich(data, v, n_threads):
    """``(X.T @ diag(v) @ X, X.T @ v)`` in float64 for CSR X (a _Data), by
    the compiled kernel: chunk partials (chunks fixed by the shape) added in
    order, the upper triangle mirrored; the same bits for any n_threads."""
    n, d = data.n, data.d
    n_chunks = max(1, min(_SANDWICH_CSR_CHUNKS, _SANDWICH_CSR_BUDGET // max(d * d + d, 1)))
    chunk = max(1, -(-n // n_chunks))
    partials = np.zeros((-(-n // chunk) if n else 0, d * d + d))
    nt = _resolve_n_threads(n_threads, data.indptr[-1] * 8, min_work=_AUTO_THREADS_MIN_WORK)
    _lk.csr_sandwich(
        data.data, data.indices, data.indptr, d, np.ascontiguousarray(v, dtype=np.float64),
        partials, chunk, nt,
    )
    total = np.add.reduce(partials, axis=0) if n else np.zeros(d * d + d)
    H = total[: d * d].reshape(d, d)
    _mirror_upper(H)
    return H, total[d * d :].copy()


def _vector(name, a, n):
    if a is None:
        return None
    a = np.asarray(a)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be numeric; got dtype {a.dtype}.")
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1 or a.shape[0] != n:
        raise ValueError(
            f"{name} must have shape ({n},) to match X; got shape {a.shape}."
        )
    return np.ascontiguousarray(a, dtype=np.float64)


class LinearModelLoss:
    """Loss of a linear model: raw_prediction = X @ coef + intercept.

    The objective is the weighted mean of the per-sample losses plus an L2
    penalty on the coefficients (not on the intercept)::

        objective = 1 / s_sum * sum_i s_i loss(y_i, X_i @ coef + intercept)
                    + l2_reg_strength / 2 * ||coef||_2^2

    with s_i = 1 without sample_weight and s_sum = sum_i s_i (scikit-learn's
    conventions, so that the optima agree).

    Coefficients (as in scikit-learn): with n_dof = n_features + fit_intercept,

    * 1-D losses: coef of shape (n_dof,), the intercept last;
    * multinomial: coef of shape (n_classes, n_dof), or its ravel in
      Fortran order, shape (n_classes * n_dof,), i.e. the classes of one
      feature are contiguous: ``coef.reshape((n_classes, -1), order="F")``
      gives back the 2-d array.  The intercepts are the last column.

    The gradient has the shape of coef (raveled in Fortran order when coef is
    1-d); Hessians are 2-d, (coef.size, coef.size).

    Parameters
    ----------
    base_loss : fastloss loss object (``fastloss.BaseLoss`` instance)
    fit_intercept : bool, default=True
    """

    def __init__(self, base_loss, fit_intercept=True):
        closs = getattr(base_loss, "closs", None)
        if closs is None or not hasattr(closs, "kernel_id"):
            raise TypeError(
                "base_loss must be a fastloss loss object (with a compiled "
                f"kernel .closs); got {type(base_loss).__name__}."
            )
        self.base_loss = base_loss
        self.fit_intercept = fit_intercept

    # -- coefficient helpers ----------------------------------------------------

    @property
    def _K(self):
        return int(self.base_loss.n_classes) if self.base_loss.is_multiclass else 1

    def init_zero_coef(self, X, dtype=None):
        """Zero coefficients of the right shape: (n_dof,) or (n_classes, n_dof)
        in Fortran order.  dtype=None gives float64 (what scikit-learn's code
        does, whatever its docstring says)."""
        n_features = X.shape[1]
        n_dof = n_features + int(bool(self.fit_intercept))
        if self.base_loss.is_multiclass:
            return np.zeros((self.base_loss.n_classes, n_dof), dtype=dtype, order="F")
        return np.zeros(n_dof, dtype=dtype)

    def weight_intercept(self, coef):
        """Split coef into (weights, intercept).

        weights: (n_features,) or (n_classes, n_features) views of coef;
        intercept: float 0.0 without intercept, else coef[-1] or coef[:, -1].
        """
        if not self.base_loss.is_multiclass:
            if self.fit_intercept:
                return coef[:-1], coef[-1]
            return coef, 0.0
        weights = (
            coef.reshape((self.base_loss.n_classes, -1), order="F")
            if coef.ndim == 1
            else coef
        )
        if self.fit_intercept:
            return weights[:, :-1], weights[:, -1]
        return weights, 0.0

    def weight_intercept_raw(self, coef, X, n_threads=1):
        """(weights, intercept, raw_prediction) with raw_prediction =
        X @ weights.T + intercept in float64, shape (n_samples,) or
        (n_samples, n_classes), computed without converting X."""
        coef = self._check_coef(coef, X.shape[1])
        weights, intercept = self.weight_intercept(coef)
        data = _Data(X)
        K = self._K
        h = np.empty(data.n * K, dtype=np.float64)
        self._run(data, coef, None, None, "RAW", n_threads, h=h)
        raw = h.reshape(data.n, K) if self.base_loss.is_multiclass else h
        return weights, intercept, raw

    def l2_penalty(self, weights, l2_reg_strength):
        """l2_reg_strength / 2 * ||weights||_2^2 as a float."""
        w = np.asarray(weights, dtype=np.float64).ravel()
        return float(0.5 * l2_reg_strength * (w @ w))

    # -- internals ----------------------------------------------------------------

    def _check_coef(self, coef, n_features):
        coef = np.asarray(coef)
        if coef.dtype.kind not in "fiub":
            raise TypeError(f"coef must be numeric; got dtype {coef.dtype}.")
        n_dof = n_features + int(bool(self.fit_intercept))
        if self.base_loss.is_multiclass:
            K = self.base_loss.n_classes
            if coef.shape not in ((K, n_dof), (K * n_dof,)):
                raise ValueError(
                    f"coef must have shape ({K}, {n_dof}) or ({K * n_dof},); "
                    f"got {coef.shape}."
                )
        elif coef.shape != (n_dof,):
            raise ValueError(f"coef must have shape ({n_dof},); got {coef.shape}.")
        return coef

    def _wb(self, coef):
        """(W, b) for the kernel: (K, n_features) C-contiguous and (K,), float64."""
        weights, intercept = self.weight_intercept(coef)
        K = self._K
        W = np.ascontiguousarray(np.reshape(weights, (K, -1)), dtype=np.float64)
        if self.fit_intercept:
            b = np.ascontiguousarray(np.reshape(intercept, (K,)), dtype=np.float64)
        else:
            b = np.zeros(K, dtype=np.float64)
        return W, b

    def _run(self, data, coef, y, sw, mode, n_threads, h=None, raw_in=None, Wb=None):
        """One fused pass; returns (acc of shape (K, d + 1), loss sum)."""
        K = self._K
        d = data.d
        W, b = self._wb(coef) if Wb is None else Wb
        nt = _resolve_n_threads(
            n_threads, data.n * max(d, 1) * K, min_work=_AUTO_THREADS_MIN_WORK
        )
        tile = _lk.tile_rows(d, data.itemsize, data.layout)
        chunk = _lk.chunk_rows(d, K, tile)
        n_chunks = -(-data.n // chunk)
        partials = np.zeros((n_chunks, K * (d + 1) + 1), dtype=np.float64)
        closs = self.base_loss.closs
        kid = int(closs.kernel_id)
        p0 = float(getattr(closs, "p0", 0.0))
        p1 = float(getattr(closs, "p1", 0.0))
        if raw_in is not None:
            raw_in = np.asarray(raw_in)
            if raw_in.ndim == 1:
                raw_in = raw_in[:, None]
            if raw_in.shape != (data.n, K):
                raise ValueError(
                    f"raw_prediction must have shape ({data.n}, {K}) or "
                    f"({data.n},); got {raw_in.shape}."
                )
            raw_in = np.ascontiguousarray(raw_in, dtype=np.float64)
        m = _MODE[mode]
        if data.sparse:
            n_bad = _lk.csr_pass(
                data.data, data.indices, data.indptr, d, y, sw, W, b, raw_in, h,
                partials, kid, m, p0, p1, tile, chunk, nt,
            )
        else:
            n_bad = _lk.dense_pass(
                data.X, y, sw, W, b, raw_in, h, partials, kid, m, p0, p1, tile,
                chunk, nt,
            )
        if n_bad:
            raise self._domain_error(y)
        # Chunk partials added in chunk order (row by row): deterministic.
        total = np.add.reduce(partials, axis=0)
        acc = total[:-1].reshape(K, d + 1)
        return acc, float(total[-1])

    def _domain_error(self, y):
        make = getattr(self.base_loss, "_domain_error", None)
        if make is not None:
            try:
                return make(y)
            except Exception:  # pragma: no cover - defensive
                pass
        return ValueError(
            f"y contains values outside the domain of {type(self.base_loss).__name__}."
        )

    def _prepare(self, coef, X, y, sample_weight):
        data = _Data(X)
        coef = self._check_coef(coef, data.d)
        y = _vector("y", y, data.n)
        sw = _vector("sample_weight", sample_weight, data.n)
        sw_sum = float(data.n) if sw is None else float(np.sum(sw))
        return data, coef, y, sw, sw_sum

    def _grad_from_acc(self, coef, acc, sw_sum, l2_reg_strength, weights=None):
        """Assemble the gradient (shape of coef) from acc = sum_i g_i [x_i, 1]."""
        K = self._K
        d = acc.shape[1] - 1
        if weights is None:
            weights, _ = self.weight_intercept(coef)
        dtype = coef.dtype if coef.dtype.kind == "f" else np.float64
        W = np.reshape(np.asarray(weights, dtype=np.float64), (K, d))
        gw = acc[:, :d] / sw_sum
        if l2_reg_strength:
            gw = gw + l2_reg_strength * W
        if not self.base_loss.is_multiclass:
            grad = np.empty(coef.shape, dtype=dtype)
            grad[:d] = gw[0]
            if self.fit_intercept:
                grad[-1] = acc[0, d] / sw_sum
            return grad
        n_dof = d + int(bool(self.fit_intercept))
        grad = np.empty((K, n_dof), dtype=dtype, order="F")
        grad[:, :d] = gw
        if self.fit_intercept:
            grad[:, -1] = acc[:, d] / sw_sum
        if coef.ndim == 1:
            return grad.ravel(order="F")
        return grad

    # -- objective ------------------------------------------------------------------

    def loss(
        self,
        coef,
        X,
        y,
        sample_weight=None,
        l2_reg_strength=0.0,
        n_threads=1,
        raw_prediction=None,
    ):
        """Weighted mean of the per-sample losses plus the L2 penalty (float).

        raw_prediction, if given (shape (n_samples,) or (n_samples, n_classes)),
        is used instead of X @ coef + intercept.
        """
        data, coef, y, sw, sw_sum = self._prepare(coef, X, y, sample_weight)
        _, lsum = self._run(data, coef, y, sw, "L", n_threads, raw_in=raw_prediction)
        loss = lsum / sw_sum
        if l2_reg_strength > 0:
            weights, _ = self.weight_intercept(coef)
            loss += self.l2_penalty(weights, l2_reg_strength)
        return loss

    def loss_gradient(
        self,
        coef,
        X,
        y,
        sample_weight=None,
        l2_reg_strength=0.0,
        n_threads=1,
        raw_prediction=None,
    ):
        """(objective, gradient w.r.t. coef) in one pass over X."""
        data, coef, y, sw, sw_sum = self._prepare(coef, X, y, sample_weight)
        acc, lsum = self._run(
            data, coef, y, sw, "LG", n_threads, raw_in=raw_prediction
        )
        weights, _ = self.weight_intercept(coef)
        loss = lsum / sw_sum + self.l2_penalty(weights, l2_reg_strength)
        return loss, self._grad_from_acc(coef, acc, sw_sum, l2_reg_strength, weights)

    def gradient(
        self,
        coef,
        X,
        y,
        sample_weight=None,
        l2_reg_strength=0.0,
        n_threads=1,
        raw_prediction=None,
    ):
        """Gradient of the objective w.r.t. coef (shape of coef), one pass over X."""
        data, coef, y, sw, sw_sum = self._prepare(coef, X, y, sample_weight)
        acc, _ = self._run(data, coef, y, sw, "G", n_threads, raw_in=raw_prediction)
        return self._grad_from_acc(coef, acc, sw_sum, l2_reg_strength)

    def gradient_hessian(
        self,
        coef,
        X,
        y,
        sample_weight=None,
        l2_reg_strength=0.0,
        n_threads=1,
        gradient_out=None,
        hessian_out=None,
        raw_prediction=None,
    ):
        """(gradient, hessian, hessian_warning), as scikit-learn's.

        hessian has shape (coef.size, coef.size); for multinomial its rows and
        columns follow the Fortran ravel of coef (classes of a feature
        contiguous).  1-D losses: if more than 25% of the (weighted) pointwise
        hessians are <= 0, hessian_warning is True and the hessian is left
        unfilled; the absolute values of the pointwise hessians are used.
        The gradient and the pointwise hessians come from one fused pass over
        X.  The Hessian matrix itself, O(n * n_dof^2) (times K (K + 1) / 2 for
        multinomial), is a BLAS product over row blocks of dense X (no n-row
        float64 temporary: float32 X is converted a block at a time), or a
        compiled kernel over the rows of CSR X (each row's pairs of nonzeros;
        the same bits for any n_threads).  Accumulated in float64.
        """
        data, coef, y, sw, sw_sum = self._prepare(coef, X, y, sample_weight)
        K = self._K
        d = data.d
        n = data.n
        weights, _ = self.weight_intercept(coef)
        dtype = coef.dtype if coef.dtype.kind == "f" else np.float64

        if gradient_out is None:
            grad = np.empty_like(coef, dtype=dtype, order="F")
        elif gradient_out.shape != coef.shape:
            raise ValueError(
                f"gradient_out is required to have shape coef.shape = {coef.shape}; "
                f"got {gradient_out.shape}."
            )
        elif self.base_loss.is_multiclass and not gradient_out.flags.f_contiguous:
            raise ValueError("gradient_out must be F-contiguous.")
        else:
            grad = gradient_out
        size = coef.size
        if hessian_out is None:
            hess = np.empty((size, size), dtype=dtype)
        elif hessian_out.shape != (size, size):
            raise ValueError(
                f"hessian_out is required to have shape ({size}, {size}); got "
                f"{hessian_out.shape}."
            )
        elif self.base_loss.is_multiclass and not (
            hessian_out.flags.c_contiguous or hessian_out.flags.f_contiguous
        ):
            raise ValueError("hessian_out must be contiguous.")
        else:
            hess = hessian_out

        # One fused pass for the gradient and the pointwise hessians
        # (multinomial: the probabilities).
        h = np.empty(n * K, dtype=np.float64)
        acc, _ = self._run(data, coef, y, sw, "GH", n_threads, h=h, raw_in=raw_prediction)
        grad[...] = self._grad_from_acc(coef, acc, sw_sum, l2_reg_strength, weights)

        Xs = data.X
        sparse = data.sparse

        if not self.base_loss.is_multiclass:
            hp = h / sw_sum  # h = hess * sw
            warn = bool(np.average(hp <= 0, weights=sw) > 0.25) if n else False
            hp = np.abs(hp)
            if warn:
                return grad, hess, True
            if sparse:
                hess[:d, :d], Xh = _csr_sandwich(data, hp, n_threads)
            else:
                hess[:d, :d], Xh = _dense_sandwich_sqrt(Xs, hp)
            if l2_reg_strength > 0:
                idx = np.arange(d)
                hess[idx, idx] += l2_reg_strength
            if self.fit_intercept:
                hess[:d, -1] = Xh
                hess[-1, :d] = Xh
                hess[-1, -1] = hp.sum()
            return grad, hess, False

        proba = h.reshape(n, K)
        swn = (np.ones(n) if sw is None else sw) / sw_sum
        pairs = [(k, m) for k in range(K) for m in range(k, K)]

        def weights_of(k, m, s, e):
            # the pair's diagonal weights X.T diag(v) X, rows s:e
            pk = proba[s:e, k]
            if m == k:
                return pk * (1.0 - pk) * swn[s:e]
            return -pk * proba[s:e, m] * swn[s:e]

        blocks = np.zeros((len(pairs), d, d))
        Xvs = np.zeros((len(pairs), d))
        vsums = np.zeros(len(pairs))
        if sparse:
            for q, (k, m) in enumerate(pairs):
                v = weights_of(k, m, 0, n)
                blocks[q], Xvs[q] = _csr_sandwich(data, v, n_threads)
                vsums[q] = v.sum()
        else:
            # Row blocks outer, class pairs inner: each block of X is converted
            # to float64 once for all K (K + 1) / 2 pairs.
            rows = _block_rows(n, d, _SANDWICH_MN_BLOCK_BYTES)
            Xb = np.empty((rows, d))
            Wb = np.empty((rows, d))
            for s in range(0, n, rows):
                e = min(n, s + rows)
                xb = Xb[: e - s]
                xb[...] = Xs[s:e]
                wb = Wb[: e - s]
                for q, (k, m) in enumerate(pairs):
                    v = weights_of(k, m, s, e)
                    np.multiply(xb, v[:, None], out=wb)
                    blocks[q] += xb.T @ wb
                    Xvs[q] += xb.T @ v
                    vsums[q] += v.sum()
        # Index of (class k, feature j) in the F-raveled coef: j * K + k;
        # intercept of class k: d * K + k.
        for q, (k, m) in enumerate(pairs):
            block = blocks[q]
            if m == k:
                # exactly symmetric (the general product rounds (x_j v) x_l
                # and (x_l v) x_j apart)
                _mirror_upper(block)
                if l2_reg_strength > 0:
                    block[np.arange(d), np.arange(d)] += l2_reg_strength
            hess[k : K * d : K, m : K * d : K] = block
            hess[m : K * d : K, k : K * d : K] = block.T
            if self.fit_intercept:
                Xv = Xvs[q]
                hess[k : K * d : K, K * d + m] = Xv
                hess[m : K * d : K, K * d + k] = Xv
                hess[K * d + k, m : K * d : K] = Xv
                hess[K * d + m, k : K * d : K] = Xv
                hess[K * d + k, K * d + m] = hess[K * d + m, K * d + k] = vsums[q]
        return grad, hess, False

    def gradient_hessian_product(
        self, coef, X, y, sample_weight=None, l2_reg_strength=0.0, n_threads=1
    ):
        """(gradient, hessp): hessp(s) is the Hessian-vector product for a
        vector s of the shape of coef.  Both are fused one-pass evaluations:
        this call streams X once (gradient and pointwise hessians or
        probabilities), and each hessp call streams X once more."""
        data, coef, y, sw, sw_sum = self._prepare(coef, X, y, sample_weight)
        K = self._K
        d = data.d
        n_dof = d + int(bool(self.fit_intercept))
        h = np.empty(data.n * K, dtype=np.float64)
        acc, _ = self._run(data, coef, y, sw, "GH", n_threads, h=h)
        grad = self._grad_from_acc(coef, acc, sw_sum, l2_reg_strength)
        multiclass = self.base_loss.is_multiclass
        fit_intercept = bool(self.fit_intercept)
        coef_ndim = coef.ndim
        nt = n_threads

        def hessp(s):
            s = np.asarray(s)
            if multiclass:
                S = s.reshape((K, -1), order="F") if s.ndim == 1 else s
            else:
                S = s.reshape(1, -1)
            W = np.ascontiguousarray(S[:, :d], dtype=np.float64)
            b = (
                np.ascontiguousarray(S[:, d], dtype=np.float64)
                if fit_intercept
                else np.zeros(K)
            )
            acc_s, _ = self._run(data, coef, y, sw, "HP", nt, h=h, Wb=(W, b))
            out_dtype = s.dtype if s.dtype.kind == "f" else np.float64
            res = np.empty((K, n_dof), dtype=out_dtype, order="F")
            res[:, :d] = acc_s[:, :d] / sw_sum
            if l2_reg_strength:
                res[:, :d] += l2_reg_strength * W
            if fit_intercept:
                res[:, -1] = acc_s[:, d] / sw_sum
            if not multiclass:
                return res[0]
            return res.ravel(order="F") if coef_ndim == 1 else res

        return grad, hessp
