# Per-sample mathematics of every loss: the one place each formula is written.
#
# For a loss named K there are two inline nogil functions:
#
#     K_lgh(y, r, p0, p1) -> lgh_t    loss, gradient and hessian w.r.t. r
#     K_bad(y, p0, p1)    -> int      1 if y is outside the loss's domain of y_true
#
# A loss may also be written in two stages, K_pre(y, r, p0, p1) -> real (a
# first value, e.g. an exponential) and K_lgh_pre(y, r, pre, p0, p1) -> lgh_t
# (the rest), with K_lgh their composition: the loss loops then run the stages
# as two loops over a short chunk (STAGED in _loss.pyx.tp says which losses and
# why).  The formula is still written once, split in two.
#
# y is y_true, r is raw_prediction (link space), p0/p1 are the loss's parameters
# (quantile, delta or power; unused ones are ignored).  K_lgh is fused over the
# compute type `real`: float32 inputs are computed in float32, float64 inputs in
# float64 (the results are returned as doubles, exactly).  The sample loops
# (generated from _loss.pyx.tp) call K_lgh and store the fields they need; the C
# compiler drops the unused ones after inlining.  Because every method inlines
# the very same function, loss(), gradient(), loss_gradient() and
# gradient_hessian() agree to the bit (setup.py disables FMA contraction, which
# could otherwise round one expression differently in two loops).
#
# exp/log/log1p are the vectorisable inline versions of simd_math.h (stated
# error bound <= 2 ulp, tested against mpmath), so the loops vectorise.
# Branches are written as selects (a if cond else b) on values that are cheap
# to compute on both sides, for the same reason.
#
# Conditions are combined with & and |, never `and`/`or`: Cython compiles those
# to short-circuit gotos, which stop GCC from vectorising the loop.
#
# Domain checks treat NaN as *inside* the domain (comparisons with NaN are false),
# so a NaN y_true propagates to the outputs instead of raising.

from libc.math cimport copysign, floor, NAN


# Input arrays (y_true, raw_prediction, sample_weight) share one dtype; output
# arrays share another.  All four combinations are compiled.
ctypedef fused floating_in:
    float
    double

ctypedef fused floating_out:
    float
    double

# The compute type of the per-sample maths (follows the input dtype).
ctypedef fused real:
    float
    double


cdef extern from "multinomial_simd.h" nogil:
    # AVX-512 steps of multinomial_rows for a row-major block (the header
    # says why, and that they give the bits of the plain loops); FL_MN_VEC is
    # 1 where they are compiled.
    bint FL_MN_VEC
    void fl_mn_max_sub_f(const float* x, Py_ssize_t K, float* m, float* d)
    void fl_mn_max_sub_d(const double* x, Py_ssize_t K, double* m, double* d)
    void fl_mn_sum_f(const float* e, Py_ssize_t K, float* s)
    void fl_mn_sum_d(const double* e, Py_ssize_t K, double* s)
    void fl_mn_grad_row_f(const float* e, Py_ssize_t K, float pinv, int label,
                          float w, float* out)
    void fl_mn_grad_row_d(const double* e, Py_ssize_t K, double pinv, int label,
                          double w, double* out)


cdef extern from "simd_math.h" nogil:
    double fl_exp(double x)
    double fl_exp_nonpos(double x)
    float fl_expf(float x)
    float fl_expf_nonpos(float x)
    double fl_log(double x)
    float fl_logf(float x)
    double fl_log1p(double x)
    float fl_log1pf(float x)
    double fl_log1p_unit(double x)
    float fl_log1p_unitf(float x)


cdef inline real xexp(real x) noexcept nogil:
    if real is float:
        return fl_expf(x)
    else:
        return fl_exp(x)


cdef inline real xexp_nonpos(real x) noexcept nogil:
    # exp(x) for x <= 0 (the softmax, the binomial's exp(-|r|)): no upper
    # clamp and one scale factor, as accurate as xexp (simd_math.h).
    if real is float:
        return fl_expf_nonpos(x)
    else:
        return fl_exp_nonpos(x)


