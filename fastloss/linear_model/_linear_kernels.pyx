# Generated from _linear_kernels.pyx.tp by setup.py. Do not edit.
# cython: language_level=3
from cython.parallel cimport prange
from libc.stdlib cimport malloc, free
from libc.stdint cimport int32_t, int64_t

from fastloss._kernels._lossmath cimport *


ctypedef fused xfloat:
    float
    double

ctypedef fused index_t:
    int32_t
    int64_t


# Modes (keep in sync with _linear_loss.py).
cdef enum:
    MODE_L = 0
    MODE_G = 1
    MODE_LG = 2
    MODE_GH = 3
    MODE_RAW = 4
    MODE_HP = 5
    N_MODES = 6
    N_KERNELS = 14

MODE_NAMES = {"L": MODE_L, "G": MODE_G, "LG": MODE_LG, "GH": MODE_GH,
              "RAW": MODE_RAW, "HP": MODE_HP}
N_KERNEL_IDS = N_KERNELS
MULTINOMIAL_KERNEL_ID = 13

# Target size of a tile of X (bytes).  A tile is read from memory in phase 1 and
# again, from cache, in phase 3.  Row-major X: small tiles keep the memory
# stream going while phases 2 and 3 run; measured on a Zen 4 at 50 features
# (float64 and float32), ~6.5 KiB tiles are best, 8 KiB ~5% and 32 KiB ~30%
# slower.  Column-major X: a tile is one segment of each column; long segments
# keep the hardware prefetchers efficient (the tile then lives in L2).
cdef enum:
    TILE_BYTES_C = 6656
    TILE_MIN_C = 4
    TILE_MAX_C = 512
    TILE_BYTES_F = 524288
    TILE_MIN_F = 64
    TILE_MAX_F = 4096
    # Sparse tiles: fixed number of rows.
    SPARSE_TILE = 256
    # Minimum rows per chunk (one partial sum per chunk).
    CHUNK_MIN = 2048


