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
 * row is one masked vector per chunk of W lanes (16 float32 or 8 float64),
 * the last chunk masked, reduced across its lanes.
 * Measured (Zen 4, 10 classes, against the plain loops): C-ordered float32
 * -29..-33%, float64 -14..-24%.  Tried and dropped:
 * - AVX-512 gathers, which keep the across-row form: 10-30% slower than the
 *   plain loops;
 * - the same steps in AVX2 (8 / 4 lanes, vmaskmov loads and stores): within
 *   noise of the plain loops on Zen 4 (-2..-8% over three runs; scalar tail
 *   stores instead of vmaskmov: float32 -7..-20%, float64 +8..+17%), so the
 *   AVX2 build keeps the plain loops.  Intel cores, where vmaskmov stores are
 *   cheaper, were not measured.
 *
 * The results are those of the plain loops of multinomial_rows, bit for bit,
 * except for the order of the row sums:
 * - maxima: max is exact, so any order gives the same value (a row holding
 *   NaN may get another maximum, but its outputs are NaN either way);
 * - sums: in the order of the lanes of one vector, W = FL_MN_W_F (float32)
 *   or FL_MN_W_D (float64): slot j = e[j] + e[j + W] + e[j + 2W] + ... in
 *   that order, then the slots folded in halves, s[j] = s[j] + s[j + h] for
 *   h = W/2, ..., 1 (slots past K hold +0).  The plain loops add in class
 *   order; the two may differ in the last bit.  tests/test_multinomial_rows.py
 *   emulates this order in NumPy and checks the bits;
 * - the gradient row, (e[k] * pinv - [k == label]) * w, is the expression
 *   of multinomial_grad with the weight (w = 1, exact, when unweighted).
 */
#ifndef FASTLOSS_MULTINOMIAL_SIMD_H
#define FASTLOSS_MULTINOMIAL_SIMD_H

#include <stddef.h>

#define FL_MN_ROWS 16   /* MN_ROWS of _lossmath.pxd */

#define FL_MN_INLINE static inline __attribute__((always_inline))

/*
 * Per dtype (suffix S: f float32, d float64), the primitives the steps are
 * written with: type fl_mn_v##S (W lanes), and
 *   ld(p), ld0(p, n), ldninf(p, n)   load all W lanes / the first n, the
 *                                    rest +0 / -inf
 *   st(p, v), stn(p, n, v)           store all W lanes / the first n
 *   max(a, b) = a > b ? a : b (vmaxps), add, sub, mul, set1
 *   hmax(v), hsum(v)                 lane 0 of the folds in halves
 *   sub1(v, j)                       v - 1 in lane j (none if j not in 0..W-1)
 */
#if defined(__AVX512F__) && defined(__AVX512DQ__)
#include <immintrin.h>
#define FL_MN_VEC 1
#define FL_MN_W_F 16
#define FL_MN_W_D 8
typedef __m512 fl_mn_vf;
typedef __m512d fl_mn_vd;
#define FL_MN_PRIMS(S, T, V, W, P, M, E, IOTA, INF)                             \
FL_MN_INLINE M fl_mn_m##S(ptrdiff_t n) { return (M)(n >= W ? (M)~(M)0 : (M)((1u << n) - 1u)); } \
FL_MN_INLINE V fl_mn_ld##S(const T *p) { return _mm512_loadu_##P(p); }           \
FL_MN_INLINE V fl_mn_ld0##S(const T *p, ptrdiff_t n) { return _mm512_maskz_loadu_##P(fl_mn_m##S(n), p); } \
FL_MN_INLINE V fl_mn_ldninf##S(const T *p, ptrdiff_t n)                          \
{ return _mm512_mask_loadu_##P(_mm512_set1_##P(-(INF)), fl_mn_m##S(n), p); }     \
FL_MN_INLINE void fl_mn_st##S(T *p, V v) { _mm512_storeu_##P(p, v); }            \
FL_MN_INLINE void fl_mn_stn##S(T *p, ptrdiff_t n, V v) { _mm512_mask_storeu_##P(p, fl_mn_m##S(n), v); } \
FL_MN_INLINE V fl_mn_max##S(V a, V b) { return _mm512_max_##P(a, b); }           \
FL_MN_INLINE V fl_mn_add##S(V a, V b) { return _mm512_add_##P(a, b); }           \
FL_MN_INLINE V fl_mn_sub##S(V a, V b) { return _mm512_sub_##P(a, b); }           \
FL_MN_INLINE V fl_mn_mul##S(V a, V b) { return _mm512_mul_##P(a, b); }           \
FL_MN_INLINE V fl_mn_set1##S(T a) { return _mm512_set1_##P(a); }                 \
FL_MN_INLINE V fl_mn_sub1##S(V v, ptrdiff_t j)                                   \
{                                                                              \
    M lm = _mm512_cmpeq_##E##_mask(IOTA, _mm512_set1_##E(j));                  \
    return _mm512_mask_sub_##P(v, lm, v, _mm512_set1_##P((T)1));               \
}
FL_MN_PRIMS(f, float, __m512, 16, ps, __mmask16, epi32,
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
            __builtin_inff())
FL_MN_PRIMS(d, double, __m512d, 8, pd, __mmask8, epi64,
            _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), __builtin_inf())

/* Folds in halves: lane j with lane j + h, h = 8, 4, 2, 1 (float32) or
   4, 2, 1 (float64); OP is max or add. */
