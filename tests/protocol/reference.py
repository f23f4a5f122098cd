"""An independent, deliberately naive IRLink v1 encoder, written from protocols/ alone.

It shares no code with irlink.protocol: the tests hold the real codec to it, so a
bug would have to be made twice, in two different ways, to go unseen.
"""

from __future__ import annotations

import struct
from typing import Any

from irlink.spec import load_protocol
from irlink.spec.protocol import INT_TYPES, FieldSpec


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE, bit by bit, straight from its parameters."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def cobs_encode(data: bytes, *, canonical: bool = True) -> bytes:
    """COBS, one byte at a time, as in Cheshire and Baker's paper.

    The canonical form (what IRLink senders emit) ends after a full block of 254
    non-zero bytes that closes the payload; the paper's literal encoder adds a code
    byte 0x01 for the empty block after it. Receivers accept both.
    """
    out = bytearray([0])
    code_at, code = 0, 1
    after_full_block = False
    for byte in data:
        after_full_block = False
        if byte == 0:
            out[code_at] = code
            code_at, code = len(out), 1
            out.append(0)
        else:
            out.append(byte)
            code += 1
            if code == 0xFF:
                out[code_at] = code
                code_at, code = len(out), 1
                out.append(0)
                after_full_block = True
    if canonical and after_full_block:
        out.pop()
    else:
        out[code_at] = code
    return bytes(out)


def payload(version: int, kind: int, seq: int, msg_id: int, body: bytes) -> bytes:
    """Header, body and CRC: the bytes a frame carries before COBS."""
    data = bytes([version, kind, seq & 0xFF, seq >> 8, msg_id]) + body
    crc = crc16_ccitt_false(data)
    return data + bytes([crc & 0xFF, crc >> 8])


def frame_payload(frame: Any) -> bytes:
    """The payload of an irlink Frame, built by this module."""
    return payload(frame.version, frame.kind, frame.seq, frame.msg_id, frame.body)


def frame(version: int, kind: int, seq: int, msg_id: int, body: bytes) -> bytes:
    """A whole frame on the wire, delimiter included."""
    return cobs_encode(payload(version, kind, seq, msg_id, body)) + b"\x00"


def pack_field(spec_field: FieldSpec, value: Any) -> bytes:
    """One field's bytes from its spec entry and a raw value (ints, bools, bytes, lists)."""
    spec = load_protocol()
    kind = spec_field.type
    if kind == "string":
        return bytes([len(value)]) + bytes(value)
    if kind == "list":
        assert spec_field.of is not None
        if spec_field.of in spec.structs:
            items = b"".join(pack_body(spec.structs[spec_field.of].fields, v) for v in value)
        else:
            items = b"".join(struct.pack("<" + INT_TYPES[spec_field.of][2], v) for v in value)
        return bytes([len(value)]) + items
    if kind == "bool":
        return bytes([int(value)])
    return struct.pack("<" + INT_TYPES[spec.wire_type(kind)][2], int(value))


def pack_body(fields: list[FieldSpec], values: dict[str, Any]) -> bytes:
    """A body's bytes, field after field in spec order."""
    return b"".join(pack_field(f, values[f.name]) for f in fields)
