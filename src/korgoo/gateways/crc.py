"""CRC-16/X-25 (CRC-ITU as GT06/Concox calls it).

Poly 0x1021 reflected, init 0xFFFF, reflected in and out, final XOR 0xFFFF; check
value 0x906E for b"123456789". A reflected CRC equals the plain CRC-CCITT of the
bit-reversed bytes, bit-reversed: so the C-coded `binascii.crc_hqx` does the work
and no per-byte Python loop runs on the hot path.
"""

from __future__ import annotations

import binascii

_REVERSED_BYTE = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _reverse16(value: int) -> int:
    return (_REVERSED_BYTE[value & 0xFF] << 8) | _REVERSED_BYTE[value >> 8]


def crc16_x25(data: bytes) -> int:
    return _reverse16(binascii.crc_hqx(data.translate(_REVERSED_BYTE), 0xFFFF)) ^ 0xFFFF
