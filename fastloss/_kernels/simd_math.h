/*
 * Vectorisable exp, log and log1p for double and float.
 *
 * Why: libm's exp/log are opaque scalar calls, so a loop calling them never
 * vectorises.  These are static inline, branch-free (selects only) and use only
 * + - * / and integer bit operations, so GCC and Clang vectorise the sample
 * loops that inline them, on SSE2, AVX2 and AVX-512 alike.
 *
 * Accuracy (stated bound; tests/test_simd_math.py holds each function to it
 * against mpmath on dense grids and at the edges of the domain):
 *   fl_exp, fl_exp_nonpos, fl_log, fl_log1p, fl_log1p_unit (double): <= 2 ulp
 *   fl_expf, fl_expf_nonpos, fl_logf, fl_log1pf, fl_log1p_unitf (float): <= 2 ulp
 * Special values follow C99: exp(+-inf) = inf / 0, exp overflows to inf and
 * underflows through the subnormals to 0; log(0) = -inf, log(x < 0) = NaN,
 * log(inf) = inf; NaN in gives NaN out.
 *
 * FL_FMA(a, b, c) = a * b + c is a fused multiply-add where the target has
 * one (AVX2/AVX-512 builds) and a plain multiply-add elsewhere.  It is always
 * written out explicitly: the kernels are compiled with -ffp-contract=off, so
 * one build computes the same expression the same way in every loop.
 */
#ifndef FASTLOSS_SIMD_MATH_H
#define FASTLOSS_SIMD_MATH_H

#include <stdint.h>
#include <string.h>
#include <math.h>

#if defined(__FMA__) || defined(__AVX512F__) || defined(__ARM_FEATURE_FMA)
#define FL_FMA(a, b, c) __builtin_fma((a), (b), (c))
#define FL_FMAF(a, b, c) __builtin_fmaf((a), (b), (c))
#else
#define FL_FMA(a, b, c) ((a) * (b) + (c))
#define FL_FMAF(a, b, c) ((a) * (b) + (c))
#endif

/* Always inlined: a call left in a sample loop stops its vectorisation. */
#if defined(__GNUC__) || defined(__clang__)
#define FL_INLINE static inline __attribute__((always_inline))
#else
#define FL_INLINE static inline
#endif

