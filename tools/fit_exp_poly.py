"""Derive and check the exp polynomial of fastloss/_kernels/simd_math.h.

fl_exp_poly(r) = 1 + r + r^2 q(r) for |r| <= ln(2)/2, q of degree 9.  q is the
Chebyshev fit (near-minimax) of (exp(r) - 1 - r) / r^2, computed by mpmath at
200 bits and rounded to double.  This script prints the coefficients (highest
degree first, as the Horner scheme in the header uses them) and the largest
relative error of 1 + r + r^2 q(r), evaluated in mpmath with the *rounded*
coefficients, on a 4001-point grid: 1.6e-17, i.e. 0.14 ulp of 2^-53.
Rounding in the double evaluation adds at most about 1 ulp on top; the
end-to-end bound (2 ulp) is what tests/test_simd_math.py checks.

Run: python tools/fit_exp_poly.py   (needs mpmath)
"""
import mpmath as mp

mp.mp.prec = 200
H = mp.log(2) / 2
DEGREE = 9


def q_exact(r):
    return mp.mpf(1) / 2 if r == 0 else (mp.exp(r) - 1 - r) / r**2


def main():
    poly, _ = mp.chebyfit(q_exact, [-H, H], DEGREE + 1, error=True)
    coefs = [float(c) for c in poly]
    worst = mp.mpf(0)
    for i in range(4001):
        r = -H + 2 * H * i / 4000
        q = mp.mpf(0)
        for c in coefs:
            q = q * r + mp.mpf(c)
        worst = max(worst, abs((1 + r + r * r * q) / mp.exp(r) - 1))
    for c in coefs:
        print(repr(c))
    print(f"max relative error {float(worst):.3g} = {float(worst / mp.mpf(2)**-53):.3f} ulp")


if __name__ == "__main__":
    main()