cdef inline real xlog(real x) noexcept nogil:
    if real is float:
        return fl_logf(x)
    else:
        return fl_log(x)


cdef inline real xlog1p(real x) noexcept nogil:
    if real is float:
        return fl_log1pf(x)
    else:
        return fl_log1p(x)


cdef inline real xlog1p_unit(real x) noexcept nogil:
    # log1p(x) for x in [0, 1] (the binomial loss; simd_math.h)
    if real is float:
        return fl_log1p_unitf(x)
    else:
        return fl_log1p_unit(x)


cdef inline real xpow(real x, real a) noexcept nogil:
    # x^a = exp(a log x) for x >= 0 (x = 0 gives exp(-+inf) = 0 or inf, as
    # pow); NaN for x < 0, where the identity-link Tweedie loss, its only user,
    # is outside its domain.  Vectorisable, unlike libm's pow; the error is
    # that of exp and log plus |a log x| ulp from rounding log x (the tests'
    # tolerance for this loss carries that factor).
    return xexp(a * xlog(x))


cdef inline real xabs(real x) noexcept nogil:
    return -x if x < 0 else x


ctypedef struct lgh_t:
    double loss
    double grad
    double hess


# ---------------------------------------------------------------------------
# Identity link, y_true and raw_prediction real.  Constants are typed `real`
# (one, half) so that float32 inputs are computed in float32.
# ---------------------------------------------------------------------------

cdef inline lgh_t squared_lgh(real y, real r, double p0, double p1) noexcept nogil:
    # 0.5 * (r - y)^2; the 0.5 gives a unit hessian.
    cdef lgh_t t
    cdef real half = 0.5
    cdef real d = r - y
    t.loss = half * d * d
    t.grad = d
    t.hess = 1.0
    return t


cdef inline lgh_t absolute_lgh(real y, real r, double p0, double p1) noexcept nogil:
    # |r - y|.  The hessian is 0 almost everywhere; as in scikit-learn we return
    # 1 so that Newton-type boosting updates stay defined (approx_hessian=True).
    # The gradient at r == y is -1 (scikit-learn's convention); NaN stays NaN.
    cdef lgh_t t
    cdef real d = r - y
    t.loss = xabs(d)
    t.grad = 1.0 if d > 0 else (-1.0 if d <= 0 else d)
    t.hess = 1.0
    return t


cdef inline lgh_t pinball_lgh(real y, real r, double quantile, double p1) noexcept nogil:
    # rho_q(y - r) = q * (y - r) if y >= r else (1 - q) * (r - y)
    cdef lgh_t t
    cdef real q = <real> quantile
    cdef real q1 = <real> (1.0 - quantile)
    cdef real d = y - r
    t.loss = q * d if d >= 0 else q1 * (-d)
    t.grad = -q if d >= 0 else (q1 if d < 0 else d)
    t.hess = 1.0
    return t


cdef inline lgh_t huber_lgh(real y, real r, double delta, double p1) noexcept nogil:
    # 0.5 * d^2 if |d| <= delta else delta * (|d| - delta / 2), d = r - y.
    # Hessian: 1 inside the quadratic zone, 0 outside (scikit-learn's choice).
    cdef lgh_t t
    cdef real half = 0.5
    cdef real dl = <real> delta
    cdef real hdl = <real> (0.5 * delta)
    cdef real d = r - y
    cdef real a = xabs(d)
    cdef bint inner = a <= dl
    t.loss = half * a * a if inner else dl * (a - hdl)
    t.grad = d if inner else ((dl if d > 0 else -dl) if a > dl else d)
    t.hess = 1.0 if inner else (0.0 if a > dl else d)
    return t


# ---------------------------------------------------------------------------
# Log link: y_pred = exp(r).  Where exp overflows the loss, gradient and
# hessian are +-inf (their true values are beyond the floating-point range),
# never NaN: a product y * r or y * exp(.) is taken as 0 when y == 0 (the
# limit of the deviance), so that 0 * inf never occurs.
# ---------------------------------------------------------------------------

