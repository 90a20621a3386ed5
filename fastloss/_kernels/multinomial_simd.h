/*
 * AVX-512 steps of the multinomial loss for a row-major block (multinomial_rows
 * in _lossmath.pxd, C-ordered raw_prediction): FL_MN_ROWS rows of K values,
 * row r, class k at x[r * K + k], contiguous.
 *
 * Why: the plain loops run each step across the rows (one vector lane per
 * row), and in a row-major block a class's values sit K apart.  GCC 12 does
 * not vectorise that access with a run-time K: it loads each value on its own
 * and inserts it into a vector, and it writes a row of 10 outputs as 8 lanes
 * plus 2 scalars (perf: most of the float32 loss_gradient's time).  Here each
 * row is one masked vector (16 float32 or 8 float64 lanes per chunk, the last
 * chunk masked), reduced across its lanes.  AVX-512 gathers, which would keep
 * the across-row form, measured 10-30% slower than the plain loops on Zen 4.
 * Measured (C prototype, Zen 4, float32, K = 10): the softmax block with
 * these steps and the plain exp loop 9-11 ns per row, against 12-15 with the
 * plain output loop and 19-27 for the former kernel.
 *
 * The results are those of the plain loops of multinomial_rows, bit for bit,
 * except for the order of the row sums:
 * - maxima: max is exact, so any order gives the same value (a row holding
 *   NaN may get another maximum, but its outputs are NaN either way);
 * - sums: in the order of the lanes of one vector, W = 16 (float32) or 8
 *   (float64): slot j = e[j] + e[j + W] + e[j + 2W] + ... in that order, then
 *   the slots folded in halves, s[j] = s[j] + s[j + h] for h = W/2, ..., 1
 *   (slots past K hold +0).  The plain loops add in class order; the two
 *   may differ in the last bit.  tests/test_multinomial_rows.py emulates
 *   this order in NumPy and checks the bits;
 * - the gradient row, (e[k] * pinv - [k == label]) * w, is the expression
 *   of multinomial_grad with the weight (w = 1, exact, when unweighted).
 */
#ifndef FASTLOSS_MULTINOMIAL_SIMD_H
#define FASTLOSS_MULTINOMIAL_SIMD_H

#include <stddef.h>

#define FL_MN_ROWS 16   /* MN_ROWS of _lossmath.pxd */

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#include <immintrin.h>
#define FL_MN_VEC 1

#define FL_MN_INLINE static inline __attribute__((always_inline))

/* ---- float32: chunks of 16 lanes ---- */

FL_MN_INLINE __mmask16 fl_mn_tail_f(ptrdiff_t n) { return (__mmask16)((1u << n) - 1u); }

FL_MN_INLINE float fl_mn_hmax_f(__m512 v)
{
    __m256 a = _mm256_max_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 b = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_max_ps(b, _mm_movehl_ps(b, b));
    b = _mm_max_ss(b, _mm_movehdup_ps(b));
    return _mm_cvtss_f32(b);
}

/* The fold of the 16 slots in halves: lane j + lane j + h, h = 8, 4, 2, 1. */
FL_MN_INLINE float fl_mn_hsum_f(__m512 v)
{
    __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_add_ps(b, _mm_movehl_ps(b, b));
    b = _mm_add_ss(b, _mm_movehdup_ps(b));
    return _mm_cvtss_f32(b);
}

/* ---- float64: chunks of 8 lanes ---- */

FL_MN_INLINE __mmask8 fl_mn_tail_d(ptrdiff_t n) { return (__mmask8)((1u << n) - 1u); }

FL_MN_INLINE double fl_mn_hmax_d(__m512d v)
{
    __m256d a = _mm256_max_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
    __m128d b = _mm_max_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    b = _mm_max_sd(b, _mm_unpackhi_pd(b, b));
    return _mm_cvtsd_f64(b);
}

/* The fold of the 8 slots in halves: lane j + lane j + h, h = 4, 2, 1. */
FL_MN_INLINE double fl_mn_hsum_d(__m512d v)
{
    __m256d a = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
    __m128d b = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    b = _mm_add_sd(b, _mm_unpackhi_pd(b, b));
    return _mm_cvtsd_f64(b);
}

/*
 * fl_mn_max_sub_##S, fl_mn_sum_##S, fl_mn_grad_row_##S for one dtype:
 * T the element type, V/M its vector and mask types, W the lanes, P the
 * intrinsics' suffix (ps/pd), E the integer lanes (epi32/epi64), IOTA the
 * lane numbers.  Written once for float32 (S = f) and float64 (S = d).
 */
