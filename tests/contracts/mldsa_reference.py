"""A small reference of FIPS 204 (ML-DSA) internals, written from the standard's algorithms, against
which the Solidity libraries under contracts/mldsa/ are tested. Clarity over speed."""

from __future__ import annotations

Q = 8_380_417
N = 256
#: 512th root of unity mod q (FIPS 204, section 2.5).
ZETA = 1753
#: 256^-1 mod q, the inverse NTT's final factor (Algorithm 42, line 21).
N_INVERSE = 8_347_681


def bit_reverse_8(k: int) -> int:
    """The 8-bit reversal of k (FIPS 204, section 2.3: BitRev8)."""
    return int(f"{k:08b}"[::-1], 2)


#: zetas[k] = ZETA^BitRev8(k) mod q (FIPS 204, Appendix B).
ZETAS = [pow(ZETA, bit_reverse_8(k), Q) for k in range(N)]


def ntt(w: list[int]) -> list[int]:
    """FIPS 204 Algorithm 41 (NTT), coefficients reduced mod q."""
    a = [x % Q for x in w]
    m, length = 0, 128
    while length >= 1:
        start = 0
        while start < N:
            m += 1
            z = ZETAS[m]
            for j in range(start, start + length):
                t = z * a[j + length] % Q
                a[j + length] = (a[j] - t) % Q
                a[j] = (a[j] + t) % Q
            start += 2 * length
        length //= 2
    return a


def ntt_inverse(w_hat: list[int]) -> list[int]:
    """FIPS 204 Algorithm 42 (NTT^-1), coefficients reduced mod q."""
    a = [x % Q for x in w_hat]
    m, length = 256, 1
    while length < N:
        start = 0
        while start < N:
            m -= 1
            z = -ZETAS[m]
            for j in range(start, start + length):
                t = a[j]
                a[j] = (t + a[j + length]) % Q
                a[j + length] = z * (t - a[j + length]) % Q
            start += 2 * length
        length *= 2
    return [x * N_INVERSE % Q for x in a]


def multiply_ntt(a: list[int], b: list[int]) -> list[int]:
    """FIPS 204 Algorithm 45 (MultiplyNTT): coefficient-wise products mod q."""
    return [x * y % Q for x, y in zip(a, b, strict=True)]


def multiply_polynomials(a: list[int], b: list[int]) -> list[int]:
    """a * b in Z_q[X]/(X^256 + 1) by schoolbook multiplication (the NTT's specification)."""
    c = [0] * N
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            k = i + j
            if k < N:
                c[k] = (c[k] + x * y) % Q
            else:
                c[k - N] = (c[k - N] - x * y) % Q
    return c