cdef inline lgh_t poisson_lgh(real y, real r, double p0, double p1) noexcept nogil:
    # exp(r) - y * r   (the y*log(y) - y term is dropped, as in scikit-learn)
    cdef lgh_t t
    cdef real e = xexp(r)
    t.loss = e - (0 if y == 0 else y * r)
    t.grad = e - y
    t.hess = e
    return t


cdef inline lgh_t gamma_lgh(real y, real r, double p0, double p1) noexcept nogil:
    # r + y * exp(-r)   (the -log(y) - 1 term is dropped)
    cdef lgh_t t
    cdef real one = 1.0
    cdef real ye = y * xexp(-r)
    t.loss = r + ye
    t.grad = one - ye
    t.hess = ye
    return t


cdef inline lgh_t tweedie0_lgh(real y, real r, double p0, double p1) noexcept nogil:
    # Tweedie power 0 with log link: 0.5 * (exp(r) - y)^2
    cdef lgh_t t
    cdef real half = 0.5
    cdef real two = 2.0
    cdef real e = xexp(r)
    cdef real d = e - y
    t.loss = half * d * d
    t.grad = e * d
    t.hess = e * (two * e - y)
    return t


cdef inline lgh_t tweedie_lgh(real y, real r, double power, double p1) noexcept nogil:
    # Half Tweedie deviance with log link, power p not in {0, 1, 2}:
    #   loss = A / (2-p) - y * B / (1-p),  grad = A - y*B,
    #   hess = (2-p) * A - (1-p) * y * B,  A = exp((2-p) r), B = exp((1-p) r).
    # For p < 1 (r -> +inf) and p > 2 (r -> -inf) both A and B overflow and the
    # two terms have opposite signs: inf - inf.  There we factor out the
    # dominant exponential F (A for p < 1, B for p > 2), so that
    # A = F * u and B = F * v with u, v <= 1, and the bracket stays finite.
    # Everywhere else F = 1 (for 1 < p < 2 the terms have the same sign and
    # cannot cancel to NaN).  Every case needs just two exponentials,
    # E1 = exp(s1 r) and E2 = exp(s2 r), chosen by selects (vectorisable):
    #   plain: F = 1,  u = E1 (s1 = 2-p), v = E2 (s2 = 1-p)
    #   fac_a: F = E1 (s1 = 2-p), u = 1,  v = E2 (s2 = -1)
    #   fac_b: F = E1 (s1 = 1-p), u = E2 (s2 = 1), v = 1
    cdef lgh_t t
    cdef real one = 1.0
    cdef real a = <real> (2.0 - power)
    cdef real b = <real> (1.0 - power)
    cdef real ia = <real> (1.0 / (2.0 - power))
    cdef real ib = <real> (1.0 / (1.0 - power))
    cdef bint fac_a = (power < 1.0) & (r > 0)
    cdef bint fac_b = (power > 2.0) & (r < 0)
    cdef real E1 = xexp((b if fac_b else a) * r)
    cdef real E2 = xexp((-one if fac_a else (one if fac_b else b)) * r)
    cdef real F = E1 if (fac_a | fac_b) else one
    cdef real u = one if fac_a else (E2 if fac_b else E1)
    cdef real v = one if fac_b else E2
    cdef real yv = 0 if y == 0 else y * v
    t.loss = F * (u * ia - yv * ib)
    t.grad = F * (u - yv)
    t.hess = F * (a * u - b * yv)
    return t


cdef inline int tweedie_bad(double y, double power, double p1) noexcept nogil:
    # scikit-learn's interval_y_true: real for p <= 0, [0, inf) for 0 < p < 2,
    # (0, inf) for p >= 2.
    return (power > 0) & ((y < 0) if power < 2 else (y <= 0))


# ---------------------------------------------------------------------------
# Tweedie with identity link: y_pred = r, which must be > 0 (power != 0).
# Here the constant terms are kept, so the minimum of the loss is 0.
# ---------------------------------------------------------------------------