static inline uint64_t fl_bits(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline double fl_from_bits(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }
static inline uint32_t fl_bitsf(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float fl_from_bitsf(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

/* ------------------------------------------------------------------------ */
/* Clamping                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * x clamped to [lo, hi], lo < 0 < hi (fl_clamp), or from below only
 * (fl_clamp_below), followed by fl_nan_pass(x, result) once the caller has
 * its result.
 *
 * Why: GCC vectorises the NaN-preserving selects x < lo ? lo : (x > hi ? hi : x)
 * as 4 compares and 3 blends (it may not use minpd/maxpd, whose NaN rules
 * differ).  Where the target has vector integer minima of the lane width
 * (64-bit: AVX-512; 32-bit: SSE4.1, AVX2, NEON) the clamp is done on the bit
 * pattern instead, in 2 instructions: as unsigned integers, the negative
 * doubles order by magnitude above all the positive ones, so
 * min_u(bits(x), bits(lo)) clamps x < lo (and -inf) to lo and keeps every
 * other x; as signed integers, all negative doubles are below the positive
 * ones and the positive ones are in order, so min_s(., bits(hi)) clamps x > hi
 * (and +inf) to hi.  NaN then becomes lo or hi (depending on its sign bit),
 * which fl_nan_pass undoes: 2 more instructions (a compare and a masked
 * move), 4 in all instead of 7.  Without those integer minima the selects
 * are used and fl_nan_pass does nothing.
 */
#if defined(__AVX512F__)
#define FL_INT_MIN64 1
#else
#define FL_INT_MIN64 0
#endif
#if defined(__SSE4_1__) || defined(__AVX2__) || defined(__ARM_NEON)
#define FL_INT_MIN32 1
#else
#define FL_INT_MIN32 0
#endif

/* fl_clamp_below, fl_clamp, fl_nan_pass (double) and the same with suffix f
   (float): T the type, U/S its unsigned/signed integers of the same width,
   INTMIN whether the integer path is used (a constant: the other branch is
   compiled away). */
#define FL_CLAMP_FUNCS(T, SUF, U, S, INTMIN, BITS, FROM)                       \
FL_INLINE T fl_clamp_below##SUF(T x, T lo)                                      \
{                                                                              \
    U b = BITS(x), l = BITS(lo);                                               \
    return INTMIN ? FROM(b < l ? b : l) : (x < lo ? lo : x);                   \
}                                                                              \
FL_INLINE T fl_clamp##SUF(T x, T lo, T hi)                                      \
{                                                                              \
    S b = (S)BITS(fl_clamp_below##SUF(x, lo)), h = (S)BITS(hi);                \
    return INTMIN ? FROM((U)(b < h ? b : h)) : (x < lo ? lo : (x > hi ? hi : x)); \
}                                                                              \
FL_INLINE T fl_nan_pass##SUF(T x, T res)                                        \
{                                                                              \
    return INTMIN ? (x == x ? res : x) : res;                                  \
}

FL_CLAMP_FUNCS(double, , uint64_t, int64_t, FL_INT_MIN64, fl_bits, fl_from_bits)
FL_CLAMP_FUNCS(float, f, uint32_t, int32_t, FL_INT_MIN32, fl_bitsf, fl_from_bitsf)

/* ------------------------------------------------------------------------ */
/* exp                                                                       */
/* ------------------------------------------------------------------------ */

/* ln 2 in two parts (Cody & Waite): FL_LN2_HI is ln 2 cut to 32 significant
   bits, so n * FL_LN2_HI is exact for |n| < 2^21; FL_LN2_LO = ln 2 - FL_LN2_HI
   rounded to double (both computed with mpmath at 200 bits).  Shared by the
   exp reduction and the log reconstruction. */
#define FL_LN2_HI 0x1.62e42fee00000p-1                 /* 0.6931471803691238 */
#define FL_LN2_LO 0x1.a39ef35793c76p-33                /* 1.9082149292705877e-10 */
/* The same split for float: FL_LN2F_HI is ln 2 cut to 12 significant bits
   (n * FL_LN2F_HI exact for |n| < 2^12), FL_LN2F_LO = ln 2 - FL_LN2F_HI
   rounded to float. */
#define FL_LN2F_HI 0x1.62ep-1f                         /* 0.69311523 */
#define FL_LN2F_LO 0x1.0bfbe8p-15f                     /* 3.1946183e-05 */

/* The reduction of exp: *t = x log2(e) + shift holds n = round(x / ln 2) in
   its low mantissa bits (the shift trick, see fl_exp), *nd = n as a double,
   and the result is r = x - n ln 2, |r| <= ln(2)/2. */
FL_INLINE double fl_exp_reduce(double x, double shift, double *t, double *nd)
{
    *t = FL_FMA(x, 1.4426950408889634, shift);         /* log2(e) */
    *nd = *t - shift;
    return FL_FMA(*nd, -FL_LN2_LO, FL_FMA(*nd, -FL_LN2_HI, x));
}

/*
 * exp(r) - 1 for |r| <= ln(2)/2, as r + r^2 q(r); the callers form
 * 2^n exp(r) as fma(w, s, s) with s a power of two (exactly s * (1 + w)
 * rounded once, the same bits as (1 + w) * s, one operation and one step of
 * the dependency chain fewer).
 * q is the degree-9 Chebyshev fit (near-minimax) of (exp(r) - 1 - r) / r^2
 * on [-ln(2)/2, ln(2)/2], by mpmath.chebyfit at 200 bits, rounded to double:
 * tools/fit_exp_poly.py prints these coefficients and checks that, with the
 * rounded coefficients, 1 + r + r^2 q(r) is within 1.6e-17 (0.14 ulp) of
 * exp(r) over the interval.  (It replaced the Taylor series to r^13: two
 * fewer multiply-adds for the same accuracy.)
 */
FL_INLINE double fl_expm1_poly(double r)
{
    /* Estrin's scheme (pairs, then r^2, r^4, r^8), not Horner's: the
       dependency chain is 4 multiply-adds deep instead of 10, for one more
       multiply.  Measured (Zen 4, in-process A/B): binomial float64 ~5%
       faster, Poisson and Tweedie unchanged. */
    double r2 = r * r;
    double r4 = r2 * r2;
    double p01 = FL_FMA(0.16666666666666669, r, 0.5000000000000001);
    double p23 = FL_FMA(0.008333333333330065, r, 0.041666666666624164);
    double p45 = FL_FMA(0.00019841269863040545, r, 0.0013888888917196719);
    double p67 = FL_FMA(2.7557268480310024e-06, r, 2.4801521322368692e-05);
    double p89 = FL_FMA(2.5100375832561234e-08, r, 2.7620075879983367e-07);
    double p03 = FL_FMA(p23, r2, p01);
    double p47 = FL_FMA(p67, r2, p45);
    double q = FL_FMA(FL_FMA(p89, r4, p47), r4, p03);
    return FL_FMA(q, r2, r);
}

/*
 * exp(x) = 2^n * exp(r),  n = round(x / ln 2),  r = x - n ln 2,  |r| <= ln(2)/2.
 * - n ln 2 is subtracted in two parts (Cody & Waite: FL_LN2_HI, FL_LN2_LO),
 *   by fl_exp_reduce.
 * - round() is the 1.5 * 2^52 shift trick: x * log2(e) + SHIFT rounds to an
 *   integer held in the low mantissa bits (valid for |n| < 2^51); 2^n is built
 *   from those bits by a shift, with no integer <-> double conversion.
 * - exp(r) = 1 + w, w = r + r^2 q(r), q a degree-9 polynomial (fl_expm1_poly).
 * - 2^n is applied as 2^(n/2) * 2^(n - n/2), the first as fma(w, s1, s1)
 *   (1 + w folded into the product, see fl_expm1_poly).  Both factors are
 *   normal doubles for every n in [-1076, 1024], so results that overflow
 *   become inf and results in the subnormal range are rounded once, at the
 *   last multiply.
 * x is first clamped to [-746, 710] (fl_clamp), beyond which exp is 0 or inf
 * anyway; NaN gives NaN (fl_nan_pass).
 */
FL_INLINE double fl_exp(double x)
{
    const double SHIFT = 0x1.8p52;
    /* SHIFT + 1023: after adding it to an integer n, the low 12 bits of the
       result hold n + 1023, so (bits << 52) is the double 2^n.  This keeps
       the whole function in double arithmetic plus one 64-bit left shift,
       which SSE2 has (64-bit int <-> double conversions it has not). */
    const double SHIFT_BIAS = 0x1.8p52 + 1023.0;
    double xc = fl_clamp(x, -746.0, 710.0);
    double t, nd;
    double w = fl_expm1_poly(fl_exp_reduce(xc, SHIFT, &t, &nd));
    /* n = n1 + n2 with n1 = round(n / 2): both scale factors are normal. */
    double t1 = FL_FMA(nd, 0.5, SHIFT_BIAS);
    double n1d = t1 - SHIFT_BIAS;
    double t2 = (nd - n1d) + SHIFT_BIAS;
    double s1 = fl_from_bits(fl_bits(t1) << 52);
    double s2 = fl_from_bits(fl_bits(t2) << 52);
    return fl_nan_pass(x, FL_FMA(w, s1, s1) * s2);
}

/*
 * exp(x) for x <= 0 (or NaN), cheaper than fl_exp and as accurate (<= 2 ulp,
 * subnormal results rounded once): the softmax of the multinomial loss needs
 * exp(raw - max(raw)) <= 1 and the binomial loss exp(-|raw|).
 * - No upper clamp, and one scale factor instead of two: 2^n is applied as
 *   (p * 2^(n + 54)) * 2^-54, p = 1 + w formed inside the first product as
 *   fma(w, S, S), S = 2^(n + 54).  x is clamped below at -746 (exp(-746) rounds
 *   to 0), so n = round(x / ln 2) >= -1076 and the biased exponent of
 *   2^(n + 54) is >= 1: a normal double, built from the shift-trick bits
 *   with SHIFT_BIAS + 54 as in fl_exp.  The first product rounds only as
 *   1 + w itself would (S is a power of 2 and the result is normal); the
 *   second is exact where the result is normal and rounds once where it is
 *   subnormal.
 * - Exact in the same way up to n + 54 <= 1023, but n is not clamped above:
 *   callers pass x <= 0 only (x > 671 gives garbage).
 * NaN gives NaN, -inf gives 0.
 */
FL_INLINE double fl_exp_nonpos(double x)
{
    const double SHIFT_BIAS54 = 0x1.8p52 + 1023.0 + 54.0;  /* as in fl_exp */
    double xc = fl_clamp_below(x, -746.0);
    double t, nd;
    double w = fl_expm1_poly(fl_exp_reduce(xc, SHIFT_BIAS54, &t, &nd));
    double sc = fl_from_bits(fl_bits(t) << 52);
    return fl_nan_pass(x, FL_FMA(w, sc, sc) * 0x1p-54);
}

/*
 * The same scheme in float: FL_LN2F_HI/LO (n has at most 8 bits), the shift
 * is 1.5 * 2^23, and q has degree 4 (fl_expm1f_poly).
 */
FL_INLINE float fl_expf_reduce(float x, float shift, float *t, float *nd)
{
    *t = FL_FMAF(x, 1.44269502f, shift);               /* log2(e) */
    *nd = *t - shift;
    return FL_FMAF(*nd, -FL_LN2F_LO, FL_FMAF(*nd, -FL_LN2F_HI, x));
}

FL_INLINE float fl_expm1f_poly(float r)
{
    /* exp(r) - 1 = r + r^2 q(r) (callers add the 1 as in fl_expm1_poly),
       q the degree-4 Chebyshev fit of (exp(r) - 1 - r) / r^2
       rounded to float (tools/fit_exp_poly.py: 0.16 ulp; it replaced the
       Taylor series to r^7, one multiply-add fewer). */
    float p = FL_FMAF(0.0013926175888627768f, r, 0.008363173343241215f);
    p = FL_FMAF(p, r, 0.041666556149721146f);
    p = FL_FMAF(p, r, 0.16666577756404877f);
    p = FL_FMAF(p, r, 0.5f);
    return FL_FMAF(p, r * r, r);
}

/* exp in float: clamp to [-104, 89], 2^n applied as two factors (see fl_exp). */
FL_INLINE float fl_expf(float x)
{
    const float SHIFT = 0x1.8p23f;
    float xc = fl_clampf(x, -104.0f, 89.0f);
    float t, nd;
    float w = fl_expm1f_poly(fl_expf_reduce(xc, SHIFT, &t, &nd));
    int32_t n = (int32_t)(fl_bitsf(t) - fl_bitsf(SHIFT));
    int32_t n1 = n >> 1;
    int32_t n2 = n - n1;
    float s1 = fl_from_bitsf((uint32_t)(n1 + 127) << 23);
    float s2 = fl_from_bitsf((uint32_t)(n2 + 127) << 23);
    return fl_nan_passf(x, FL_FMAF(w, s1, s1) * s2);
}

/*
 * fl_expf for x <= 0 (or NaN), as fl_exp_nonpos is to fl_exp: no upper
 * clamp, x clamped below at -104 (exp(-104) rounds to 0 in float), and one
 * scale factor applied as (p * 2^(n + 24)) * 2^-24 (n >= -150, so 2^(n + 24)
 * is a normal float), built from the shift-trick bits of t: the low 8 bits of
 * SHIFT + 151 + n hold the biased exponent n + 24 + 127.  Same reduction and
 * polynomial as fl_expf, so the same bound (<= 2 ulp, subnormals rounded
 * once).
 */
FL_INLINE float fl_expf_nonpos(float x)
{
    const float SHIFT_BIAS24 = 0x1.8p23f + 151.0f;     /* 127 + 24 */
    float xc = fl_clamp_belowf(x, -104.0f);
    float t, nd;
    float w = fl_expm1f_poly(fl_expf_reduce(xc, SHIFT_BIAS24, &t, &nd));
    float sc = fl_from_bitsf(fl_bitsf(t) << 23);
    return fl_nan_passf(x, FL_FMAF(w, sc, sc) * 0x1p-24f);
}

/* ------------------------------------------------------------------------ */
/* log                                                                       */
/* ------------------------------------------------------------------------ */

/*
 * log(x) = k ln 2 + log(m),  x = 2^k m,  m in [sqrt(2)/2, sqrt(2)).
 * With f = m - 1 (exact) and s = f / (2 + f), |s| <= 0.1716, z = s^2:
 *   log(1 + f) = 2 atanh(s) = f - f^2/2 + s (f^2/2 + R(z)),
 *   R(z) = 2 atanh(s)/s - 2 = 2z/3 + 2z^2/5 + ...,
 * the arrangement of fdlibm's e_log.c, which keeps the exact f as the leading
 * term.  R(z) = z P(z), P the degree-6 Chebyshev fit (near-minimax) of R(z)/z
 * on [0, 0.02944], by mpmath at 200 bits, rounded to double:
 * tools/fit_log_poly.py prints these coefficients and checks that, rounded,
 * they change the log by at most 4.7e-18 relative (0.04 ulp).  (It replaced
 * the Taylor series to z^10: four fewer multiply-adds.)
 * Subnormal x is scaled by 2^52 first.
 */
/* log(2^kd * m) for m in [sqrt(2)/2, sqrt(2)]: the reduced-argument core of
   fl_log (and fl_log1p, through fl_log). */
FL_INLINE double fl_log_reduced(double m, double kd)
{
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double z = s * s;
    /* P(z) by Estrin's scheme (chain depth 3 instead of 6; see fl_expm1_poly) */
    double z2 = z * z;
    double z4 = z2 * z2;
    double a01 = FL_FMA(0.39999999999899505, z, 0.666666666666667);
    double a23 = FL_FMA(0.2222221113479508, z, 0.28571428625975487);
    double a45 = FL_FMA(0.15331721600556042, z, 0.18182889125261723);
    double a46 = FL_FMA(0.14616449685043406, z2, a45);
    double R = FL_FMA(a46, z4, FL_FMA(a23, z2, a01)) * z;
    double hfsq = 0.5 * f * f;
    return kd * FL_LN2_HI - ((hfsq - FL_FMA(s, hfsq + R, kd * FL_LN2_LO)) - f);
}

FL_INLINE double fl_log(double x)
{
    int sub = x < 0x1p-1022;
    double xs = sub ? x * 0x1p52 : x;
    uint64_t u = fl_bits(xs);
    /* The biased exponent field, as a double: its bits OR-ed into the
       mantissa of 2^52 give 2^52 + field exactly (no int64 -> double
       conversion, which SSE2/AVX2 lack). */
    double kd = fl_from_bits((u >> 52) | 0x4330000000000000ULL) - (0x1p52 + 1023.0);
    kd = sub ? kd - 52.0 : kd;
    double m = fl_from_bits((u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
    int big = m > 1.4142135623730951;
    m = big ? 0.5 * m : m;
    kd = big ? kd + 1.0 : kd;
    double res = fl_log_reduced(m, kd);
    res = x > 0 ? res : (x == 0 ? -INFINITY : NAN);
    return x == INFINITY ? x : res;
}

/* float: P of degree 2 (tools/fit_log_poly.py: 0.04 float ulp; it replaced
   the series to z^5). */
FL_INLINE float fl_logf_reduced(float m, float kf)
{
    float f = m - 1.0f;
    float s = f / (2.0f + f);
    float z = s * s;
    float R = FL_FMAF(FL_FMAF(0.29579949378967285f, z, 0.3998878002166748f), z,
                      0.6666668653488159f) * z;
    float hfsq = 0.5f * f * f;
    return kf * FL_LN2F_HI - ((hfsq - FL_FMAF(s, hfsq + R, kf * FL_LN2F_LO)) - f);
}

FL_INLINE float fl_logf(float x)
{
    int sub = x < 0x1p-126f;
    float xs = sub ? x * 0x1p23f : x;
    uint32_t u = fl_bitsf(xs);
    int32_t k = (int32_t)(u >> 23) - 127 - (sub ? 23 : 0);
    float m = fl_from_bitsf((u & 0x007fffffu) | 0x3f800000u);
    int big = m > 1.41421356f;
    m = big ? 0.5f * m : m;
    k = k + big;
    float res = fl_logf_reduced(m, (float)k);
    res = x > 0 ? res : (x == 0 ? -INFINITY : NAN);
    return x == INFINITY ? x : res;
}

/*
 * log1p(x) = log(u) - ((u - 1) - x) / u with u = 1 + x rounded (u = 0 gives -inf): the second
 * term removes the rounding error of u to first order (Goldberg, "What every
 * computer scientist should know about floating-point arithmetic", 1991,
 * Theorem 4).  Where u == 1 (|x| < eps/2), log1p(x) = x.
 */
FL_INLINE double fl_log1p(double x)
{
    double u = 1.0 + x;
    double c = (u - 1.0) - x;
    double res = fl_log(u) - c / u;
    res = u == 0.0 ? -INFINITY : res;
    return u == 1.0 ? x : (u == INFINITY ? u : res);
}

/*
 * log1p(x) for x in [0, 1] (NaN propagates): the binomial loss's log1p(e),
 * e = exp(-|r|).  The arrangement of fl_log_reduced with f = x itself: no
 * reduction and no rounded 1 + x to correct for, because s = x / (2 + x) is
 * computed from the exact x.  s <= 1/3, so z = s^2 <= 1/9 and P has degree 9
 * (the Chebyshev fit of R(z)/z on [0, 1/9], tools/fit_log_poly.py: 0.064 ulp
 * of the result).  Tiny x gives x (z and x^2 underflow harmlessly).
 */
FL_INLINE double fl_log1p_unit(double x)
{
    double s = x / (2.0 + x);
    double z = s * s;
    double z2 = z * z;
    double z4 = z2 * z2;
    double p01 = FL_FMA(0.40000000000014585, z, 0.6666666666666666);
    double p23 = FL_FMA(0.22222222717427864, z, 0.2857142856710876);
    double p45 = FL_FMA(0.15385570064958623, z, 0.18181789436132859);
    double p67 = FL_FMA(0.12001072809590713, z, 0.13314144209654935);
    double p89 = FL_FMA(0.1616404561194353, z, 0.08800738486144674);
    double p07 = FL_FMA(FL_FMA(p67, z2, p45), z4, FL_FMA(p23, z2, p01));
    double R = FL_FMA(p89, z4 * z4, p07) * z;
    double hfsq = 0.5 * x * x;
    return x - (hfsq - s * (hfsq + R));
}

/* float: P of degree 4 (tools/fit_log_poly.py: 0.016 ulp). */
FL_INLINE float fl_log1p_unitf(float x)
{
    float s = x / (2.0f + x);
    float z = s * s;
    float P = FL_FMAF(0.23224329948425293f, z, 0.2170657515525818f);
    P = FL_FMAF(P, z, 0.285923570394516f);
    P = FL_FMAF(P, z, 0.3999970555305481f);
    P = FL_FMAF(P, z, 0.6666666865348816f);
    float R = P * z;
    float hfsq = 0.5f * x * x;
    return x - (hfsq - s * (hfsq + R));
}

FL_INLINE float fl_log1pf(float x)
{
    float u = 1.0f + x;
    float c = (u - 1.0f) - x;
    float res = fl_logf(u) - c / u;
    res = u == 0.0f ? -INFINITY : res;
    return u == 1.0f ? x : (u == INFINITY ? u : res);
}

#endif
