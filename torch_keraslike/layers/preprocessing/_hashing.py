"""TensorFlow's string hashes of integers, on torch tensors, so ``Hashing``,
``HashedCrossing`` and ``IntegerLookup`` put values in the same bins as Keras 3
(which calls TensorFlow for them).

Keras hashes an integer through its decimal string (``tf.strings.as_string``):
FarmHash's ``Fingerprint64`` (``to_hash_bucket_fast``), or SipHash-2-4 keyed with
the salt (``to_hash_bucket_strong``), modulo the number of bins. Crosses combine the
features with ``FingerprintCat64``. The arithmetic is on uint64 bit patterns held
in int64 tensors (wrapping multiplication and addition, logical right shifts), and
the strings are built digit by digit, so everything is vectorised and runs on any
device.
"""

import torch

_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F
_CAT_MUL = 0xC6A4A7935BD1E995
_CROSS_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default hash key
_MAX_DIGITS = 20  # "-9223372036854775808"


def _i64(value):
    """A Python integer as the int64 with the same low 64 bits."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def _shr(x, n):
    """Logical right shift of uint64 bit patterns."""
    return (x >> n) & _i64((1 << (64 - n)) - 1)


def _rotr(x, n):
    return _shr(x, n) | (x << (64 - n))


def _rotl(x, n):
    return (x << n) | _shr(x, 64 - n)


def _shift_mix(x):
    return x ^ _shr(x, 47)


def decimal_bytes(values):
    """The decimal strings of int64 ``values`` (1-D) as ``(bytes, lengths)``: a
    ``(N, 24)`` int64 tensor of ASCII codes, left-aligned and zero-padded, and the
    string lengths."""
    negative = values < 0
    # Digits of -|x| (never overflows, even for the smallest int64).
    rest = torch.where(negative, values, -values)
    digits = []
    for _ in range(_MAX_DIGITS - 1):
        quotient = torch.div(rest, 10, rounding_mode="trunc")
        digits.append(quotient * 10 - rest)
        rest = quotient
    digits = torch.stack(digits[::-1], dim=1)  # most significant first, zero-padded
    count = torch.clamp((digits != 0).int().argmax(dim=1), max=_MAX_DIGITS - 2)
    count = torch.where((digits != 0).any(dim=1), _MAX_DIGITS - 1 - count, torch.ones_like(count))
    lengths = count + negative.long()
    # Position p of the string holds digit (p - sign) counted from the first one.
    positions = torch.arange(24, device=values.device).reshape(1, -1)
    source = positions - negative.long().reshape(-1, 1) + (_MAX_DIGITS - 1 - count).reshape(-1, 1)
    gathered = torch.gather(digits, 1, source.clamp(0, _MAX_DIGITS - 2)) + 48
    text = torch.where((positions >= negative.long().reshape(-1, 1)) & (positions < lengths.reshape(-1, 1)),
                       gathered, torch.zeros_like(gathered))
    text = torch.where((positions == 0) & negative.reshape(-1, 1), torch.full_like(text, 45), text)
    return text, lengths


def _fetch(text, offset, width):
    """Little-endian ``width``-byte words of ``text`` at per-row ``offset``."""
    index = offset.reshape(-1, 1) + torch.arange(width, device=text.device).reshape(1, -1)
    data = torch.gather(text, 1, index.clamp(0, text.shape[1] - 1))
    word = torch.zeros_like(offset)
    for i in range(width):
        word = word | (data[:, i] << (8 * i))
    return word


def _hash_len16(u, v, mul):
    a = (u ^ v) * mul
    a = a ^ _shr(a, 47)
    b = (v ^ a) * mul
    b = b ^ _shr(b, 47)
    return b * mul


def fingerprint64(text, lengths):
    """FarmHash ``Fingerprint64`` of strings of at most 32 bytes (``decimal_bytes``)."""
    zero = torch.zeros_like(lengths)
    mul = _i64(_K2) + lengths * 2
    # 8 <= len <= 16
    a = _fetch(text, zero, 8) + _i64(_K2)
    b = _fetch(text, lengths - 8, 8)
    c = _rotr(b, 37) * mul + a
    d = (_rotr(a, 25) + b) * mul
    long16 = _hash_len16(c, d, mul)
    # 4 <= len < 8
    first = _fetch(text, zero, 4)
    short = _hash_len16(lengths + (first << 3), _fetch(text, lengths - 4, 4), mul)
    # 0 < len < 4
    y = text[:, 0] + (torch.gather(text, 1, (lengths >> 1).reshape(-1, 1)).reshape(-1) << 8)
    z = lengths + (torch.gather(text, 1, (lengths - 1).clamp(min=0).reshape(-1, 1)).reshape(-1) << 2)
    tiny = _shift_mix((y * _i64(_K2)) ^ (z * _i64(_K0))) * _i64(_K2)
    # 16 < len <= 32
    a = _fetch(text, zero, 8) * _i64(_K1)
    b = _fetch(text, zero + 8, 8)
    c = _fetch(text, lengths - 8, 8) * mul
    d = _fetch(text, lengths - 16, 8) * _i64(_K2)
    long32 = _hash_len16(_rotr(a + b, 43) + _rotr(c, 30) + d, a + _rotr(b + _i64(_K2), 18) + c, mul)
    result = torch.where(lengths > 16, long32, long16)
    result = torch.where(lengths < 8, short, result)
    result = torch.where(lengths < 4, tiny, result)
    return torch.where(lengths == 0, torch.full_like(result, _i64(_K2)), result)


def _sip_round(v0, v1, v2, v3):
    v0 = v0 + v1
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = v2 + v3
    v3 = _rotl(v3, 16) ^ v2
    v0 = v0 + v3
    v3 = _rotl(v3, 21) ^ v0
    v2 = v2 + v1
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash(text, lengths, key):
    """SipHash-2-4 of strings of at most 24 bytes with the 128-bit ``key``
    ``(k0, k1)`` (TensorFlow's ``to_hash_bucket_strong``)."""
    k0, k1 = (_i64(k) for k in key)
    v = [torch.full_like(lengths, _i64(k0 ^ 0x736F6D6570736575)), torch.full_like(lengths, _i64(k1 ^ 0x646F72616E646F6D)),
         torch.full_like(lengths, _i64(k0 ^ 0x6C7967656E657261)), torch.full_like(lengths, _i64(k1 ^ 0x7465646279746573))]
    blocks = lengths >> 3
    for block in range(3):
        offset = torch.full_like(lengths, 8 * block)
        full = _fetch(text, offset, 8)
        # The last block: the remaining bytes (zero-padded by decimal_bytes) and the
        # length in the top byte.
        last = (_fetch(text, offset, 8) & ~_i64(0xFF << 56)) | (lengths << 56)
        active = block <= blocks
        m = torch.where(block < blocks, full, last)
        u0, u1, u2, u3 = v
        u3 = u3 ^ m
        for _ in range(2):
            u0, u1, u2, u3 = _sip_round(u0, u1, u2, u3)
        u0 = u0 ^ m
        v = [torch.where(active, new, old) for new, old in zip((u0, u1, u2, u3), v)]
    v0, v1, v2, v3 = v
    v2 = v2 ^ 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def unsigned_mod(x, modulus):
    """``x`` read as uint64, modulo ``modulus`` (``<= 2**62``), as int64."""
    wrap = (1 << 64) % modulus
    result = torch.remainder(x, modulus) + torch.where(x < 0, wrap, 0)
    return torch.remainder(result, modulus)


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's ``FingerprintCat64`` of two uint64 fingerprints."""
    mul = _i64(_CAT_MUL)
    result = fp1 ^ mul
    result = result ^ (_shift_mix(fp2 * mul) * mul)
    result = result * mul
    result = _shift_mix(result) * mul
    return _shift_mix(result)


def hash_integers(values, num_bins, salt=None):
    """Bins in ``[0, num_bins)`` of int64 ``values`` (any shape), as Keras's
    ``Hashing``: FarmHash of the decimal strings, or SipHash keyed by ``salt``."""
    flat = values.reshape(-1)
    text, lengths = decimal_bytes(flat)
    hashed = fingerprint64(text, lengths) if salt is None else siphash(text, lengths, salt)
    return unsigned_mod(hashed, num_bins).reshape(values.shape)


def cross_integers(features, num_bins):
    """Bins of the crosses of int64 ``features`` (same shapes), as
    ``tf.sparse.cross_hashed`` with its default key: integer features enter as
    their own values."""
    result = torch.full_like(features[0], _i64(_CROSS_KEY))
    for feature in features:
        result = fingerprint_cat64(result, feature)
    return unsigned_mod(result, num_bins)