cdef inline lgh_t tweedie_identity_lgh(real y, real r, double power, double p1) noexcept nogil:
    # loss = max(y,0)^(2-p) / ((1-p)(2-p)) - y r^(1-p) / (1-p) + r^(2-p) / (2-p)
    cdef lgh_t t
    cdef real one = 1.0
    cdef real p = <real> power
    cdef real a = <real> (2.0 - power)
    cdef real b = <real> (1.0 - power)
    cdef real rp = xpow(r, b)                       # r^(1-p)
    cdef real c = xpow(y, a) / (b * a) if y > 0 else 0
    t.loss = r * rp / a - y * rp / b + c
    t.grad = rp * (one - y / r)                     # r^(-p) (r - y)
    t.hess = rp / r * (b + p * y / r)
    return t


cdef inline lgh_t poisson_identity_lgh(real y, real r, double p0, double p1) noexcept nogil:
    # power 1: y log(y / r) + r - y  (= r where y == 0)
    cdef lgh_t t
    cdef real one = 1.0
    t.loss = (y * xlog(y / r) + r - y) if y != 0 else r
    t.grad = one - y / r
    t.hess = y / (r * r)
    return t


cdef inline lgh_t gamma_identity_lgh(real y, real r, double p0, double p1) noexcept nogil:
    # power 2: log(r / y) + y / r - 1
    cdef lgh_t t
    cdef real one = 1.0
    cdef real two = 2.0
    cdef real r2 = r * r
    t.loss = xlog(r / y) + y / r - one
    t.grad = (r - y) / r2
    t.hess = (two * y / r - one) / r2
    return t


# ---------------------------------------------------------------------------
# Binary classification, y_true in [0, 1]
# ---------------------------------------------------------------------------

cdef inline real binomial_pre(real y, real r, double p0, double p1) noexcept nogil:
    # Stage 1 of binomial_lgh: e = exp(-|r|)
    return xexp_nonpos(-xabs(r))


cdef inline lgh_t binomial_lgh_pre(real y, real r, real e, double p0, double p1) noexcept nogil:
    # Stage 2 of binomial_lgh, from e = binomial_pre(y, r)
    cdef lgh_t t
    cdef real one = 1.0
    cdef real u = one + e
    cdef real inv = one / u
    cdef real y1 = one - y
    # a = 1-y, b = -y for r > 0 and the other way round for r <= 0, so that
    # the linear part is a*r and expit(r) - y = (a + b*e) / (1+e).  Two
    # selects of plain values: GCC if-converts these reliably.
    cdef real a = y1 if r > 0 else -y
    cdef real b = -y if r > 0 else y1
    t.loss = xlog1p_unit(e) + a * r
    t.grad = (a + b * e) * inv
    t.hess = e * inv * inv
    return t


cdef inline lgh_t binomial_lgh(real y, real r, double p0, double p1) noexcept nogil:
    # loss = log(1 + exp(r)) - y r,  grad = expit(r) - y,  hess = expit(r) expit(-r)
    #
    # With e = exp(-|r|) in (0, 1] nothing can overflow, at any finite r:
    #   log(1 + exp(r)) = max(r, 0) + log1p(e), and the linear part is grouped
    #   as (1 - y) r for r > 0 and -y r for r <= 0, *before* adding log1p(e).
    #   For y = 1, r >> 0 the true loss is log1p(e) ~ e: the grouping makes the
    #   linear part exactly 0, where the textbook max(r,0) + log1p(e) - y r
    #   would round it to 0 or to garbage (checked against mpmath in the tests).
    #   expit(r) - y is ((1-y) - y e) / (1+e) for r > 0 and ((1-y) e - y) / (1+e)
    #   for r <= 0: no subtraction of nearly equal numbers when y is 0 or 1.
    #   The hessian e / (1 + e)^2 is symmetric in r.
    # Unlike scikit-learn (4 branches with cut-offs -37, -2, 18, 33.3), one
    # select on the sign of r suffices: log1p is accurate over all of (0, 1].
    #
    # Written in two stages, binomial_pre (e) and binomial_lgh_pre (the rest,
    # from e), so that the loss loops can run them as two loops over a short
    # chunk (see "Staged kernels" in _loss.pyx.tp); binomial_lgh is their
    # composition.
    return binomial_lgh_pre(y, r, binomial_pre(y, r, p0, p1), p0, p1)


