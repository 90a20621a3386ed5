"""Derive and check the log polynomials of fastloss/_kernels/simd_math.h.

fl_log_reduced (double) and fl_logf_reduced (float) compute log(m) for m in
[sqrt(2)/2, sqrt(2)] as f - f^2/2 + s (f^2/2 + R(z)), f = m - 1,
s = f / (2 + f), z = s^2, where R(z) = 2 atanh(s) / s - 2 = 2z/3 + 2z^2/5 + ...
(fdlibm's e_log.c arrangement).  |s| <= (sqrt2 - 1) / (sqrt2 + 1), so
z <= 0.02944.  R(z) = z P(z) with P the Chebyshev fit (near-minimax) of
R(z) / z on [0, z_max], computed by mpmath at 200 bits and rounded to the
working precision: degree 6 for double (it replaced the Taylor series to z^10:
four fewer multiply-adds), degree 2 for float (replaced the series to z^5).

An error dR in R changes the log by s dR, while the log is about 2s: the
relative contribution is dR / 2.  This script prints P's coefficients (highest
degree first) and that contribution, with the *rounded* coefficients, on a
2001-point grid of z, in ulp of the working precision: 0.042 ulp (double) and
0.043 ulp (float).

fl_log1p_unit(e) (the binomial loss's log1p(e), e in [0, 1]) uses the same
arrangement with f = e itself (no reduction): s = e / (2 + e) <= 1/3, so
z <= 1/9 and P needs degree 9 (double) and 4 (float).  There the contribution
s z dP / log1p(e) is checked on a grid of e in (0, 1]: 0.064 ulp (double) and
0.016 ulp (float).

The end-to-end bound (2 ulp) is what tests/test_simd_math.py checks.

Run: python tools/fit_log_poly.py   (needs mpmath and numpy)
"""
import mpmath as mp
import numpy as np

mp.mp.prec = 200
S_MAX = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)
Z_MAX = S_MAX**2
CASES = (("double", 6, np.float64, 53), ("float", 2, np.float32, 24))
UNIT_CASES = (("double", 9, np.float64, 53), ("float", 4, np.float32, 24))


def p_exact(z):
    """R(z) / z, R(z) = 2 atanh(s) / s - 2 with s = sqrt(z)."""
    if z == 0:
        return mp.mpf(2) / 3
    s = mp.sqrt(z)
    return (2 * mp.atanh(s) / s - 2) / z


def _fit(degree, dtype, z_max):
    poly = mp.chebyfit(p_exact, [0, z_max], degree + 1)
    return [float(dtype(float(c))) for c in poly]


def _horner(coefs, z):
    p = mp.mpf(0)
    for c in coefs:
        p = p * z + mp.mpf(c)
    return p


def _show(title, coefs, dtype, worst, bits):
    print(title)
    for c in coefs:
        print("  " + (repr(c) if dtype is np.float64 else repr(np.float32(c).item())))
    ulp = float(worst / mp.mpf(2) ** -bits)
    print(f"  largest relative contribution to the result: {float(worst):.3g} = {ulp:.3f} ulp")


def main():
    for name, degree, dtype, bits in CASES:
        coefs = _fit(degree, dtype, Z_MAX)
        worst = mp.mpf(0)
        for i in range(2001):
            z = Z_MAX * i / 2000
            worst = max(worst, abs(_horner(coefs, z) - p_exact(z)) * z / 2)
        _show(f"log, {name}: P of degree {degree}, highest degree first", coefs, dtype,
              worst, bits)
    for name, degree, dtype, bits in UNIT_CASES:
        coefs = _fit(degree, dtype, mp.mpf(1) / 9)
        worst = mp.mpf(0)
        for i in range(1, 2001):
            e = mp.mpf(i) / 2000
            s = e / (2 + e)
            z = s * s
            worst = max(worst, abs(s * z * (_horner(coefs, z) - p_exact(z))) / mp.log1p(e))
        _show(f"log1p_unit, {name}: P of degree {degree}, highest degree first", coefs,
              dtype, worst, bits)


if __name__ == "__main__":
    main()
