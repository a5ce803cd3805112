"""A small reference of FIPS 204 (ML-DSA) internals, written from the standard's algorithms, against
which the Solidity libraries under contracts/mldsa/ are tested. Clarity over speed."""

from __future__ import annotations

import hashlib

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


# ML-DSA-44 (FIPS 204, Table 1).
D = 13
TAU = 39
LAMBDA = 128
GAMMA1 = 1 << 17
GAMMA2 = (Q - 1) // 88
K = 4
L = 4
BETA = 78
OMEGA = 80
PUBLIC_KEY_SIZE = 32 + K * 320
SIGNATURE_SIZE = LAMBDA // 4 + L * 576 + OMEGA + K


def _shake128(data: bytes, length: int) -> bytes:
    return hashlib.shake_128(data).digest(length)


def _shake256(data: bytes, length: int) -> bytes:
    return hashlib.shake_256(data).digest(length)


def bit_unpack(data: bytes, bits: int) -> list[int]:
    """The little-endian `bits`-bit integers of `data` (Algorithms 18/19 without the offset)."""
    value = int.from_bytes(data, "little")
    return [(value >> (bits * i)) & ((1 << bits) - 1) for i in range(len(data) * 8 // bits)]


def bit_pack(values: list[int], bits: int) -> bytes:
    """SimpleBitPack (Algorithm 16): `bits`-bit little-endian integers, concatenated."""
    total = sum(v << (bits * i) for i, v in enumerate(values))
    return total.to_bytes(len(values) * bits // 8, "little")


def pk_decode(pk: bytes) -> tuple[bytes, list[list[int]]]:
    """pkDecode (Algorithm 23): rho and t1 (10-bit coefficients)."""
    return pk[:32], [bit_unpack(pk[32 + 320 * i : 32 + 320 * (i + 1)], 10) for i in range(K)]


def hint_bit_unpack(y: bytes) -> list[list[int]] | None:
    """HintBitUnpack (Algorithm 21), None for a malformed hint."""
    h = [[0] * N for _ in range(K)]
    index = 0
    for i in range(K):
        if y[OMEGA + i] < index or y[OMEGA + i] > OMEGA:
            return None
        first = index
        while index < y[OMEGA + i]:
            if index > first and y[index - 1] >= y[index]:
                return None
            h[i][y[index]] = 1
            index += 1
    if any(y[index:OMEGA]):
        return None
    return h


def sig_decode(sig: bytes) -> tuple[bytes, list[list[int]], list[list[int]] | None]:
    """sigDecode (Algorithm 27): c_tilde, z (centred integers) and h (None when malformed)."""
    c_tilde = sig[: LAMBDA // 4]
    z = []
    for i in range(L):
        chunk = sig[LAMBDA // 4 + 576 * i : LAMBDA // 4 + 576 * (i + 1)]
        z.append([GAMMA1 - v for v in bit_unpack(chunk, 18)])
    return c_tilde, z, hint_bit_unpack(sig[LAMBDA // 4 + 576 * L :])


def sample_in_ball(rho: bytes) -> list[int]:
    """SampleInBall (Algorithm 29), coefficients in {-1, 0, 1}."""
    stream = _shake256(rho, 8 + 4 * 136)
    signs = int.from_bytes(stream[:8], "little")
    c = [0] * N
    k = 8
    for i in range(N - TAU, N):
        while stream[k] > i:
            k += 1
        j = stream[k]
        k += 1
        c[i] = c[j]
        c[j] = -1 if (signs >> (i + TAU - N)) & 1 else 1
    return c


def rej_ntt_poly(seed: bytes) -> list[int]:
    """RejNTTPoly (Algorithm 30)."""
    stream = _shake128(seed, 168 * 8)
    a: list[int] = []
    k = 0
    while len(a) < N:
        coefficient = stream[k] | stream[k + 1] << 8 | (stream[k + 2] & 0x7F) << 16
        k += 3
        if coefficient < Q:
            a.append(coefficient)
    return a


def expand_a(rho: bytes) -> list[list[list[int]]]:
    """ExpandA (Algorithm 32): the k x l matrix in the NTT domain."""
    return [[rej_ntt_poly(rho + bytes([s, r])) for s in range(L)] for r in range(K)]


def decompose(r: int) -> tuple[int, int]:
    """Decompose (Algorithm 36): (r1, r0)."""
    r_plus = r % Q
    r0 = r_plus % (2 * GAMMA2)
    if r0 > GAMMA2:
        r0 -= 2 * GAMMA2
    if r_plus - r0 == Q - 1:
        return 0, r0 - 1
    return (r_plus - r0) // (2 * GAMMA2), r0


def use_hint(h: int, r: int) -> int:
    """UseHint (Algorithm 40)."""
    m = (Q - 1) // (2 * GAMMA2)
    r1, r0 = decompose(r)
    if h == 1:
        return (r1 + 1) % m if r0 > 0 else (r1 - 1) % m
    return r1


def w1_encode(w1: list[list[int]]) -> bytes:
    """w1Encode (Algorithm 28): six bits a coefficient."""
    return b"".join(bit_pack(poly, 6) for poly in w1)


def verify(pk: bytes, message: bytes, sig: bytes, context: bytes = b"") -> bool:
    """ML-DSA-44.Verify (Algorithms 3 and 8), pure ML-DSA with a context string."""
    if len(pk) != PUBLIC_KEY_SIZE or len(sig) != SIGNATURE_SIZE or len(context) > 255:
        return False
    rho, t1 = pk_decode(pk)
    c_tilde, z, h = sig_decode(sig)
    if h is None or max(abs(x) for poly in z for x in poly) >= GAMMA1 - BETA:
        return False
    a_hat = expand_a(rho)
    tr = _shake256(pk, 64)
    mu = _shake256(tr + bytes([0, len(context)]) + context + message, 64)
    c_hat = ntt(sample_in_ball(c_tilde))
    z_hat = [ntt(poly) for poly in z]
    t1_hat = [ntt([x << D for x in poly]) for poly in t1]
    w1 = []
    for r in range(K):
        acc = [0] * N
        for s in range(L):
            acc = [
                (x + y) % Q for x, y in zip(acc, multiply_ntt(a_hat[r][s], z_hat[s]), strict=True)
            ]
        ct = multiply_ntt(c_hat, t1_hat[r])
        w_approx = ntt_inverse([(x - y) % Q for x, y in zip(acc, ct, strict=True)])
        w1.append([use_hint(h[r][j], w_approx[j]) for j in range(N)])
    return _shake256(mu + w1_encode(w1), LAMBDA // 4) == c_tilde