cdef inline lgh_t exponential_lgh(real y, real r, double p0, double p1) noexcept nogil:
    # loss = y exp(-r) + (1 - y) exp(r) = hessian;  grad = -y exp(-r) + (1 - y) exp(r).
    # A term with a zero coefficient is 0 (not 0 * inf = NaN) when exp overflows.
    cdef lgh_t t
    cdef real one = 1.0
    cdef real e = xexp(r)
    cdef real neg = 0 if y == 0 else y / e
    cdef real pos = 0 if y == 1 else (one - y) * e
    t.loss = neg + pos
    t.grad = pos - neg
    t.hess = t.loss
    return t


cdef inline int unit_interval_bad(double y, double p0, double p1) noexcept nogil:
    return (y < 0) | (y > 1)


cdef inline int nonnegative_bad(double y, double p0, double p1) noexcept nogil:
    return y < 0


cdef inline int positive_bad(double y, double p0, double p1) noexcept nogil:
    return y <= 0


cdef inline int real_bad(double y, double p0, double p1) noexcept nogil:
    return 0


# ---------------------------------------------------------------------------
# Multinomial (categorical cross-entropy) for one row of K raw predictions.
# ---------------------------------------------------------------------------

cdef inline int multinomial_label(double y, Py_ssize_t n_classes) noexcept nogil:
    # The class index of label y, or -1 when y is not one of 0..n_classes-1
    # (negative, too large, fractional or NaN): the caller must then not index.
    if y >= 0 and y <= n_classes - 1 and y == floor(y):
        return <int> y
    return -1


# In the compute precision (float32 input stays float32: no conversions in
# the output loops).
cdef inline real multinomial_grad(real proba, bint is_label) noexcept nogil:
    cdef real one = 1.0
    cdef real zero = 0.0
    return proba - (one if is_label else zero)


cdef inline real multinomial_hess(real proba) noexcept nogil:
    # Diagonal of the Hessian in the classes (as scikit-learn).
    cdef real one = 1.0
    return proba * (one - proba)


# Rows whose softmax is computed together by multinomial_rows: the row maxima
# and sums run as loops over these rows (vectorised across rows), and the
# exponentials as one flat loop over MN_ROWS * n_classes values.  16 rows x 10
# classes = 1.3 KiB, in L1.  Measured (Zen 4, AVX-512, 10 classes): 16 rows
# beat 32 by ~15% and row-at-a-time by 2x.
cdef enum:
    MN_ROWS = 16


cdef inline void mn_grad_row_vec(const floating_in* e, Py_ssize_t K, floating_in pinv,
                                 int label, floating_in w, floating_out* out) noexcept nogil:
    # out[k] = (e[k] * pinv - [k == label]) * w, k < K, by fl_mn_grad_row_*
    # (AVX-512): the gradient row of the multinomial loss, the bits of
    # multinomial_grad(e[k] * pinv, k == label) * w.  Callers use it only
    # where FL_MN_VEC is 1 and the input and output dtypes agree.
    if floating_in is float and floating_out is float:
        fl_mn_grad_row_f(e, K, pinv, label, w, out)
    elif floating_in is double and floating_out is double:
        fl_mn_grad_row_d(e, K, pinv, label, w, out)


cdef inline Py_ssize_t mn_ix(bint class_major, Py_ssize_t r, Py_ssize_t k,
                             Py_ssize_t K) noexcept nogil:
    # Position of row r, class k in a block of multinomial_rows (x, expo).
    return k * MN_ROWS + r if class_major else r * K + k


