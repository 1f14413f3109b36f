"""md2.py - MD2 (RFC 1319), for test inputs signed the way 1990s clients did.

Neither OpenSSL 3 nor python's hashlib computes MD2 any more, so the
tests that need a real MD2 signature (tests/bad_input_gen.py,
tests/generated_cms.sh) hash with this.  The S-box is derived from the
digits of pi as RFC 1319 says it was, rather than typed in; the RFC's
test vectors are checked when the module is loaded.  Standard library
only; speed is of no concern (inputs are a few hundred bytes).
"""


def pi_digits(n):
    """The first n decimal digits of pi: 3, 1, 4, 1, 5, ... (Machin)."""
    scale = 10 ** (n + 10)

    def arctan_inv(x):
        total = term = scale // x
        k, sign = 3, -1
        while term:
            term //= x * x
            total += sign * (term // k)
            k, sign = k + 2, -sign
        return total

    return [int(c) for c in str(4 * (4 * arctan_inv(5) - arctan_inv(239)))[:n]]


def sbox():
    """The permutation of 0..255 RFC 1319 builds from pi: a shuffle whose
    random numbers below n take one, two or three digits of pi, numbers
    past the largest multiple of n being thrown away."""
    digits = iter(pi_digits(2000))

    def below(n):
        while True:
            x, y = next(digits), 10
            if n > 10:
                x, y = x * 10 + next(digits), 100
            if n > 100:
                x, y = x * 10 + next(digits), 1000
            if x < n * (y // n):
                return x % n

    s = list(range(256))
    for i in range(2, 257):
        j = below(i)
        s[j], s[i - 1] = s[i - 1], s[j]
    return s


S = sbox()


def md2(data):
    """The 16-byte MD2 digest of data (bytes)."""
    pad = 16 - len(data) % 16
    data = bytes(data) + bytes([pad]) * pad
    check, last = [0] * 16, 0
    for i in range(0, len(data), 16):
        for j in range(16):
            check[j] ^= S[data[i + j] ^ last]
            last = check[j]
    data += bytes(check)
    x = [0] * 48
    for i in range(0, len(data), 16):
        for j in range(16):
            x[16 + j] = data[i + j]
            x[32 + j] = x[16 + j] ^ x[j]
        t = 0
        for r in range(18):
            for k in range(48):
                x[k] ^= S[t]
                t = x[k]
            t = (t + r) % 256
    return bytes(x[:16])


# RFC 1319 appendix A.5
assert md2(b"").hex() == "8350e5a3e24c153df2275c9f80692773"
assert md2(b"abc").hex() == "da853b0d3f88d99b30283a69e6ded6bb"
assert md2(b"message digest").hex() == "ab4f496bfb2a530b219ff33031fe06b0"
