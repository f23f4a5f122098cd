"""The stream decoder under hostile input: it never crashes, hangs or grows, and resyncs.

Each property runs 2,000 examples (derandomized, so CI is repeatable).
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from irlink.protocol import DeviceCodec, FrameDecoder, HostCodec, Refusal, Rejected
from irlink.protocol.framing import MAX_ENCODED
from tests.protocol import reference
from tests.protocol.strategies import any_message, wire_of

EXAMPLES = settings(max_examples=2000)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def feed_all(decoder: FrameDecoder, chunks: list[bytes]) -> list[Any]:
    frames = []
    for chunk in chunks:
        frames += decoder.feed(chunk)
        assert decoder.buffered <= MAX_ENCODED
    return frames


@EXAMPLES
@given(st.lists(any_message(), min_size=1, max_size=6), st.lists(st.integers(0, 10_000)))
def test_any_chunking_yields_the_same_messages(messages: list[Any], cuts: list[int]) -> None:
    wire = b"".join(wire_of(m, i) for i, m in enumerate(messages))
    decoder = FrameDecoder()
    frames = feed_all(decoder, chunked(wire, cuts))
    assert [f.seq for f in frames] == list(range(len(messages)))
    assert decoder.stats.dropped == 0


@EXAMPLES
@given(st.lists(st.tuples(st.binary(max_size=40), any_message()), min_size=1, max_size=5))
def test_garbage_between_frames_never_hides_a_frame_after_a_delimiter(
    pairs: list[tuple[bytes, Any]],
) -> None:
    wire = b"".join(junk + b"\x00" + wire_of(m, i) for i, (junk, m) in enumerate(pairs))
    frames = feed_all(FrameDecoder(), [wire])
    delivered = [f.seq for f in frames]
    # Junk can, by chance, form a valid frame of its own; every real frame still arrives.
    real = [s for s in delivered if s in range(len(pairs))]
    assert real[-len(pairs) :] == list(range(len(pairs)))


@EXAMPLES
@given(any_message(), any_message(), st.data())
def test_a_truncated_frame_costs_only_itself(first: Any, second: Any, data: st.DataObject) -> None:
    wire = wire_of(first, 1)
    cut = data.draw(st.integers(0, len(wire) - 2))
    decoder = FrameDecoder()
    frames = feed_all(decoder, [wire[:cut] + b"\x00", wire_of(second, 2)])
    assert [f.seq for f in frames] == [2]


@EXAMPLES
@given(any_message(), any_message(), st.data())
def test_a_flipped_bit_is_dropped_and_the_next_frame_arrives(
    first: Any, second: Any, data: st.DataObject
) -> None:
    wire = bytearray(wire_of(first, 1))
    bit = data.draw(st.integers(0, (len(wire) - 1) * 8 - 1))  # any bit but the delimiter's
    wire[bit // 8] ^= 1 << (bit % 8)
    decoder = FrameDecoder()
    frames = feed_all(decoder, [bytes(wire) + b"\x00", wire_of(second, 2)])
    assert [f.seq for f in frames][-1] == 2
    assert all(f.seq == 2 for f in frames), "a corrupted frame was accepted"


@EXAMPLES
@given(st.binary(min_size=MAX_ENCODED + 1, max_size=4 * MAX_ENCODED), any_message(), st.data())
def test_an_oversize_run_is_dropped_without_growing_the_buffer(
    junk: bytes, message: Any, data: st.DataObject
) -> None:
    junk = junk.replace(b"\x00", b"\x01")
    decoder = FrameDecoder()
    cuts = data.draw(st.lists(st.integers(0, len(junk)), max_size=8))
    frames = feed_all(decoder, [*chunked(junk, cuts), b"\x00", wire_of(message, 3)])
    assert [f.seq for f in frames] == [3]
    assert decoder.stats.too_long == 1


@EXAMPLES
@given(st.binary(max_size=600), st.lists(st.integers(0, 600), max_size=6))
def test_random_bytes_never_raise_from_either_end(noise: bytes, cuts: list[int]) -> None:
    host, device = HostCodec(), DeviceCodec()
    for chunk in chunked(noise, cuts):
        host.feed(chunk)
        device.feed(chunk)
        assert host.decoder.buffered <= MAX_ENCODED
        assert device.decoder.buffered <= MAX_ENCODED


def test_every_single_bit_flip_of_a_status_frame_is_caught() -> None:
    """Exhaustive: all 992 one-bit corruptions of a full status frame are dropped."""
    from bench.bench_codec import full_status

    wire = wire_of(full_status(), 1)
    accepted = 0
    for bit in range((len(wire) - 1) * 8):
        corrupt = bytearray(wire)
        corrupt[bit // 8] ^= 1 << (bit % 8)
        accepted += len(FrameDecoder().feed(bytes(corrupt) + b"\x00"))
    assert accepted == 0


@EXAMPLES
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # version, mostly wrong
            st.integers(0, 5),  # kind, past the four defined
            st.integers(0, 0xFFFF),
            st.sampled_from(
                [0x00, 0x01, 0x02, 0x10, 0x11, 0x20, 0x30, 0x7F, 0x80, 0x82, 0x89, 0xFF]
            ),
            st.binary(max_size=120),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_intact_frames_with_hostile_content_never_raise_from_either_end(
    frames: list[tuple[int, int, int, int, bytes]],
) -> None:
    """Valid CRCs carry the garbage past framing into the message decoder itself."""
    wire = b"".join(reference.frame(v, k, s, m, b) for v, k, s, m, b in frames)
    host, device = HostCodec(), DeviceCodec()
    answers = device.feed(wire)
    heard = host.feed(wire)
    # Every intact frame gets exactly one outcome at each end: served, refused or garbled.
    assert len(answers) == len(heard) == len(frames)
    for answer in answers:
        if isinstance(answer, Rejected):
            [refusal] = HostCodec().feed(answer.reply)
            assert isinstance(refusal, Refusal)


def test_every_fault_value_a_device_can_send_leaves_host_memory_bounded() -> None:
    """A hostile device sends each of the 65,536 values of a u16 fault field once: the
    host keeps a bounded cache of flag values, not one object per value it ever saw."""
    import gc
    import struct
    import tracemalloc

    from irlink.protocol import EventReceived, HostCodec
    from irlink.protocol.framing import frame_bytes
    from irlink.protocol.messages import FaultFlags, FaultRaisedEvent, FrameKind

    host = HostCodec()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for first in range(0, 0x10000, 0x400):
            values = range(first, first + 0x400)
            items = host.feed(
                b"".join(
                    frame_bytes(
                        FrameKind.EVENT, v, FaultRaisedEvent.MSG_ID, struct.pack("<BH", 0, v)
                    )
                    for v in values
                )
            )
            assert all(isinstance(item, EventReceived) for item in items)
            # Every bit is kept, named or not (section 5).
            assert [int(item.message.fault) for item in items] == list(values)  # type: ignore[union-attr]
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 1 << 20, f"the host grew by {grown / 2**20:.1f} MiB"
    assert len(FaultFlags._value2member_map_) <= 1 << 7  # named bits only