cdef inline void mn_sum_lanes_cm(const floating_in* e, Py_ssize_t K,
                                 floating_in* s) noexcept nogil:
    # s[r] = sum_k e[k * MN_ROWS + r] for a class-major block, added in the
    # order of fl_mn_sum_* (multinomial_simd.h) on a row-major row: slot j
    # (j < W, W = 16 float32 / 8 float64 lanes) = e_j + e_{j+W} + ... in that
    # order, then the slots folded in halves, slot j + slot j + h for
    # h = W/2, ..., 1.  The vector code adds +0 for the slots and lanes past
    # K; a sum of exponentials is never -0, so leaving those additions out
    # gives the same bits.  Every step is a loop across the MN_ROWS rows.
    cdef Py_ssize_t W = 16 if floating_in is float else 8
    cdef floating_in sl[16 * MN_ROWS]
    cdef Py_ssize_t j, k, r, h
    cdef Py_ssize_t J = K if K < W else W   # slots holding a class
    for j in range(J):
        for r in range(MN_ROWS):
            sl[j * MN_ROWS + r] = e[j * MN_ROWS + r]
        k = j + W
        while k < K:
            for r in range(MN_ROWS):
                sl[j * MN_ROWS + r] = sl[j * MN_ROWS + r] + e[k * MN_ROWS + r]
            k = k + W
    h = W // 2
    while h >= 1:
        for j in range(J - h):   # slot j + h < J holds a class
            for r in range(MN_ROWS):
                sl[j * MN_ROWS + r] = sl[j * MN_ROWS + r] + sl[(j + h) * MN_ROWS + r]
        if J > h:
            J = h
        h = h // 2
    for r in range(MN_ROWS):
        s[r] = sl[r]


