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
0.043 ulp (float).  The end-to-end bound (2 ulp) is what
tests/test_simd_math.py checks.

Run: python tools/fit_log_poly.py   (needs mpmath and numpy)
"""
import mpmath as mp
import numpy as np

mp.mp.prec = 200
S_MAX = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)
Z_MAX = S_MAX**2
CASES = (("double", 6, np.float64, 53), ("float", 2, np.float32, 24))


def p_exact(z):
    """R(z) / z, R(z) = 2 atanh(s) / s - 2 with s = sqrt(z)."""
    if z == 0:
        return mp.mpf(2) / 3
    s = mp.sqrt(z)
    return (2 * mp.atanh(s) / s - 2) / z


def main():
    for name, degree, dtype, bits in CASES:
        poly = mp.chebyfit(p_exact, [0, Z_MAX], degree + 1)
        coefs = [float(dtype(float(c))) for c in poly]
        worst = mp.mpf(0)
        for i in range(2001):
            z = Z_MAX * i / 2000
            p = mp.mpf(0)
            for c in coefs:
                p = p * z + mp.mpf(c)
            worst = max(worst, abs(p - p_exact(z)) * z / 2)
        print(f"{name}: P of degree {degree}, highest degree first")
        for c in coefs:
            print("  " + (repr(c) if dtype is np.float64 else repr(np.float32(c).item())))
        ulp = float(worst / mp.mpf(2) ** -bits)
        print(f"  largest relative contribution to log: {float(worst):.3g} = {ulp:.3f} ulp")


if __name__ == "__main__":
    main()