# phase 2: y, sw are offset to the tile start; raw, g are class-major tiles
# (K x m, row stride m); h is offset to the tile start (row i at h[i * K]);
# lacc is the chunk's running loss sum; work holds max(m, K) doubles.
ctypedef Py_ssize_t (*sample_fn)(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil

cdef sample_fn FN_TABLE[N_KERNELS * N_MODES * 2]


cdef Py_ssize_t _squared_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = squared_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _squared_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = squared_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _squared_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = squared_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _squared_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = squared_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _squared_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = squared_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _squared_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = squared_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _squared_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = squared_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _squared_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = squared_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0

cdef Py_ssize_t _absolute_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = absolute_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _absolute_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = absolute_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _absolute_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = absolute_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _absolute_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = absolute_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _absolute_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = absolute_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _absolute_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = absolute_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _absolute_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = absolute_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _absolute_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = absolute_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0

cdef Py_ssize_t _pinball_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = pinball_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _pinball_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = pinball_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _pinball_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = pinball_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _pinball_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = pinball_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _pinball_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = pinball_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _pinball_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = pinball_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _pinball_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = pinball_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _pinball_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = pinball_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0

cdef Py_ssize_t _huber_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = huber_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _huber_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = huber_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _huber_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = huber_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _huber_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = huber_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _huber_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = huber_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _huber_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = huber_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _huber_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = huber_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _huber_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = huber_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0

cdef Py_ssize_t _poisson_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _poisson_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _poisson_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _poisson_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _poisson_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _poisson_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _poisson_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _poisson_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0

cdef Py_ssize_t _gamma_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _gamma_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _gamma_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _gamma_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _gamma_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _gamma_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _gamma_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _gamma_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0

cdef Py_ssize_t _tweedie0_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie0_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _tweedie0_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie0_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _tweedie0_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie0_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _tweedie0_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie0_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _tweedie0_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie0_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _tweedie0_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie0_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _tweedie0_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie0_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _tweedie0_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie0_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0

cdef Py_ssize_t _tweedie_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _tweedie_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _tweedie_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _tweedie_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _tweedie_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _tweedie_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _tweedie_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _tweedie_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0

cdef Py_ssize_t _tweedie_identity_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_identity_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _tweedie_identity_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_identity_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _tweedie_identity_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_identity_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _tweedie_identity_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_identity_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _tweedie_identity_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_identity_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _tweedie_identity_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_identity_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _tweedie_identity_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_identity_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _tweedie_identity_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = tweedie_identity_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0

cdef Py_ssize_t _poisson_identity_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_identity_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _poisson_identity_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_identity_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _poisson_identity_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_identity_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _poisson_identity_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_identity_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _poisson_identity_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_identity_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _poisson_identity_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_identity_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _poisson_identity_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_identity_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _poisson_identity_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = poisson_identity_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0

cdef Py_ssize_t _gamma_identity_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_identity_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _gamma_identity_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_identity_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _gamma_identity_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_identity_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _gamma_identity_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_identity_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _gamma_identity_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_identity_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _gamma_identity_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_identity_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _gamma_identity_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_identity_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _gamma_identity_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = gamma_identity_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0

cdef Py_ssize_t _binomial_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = binomial_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _binomial_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = binomial_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _binomial_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = binomial_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _binomial_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = binomial_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _binomial_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = binomial_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _binomial_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = binomial_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _binomial_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = binomial_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _binomial_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = binomial_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0

cdef Py_ssize_t _exponential_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = exponential_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _exponential_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = exponential_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _exponential_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = exponential_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
    return 0

cdef Py_ssize_t _exponential_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = exponential_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
    return 0

cdef Py_ssize_t _exponential_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = exponential_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss
        g[i] = t.grad
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _exponential_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = exponential_lgh(y[i], raw[i], p0, p1)
        work[i] = t.loss * sw[i]
        g[i] = t.grad * sw[i]
    lacc[0] += fl_lm_sum(work, m)
    return 0

cdef Py_ssize_t _exponential_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = exponential_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad
        h[i] = t.hess
    return 0

cdef Py_ssize_t _exponential_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # No reduction inside the loop (an ordered float sum keeps the compiler
    # from vectorising it): the losses go to work[0:m], summed after.  The
    # domain of y is checked once per chunk (_<name>_bad), not here.
    cdef Py_ssize_t i
    cdef lgh_t t
    for i in range(m):
        t = exponential_lgh(y[i], raw[i], p0, p1)
        g[i] = t.grad * sw[i]
        h[i] = t.hess * sw[i]
    return 0


# Domain checks of y, once per chunk: the number of y[0:m] outside the loss's
# domain.  The flags (0.0 / 1.0) go through work (wlen doubles) and are summed
# exactly: an integer count of compares does not vectorise on SSE2.
ctypedef Py_ssize_t (*bad_fn)(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil

cdef bad_fn BAD_TABLE[N_KERNELS]

cdef Py_ssize_t _squared_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if real_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _absolute_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if real_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _pinball_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if real_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _huber_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if real_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _poisson_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if nonnegative_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _gamma_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if positive_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _tweedie0_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if real_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _tweedie_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if tweedie_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _tweedie_identity_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if tweedie_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _poisson_identity_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if nonnegative_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _gamma_identity_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if positive_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _binomial_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if unit_interval_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _exponential_bad(
    const double* y, Py_ssize_t m, double p0, double p1, double* work, Py_ssize_t wlen,
) noexcept nogil:
    cdef Py_ssize_t i, s, e
    cdef Py_ssize_t n_bad = 0
    s = 0
    while s < m:
        e = s + wlen if s + wlen < m else m
        for i in range(e - s):
            work[i] = 1.0 if unit_interval_bad(y[s + i], p0, p1) else 0.0
        n_bad += <Py_ssize_t> fl_lm_sum(work, e - s)
        s = e
    return n_bad

cdef Py_ssize_t _multinomial_L_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef Py_ssize_t n_bad = 0
    cdef int label
    cdef double l
    cdef double acc = lacc[0]
    for i in range(m):
        label = multinomial_label(y[i], K)
        n_bad += label < 0
        l = multinomial_row(&raw[i], m, K, label, work)
        acc = acc + l
    lacc[0] = acc
    return n_bad

cdef Py_ssize_t _multinomial_L_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef Py_ssize_t n_bad = 0
    cdef int label
    cdef double l
    cdef double acc = lacc[0]
    for i in range(m):
        label = multinomial_label(y[i], K)
        n_bad += label < 0
        l = multinomial_row(&raw[i], m, K, label, work)
        acc = acc + l * sw[i]
    lacc[0] = acc
    return n_bad

cdef Py_ssize_t _multinomial_G_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef Py_ssize_t n_bad = 0
    cdef int label
    cdef double l
    for i in range(m):
        label = multinomial_label(y[i], K)
        n_bad += label < 0
        l = multinomial_row(&raw[i], m, K, label, work)
        for k in range(K):
            g[k * m + i] = multinomial_grad(work[k], k == label)
    return n_bad

cdef Py_ssize_t _multinomial_G_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef Py_ssize_t n_bad = 0
    cdef int label
    cdef double l
    for i in range(m):
        label = multinomial_label(y[i], K)
        n_bad += label < 0
        l = multinomial_row(&raw[i], m, K, label, work)
        for k in range(K):
            g[k * m + i] = multinomial_grad(work[k], k == label) * sw[i]
    return n_bad

cdef Py_ssize_t _multinomial_LG_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef Py_ssize_t n_bad = 0
    cdef int label
    cdef double l
    cdef double acc = lacc[0]
    for i in range(m):
        label = multinomial_label(y[i], K)
        n_bad += label < 0
        l = multinomial_row(&raw[i], m, K, label, work)
        acc = acc + l
        for k in range(K):
            g[k * m + i] = multinomial_grad(work[k], k == label)
    lacc[0] = acc
    return n_bad

cdef Py_ssize_t _multinomial_LG_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef Py_ssize_t n_bad = 0
    cdef int label
    cdef double l
    cdef double acc = lacc[0]
    for i in range(m):
        label = multinomial_label(y[i], K)
        n_bad += label < 0
        l = multinomial_row(&raw[i], m, K, label, work)
        acc = acc + l * sw[i]
        for k in range(K):
            g[k * m + i] = multinomial_grad(work[k], k == label) * sw[i]
    lacc[0] = acc
    return n_bad

cdef Py_ssize_t _multinomial_GH_u(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef Py_ssize_t n_bad = 0
    cdef int label
    cdef double l
    for i in range(m):
        label = multinomial_label(y[i], K)
        n_bad += label < 0
        l = multinomial_row(&raw[i], m, K, label, work)
        for k in range(K):
            g[k * m + i] = multinomial_grad(work[k], k == label)
        for k in range(K):
            h[i * K + k] = work[k]
    return n_bad

cdef Py_ssize_t _multinomial_GH_w(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef Py_ssize_t n_bad = 0
    cdef int label
    cdef double l
    for i in range(m):
        label = multinomial_label(y[i], K)
        n_bad += label < 0
        l = multinomial_row(&raw[i], m, K, label, work)
        for k in range(K):
            g[k * m + i] = multinomial_grad(work[k], k == label) * sw[i]
        for k in range(K):
            h[i * K + k] = work[k]
    return n_bad


cdef Py_ssize_t _raw_store(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    cdef Py_ssize_t i, k
    for i in range(m):
        for k in range(K):
            h[i * K + k] = raw[k * m + i]
    return 0


cdef Py_ssize_t _hessp_1d(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # h already holds hess * sw.
    cdef Py_ssize_t i
    for i in range(m):
        g[i] = h[i] * raw[i]
    return 0


cdef Py_ssize_t _hessp_multinomial(
    const double* y, const double* sw, const double* raw, double* g, double* h,
    double* lacc, double* work, Py_ssize_t m, Py_ssize_t K, double p0, double p1,
) noexcept nogil:
    # h holds the probabilities p (row i at h[i * K]); raw = X @ S.T + s_b.
    # Hessian-vector product per sample: p_k * (raw_k - sum_l p_l raw_l) * sw.
    cdef Py_ssize_t i, k
    cdef double s, wi
    for i in range(m):
        s = 0.0
        for k in range(K):
            s = s + h[i * K + k] * raw[k * m + i]
        wi = 1.0 if sw == NULL else sw[i]
        for k in range(K):
            g[k * m + i] = h[i * K + k] * (raw[k * m + i] - s) * wi
    return 0


cdef void _fill_table() noexcept:
    cdef Py_ssize_t kid, j
    for kid in range(N_KERNELS):
        for j in range(2):
            FN_TABLE[(kid * N_MODES + MODE_RAW) * 2 + j] = _raw_store
            FN_TABLE[(kid * N_MODES + MODE_HP) * 2 + j] = (
                _hessp_multinomial if kid == 13 else _hessp_1d)
    FN_TABLE[(0 * N_MODES + MODE_L) * 2 + 0] = _squared_L_u
    FN_TABLE[(0 * N_MODES + MODE_L) * 2 + 1] = _squared_L_w
    FN_TABLE[(0 * N_MODES + MODE_G) * 2 + 0] = _squared_G_u
    FN_TABLE[(0 * N_MODES + MODE_G) * 2 + 1] = _squared_G_w
    FN_TABLE[(0 * N_MODES + MODE_LG) * 2 + 0] = _squared_LG_u
    FN_TABLE[(0 * N_MODES + MODE_LG) * 2 + 1] = _squared_LG_w
    FN_TABLE[(0 * N_MODES + MODE_GH) * 2 + 0] = _squared_GH_u
    FN_TABLE[(0 * N_MODES + MODE_GH) * 2 + 1] = _squared_GH_w
    FN_TABLE[(1 * N_MODES + MODE_L) * 2 + 0] = _absolute_L_u
    FN_TABLE[(1 * N_MODES + MODE_L) * 2 + 1] = _absolute_L_w
    FN_TABLE[(1 * N_MODES + MODE_G) * 2 + 0] = _absolute_G_u
    FN_TABLE[(1 * N_MODES + MODE_G) * 2 + 1] = _absolute_G_w
    FN_TABLE[(1 * N_MODES + MODE_LG) * 2 + 0] = _absolute_LG_u
    FN_TABLE[(1 * N_MODES + MODE_LG) * 2 + 1] = _absolute_LG_w
    FN_TABLE[(1 * N_MODES + MODE_GH) * 2 + 0] = _absolute_GH_u
    FN_TABLE[(1 * N_MODES + MODE_GH) * 2 + 1] = _absolute_GH_w
    FN_TABLE[(2 * N_MODES + MODE_L) * 2 + 0] = _pinball_L_u
    FN_TABLE[(2 * N_MODES + MODE_L) * 2 + 1] = _pinball_L_w
    FN_TABLE[(2 * N_MODES + MODE_G) * 2 + 0] = _pinball_G_u
    FN_TABLE[(2 * N_MODES + MODE_G) * 2 + 1] = _pinball_G_w
    FN_TABLE[(2 * N_MODES + MODE_LG) * 2 + 0] = _pinball_LG_u
    FN_TABLE[(2 * N_MODES + MODE_LG) * 2 + 1] = _pinball_LG_w
    FN_TABLE[(2 * N_MODES + MODE_GH) * 2 + 0] = _pinball_GH_u
    FN_TABLE[(2 * N_MODES + MODE_GH) * 2 + 1] = _pinball_GH_w
    FN_TABLE[(3 * N_MODES + MODE_L) * 2 + 0] = _huber_L_u
    FN_TABLE[(3 * N_MODES + MODE_L) * 2 + 1] = _huber_L_w
    FN_TABLE[(3 * N_MODES + MODE_G) * 2 + 0] = _huber_G_u
    FN_TABLE[(3 * N_MODES + MODE_G) * 2 + 1] = _huber_G_w
    FN_TABLE[(3 * N_MODES + MODE_LG) * 2 + 0] = _huber_LG_u
    FN_TABLE[(3 * N_MODES + MODE_LG) * 2 + 1] = _huber_LG_w
    FN_TABLE[(3 * N_MODES + MODE_GH) * 2 + 0] = _huber_GH_u
    FN_TABLE[(3 * N_MODES + MODE_GH) * 2 + 1] = _huber_GH_w
    FN_TABLE[(4 * N_MODES + MODE_L) * 2 + 0] = _poisson_L_u
    FN_TABLE[(4 * N_MODES + MODE_L) * 2 + 1] = _poisson_L_w
    FN_TABLE[(4 * N_MODES + MODE_G) * 2 + 0] = _poisson_G_u
    FN_TABLE[(4 * N_MODES + MODE_G) * 2 + 1] = _poisson_G_w
    FN_TABLE[(4 * N_MODES + MODE_LG) * 2 + 0] = _poisson_LG_u
    FN_TABLE[(4 * N_MODES + MODE_LG) * 2 + 1] = _poisson_LG_w
    FN_TABLE[(4 * N_MODES + MODE_GH) * 2 + 0] = _poisson_GH_u
    FN_TABLE[(4 * N_MODES + MODE_GH) * 2 + 1] = _poisson_GH_w
    FN_TABLE[(5 * N_MODES + MODE_L) * 2 + 0] = _gamma_L_u
    FN_TABLE[(5 * N_MODES + MODE_L) * 2 + 1] = _gamma_L_w
    FN_TABLE[(5 * N_MODES + MODE_G) * 2 + 0] = _gamma_G_u
    FN_TABLE[(5 * N_MODES + MODE_G) * 2 + 1] = _gamma_G_w
    FN_TABLE[(5 * N_MODES + MODE_LG) * 2 + 0] = _gamma_LG_u
    FN_TABLE[(5 * N_MODES + MODE_LG) * 2 + 1] = _gamma_LG_w
    FN_TABLE[(5 * N_MODES + MODE_GH) * 2 + 0] = _gamma_GH_u
    FN_TABLE[(5 * N_MODES + MODE_GH) * 2 + 1] = _gamma_GH_w
    FN_TABLE[(6 * N_MODES + MODE_L) * 2 + 0] = _tweedie0_L_u
    FN_TABLE[(6 * N_MODES + MODE_L) * 2 + 1] = _tweedie0_L_w
    FN_TABLE[(6 * N_MODES + MODE_G) * 2 + 0] = _tweedie0_G_u
    FN_TABLE[(6 * N_MODES + MODE_G) * 2 + 1] = _tweedie0_G_w
    FN_TABLE[(6 * N_MODES + MODE_LG) * 2 + 0] = _tweedie0_LG_u
    FN_TABLE[(6 * N_MODES + MODE_LG) * 2 + 1] = _tweedie0_LG_w
    FN_TABLE[(6 * N_MODES + MODE_GH) * 2 + 0] = _tweedie0_GH_u
    FN_TABLE[(6 * N_MODES + MODE_GH) * 2 + 1] = _tweedie0_GH_w
    FN_TABLE[(7 * N_MODES + MODE_L) * 2 + 0] = _tweedie_L_u
    FN_TABLE[(7 * N_MODES + MODE_L) * 2 + 1] = _tweedie_L_w
    FN_TABLE[(7 * N_MODES + MODE_G) * 2 + 0] = _tweedie_G_u
    FN_TABLE[(7 * N_MODES + MODE_G) * 2 + 1] = _tweedie_G_w
    FN_TABLE[(7 * N_MODES + MODE_LG) * 2 + 0] = _tweedie_LG_u
    FN_TABLE[(7 * N_MODES + MODE_LG) * 2 + 1] = _tweedie_LG_w
    FN_TABLE[(7 * N_MODES + MODE_GH) * 2 + 0] = _tweedie_GH_u
    FN_TABLE[(7 * N_MODES + MODE_GH) * 2 + 1] = _tweedie_GH_w
    FN_TABLE[(8 * N_MODES + MODE_L) * 2 + 0] = _tweedie_identity_L_u
    FN_TABLE[(8 * N_MODES + MODE_L) * 2 + 1] = _tweedie_identity_L_w
    FN_TABLE[(8 * N_MODES + MODE_G) * 2 + 0] = _tweedie_identity_G_u
    FN_TABLE[(8 * N_MODES + MODE_G) * 2 + 1] = _tweedie_identity_G_w
    FN_TABLE[(8 * N_MODES + MODE_LG) * 2 + 0] = _tweedie_identity_LG_u
    FN_TABLE[(8 * N_MODES + MODE_LG) * 2 + 1] = _tweedie_identity_LG_w
    FN_TABLE[(8 * N_MODES + MODE_GH) * 2 + 0] = _tweedie_identity_GH_u
    FN_TABLE[(8 * N_MODES + MODE_GH) * 2 + 1] = _tweedie_identity_GH_w
    FN_TABLE[(9 * N_MODES + MODE_L) * 2 + 0] = _poisson_identity_L_u
    FN_TABLE[(9 * N_MODES + MODE_L) * 2 + 1] = _poisson_identity_L_w
    FN_TABLE[(9 * N_MODES + MODE_G) * 2 + 0] = _poisson_identity_G_u
    FN_TABLE[(9 * N_MODES + MODE_G) * 2 + 1] = _poisson_identity_G_w
    FN_TABLE[(9 * N_MODES + MODE_LG) * 2 + 0] = _poisson_identity_LG_u
    FN_TABLE[(9 * N_MODES + MODE_LG) * 2 + 1] = _poisson_identity_LG_w
    FN_TABLE[(9 * N_MODES + MODE_GH) * 2 + 0] = _poisson_identity_GH_u
    FN_TABLE[(9 * N_MODES + MODE_GH) * 2 + 1] = _poisson_identity_GH_w
    FN_TABLE[(10 * N_MODES + MODE_L) * 2 + 0] = _gamma_identity_L_u
    FN_TABLE[(10 * N_MODES + MODE_L) * 2 + 1] = _gamma_identity_L_w
    FN_TABLE[(10 * N_MODES + MODE_G) * 2 + 0] = _gamma_identity_G_u
    FN_TABLE[(10 * N_MODES + MODE_G) * 2 + 1] = _gamma_identity_G_w
    FN_TABLE[(10 * N_MODES + MODE_LG) * 2 + 0] = _gamma_identity_LG_u
    FN_TABLE[(10 * N_MODES + MODE_LG) * 2 + 1] = _gamma_identity_LG_w
    FN_TABLE[(10 * N_MODES + MODE_GH) * 2 + 0] = _gamma_identity_GH_u
    FN_TABLE[(10 * N_MODES + MODE_GH) * 2 + 1] = _gamma_identity_GH_w
    FN_TABLE[(11 * N_MODES + MODE_L) * 2 + 0] = _binomial_L_u
    FN_TABLE[(11 * N_MODES + MODE_L) * 2 + 1] = _binomial_L_w
    FN_TABLE[(11 * N_MODES + MODE_G) * 2 + 0] = _binomial_G_u
    FN_TABLE[(11 * N_MODES + MODE_G) * 2 + 1] = _binomial_G_w
    FN_TABLE[(11 * N_MODES + MODE_LG) * 2 + 0] = _binomial_LG_u
    FN_TABLE[(11 * N_MODES + MODE_LG) * 2 + 1] = _binomial_LG_w
    FN_TABLE[(11 * N_MODES + MODE_GH) * 2 + 0] = _binomial_GH_u
    FN_TABLE[(11 * N_MODES + MODE_GH) * 2 + 1] = _binomial_GH_w
    FN_TABLE[(12 * N_MODES + MODE_L) * 2 + 0] = _exponential_L_u
    FN_TABLE[(12 * N_MODES + MODE_L) * 2 + 1] = _exponential_L_w
    FN_TABLE[(12 * N_MODES + MODE_G) * 2 + 0] = _exponential_G_u
    FN_TABLE[(12 * N_MODES + MODE_G) * 2 + 1] = _exponential_G_w
    FN_TABLE[(12 * N_MODES + MODE_LG) * 2 + 0] = _exponential_LG_u
    FN_TABLE[(12 * N_MODES + MODE_LG) * 2 + 1] = _exponential_LG_w
    FN_TABLE[(12 * N_MODES + MODE_GH) * 2 + 0] = _exponential_GH_u
    FN_TABLE[(12 * N_MODES + MODE_GH) * 2 + 1] = _exponential_GH_w
    BAD_TABLE[0] = _squared_bad
    BAD_TABLE[1] = _absolute_bad
    BAD_TABLE[2] = _pinball_bad
    BAD_TABLE[3] = _huber_bad
    BAD_TABLE[4] = _poisson_bad
    BAD_TABLE[5] = _gamma_bad
    BAD_TABLE[6] = _tweedie0_bad
    BAD_TABLE[7] = _tweedie_bad
    BAD_TABLE[8] = _tweedie_identity_bad
    BAD_TABLE[9] = _poisson_identity_bad
    BAD_TABLE[10] = _gamma_identity_bad
    BAD_TABLE[11] = _binomial_bad
    BAD_TABLE[12] = _exponential_bad
    # multinomial: the sample functions count invalid labels themselves
    BAD_TABLE[13] = NULL
    FN_TABLE[(13 * N_MODES + MODE_L) * 2 + 0] = _multinomial_L_u
    FN_TABLE[(13 * N_MODES + MODE_L) * 2 + 1] = _multinomial_L_w
    FN_TABLE[(13 * N_MODES + MODE_G) * 2 + 0] = _multinomial_G_u
    FN_TABLE[(13 * N_MODES + MODE_G) * 2 + 1] = _multinomial_G_w
    FN_TABLE[(13 * N_MODES + MODE_LG) * 2 + 0] = _multinomial_LG_u
    FN_TABLE[(13 * N_MODES + MODE_LG) * 2 + 1] = _multinomial_LG_w
    FN_TABLE[(13 * N_MODES + MODE_GH) * 2 + 0] = _multinomial_GH_u
    FN_TABLE[(13 * N_MODES + MODE_GH) * 2 + 1] = _multinomial_GH_w


_fill_table()


# ---------------------------------------------------------------------------
# Phases 1 and 3 for dense X: C code with SIMD dispatch.
#
# Two builds of the same loops, chosen at run time (set_simd_level):
#   0  baseline: GCC/Clang vector extensions of the target's native width
#      (SSE2 on x86-64, NEON on ARM; plain C for other compilers), multiply
#      then add.  Dot products keep 8 partial sums per row (lane l takes
#      j = l mod 8 below n - n % 8), added in a fixed tree, plus the sequential
#      sum of the tail; axpys update each element of acc row by row.
#   1  AVX2 + FMA (x86-64 CPUs that have them): intrinsics, one 4-lane
#      accumulator per row with fused multiply-adds, the tail by a masked load.
# The order of every sum is fixed in the source, so each build gives the same
# bits for any grouping of rows into tiles and any number of threads; the two
# builds round differently from each other (FMA), by ~1 ulp per operation.
# ---------------------------------------------------------------------------

cdef extern from *:
    """
    #include <string.h>

    #if (defined(__GNUC__) || defined(__clang__))
    #define FL_LM_VEC 1
    /* Vectors of the target's native width only: GCC spills wider generic
       vectors to the stack. */
    typedef double fl_lm_v2d __attribute__((vector_size(16)));
    typedef double fl_lm_v2du __attribute__((vector_size(16), aligned(8), __may_alias__));
    typedef float fl_lm_v2fu __attribute__((vector_size(8), aligned(4), __may_alias__));
    typedef double fl_lm_v4d __attribute__((vector_size(32)));
    typedef double fl_lm_v4du __attribute__((vector_size(32), aligned(8), __may_alias__));
    typedef float fl_lm_v4fu __attribute__((vector_size(16), aligned(4), __may_alias__));
    #define FL_LM_LD2_double(p) (*(const fl_lm_v2du*)(p))
    #define FL_LM_LD2_float(p) __builtin_convertvector(*(const fl_lm_v2fu*)(p), fl_lm_v2d)
    #define FL_LM_LD4_double(p) (*(const fl_lm_v4du*)(p))
    #define FL_LM_LD4_float(p) __builtin_convertvector(*(const fl_lm_v4fu*)(p), fl_lm_v4d)
    #endif

    #if defined(FL_LM_VEC) && (defined(__x86_64__) || defined(__i386__)) \\
        && !defined(FASTLOSS_NO_SIMD_DISPATCH)
    #define FL_LM_X86 1
    #endif

    /* The 8 lanes of a dot product, added in one fixed order. */
    #define FL_LM_HSUM8(l0, l1, l2, l3, l4, l5, l6, l7) \\
        ((((l0) + (l1)) + ((l2) + (l3))) + (((l4) + (l5)) + ((l6) + (l7))))

    /* Dot products of G vectors x + r rs (r < G) of length n with w:
       fl_lm_dotg_<T>_<SUF>(x, rs, w, n, out), and of one: fl_lm_dot1_<T>_<SUF>.
       Lane l sums the products j = l mod 8 for j < n - n % 8 in order; the
       result is the lanes' fixed-order sum plus the sequential sum of the
       tail.  Same bits for every width, group size and build. */

    #ifdef FL_LM_VEC
    /* 2-wide vectors (SSE2, NEON): four vectors per 8 lanes, G = 2 rows. */
    #define FL_LM_DOTS_W2(T, SUF, ATTR) \\
    static ATTR inline void fl_lm_dotg_##T##_##SUF( \\
        const T* x, Py_ssize_t rs, const double* w, Py_ssize_t n, double* out) \\
    { \\
        fl_lm_v2d a0 = {0}, b0 = {0}, c0 = {0}, e0 = {0}; \\
        fl_lm_v2d a1 = {0}, b1 = {0}, c1 = {0}, e1 = {0}; \\
        double t0 = 0.0, t1 = 0.0; \\
        const T* x1 = x + rs; \\
        Py_ssize_t j, n8 = n - n % 8; \\
        for (j = 0; j < n8; j += 8) { \\
            fl_lm_v2d wa = FL_LM_LD2_double(w + j); \\
            fl_lm_v2d wb = FL_LM_LD2_double(w + j + 2); \\
            fl_lm_v2d wc = FL_LM_LD2_double(w + j + 4); \\
            fl_lm_v2d we = FL_LM_LD2_double(w + j + 6); \\
            a0 += FL_LM_LD2_##T(x + j) * wa; b0 += FL_LM_LD2_##T(x + j + 2) * wb; \\
            c0 += FL_LM_LD2_##T(x + j + 4) * wc; e0 += FL_LM_LD2_##T(x + j + 6) * we; \\
            a1 += FL_LM_LD2_##T(x1 + j) * wa; b1 += FL_LM_LD2_##T(x1 + j + 2) * wb; \\
            c1 += FL_LM_LD2_##T(x1 + j + 4) * wc; e1 += FL_LM_LD2_##T(x1 + j + 6) * we; \\
        } \\
        for (; j < n; j++) { \\
            t0 += (double)x[j] * w[j]; t1 += (double)x1[j] * w[j]; \\
        } \\
        out[0] = FL_LM_HSUM8(a0[0], a0[1], b0[0], b0[1], c0[0], c0[1], e0[0], e0[1]) + t0; \\
        out[1] = FL_LM_HSUM8(a1[0], a1[1], b1[0], b1[1], c1[0], c1[1], e1[0], e1[1]) + t1; \\
    } \\
    static ATTR inline double fl_lm_dot1_##T##_##SUF( \\
        const T* x, const double* w, Py_ssize_t n) \\
    { \\
        fl_lm_v2d a0 = {0}, b0 = {0}, c0 = {0}, e0 = {0}; \\
        double t0 = 0.0; \\
        Py_ssize_t j, n8 = n - n % 8; \\
        for (j = 0; j < n8; j += 8) { \\
            a0 += FL_LM_LD2_##T(x + j) * FL_LM_LD2_double(w + j); \\
            b0 += FL_LM_LD2_##T(x + j + 2) * FL_LM_LD2_double(w + j + 2); \\
            c0 += FL_LM_LD2_##T(x + j + 4) * FL_LM_LD2_double(w + j + 4); \\
            e0 += FL_LM_LD2_##T(x + j + 6) * FL_LM_LD2_double(w + j + 6); \\
        } \\
        for (; j < n; j++) \\
            t0 += (double)x[j] * w[j]; \\
        return FL_LM_HSUM8(a0[0], a0[1], b0[0], b0[1], c0[0], c0[1], e0[0], e0[1]) + t0; \\
    } \\
    /* one x against 2 weight vectors w, w + ws: out[q] = dot1(x, w + q ws) */ \\
    static ATTR inline void fl_lm_dotw_##T##_##SUF( \\
        const T* x, const double* w, Py_ssize_t ws, Py_ssize_t n, double* out) \\
    { \\
        fl_lm_v2d a0 = {0}, b0 = {0}, c0 = {0}, e0 = {0}; \\
        fl_lm_v2d a1 = {0}, b1 = {0}, c1 = {0}, e1 = {0}; \\
        double t0 = 0.0, t1 = 0.0; \\
        const double* w1 = w + ws; \\
        Py_ssize_t j, n8 = n - n % 8; \\
        for (j = 0; j < n8; j += 8) { \\
            fl_lm_v2d xa = FL_LM_LD2_##T(x + j), xb = FL_LM_LD2_##T(x + j + 2); \\
            fl_lm_v2d xc = FL_LM_LD2_##T(x + j + 4), xe = FL_LM_LD2_##T(x + j + 6); \\
            a0 += xa * FL_LM_LD2_double(w + j); b0 += xb * FL_LM_LD2_double(w + j + 2); \\
            c0 += xc * FL_LM_LD2_double(w + j + 4); e0 += xe * FL_LM_LD2_double(w + j + 6); \\
            a1 += xa * FL_LM_LD2_double(w1 + j); b1 += xb * FL_LM_LD2_double(w1 + j + 2); \\
            c1 += xc * FL_LM_LD2_double(w1 + j + 4); e1 += xe * FL_LM_LD2_double(w1 + j + 6); \\
        } \\
        for (; j < n; j++) { \\
            t0 += (double)x[j] * w[j]; t1 += (double)x[j] * w1[j]; \\
        } \\
        out[0] = FL_LM_HSUM8(a0[0], a0[1], b0[0], b0[1], c0[0], c0[1], e0[0], e0[1]) + t0; \\
        out[1] = FL_LM_HSUM8(a1[0], a1[1], b1[0], b1[1], c1[0], c1[1], e1[0], e1[1]) + t1; \\
    }

    #endif

    /* Plain C (other compilers), G = 1 row. */
    #define FL_LM_DOTS_C(T, SUF, ATTR) \\
    static inline double fl_lm_dot1_##T##_##SUF( \\
        const T* x, const double* w, Py_ssize_t n) \\
    { \\
        double a[8]; \\
        double t = 0.0; \\
        Py_ssize_t j, l, n8 = n - n % 8; \\
        memset(a, 0, sizeof(a)); \\
        for (j = 0; j < n8; j += 8) \\
            for (l = 0; l < 8; l++) \\
                a[l] += (double)x[j + l] * w[j + l]; \\
        for (j = n8; j < n; j++) \\
            t += (double)x[j] * w[j]; \\
        return FL_LM_HSUM8(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]) + t; \\
    } \\
    static inline void fl_lm_dotg_##T##_##SUF( \\
        const T* x, Py_ssize_t rs, const double* w, Py_ssize_t n, double* out) \\
    { \\
        out[0] = fl_lm_dot1_##T##_##SUF(x, w, n); \\
    } \\
    static inline void fl_lm_dotw_##T##_##SUF( \\
        const T* x, const double* w, Py_ssize_t ws, Py_ssize_t n, double* out) \\
    { \\
        out[0] = fl_lm_dot1_##T##_##SUF(x, w, n); \\
    }

    /* sum of v[0:n] with the same 8-lane structure (baseline build) */
    static inline double fl_lm_sum(const double* v, Py_ssize_t n) {
    #ifdef FL_LM_VEC
        fl_lm_v2d a = {0}, b = {0}, c = {0}, e = {0};
        double t = 0.0;
        Py_ssize_t j, n8 = n - n % 8;
        for (j = 0; j < n8; j += 8) {
            a += FL_LM_LD2_double(v + j);
            b += FL_LM_LD2_double(v + j + 2);
            c += FL_LM_LD2_double(v + j + 4);
            e += FL_LM_LD2_double(v + j + 6);
        }
        for (; j < n; j++)
            t += v[j];
        return FL_LM_HSUM8(a[0], a[1], b[0], b[1], c[0], c[1], e[0], e[1]) + t;
    #else
        double a[8];
        double t = 0.0;
        Py_ssize_t j, l, n8 = n - n % 8;
        memset(a, 0, sizeof(a));
        for (j = 0; j < n8; j += 8)
            for (l = 0; l < 8; l++)
                a[l] += v[j + l];
        for (j = n8; j < n; j++)
            t += v[j];
        return FL_LM_HSUM8(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]) + t;
    #endif
    }

    /* Row-major phase 3: acc[k, :d] += sum_i g[k, i] X[s + i],
       acc[k, d] += sum_i g[k, i] (X rows in cache).  Rows are added in groups
       of 4 from the start of the tile, then one by one (same bits as one by
       one: each element of acc is updated row after row). */
    #define FL_LM_PHASE3C(T, SUF, ATTR) \\
    static ATTR void fl_lm_phase3_c_##T##_##SUF( \\
        const T* X, Py_ssize_t rs, Py_ssize_t s, Py_ssize_t m, Py_ssize_t d, \\
        Py_ssize_t K, const double* g, double* acc) \\
    { \\
        Py_ssize_t i, k; \\
        for (k = 0; k < K; k++) { \\
            const double* gk = g + k * m; \\
            double* ak = acc + k * (d + 1); \\
            for (i = 0; i + 4 <= m; i += 4) \\
                fl_lm_axpy4_##T##_##SUF(gk + i, X + (s + i) * rs, rs, ak, d); \\
            for (; i < m; i++) \\
                fl_lm_axpy1_##T##_##SUF(gk[i], X + (s + i) * rs, ak, d); \\
            ak[d] += fl_lm_sum(gk, m); \\
        } \\
    }

    /* The phases, for dot products in groups of G rows (or columns). */
    #define FL_LM_PHASES(T, SUF, ATTR, DOTS, G, GW) \\
    DOTS(T, SUF, ATTR) \\
    /* raw[k, i] = X[s + i] . W[k] + b[k]; X row-major (row stride rs) */ \\
    static ATTR void fl_lm_phase1_c_##T##_##SUF( \\
        const T* X, Py_ssize_t rs, Py_ssize_t s, Py_ssize_t m, Py_ssize_t d, \\
        Py_ssize_t K, const double* W, const double* b, double* raw) \\
    { \\
        /* One row at a time: interleaving the loads of several rows from \\
           memory defeats the hardware prefetchers (measured: 2 rows ~10%, \\
           8 rows ~75% slower than 1 on a Zen 4). */ \\
        /* Classes in groups of GW (the row is loaded once per group). */ \\
        Py_ssize_t i, k, q; \\
        double out[4]; \\
        for (i = 0; i < m; i++) { \\
            const T* xi = X + (s + i) * rs; \\
            for (k = 0; k + GW <= K && GW > 1; k += GW) { \\
                fl_lm_dotw_##T##_##SUF(xi, W + k * d, d, d, out); \\
                for (q = 0; q < GW; q++) \\
                    raw[(k + q) * m + i] = out[q] + b[k + q]; \\
            } \\
            for (; k < K; k++) \\
                raw[k * m + i] = fl_lm_dot1_##T##_##SUF(xi, W + k * d, d) + b[k]; \\
        } \\
    } \\
    /* acc[:d] += g_r X[row r] for 4 rows (x0, x0 + rs, ...), or 1; each \\
       element updated row by row */ \\
    static ATTR inline void fl_lm_axpy4_##T##_##SUF( \\
        const double* gg, const T* x0, Py_ssize_t rs, double* ak, Py_ssize_t d) \\
    { \\
        const T* x1 = x0 + rs; \\
        const T* x2 = x1 + rs; \\
        const T* x3 = x2 + rs; \\
        double g0 = gg[0], g1 = gg[1], g2 = gg[2], g3 = gg[3]; \\
        Py_ssize_t j; \\
        for (j = 0; j < d; j++) \\
            ak[j] = (((ak[j] + g0 * (double)x0[j]) + g1 * (double)x1[j]) \\
                     + g2 * (double)x2[j]) + g3 * (double)x3[j]; \\
    } \\
    static ATTR inline void fl_lm_axpy1_##T##_##SUF( \\
        double g0, const T* x0, double* ak, Py_ssize_t d) \\
    { \\
        Py_ssize_t j; \\
        for (j = 0; j < d; j++) \\
            ak[j] = ak[j] + g0 * (double)x0[j]; \\
    } \\
    FL_LM_PHASE3C(T, SUF, ATTR) \\
    /* the same for column-major X (column stride cs) */ \\
    static ATTR void fl_lm_phase1_f_##T##_##SUF( \\
        const T* X, Py_ssize_t cs, Py_ssize_t s, Py_ssize_t m, Py_ssize_t d, \\
        Py_ssize_t K, const double* W, const double* b, double* raw) \\
    { \\
        Py_ssize_t i, j, k; \\
        for (k = 0; k < K; k++) { \\
            double* r = raw + k * m; \\
            const double* wk = W + k * d; \\
            double bk = b[k]; \\
            for (i = 0; i < m; i++) \\
                r[i] = 0.0; \\
            for (j = 0; j + 4 <= d; j += 4) { \\
                const T* x0 = X + j * cs + s; \\
                const T* x1 = x0 + cs; \\
                const T* x2 = x1 + cs; \\
                const T* x3 = x2 + cs; \\
                double w0 = wk[j], w1 = wk[j + 1], w2 = wk[j + 2], w3 = wk[j + 3]; \\
                for (i = 0; i < m; i++) \\
                    r[i] = (((r[i] + (double)x0[i] * w0) + (double)x1[i] * w1) \\
                            + (double)x2[i] * w2) + (double)x3[i] * w3; \\
            } \\
            for (; j < d; j++) { \\
                const T* x0 = X + j * cs + s; \\
                double w0 = wk[j]; \\
                for (i = 0; i < m; i++) \\
                    r[i] = r[i] + (double)x0[i] * w0; \\
            } \\
            for (i = 0; i < m; i++) \\
                r[i] = r[i] + bk; \\
        } \\
    } \\
    static ATTR void fl_lm_phase3_f_##T##_##SUF( \\
        const T* X, Py_ssize_t cs, Py_ssize_t s, Py_ssize_t m, Py_ssize_t d, \\
        Py_ssize_t K, const double* g, double* acc) \\
    { \\
        Py_ssize_t j, k, r; \\
        double out[4]; \\
        for (k = 0; k < K; k++) { \\
            const double* gk = g + k * m; \\
            double* ak = acc + k * (d + 1); \\
            for (j = 0; j + G <= d; j += G) { \\
                fl_lm_dotg_##T##_##SUF(X + j * cs + s, cs, gk, m, out); \\
                for (r = 0; r < G; r++) \\
                    ak[j + r] += out[r]; \\
            } \\
            for (; j < d; j++) \\
                ak[j] += fl_lm_dot1_##T##_##SUF(X + j * cs + s, gk, m); \\
            ak[d] += fl_lm_sum(gk, m); \\
        } \\
    }

    #ifdef FL_LM_VEC
    FL_LM_PHASES(double, base, , FL_LM_DOTS_W2, 2, 2)
    FL_LM_PHASES(float, base, , FL_LM_DOTS_W2, 2, 2)
    #else
    FL_LM_PHASES(double, base, , FL_LM_DOTS_C, 1, 1)
    FL_LM_PHASES(float, base, , FL_LM_DOTS_C, 1, 1)
    #endif
    #ifdef FL_LM_X86
    /* AVX2 + FMA build (run-time dispatch), with intrinsics.  One 4-lane
       accumulator per row (lane l: j = l mod 4, the tail by a masked load),
       fused multiply-adds, lanes added as (l0 + l1) + (l2 + l3): a row's
       result does not depend on how rows are grouped.  The axpys update each
       element of acc row by row with fused multiply-adds. */
    #include <immintrin.h>
    #define FL_LM_AVX2 __attribute__((target("avx2,fma")))

    static const long long fl_lm_mask64[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
    static const int fl_lm_mask32[8] = {-1, -1, -1, -1, 0, 0, 0, 0};

    static FL_LM_AVX2 inline __m256d fl_lm_ld_double(const double* p) {
        return _mm256_loadu_pd(p);
    }
    static FL_LM_AVX2 inline __m256d fl_lm_ld_float(const float* p) {
        return _mm256_cvtps_pd(_mm_loadu_ps(p));
    }
    /* the first r < 4 elements, zeros after (nothing read beyond them) */
    static FL_LM_AVX2 inline __m256d fl_lm_ldr_double(const double* p, Py_ssize_t r) {
        return _mm256_maskload_pd(p, _mm256_loadu_si256((const __m256i*)(fl_lm_mask64 + 4 - r)));
    }
    static FL_LM_AVX2 inline __m256d fl_lm_ldr_float(const float* p, Py_ssize_t r) {
        return _mm256_cvtps_pd(
            _mm_maskload_ps(p, _mm_loadu_si128((const __m128i*)(fl_lm_mask32 + 4 - r))));
    }
    /* [hsum(a0), hsum(a1), hsum(a2), hsum(a3)], hsum(a) = (a0 + a1) + (a2 + a3) */
    static FL_LM_AVX2 inline __m256d fl_lm_hsum4(__m256d a0, __m256d a1, __m256d a2, __m256d a3) {
        __m256d t0 = _mm256_hadd_pd(a0, a1);
        __m256d t1 = _mm256_hadd_pd(a2, a3);
        return _mm256_add_pd(_mm256_permute2f128_pd(t0, t1, 0x20),
                             _mm256_permute2f128_pd(t0, t1, 0x31));
    }
    static FL_LM_AVX2 inline double fl_lm_hsum1(__m256d a) {
        __m128d lo = _mm256_castpd256_pd128(a);
        __m128d hi = _mm256_extractf128_pd(a, 1);
        return _mm_cvtsd_f64(_mm_add_sd(_mm_hadd_pd(lo, lo), _mm_hadd_pd(hi, hi)));
    }

    #define FL_LM_AVX2_PHASES(T) \\
    /* 8 lanes per vector: a (j = 0..3 mod 8) and c (j = 4..7 mod 8); the \\
       tail goes to the lanes of its position (masked loads). */ \\
    static FL_LM_AVX2 inline double fl_lm_dot1_##T##_avx2( \\
        const T* x, const double* w, Py_ssize_t n) \\
    { \\
        __m256d a = _mm256_setzero_pd(), c = a; \\
        Py_ssize_t j, n8 = n - n % 8, r = n % 8; \\
        for (j = 0; j < n8; j += 8) { \\
            a = _mm256_fmadd_pd(fl_lm_ld_##T(x + j), _mm256_loadu_pd(w + j), a); \\
            c = _mm256_fmadd_pd(fl_lm_ld_##T(x + j + 4), _mm256_loadu_pd(w + j + 4), c); \\
        } \\
        if (r >= 4) { \\
            a = _mm256_fmadd_pd(fl_lm_ld_##T(x + j), _mm256_loadu_pd(w + j), a); \\
            if (r > 4) \\
                c = _mm256_fmadd_pd(fl_lm_ldr_##T(x + j + 4, r - 4), \\
                                    fl_lm_ldr_double(w + j + 4, r - 4), c); \\
        } else if (r > 0) { \\
            a = _mm256_fmadd_pd(fl_lm_ldr_##T(x + j, r), fl_lm_ldr_double(w + j, r), a); \\
        } \\
        return fl_lm_hsum1(a) + fl_lm_hsum1(c); \\
    } \\
    /* the same for 4 vectors x + q rs (columns of F-ordered X, in cache) */ \\
    static FL_LM_AVX2 inline void fl_lm_dot4_##T##_avx2( \\
        const T* x, Py_ssize_t rs, const double* w, Py_ssize_t n, double* out) \\
    { \\
        __m256d a0 = _mm256_setzero_pd(), c0 = a0, a1 = a0, c1 = a0; \\
        __m256d a2 = a0, c2 = a0, a3 = a0, c3 = a0, wa, wc; \\
        const T* x1 = x + rs; \\
        const T* x2 = x1 + rs; \\
        const T* x3 = x2 + rs; \\
        Py_ssize_t j, n8 = n - n % 8, r = n % 8; \\
        for (j = 0; j < n8; j += 8) { \\
            wa = _mm256_loadu_pd(w + j); \\
            wc = _mm256_loadu_pd(w + j + 4); \\
            a0 = _mm256_fmadd_pd(fl_lm_ld_##T(x + j), wa, a0); \\
            c0 = _mm256_fmadd_pd(fl_lm_ld_##T(x + j + 4), wc, c0); \\
            a1 = _mm256_fmadd_pd(fl_lm_ld_##T(x1 + j), wa, a1); \\
            c1 = _mm256_fmadd_pd(fl_lm_ld_##T(x1 + j + 4), wc, c1); \\
            a2 = _mm256_fmadd_pd(fl_lm_ld_##T(x2 + j), wa, a2); \\
            c2 = _mm256_fmadd_pd(fl_lm_ld_##T(x2 + j + 4), wc, c2); \\
            a3 = _mm256_fmadd_pd(fl_lm_ld_##T(x3 + j), wa, a3); \\
            c3 = _mm256_fmadd_pd(fl_lm_ld_##T(x3 + j + 4), wc, c3); \\
        } \\
        if (r > 0) { \\
            Py_ssize_t ra = r < 4 ? r : 4; \\
            wa = fl_lm_ldr_double(w + j, ra); \\
            a0 = _mm256_fmadd_pd(fl_lm_ldr_##T(x + j, ra), wa, a0); \\
            a1 = _mm256_fmadd_pd(fl_lm_ldr_##T(x1 + j, ra), wa, a1); \\
            a2 = _mm256_fmadd_pd(fl_lm_ldr_##T(x2 + j, ra), wa, a2); \\
            a3 = _mm256_fmadd_pd(fl_lm_ldr_##T(x3 + j, ra), wa, a3); \\
            if (r > 4) { \\
                wc = fl_lm_ldr_double(w + j + 4, r - 4); \\
                c0 = _mm256_fmadd_pd(fl_lm_ldr_##T(x + j + 4, r - 4), wc, c0); \\
                c1 = _mm256_fmadd_pd(fl_lm_ldr_##T(x1 + j + 4, r - 4), wc, c1); \\
                c2 = _mm256_fmadd_pd(fl_lm_ldr_##T(x2 + j + 4, r - 4), wc, c2); \\
                c3 = _mm256_fmadd_pd(fl_lm_ldr_##T(x3 + j + 4, r - 4), wc, c3); \\
            } \\
        } \\
        _mm256_storeu_pd(out, _mm256_add_pd(fl_lm_hsum4(a0, a1, a2, a3), \\
                                            fl_lm_hsum4(c0, c1, c2, c3))); \\
    } \\
    /* one x against 4 weight vectors w + q ws: out[q] = dot1(x, w + q ws) */ \\
    static FL_LM_AVX2 inline void fl_lm_dotw4_##T##_avx2( \\
        const T* x, const double* w, Py_ssize_t ws, Py_ssize_t n, double* out) \\
    { \\
        __m256d a0 = _mm256_setzero_pd(), c0 = a0, a1 = a0, c1 = a0; \\
        __m256d a2 = a0, c2 = a0, a3 = a0, c3 = a0, xa, xc; \\
        const double* w1 = w + ws; \\
        const double* w2 = w1 + ws; \\
        const double* w3 = w2 + ws; \\
        Py_ssize_t j, n8 = n - n % 8, r = n % 8; \\
        for (j = 0; j < n8; j += 8) { \\
            xa = fl_lm_ld_##T(x + j); \\
            xc = fl_lm_ld_##T(x + j + 4); \\
            a0 = _mm256_fmadd_pd(xa, _mm256_loadu_pd(w + j), a0); \\
            c0 = _mm256_fmadd_pd(xc, _mm256_loadu_pd(w + j + 4), c0); \\
            a1 = _mm256_fmadd_pd(xa, _mm256_loadu_pd(w1 + j), a1); \\
            c1 = _mm256_fmadd_pd(xc, _mm256_loadu_pd(w1 + j + 4), c1); \\
            a2 = _mm256_fmadd_pd(xa, _mm256_loadu_pd(w2 + j), a2); \\
            c2 = _mm256_fmadd_pd(xc, _mm256_loadu_pd(w2 + j + 4), c2); \\
            a3 = _mm256_fmadd_pd(xa, _mm256_loadu_pd(w3 + j), a3); \\
            c3 = _mm256_fmadd_pd(xc, _mm256_loadu_pd(w3 + j + 4), c3); \\
        } \\
        if (r > 0) { \\
            Py_ssize_t ra = r < 4 ? r : 4; \\
            xa = fl_lm_ldr_##T(x + j, ra); \\
            a0 = _mm256_fmadd_pd(xa, fl_lm_ldr_double(w + j, ra), a0); \\
            a1 = _mm256_fmadd_pd(xa, fl_lm_ldr_double(w1 + j, ra), a1); \\
            a2 = _mm256_fmadd_pd(xa, fl_lm_ldr_double(w2 + j, ra), a2); \\
            a3 = _mm256_fmadd_pd(xa, fl_lm_ldr_double(w3 + j, ra), a3); \\
            if (r > 4) { \\
                xc = fl_lm_ldr_##T(x + j + 4, r - 4); \\
                c0 = _mm256_fmadd_pd(xc, fl_lm_ldr_double(w + j + 4, r - 4), c0); \\
                c1 = _mm256_fmadd_pd(xc, fl_lm_ldr_double(w1 + j + 4, r - 4), c1); \\
                c2 = _mm256_fmadd_pd(xc, fl_lm_ldr_double(w2 + j + 4, r - 4), c2); \\
                c3 = _mm256_fmadd_pd(xc, fl_lm_ldr_double(w3 + j + 4, r - 4), c3); \\
            } \\
        } \\
        _mm256_storeu_pd(out, _mm256_add_pd(fl_lm_hsum4(a0, a1, a2, a3), \\
                                            fl_lm_hsum4(c0, c1, c2, c3))); \\
    } \\
    static FL_LM_AVX2 void fl_lm_phase1_c_##T##_avx2( \\
        const T* X, Py_ssize_t rs, Py_ssize_t s, Py_ssize_t m, Py_ssize_t d, \\
        Py_ssize_t K, const double* W, const double* b, double* raw) \\
    { \\
        /* one row at a time (see the baseline build), classes by 4 */ \\
        Py_ssize_t i, k, q; \\
        double out[4]; \\
        for (i = 0; i < m; i++) { \\
            const T* xi = X + (s + i) * rs; \\
            for (k = 0; k + 4 <= K; k += 4) { \\
                fl_lm_dotw4_##T##_avx2(xi, W + k * d, d, d, out); \\
                for (q = 0; q < 4; q++) \\
                    raw[(k + q) * m + i] = out[q] + b[k + q]; \\
            } \\
            for (; k < K; k++) \\
                raw[k * m + i] = fl_lm_dot1_##T##_avx2(xi, W + k * d, d) + b[k]; \\
        } \\
    } \\
    static FL_LM_AVX2 inline void fl_lm_axpy4_##T##_avx2( \\
        const double* gg, const T* x0, Py_ssize_t rs, double* ak, Py_ssize_t d) \\
    { \\
        const T* x1 = x0 + rs; \\
        const T* x2 = x1 + rs; \\
        const T* x3 = x2 + rs; \\
        __m256d g0 = _mm256_set1_pd(gg[0]), g1 = _mm256_set1_pd(gg[1]); \\
        __m256d g2 = _mm256_set1_pd(gg[2]), g3 = _mm256_set1_pd(gg[3]); \\
        Py_ssize_t j, d4 = d - d % 4; \\
        for (j = 0; j < d4; j += 4) { \\
            __m256d a = _mm256_loadu_pd(ak + j); \\
            a = _mm256_fmadd_pd(g0, fl_lm_ld_##T(x0 + j), a); \\
            a = _mm256_fmadd_pd(g1, fl_lm_ld_##T(x1 + j), a); \\
            a = _mm256_fmadd_pd(g2, fl_lm_ld_##T(x2 + j), a); \\
            a = _mm256_fmadd_pd(g3, fl_lm_ld_##T(x3 + j), a); \\
            _mm256_storeu_pd(ak + j, a); \\
        } \\
        for (; j < d; j++) { \\
            double a = ak[j]; \\
            a = __builtin_fma(gg[0], (double)x0[j], a); \\
            a = __builtin_fma(gg[1], (double)x1[j], a); \\
            a = __builtin_fma(gg[2], (double)x2[j], a); \\
            a = __builtin_fma(gg[3], (double)x3[j], a); \\
            ak[j] = a; \\
        } \\
    } \\
    static FL_LM_AVX2 inline void fl_lm_axpy1_##T##_avx2( \\
        double g, const T* x0, double* ak, Py_ssize_t d) \\
    { \\
        __m256d g0 = _mm256_set1_pd(g); \\
        Py_ssize_t j, d4 = d - d % 4; \\
        for (j = 0; j < d4; j += 4) \\
            _mm256_storeu_pd(ak + j, _mm256_fmadd_pd(g0, fl_lm_ld_##T(x0 + j), \\
                                                     _mm256_loadu_pd(ak + j))); \\
        for (; j < d; j++) \\
            ak[j] = __builtin_fma(g, (double)x0[j], ak[j]); \\
    } \\
    FL_LM_PHASE3C(T, avx2, FL_LM_AVX2) \\
    static FL_LM_AVX2 void fl_lm_phase1_f_##T##_avx2( \\
        const T* X, Py_ssize_t cs, Py_ssize_t s, Py_ssize_t m, Py_ssize_t d, \\
        Py_ssize_t K, const double* W, const double* b, double* raw) \\
    { \\
        Py_ssize_t i, j, k; \\
        Py_ssize_t m4 = m - m % 4; \\
        for (k = 0; k < K; k++) { \\
            double* r = raw + k * m; \\
            const double* wk = W + k * d; \\
            for (i = 0; i < m; i++) \\
                r[i] = 0.0; \\
            for (j = 0; j + 4 <= d; j += 4) { \\
                const T* x0 = X + j * cs + s; \\
                const T* x1 = x0 + cs; \\
                const T* x2 = x1 + cs; \\
                const T* x3 = x2 + cs; \\
                __m256d w0 = _mm256_set1_pd(wk[j]), w1 = _mm256_set1_pd(wk[j + 1]); \\
                __m256d w2 = _mm256_set1_pd(wk[j + 2]), w3 = _mm256_set1_pd(wk[j + 3]); \\
                for (i = 0; i < m4; i += 4) { \\
                    __m256d a = _mm256_loadu_pd(r + i); \\
                    a = _mm256_fmadd_pd(fl_lm_ld_##T(x0 + i), w0, a); \\
                    a = _mm256_fmadd_pd(fl_lm_ld_##T(x1 + i), w1, a); \\
                    a = _mm256_fmadd_pd(fl_lm_ld_##T(x2 + i), w2, a); \\
                    a = _mm256_fmadd_pd(fl_lm_ld_##T(x3 + i), w3, a); \\
                    _mm256_storeu_pd(r + i, a); \\
                } \\
                for (; i < m; i++) { \\
                    double a = r[i]; \\
                    a = __builtin_fma((double)x0[i], wk[j], a); \\
                    a = __builtin_fma((double)x1[i], wk[j + 1], a); \\
                    a = __builtin_fma((double)x2[i], wk[j + 2], a); \\
                    a = __builtin_fma((double)x3[i], wk[j + 3], a); \\
                    r[i] = a; \\
                } \\
            } \\
            for (; j < d; j++) { \\
                const T* x0 = X + j * cs + s; \\
                __m256d w0 = _mm256_set1_pd(wk[j]); \\
                for (i = 0; i < m4; i += 4) \\
                    _mm256_storeu_pd(r + i, _mm256_fmadd_pd(fl_lm_ld_##T(x0 + i), w0, \\
                                                            _mm256_loadu_pd(r + i))); \\
                for (; i < m; i++) \\
                    r[i] = __builtin_fma((double)x0[i], wk[j], r[i]); \\
            } \\
            for (i = 0; i < m; i++) \\
                r[i] = r[i] + b[k]; \\
        } \\
    } \\
    static FL_LM_AVX2 void fl_lm_phase3_f_##T##_avx2( \\
        const T* X, Py_ssize_t cs, Py_ssize_t s, Py_ssize_t m, Py_ssize_t d, \\
        Py_ssize_t K, const double* g, double* acc) \\
    { \\
        Py_ssize_t j, k, r; \\
        double out[4]; \\
        for (k = 0; k < K; k++) { \\
            const double* gk = g + k * m; \\
            double* ak = acc + k * (d + 1); \\
            for (j = 0; j + 4 <= d; j += 4) { \\
                fl_lm_dot4_##T##_avx2(X + j * cs + s, cs, gk, m, out); \\
                for (r = 0; r < 4; r++) \\
                    ak[j + r] += out[r]; \\
            } \\
            for (; j < d; j++) \\
                ak[j] += fl_lm_dot1_##T##_avx2(X + j * cs + s, gk, m); \\
            ak[d] += fl_lm_sum(gk, m); \\
        } \\
    }

    FL_LM_AVX2_PHASES(double)
    FL_LM_AVX2_PHASES(float)
    #endif

    /* 0: baseline build, 1: AVX2 build. */
    static int fl_lm_level = 0;

    static int fl_lm_detect(void) {
    #ifdef FL_LM_X86
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            return 1;
    #endif
        return 0;
    }

    static int fl_lm_get_level(void) { return fl_lm_level; }

    static int fl_lm_set_level(int level) {
        int best = fl_lm_detect();
        fl_lm_level = (level < 0 || level > best) ? best : level;
        return fl_lm_level;
    }

    #ifdef FL_LM_X86
    #define FL_LM_DISPATCH(NAME, T, ...) \\
        if (fl_lm_level == 1) NAME##_##T##_avx2(__VA_ARGS__); \\
        else NAME##_##T##_base(__VA_ARGS__);
    #else
    #define FL_LM_DISPATCH(NAME, T, ...) NAME##_##T##_base(__VA_ARGS__);
    #endif

    #define FL_LM_ENTRY(T) \\
    static void fl_lm_phase1_c_##T(const T* X, Py_ssize_t rs, Py_ssize_t s, \\
        Py_ssize_t m, Py_ssize_t d, Py_ssize_t K, const double* W, \\
        const double* b, double* raw) \\
    { FL_LM_DISPATCH(fl_lm_phase1_c, T, X, rs, s, m, d, K, W, b, raw) } \\
    static void fl_lm_phase1_f_##T(const T* X, Py_ssize_t cs, Py_ssize_t s, \\
        Py_ssize_t m, Py_ssize_t d, Py_ssize_t K, const double* W, \\
        const double* b, double* raw) \\
    { FL_LM_DISPATCH(fl_lm_phase1_f, T, X, cs, s, m, d, K, W, b, raw) } \\
    static void fl_lm_phase3_c_##T(const T* X, Py_ssize_t rs, Py_ssize_t s, \\
        Py_ssize_t m, Py_ssize_t d, Py_ssize_t K, const double* g, double* acc) \\
    { FL_LM_DISPATCH(fl_lm_phase3_c, T, X, rs, s, m, d, K, g, acc) } \\
    static void fl_lm_phase3_f_##T(const T* X, Py_ssize_t cs, Py_ssize_t s, \\
        Py_ssize_t m, Py_ssize_t d, Py_ssize_t K, const double* g, double* acc) \\
    { FL_LM_DISPATCH(fl_lm_phase3_f, T, X, cs, s, m, d, K, g, acc) }

    FL_LM_ENTRY(double)
    FL_LM_ENTRY(float)
    """
    int fl_lm_set_level(int level) noexcept nogil
    int fl_lm_get_level() noexcept nogil
    double fl_lm_sum(const double* v, Py_ssize_t n) noexcept nogil
    int fl_lm_detect() noexcept nogil
    void fl_lm_phase1_c_double(const double*, Py_ssize_t, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                               Py_ssize_t, const double*, const double*, double*) noexcept nogil
    void fl_lm_phase1_c_float(const float*, Py_ssize_t, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                              Py_ssize_t, const double*, const double*, double*) noexcept nogil
    void fl_lm_phase1_f_double(const double*, Py_ssize_t, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                               Py_ssize_t, const double*, const double*, double*) noexcept nogil
    void fl_lm_phase1_f_float(const float*, Py_ssize_t, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                              Py_ssize_t, const double*, const double*, double*) noexcept nogil
    void fl_lm_phase3_c_double(const double*, Py_ssize_t, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                               Py_ssize_t, const double*, double*) noexcept nogil
    void fl_lm_phase3_c_float(const float*, Py_ssize_t, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                              Py_ssize_t, const double*, double*) noexcept nogil
    void fl_lm_phase3_f_double(const double*, Py_ssize_t, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                               Py_ssize_t, const double*, double*) noexcept nogil
    void fl_lm_phase3_f_float(const float*, Py_ssize_t, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                              Py_ssize_t, const double*, double*) noexcept nogil


def simd_level():
    """Instruction set of the dense phases in use: 0 baseline build, 1 AVX2."""
    return fl_lm_get_level()


def set_simd_level(int level):
    """Select the dense phases' instruction set (-1: the best the CPU has) and
    return the level in use.  All levels compute the same bits (tests check)."""
    return fl_lm_set_level(level)


set_simd_level(-1)


cdef inline void _phase1_c(
    const xfloat* X, Py_ssize_t rs, Py_ssize_t s, Py_ssize_t m, Py_ssize_t d,
    Py_ssize_t K, const double* W, const double* b, double* raw,
) noexcept nogil:
    if xfloat is float:
        fl_lm_phase1_c_float(X, rs, s, m, d, K, W, b, raw)
    else:
        fl_lm_phase1_c_double(X, rs, s, m, d, K, W, b, raw)


cdef inline void _phase3_c(
    const xfloat* X, Py_ssize_t rs, Py_ssize_t s, Py_ssize_t m, Py_ssize_t d,
    Py_ssize_t K, const double* g, double* acc,
) noexcept nogil:
    if xfloat is float:
        fl_lm_phase3_c_float(X, rs, s, m, d, K, g, acc)
    else:
        fl_lm_phase3_c_double(X, rs, s, m, d, K, g, acc)


cdef inline void _phase1_f(
    const xfloat* X, Py_ssize_t cs, Py_ssize_t s, Py_ssize_t m, Py_ssize_t d,
    Py_ssize_t K, const double* W, const double* b, double* raw,
) noexcept nogil:
    if xfloat is float:
        fl_lm_phase1_f_float(X, cs, s, m, d, K, W, b, raw)
    else:
        fl_lm_phase1_f_double(X, cs, s, m, d, K, W, b, raw)


cdef inline void _phase3_f(
    const xfloat* X, Py_ssize_t cs, Py_ssize_t s, Py_ssize_t m, Py_ssize_t d,
    Py_ssize_t K, const double* g, double* acc,
) noexcept nogil:
    if xfloat is float:
        fl_lm_phase3_f_float(X, cs, s, m, d, K, g, acc)
    else:
        fl_lm_phase3_f_double(X, cs, s, m, d, K, g, acc)


cdef void _phase1_csr(
    const xfloat* data, const index_t* indices, const index_t* indptr,
    Py_ssize_t s, Py_ssize_t m, Py_ssize_t d, Py_ssize_t K,
    const double* W, const double* b, double* raw,
) noexcept nogil:
    cdef Py_ssize_t i, k, p
    cdef double a
    for i in range(m):
        for k in range(K):
            a = 0.0
            for p in range(indptr[s + i], indptr[s + i + 1]):
                a = a + <double> data[p] * W[k * d + indices[p]]
            raw[k * m + i] = a + b[k]


cdef void _phase3_csr(
    const xfloat* data, const index_t* indices, const index_t* indptr,
    Py_ssize_t s, Py_ssize_t m, Py_ssize_t d, Py_ssize_t K,
    const double* g, double* acc,
) noexcept nogil:
    cdef Py_ssize_t i, k, p
    cdef double gk
    cdef double* ak
    for k in range(K):
        ak = acc + k * (d + 1)
        for i in range(m):
            gk = g[k * m + i]
            for p in range(indptr[s + i], indptr[s + i + 1]):
                ak[indices[p]] += gk * <double> data[p]
        ak[d] += fl_lm_sum(g + k * m, m)


cdef inline void _copy_raw(const double* raw_in, Py_ssize_t s, Py_ssize_t m,
                           Py_ssize_t K, double* raw) noexcept nogil:
    cdef Py_ssize_t i, k
    for i in range(m):
        for k in range(K):
            raw[k * m + i] = raw_in[(s + i) * K + k]


# ---------------------------------------------------------------------------
# Drivers
# ---------------------------------------------------------------------------

def tile_rows(Py_ssize_t n_features, Py_ssize_t itemsize, layout="C"):
    """Rows per tile for layout "C" (row-major), "F" (column-major) or "csr"."""
    cdef Py_ssize_t t, nbytes = max(1, n_features * itemsize)
    if layout == "csr":
        return SPARSE_TILE
    if layout == "F":
        t = TILE_BYTES_F // nbytes
        return min(<Py_ssize_t> TILE_MAX_F, max(<Py_ssize_t> TILE_MIN_F, t))
    if layout != "C":
        raise ValueError(f"layout must be 'C', 'F' or 'csr'; got {layout!r}")
    t = TILE_BYTES_C // nbytes
    if t >= 8:
        t -= t % 4  # whole groups of 4 rows in phase 3
    return min(<Py_ssize_t> TILE_MAX_C, max(<Py_ssize_t> TILE_MIN_C, t))


def chunk_rows(Py_ssize_t n_features, Py_ssize_t n_classes, Py_ssize_t tile):
    """Rows per chunk (one partial sum each): a multiple of the tile, at least
    CHUNK_MIN rows and at least 8 * n_classes * (n_features + 1) rows, so that
    the partials take at most one double per sample."""
    cdef Py_ssize_t c = max(<Py_ssize_t> CHUNK_MIN, 8 * n_classes * (n_features + 1))
    return ((c + tile - 1) // tile) * tile


cdef inline sample_fn _lookup(int kernel_id, int mode, bint weighted) except NULL:
    if kernel_id < 0 or kernel_id >= N_KERNELS:
        raise ValueError(f"unknown kernel_id {kernel_id}")
    if mode < 0 or mode >= N_MODES:
        raise ValueError(f"unknown mode {mode}")
    return FN_TABLE[(kernel_id * N_MODES + mode) * 2 + (1 if weighted else 0)]


def dense_pass(
    const xfloat[:, :] X,
    const double[::1] y,
    const double[::1] sample_weight,
    const double[:, ::1] W,
    const double[::1] b,
    const double[:, ::1] raw_in,
    double[::1] h,
    double[:, ::1] partials,
    int kernel_id,
    int mode,
    double p0,
    double p1,
    Py_ssize_t tile,
    Py_ssize_t chunk,
    int n_threads=1,
):
    """One fused pass over dense X (either strides may be unit; the caller
    makes X C- or F-contiguous along one axis).

    W: (K, d) C-contiguous; b: (K,); raw_in: None or (n, K) raw predictions to
    use instead of X @ W.T + b; h: per-sample output (modes GH, RAW) or input
    (mode HP), n * K doubles; partials: (n_chunks, K * (d + 1) + 1) zeros,
    filled with each chunk's acc (K rows of d + 1) and loss sum (last).
    Returns the number of y values outside the loss's domain.
    """
    cdef Py_ssize_t n = X.shape[0]
    cdef Py_ssize_t d = X.shape[1]
    cdef Py_ssize_t K = W.shape[0]
    cdef Py_ssize_t isz = sizeof(xfloat)
    cdef Py_ssize_t rs = X.strides[0] // isz
    cdef Py_ssize_t cs = X.strides[1] // isz
    cdef bint c_layout
    cdef sample_fn fn = _lookup(kernel_id, mode, sample_weight is not None)
    cdef bad_fn badf = NULL
    cdef bint phase3 = mode != MODE_L and mode != MODE_RAW
    cdef Py_ssize_t n_chunks = (n + chunk - 1) // chunk
    cdef Py_ssize_t P = partials.shape[1]
    cdef Py_ssize_t c, s, e, m, stop
    cdef Py_ssize_t n_bad = 0
    cdef double* raw
    cdef double* g
    cdef double* work
    cdef double* acc
    cdef const xfloat* Xp
    cdef const double* yp = NULL
    cdef const double* swp = NULL
    cdef const double* rip = NULL
    cdef double* hp = NULL
    if W.shape[1] != d or b.shape[0] != K:
        raise ValueError("W and b do not match X")
    if P != K * (d + 1) + 1 or partials.shape[0] < n_chunks:
        raise ValueError("partials has the wrong shape")
    if tile < 1 or chunk < tile or chunk % tile != 0:
        raise ValueError("bad tile/chunk")
    if mode != MODE_RAW and (y is None or y.shape[0] != n):
        raise ValueError("y does not match X")
    if sample_weight is not None and sample_weight.shape[0] != n:
        raise ValueError("sample_weight does not match X")
    if raw_in is not None and (raw_in.shape[0] != n or raw_in.shape[1] != K):
        raise ValueError("raw_prediction does not match X")
    if (mode == MODE_GH or mode == MODE_RAW or mode == MODE_HP) and (
            h is None or h.shape[0] != n * K):
        raise ValueError("h is required, with n * K elements")
    if n == 0:
        return 0
    # (A dimension of length 1 may have any stride: then either path works.)
    if cs == 1 or d <= 1:
        c_layout = True
    elif rs == 1 or n == 1:
        c_layout = False
    else:
        raise ValueError("X must have a unit stride along one axis")
    Xp = &X[0, 0] if d > 0 else NULL
    if y is not None:
        yp = &y[0]
    if sample_weight is not None:
        swp = &sample_weight[0]
    if raw_in is not None:
        rip = &raw_in[0, 0]
    if h is not None:
        hp = &h[0]
    if mode != MODE_RAW and mode != MODE_HP:
        badf = BAD_TABLE[kernel_id]

    for c in prange(n_chunks, nogil=True, schedule="static", num_threads=n_threads):
        raw = <double*> malloc((2 * K * tile + 2 * tile + K) * sizeof(double))
        g = raw + K * tile
        work = g + K * tile
        acc = &partials[c, 0]
        stop = (c + 1) * chunk
        if stop > n:
            stop = n
        s = c * chunk
        if badf != NULL:
            n_bad += badf(yp + s, stop - s, p0, p1, work, 2 * tile)
        while s < stop:
            e = s + tile
            if e > stop:
                e = stop
            m = e - s
            if rip != NULL:
                _copy_raw(rip, s, m, K, raw)
            elif c_layout:
                _phase1_c(Xp, rs, s, m, d, K, &W[0, 0], &b[0], raw)
            else:
                _phase1_f(Xp, cs, s, m, d, K, &W[0, 0], &b[0], raw)
            n_bad += fn(
                (yp + s) if yp != NULL else NULL,
                (swp + s) if swp != NULL else NULL,
                raw, g,
                (hp + s * K) if hp != NULL else NULL,
                acc + (P - 1), work, m, K, p0, p1)
            if phase3:
                if c_layout:
                    _phase3_c(Xp, rs, s, m, d, K, g, acc)
                else:
                    _phase3_f(Xp, cs, s, m, d, K, g, acc)
            s = e
        free(raw)
    return n_bad


def csr_pass(
    const xfloat[::1] data,
    const index_t[::1] indices,
    const index_t[::1] indptr,
    Py_ssize_t n_features,
    const double[::1] y,
    const double[::1] sample_weight,
    const double[:, ::1] W,
    const double[::1] b,
    const double[:, ::1] raw_in,
    double[::1] h,
    double[:, ::1] partials,
    int kernel_id,
    int mode,
    double p0,
    double p1,
    Py_ssize_t tile,
    Py_ssize_t chunk,
    int n_threads=1,
):
    """dense_pass for a CSR matrix (data, indices, indptr).  Column indices
    must lie in [0, n_features) (scipy guarantees it for a valid matrix)."""
    cdef Py_ssize_t n = indptr.shape[0] - 1
    cdef Py_ssize_t d = n_features
    cdef Py_ssize_t K = W.shape[0]
    cdef sample_fn fn = _lookup(kernel_id, mode, sample_weight is not None)
    cdef bad_fn badf = NULL
    cdef bint phase3 = mode != MODE_L and mode != MODE_RAW
    cdef Py_ssize_t n_chunks
    cdef Py_ssize_t P = partials.shape[1]
    cdef Py_ssize_t c, s, e, m, stop
    cdef Py_ssize_t n_bad = 0
    cdef double* raw
    cdef double* g
    cdef double* work
    cdef double* acc
    cdef const xfloat* dp = NULL
    cdef const index_t* ip = NULL
    cdef const double* yp = NULL
    cdef const double* swp = NULL
    cdef const double* rip = NULL
    cdef double* hp = NULL
    if n < 0:
        raise ValueError("indptr must not be empty")
    n_chunks = (n + chunk - 1) // chunk
    if W.shape[1] != d or b.shape[0] != K:
        raise ValueError("W and b do not match X")
    if P != K * (d + 1) + 1 or partials.shape[0] < n_chunks:
        raise ValueError("partials has the wrong shape")
    if tile < 1 or chunk < tile or chunk % tile != 0:
        raise ValueError("bad tile/chunk")
    if mode != MODE_RAW and (y is None or y.shape[0] != n):
        raise ValueError("y does not match X")
    if sample_weight is not None and sample_weight.shape[0] != n:
        raise ValueError("sample_weight does not match X")
    if raw_in is not None and (raw_in.shape[0] != n or raw_in.shape[1] != K):
        raise ValueError("raw_prediction does not match X")
    if (mode == MODE_GH or mode == MODE_RAW or mode == MODE_HP) and (
            h is None or h.shape[0] != n * K):
        raise ValueError("h is required, with n * K elements")
    if n == 0:
        return 0
    if indptr[n] > data.shape[0] or indptr[n] > indices.shape[0]:
        raise ValueError("indptr does not match data/indices")
    if data.shape[0] > 0:
        dp = &data[0]
        ip = &indices[0]
    if y is not None:
        yp = &y[0]
    if sample_weight is not None:
        swp = &sample_weight[0]
    if raw_in is not None:
        rip = &raw_in[0, 0]
    if h is not None:
        hp = &h[0]
    if mode != MODE_RAW and mode != MODE_HP:
        badf = BAD_TABLE[kernel_id]

    for c in prange(n_chunks, nogil=True, schedule="static", num_threads=n_threads):
        raw = <double*> malloc((2 * K * tile + 2 * tile + K) * sizeof(double))
        g = raw + K * tile
        work = g + K * tile
        acc = &partials[c, 0]
        stop = (c + 1) * chunk
        if stop > n:
            stop = n
        s = c * chunk
        if badf != NULL:
            n_bad += badf(yp + s, stop - s, p0, p1, work, 2 * tile)
        while s < stop:
            e = s + tile
            if e > stop:
                e = stop
            m = e - s
            if rip != NULL:
                _copy_raw(rip, s, m, K, raw)
            else:
                _phase1_csr(dp, ip, &indptr[0], s, m, d, K, &W[0, 0], &b[0], raw)
            n_bad += fn(
                (yp + s) if yp != NULL else NULL,
                (swp + s) if swp != NULL else NULL,
                raw, g,
                (hp + s * K) if hp != NULL else NULL,
                acc + (P - 1), work, m, K, p0, p1)
            if phase3:
                _phase3_csr(dp, ip, &indptr[0], s, m, d, K, g, acc)
            s = e
        free(raw)
    return n_bad


def floor_sum(const xfloat[:, ::1] X):
    """Sum of all elements of a C-contiguous X in one streaming read (the
    benchmark's floor: the least any pass over X can cost)."""
    cdef Py_ssize_t n = X.shape[0] * X.shape[1]
    cdef const xfloat* p
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    cdef double a4 = 0.0, a5 = 0.0, a6 = 0.0, a7 = 0.0
    cdef Py_ssize_t j, n8
    if n == 0:
        return 0.0
    p = &X[0, 0]
    n8 = n - n % 8
    with nogil:
        for j in range(0, n8, 8):
            a0 = a0 + p[j]
            a1 = a1 + p[j + 1]
            a2 = a2 + p[j + 2]
            a3 = a3 + p[j + 3]
            a4 = a4 + p[j + 4]
            a5 = a5 + p[j + 5]
            a6 = a6 + p[j + 6]
            a7 = a7 + p[j + 7]
        for j in range(n8, n):
            a0 = a0 + p[j]
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