cdef inline void multinomial_rows(
    const floating_in* raw, Py_ssize_t row_stride, Py_ssize_t class_stride,
    Py_ssize_t n_rows, Py_ssize_t n_classes, const int* labels,
    double* loss, floating_in* expo, floating_in* inv, floating_in* xbuf,
    bint class_major, bint lane_order,
) noexcept nogil:
    # For n_rows <= MN_ROWS rows of raw predictions (row r, class k at
    # raw[r * row_stride + k * class_stride]), fill loss[r] = logsumexp(raw_r)
    # - raw_r[label_r] (unweighted) and the softmax in two factors:
    #     softmax(raw_r)[k] = expo[mn_ix(class_major, r, k, n_classes)] * inv[r]
    # (left unmultiplied, so that callers apply inv as they write their
    # outputs instead of in a pass of their own).  labels[r] < 0 (invalid)
    # gives NaN in row r (loss and inv), and raw is then not indexed by it.
    # expo and xbuf hold MN_ROWS * n_classes values, inv MN_ROWS.
    #
    # The block is row-major (MN_ROWS, K) or, with class_major (a constant
    # at each call site), class-major (K, MN_ROWS): the layout that matches
    # the caller's input and outputs.  Class-major makes every step below a
    # contiguous vector operation across the rows; row-major makes the
    # across-row steps strided, but reads C-ordered raw in place.  Where
    # FL_MN_VEC is 1 (AVX-512 builds) the row-major maxima, x - m and sums
    # are done row by row, one masked vector per row (multinomial_simd.h).
    # Each value is computed by the same operations in either layout, except
    # the order of the row sums on the vector row-major path (step 4).  With
    # lane_order (a constant at each call site), class-major blocks on those
    # builds add their sums in that same order (mn_sum_lanes_cm): the loss
    # kernels take row-major blocks for C-ordered raw and class-major ones for
    # F-ordered raw, and both give the same bits.  LinearModelLoss passes
    # False (class order, cheaper; its tiles are always class-major).
    #
    # The compute precision is the input's: float32 input is computed in
    # float32 (16 lanes per AVX-512 vector instead of 8), with fl_expf_nonpos.
    # x - m is then rounded to float32 before the exponential, so a
    # probability far below the largest carries a relative error of about
    # |x - m| * 2^-24: the float32 results are within 4 float32 ulp of
    # max(|value|, 1) of the float64 computation (tests/test_accuracy_ulp.py).
    #
    # Computed as (m - x_label) + log(sum_k exp(x_k - m)) with m = max_k x_k:
    # no exp overflows, the largest term is exp(0) = 1 and the sum is in
    # [1, n_classes].  x_k - m <= 0, so the cheaper xexp_nonpos serves.
    #
    # Every step runs over all MN_ROWS rows with constant trip counts (a short
    # last block is padded with zero rows, whose results are dropped), which
    # is what lets GCC vectorise the maxima and sums across rows.  The same
    # steps run for any layout of raw, so C- and F-ordered input give the
    # same bits.
    cdef Py_ssize_t r, k, j
    cdef Py_ssize_t K = n_classes
    cdef bint cm = class_major
    cdef const floating_in* x
    cdef floating_in v
    cdef floating_in m[MN_ROWS]
    cdef floating_in s[MN_ROWS]
    # 1. x: the rows as a block of the chosen layout.
    if (not cm and class_stride == 1 and row_stride == K and n_rows == MN_ROWS) or (
            cm and row_stride == 1 and class_stride == MN_ROWS and n_rows == MN_ROWS):
        x = raw
    else:
        if cm:
            for k in range(K):
                for r in range(n_rows):
                    xbuf[k * MN_ROWS + r] = raw[r * row_stride + k * class_stride]
                for r in range(n_rows, MN_ROWS):
                    xbuf[k * MN_ROWS + r] = 0.0
        else:
            for r in range(n_rows):
                for k in range(K):
                    xbuf[r * K + k] = raw[r * row_stride + k * class_stride]
            for j in range(n_rows * K, MN_ROWS * K):
                xbuf[j] = 0.0
        x = xbuf
    # 2. Row maxima, and 3a. x - m.
    if FL_MN_VEC and not cm:
        if floating_in is float:
            fl_mn_max_sub_f(x, K, m, expo)
        else:
            fl_mn_max_sub_d(x, K, m, expo)
    else:
        for r in range(MN_ROWS):
            m[r] = x[mn_ix(cm, r, 0, K)]
        for k in range(1, K):
            for r in range(MN_ROWS):
                v = x[mn_ix(cm, r, k, K)]
                m[r] = v if v > m[r] else m[r]
        if cm:
            for k in range(K):
                for r in range(MN_ROWS):
                    expo[k * MN_ROWS + r] = x[k * MN_ROWS + r] - m[r]
        else:
            for r in range(MN_ROWS):
                for k in range(K):
                    expo[r * K + k] = x[r * K + k] - m[r]
    # 3b. Exponentials.
    for j in range(MN_ROWS * K):
        expo[j] = xexp_nonpos(expo[j])
    # 4. Row sums.  On the AVX-512 row-major path in the order of the vector
    # lanes (multinomial_simd.h: slots of W = 16 float / 8 double lanes, then
    # folded in halves), and on AVX-512 class-major blocks with lane_order in
    # the same order (mn_sum_lanes_cm); everywhere else in class order, e_0 + e_1 + ...,
    # which keeps the 16 sums in registers.  (Folds in the lane order through
    # a buffer, to give every build the AVX-512 bits, cost the AVX2 build
    # 0-22% and LinearModelLoss's class-major blocks 3-8%.)  The orders may
    # differ in the last bit; each build gives the same bits for C- and
    # F-ordered raw.
    if FL_MN_VEC and not cm:
        if floating_in is float:
            fl_mn_sum_f(expo, K, s)
        else:
            fl_mn_sum_d(expo, K, s)
    elif FL_MN_VEC and lane_order:
        mn_sum_lanes_cm(expo, K, s)
    else:
        for r in range(MN_ROWS):
            s[r] = expo[mn_ix(cm, r, 0, K)]
        for k in range(1, K):
            for r in range(MN_ROWS):
                s[r] = s[r] + expo[mn_ix(cm, r, k, K)]
    # 5. Losses and 1 / sums (the log and division vectorised across rows).
    for r in range(MN_ROWS):
        inv[r] = 1 / s[r]
        s[r] = xlog(s[r])
    for r in range(n_rows):
        if labels[r] >= 0:
            loss[r] = (m[r] - x[mn_ix(cm, r, labels[r], K)]) + s[r]
        else:
            loss[r] = NAN
            inv[r] = NAN