#define FL_MN_FOLD_F(OP)                                                        \
    __m256 a = _mm256_##OP##_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1)); \
    __m128 b = _mm_##OP##_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1)); \
    b = _mm_##OP##_ps(b, _mm_movehl_ps(b, b));                                  \
    return _mm_cvtss_f32(_mm_##OP##_ss(b, _mm_movehdup_ps(b)));
#define FL_MN_FOLD_D(OP)                                                        \
    __m256d a = _mm256_##OP##_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1)); \
    __m128d b = _mm_##OP##_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1)); \
    return _mm_cvtsd_f64(_mm_##OP##_sd(b, _mm_unpackhi_pd(b, b)));

#else
#define FL_MN_VEC 0
#endif

#if FL_MN_VEC
FL_MN_INLINE float fl_mn_hmaxf(fl_mn_vf v) { FL_MN_FOLD_F(max) }
FL_MN_INLINE float fl_mn_hsumf(fl_mn_vf v) { FL_MN_FOLD_F(add) }
FL_MN_INLINE double fl_mn_hmaxd(fl_mn_vd v) { FL_MN_FOLD_D(max) }
FL_MN_INLINE double fl_mn_hsumd(fl_mn_vd v) { FL_MN_FOLD_D(add) }

/* The steps, written once over the primitives, for S = f and d. */
#define FL_MN_STEPS(S, T, W)                                                    \
/* m[r] = max_k x[r, k];  d[r, k] = x[r, k] - m[r]  (d has the layout of x) */ \
FL_MN_INLINE void fl_mn_max_sub_##S(const T *x, ptrdiff_t K, T *m, T *d)       \
{                                                                              \
    ptrdiff_t full = K - K % W, rem = K - full;                                \
    for (int r = 0; r < FL_MN_ROWS; r++) {                                     \
        const T *xr = x + r * K;                                               \
        T *dr = d + r * K;                                                     \
        fl_mn_v##S acc = rem ? fl_mn_ldninf##S(xr + full, rem) : fl_mn_ld##S(xr); \
        for (ptrdiff_t c = 0; c < full; c += W)                                \
            acc = fl_mn_max##S(fl_mn_ld##S(xr + c), acc);                      \
        T mr = fl_mn_hmax##S(acc);                                             \
        fl_mn_v##S mv = fl_mn_set1##S(mr);                                     \
        m[r] = mr;                                                             \
        for (ptrdiff_t c = 0; c < full; c += W)                                \
            fl_mn_st##S(dr + c, fl_mn_sub##S(fl_mn_ld##S(xr + c), mv));        \
        if (rem)                                                               \
            fl_mn_stn##S(dr + full, rem, fl_mn_sub##S(fl_mn_ld0##S(xr + full, rem), mv)); \
    }                                                                          \
}                                                                              \
/* s[r] = sum_k e[r, k] in the lane order stated above */                     \
FL_MN_INLINE void fl_mn_sum_##S(const T *e, ptrdiff_t K, T *s)                 \
{                                                                              \
    ptrdiff_t full = K - K % W, rem = K - full;                                \
    for (int r = 0; r < FL_MN_ROWS; r++) {                                     \
        const T *er = e + r * K;                                               \
        fl_mn_v##S acc = full ? fl_mn_ld##S(er) : fl_mn_ld0##S(er, rem);       \
        for (ptrdiff_t c = W; c < full; c += W)                                \
            acc = fl_mn_add##S(acc, fl_mn_ld##S(er + c));                      \
        if (full && rem)                                                       \
            acc = fl_mn_add##S(acc, fl_mn_ld0##S(er + full, rem));             \
        s[r] = fl_mn_hsum##S(acc);                                             \
    }                                                                          \
}                                                                              \
/* out[k] = (e[k] * pinv - [k == label]) * w for k < K */                      \
FL_MN_INLINE void fl_mn_grad_row_##S(const T *e, ptrdiff_t K, T pinv, int label, \
                                     T w, T *out)                              \
{                                                                              \
    fl_mn_v##S pv = fl_mn_set1##S(pinv), wv = fl_mn_set1##S(w);                \
    ptrdiff_t full = K - K % W, c;                                             \
    for (c = 0; c < full; c += W) {                                            \
        fl_mn_v##S p = fl_mn_sub1##S(fl_mn_mul##S(fl_mn_ld##S(e + c), pv), label - c); \
        fl_mn_st##S(out + c, fl_mn_mul##S(p, wv));                             \
    }                                                                          \
    if (c < K) {                                                               \
        fl_mn_v##S p = fl_mn_sub1##S(fl_mn_mul##S(fl_mn_ld0##S(e + c, K - c), pv), label - c); \
        fl_mn_stn##S(out + c, K - c, fl_mn_mul##S(p, wv));                     \
    }                                                                          \
}

FL_MN_STEPS(f, float, FL_MN_W_F)
FL_MN_STEPS(d, double, FL_MN_W_D)

#else
/* Never called where FL_MN_VEC is 0: the plain loops of multinomial_rows run. */
#define FL_MN_STUBS(S, T)                                                       \
static inline void fl_mn_max_sub_##S(const T *x, ptrdiff_t K, T *m, T *d)       \
{ (void)x; (void)K; (void)m; (void)d; }                                         \
static inline void fl_mn_sum_##S(const T *e, ptrdiff_t K, T *s)                 \
{ (void)e; (void)K; (void)s; }                                                  \
static inline void fl_mn_grad_row_##S(const T *e, ptrdiff_t K, T pinv, int label, \
                                      T w, T *out)                              \
{ (void)e; (void)K; (void)pinv; (void)label; (void)w; (void)out; }
FL_MN_STUBS(f, float)
FL_MN_STUBS(d, double)
#endif

#endif