#define FL_MN_FUNCS(S, T, V, M, W, P, E, IOTA, INF)                            \
/* m[r] = max_k x[r, k];  d[r, k] = x[r, k] - m[r]  (d has the layout of x) */ \
FL_MN_INLINE void fl_mn_max_sub_##S(const T *x, ptrdiff_t K, T *m, T *d)       \
{                                                                              \
    const V ninf = _mm512_set1_##P(-(INF));                                    \
    ptrdiff_t full = K & ~(ptrdiff_t)(W - 1);                                  \
    M tm = fl_mn_tail_##S(K - full);                                           \
    for (int r = 0; r < FL_MN_ROWS; r++) {                                     \
        const T *xr = x + r * K;                                               \
        T *dr = d + r * K;                                                     \
        V acc = ninf;                                                          \
        ptrdiff_t c;                                                           \
        for (c = 0; c < full; c += W)                                          \
            acc = _mm512_max_##P(_mm512_loadu_##P(xr + c), acc);               \
        if (tm)                                                                \
            acc = _mm512_max_##P(_mm512_mask_loadu_##P(ninf, tm, xr + c), acc); \
        T mr = fl_mn_hmax_##S(acc);                                            \
        V mv = _mm512_set1_##P(mr);                                            \
        m[r] = mr;                                                             \
        for (c = 0; c < full; c += W)                                          \
            _mm512_storeu_##P(dr + c, _mm512_sub_##P(_mm512_loadu_##P(xr + c), mv)); \
        if (tm)                                                                \
            _mm512_mask_storeu_##P(dr + c, tm,                                 \
                                   _mm512_sub_##P(_mm512_maskz_loadu_##P(tm, xr + c), mv)); \
    }                                                                          \
}                                                                              \
/* s[r] = sum_k e[r, k] in the lane order stated above */                     \
FL_MN_INLINE void fl_mn_sum_##S(const T *e, ptrdiff_t K, T *s)                 \
{                                                                              \
    ptrdiff_t full = K & ~(ptrdiff_t)(W - 1);                                  \
    M tm = fl_mn_tail_##S(K - full);                                           \
    for (int r = 0; r < FL_MN_ROWS; r++) {                                     \
        const T *er = e + r * K;                                               \
        V acc = full ? _mm512_loadu_##P(er) : _mm512_maskz_loadu_##P(tm, er);  \
        ptrdiff_t c;                                                           \
        for (c = W; c < full; c += W)                                          \
            acc = _mm512_add_##P(acc, _mm512_loadu_##P(er + c));               \
        if (full && tm)                                                        \
            acc = _mm512_add_##P(acc, _mm512_maskz_loadu_##P(tm, er + full));  \
        s[r] = fl_mn_hsum_##S(acc);                                            \
    }                                                                          \
}                                                                              \
/* out[k] = (e[k] * pinv - [k == label]) * w for k < K */                      \
FL_MN_INLINE void fl_mn_grad_row_##S(const T *e, ptrdiff_t K, T pinv, int label, \
                                     T w, T *out)                              \
{                                                                              \
    const __m512i iota = IOTA;                                                 \
    const V one = _mm512_set1_##P((T)1);                                       \
    V pv = _mm512_set1_##P(pinv), wv = _mm512_set1_##P(w);                     \
    for (ptrdiff_t c = 0; c < K; c += W) {                                     \
        M km = K - c >= W ? (M)~(M)0 : fl_mn_tail_##S(K - c);                  \
        M lm = _mm512_cmpeq_##E##_mask(iota, _mm512_set1_##E(label - c));      \
        V p = _mm512_mul_##P(_mm512_maskz_loadu_##P(km, e + c), pv);           \
        p = _mm512_mask_sub_##P(p, lm, p, one);                                \
        _mm512_mask_storeu_##P(out + c, km, _mm512_mul_##P(p, wv));           \
    }                                                                          \
}

FL_MN_FUNCS(f, float, __m512, __mmask16, 16, ps, epi32,
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            __builtin_inff())
FL_MN_FUNCS(d, double, __m512d, __mmask8, 8, pd, epi64,
            _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), __builtin_inf())

#else
#define FL_MN_VEC 0
/* Never called where FL_MN_VEC is 0: the plain loops of multinomial_rows run. */
static inline void fl_mn_max_sub_f(const float *x, ptrdiff_t K, float *m, float *d)
{ (void)x; (void)K; (void)m; (void)d; }
static inline void fl_mn_sum_f(const float *e, ptrdiff_t K, float *s)
{ (void)e; (void)K; (void)s; }
static inline void fl_mn_grad_row_f(const float *e, ptrdiff_t K, float pinv, int label,
                                    float w, float *out)
{ (void)e; (void)K; (void)pinv; (void)label; (void)w; (void)out; }
static inline void fl_mn_max_sub_d(const double *x, ptrdiff_t K, double *m, double *d)
{ (void)x; (void)K; (void)m; (void)d; }
static inline void fl_mn_sum_d(const double *e, ptrdiff_t K, double *s)
{ (void)e; (void)K; (void)s; }
static inline void fl_mn_grad_row_d(const double *e, ptrdiff_t K, double pinv, int label,
                                    double w, double *out)
{ (void)e; (void)K; (void)pinv; (void)label; (void)w; (void)out; }
#endif

#endif
