"""Message bodies: byte layout, round trips, and the codec's checks against pydantic's."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from irlink.protocol import (
    BadLength,
    InvalidValue,
    MessageError,
    OutOfRange,
    decode_body,
    encode_body,
)
from irlink.protocol.body import values_reader
from irlink.protocol.messages import (
    ConfigureRequest,
    FaultFlags,
    FaultRaisedEvent,
    GetInfoResponse,
    GetStatusResponse,
    Mode,
    PortState,
    PortStatus,
    SubscribeResponse,
)
from irlink.spec.protocol import FieldSpec
from tests.protocol import reference
from tests.protocol.strategies import all_models, as_pydantic_input, messages, raw_body

MODELS = all_models()
IDS = [cls.__name__ for cls, _ in MODELS]
FIELDS = dict(MODELS)


@pytest.mark.parametrize(("cls", "fields"), MODELS, ids=IDS)
@settings(max_examples=60)
@given(data=st.data())
def test_every_body_matches_the_reference_layout_and_round_trips(
    cls: type[Any], fields: list[FieldSpec], data: st.DataObject
) -> None:
    raw = data.draw(raw_body(fields, valid=True))
    message = cls.model_validate(as_pydantic_input(fields, raw))
    body = encode_body(message)
    assert body == reference.pack_body(fields, raw)
    assert decode_body(cls, body) == message


@pytest.mark.parametrize(("cls", "fields"), MODELS, ids=IDS)
@settings(max_examples=150)
@given(data=st.data())
def test_codec_accepts_exactly_what_the_model_accepts(
    cls: type[Any], fields: list[FieldSpec], data: st.DataObject
) -> None:
    """The codec's own checks (its fast path) must equal pydantic's validation."""
    raw = data.draw(raw_body(fields, valid=False))
    body = reference.pack_body(fields, raw)
    try:
        validated = cls.model_validate(as_pydantic_input(fields, raw))
    except ValidationError:
        validated = None
    try:
        decoded = decode_body(cls, body)
    except MessageError:
        decoded = None
    assert (decoded is None) == (validated is None), (raw, decoded, validated)
    if decoded is not None:
        assert decoded == validated
        assert decoded.model_dump() == validated.model_dump()
        assert decoded.model_dump_json() == validated.model_dump_json()


@pytest.mark.parametrize(("cls", "fields"), MODELS, ids=IDS)
@settings(max_examples=100)
@given(data=st.data())
def test_the_values_reader_reads_and_refuses_exactly_as_the_model_reader(
    cls: type[Any], fields: list[FieldSpec], data: st.DataObject
) -> None:
    """values_reader gives the model's field values, and the same error for a bad body."""
    body = data.draw(
        st.one_of(
            st.builds(reference.pack_body, st.just(fields), raw_body(fields, valid=False)),
            st.binary(max_size=40),
        )
    )
    try:
        message = decode_body(cls, body)
    except MessageError as exc:
        refused = exc
    else:
        refused = None
    if refused is not None:
        with pytest.raises(type(refused)) as raised:
            values_reader(cls)(body)
        got = raised.value
        assert (str(got), got.field, got.limit) == (str(refused), refused.field, refused.limit)
        return
    values = values_reader(cls)(body)
    assert values == tuple(getattr(message, name) for name in type(message).model_fields)
    assert [type(v) for v in values] == [
        type(getattr(message, name)) for name in type(message).model_fields
    ]


def test_the_values_reader_of_a_list_item_reads_and_refuses_as_its_reader() -> None:
    """Items (fixed-size records, such as a status's ports) take the other generated path."""
    port = PortStatus(
        1,
        PortState.RUNNING,
        True,
        3,
        7,
        600,
        42,
        2,
        Mode.PULSED,
        10,
        False,
        0,
        390,
        361,
        FaultFlags(0),
        False,
        2,
    )
    body = encode_body(port)
    assert values_reader(PortStatus)(body) == tuple(port) == tuple(decode_body(PortStatus, body))
    bad = body[:1] + bytes([9]) + body[2:]  # no such port state
    with pytest.raises(InvalidValue) as by_model:
        decode_body(PortStatus, bad)
    with pytest.raises(InvalidValue) as by_values:
        values_reader(PortStatus)(bad)
    assert str(by_values.value) == str(by_model.value)
    with pytest.raises(BadLength):
        values_reader(PortStatus)(body[:-1])


@given(messages(GetStatusResponse, FIELDS[GetStatusResponse]))
@settings(max_examples=100)
def test_decoded_models_behave_like_validated_ones(status: GetStatusResponse) -> None:
    decoded = decode_body(GetStatusResponse, encode_body(status))
    assert decoded.model_fields_set == status.model_fields_set
    assert hash(decoded.ports) == hash(status.ports)
    copy = decoded.model_copy(update={"battery_pct": 1})
    assert copy.battery_pct == 1
    # Decoded models share one fields-set; pydantic must copy it before any update.
    assert copy.model_fields_set is not decoded.model_fields_set
    assert decoded.battery_pct == status.battery_pct
    assert GetStatusResponse.model_validate_json(decoded.model_dump_json()) == status
    with pytest.raises(ValidationError):
        decoded.battery_pct = 3  # type: ignore[misc]


CONFIGURE_RAW = {
    "port": 1,
    "duration_s": 60,
    "intensity": 1,
    "mode": 0,
    "pulse_hz": 0,
    "sham": 0,
    "setpoint_dc": 0,
    "override": 0,
}


def test_a_fixed_size_body_of_the_wrong_length_is_a_bad_length() -> None:
    body = reference.pack_body(FIELDS[ConfigureRequest], CONFIGURE_RAW)
    with pytest.raises(BadLength, match="10 bytes; its body has 11"):
        decode_body(ConfigureRequest, body[:-1])
    with pytest.raises(BadLength, match="12 bytes; its body has 11"):
        decode_body(ConfigureRequest, body + b"\x00")


def test_a_variable_body_that_ends_early_or_runs_on_is_a_bad_length() -> None:
    body = reference.pack_body(FIELDS[SubscribeResponse], {"period_ms": 1})
    info = encode_body(
        GetInfoResponse.model_validate(
            as_pydantic_input(
                FIELDS[GetInfoResponse], {f.name: _zero(f) for f in FIELDS[GetInfoResponse]}
            )
        )
    )
    with pytest.raises(BadLength, match="ends early"):
        decode_body(GetInfoResponse, info[:-1])
    with pytest.raises(BadLength, match="1 bytes after"):
        decode_body(GetInfoResponse, info + b"\x00")
    assert decode_body(SubscribeResponse, body).period_ms == 1


def test_the_length_of_a_request_is_judged_before_its_fields() -> None:
    body = reference.pack_body(FIELDS[ConfigureRequest], {**CONFIGURE_RAW, "port": 9})
    with pytest.raises(BadLength):
        decode_body(ConfigureRequest, body + b"\x00")


def test_the_first_bad_field_in_wire_order_is_the_one_reported() -> None:
    # mode (field 4) is not a mode and pulse_hz (field 5) is out of range: field 4 wins,
    # though enum and range checks run in different passes on the fast path.
    raw = {**CONFIGURE_RAW, "mode": 5, "pulse_hz": 20_000}
    with pytest.raises(InvalidValue) as caught:
        decode_body(ConfigureRequest, reference.pack_body(FIELDS[ConfigureRequest], raw))
    assert caught.value.field == 4
    raw = {**CONFIGURE_RAW, "intensity": 11, "mode": 5, "sham": 2}
    with pytest.raises(OutOfRange) as caught:
        decode_body(ConfigureRequest, reference.pack_body(FIELDS[ConfigureRequest], raw))
    assert (caught.value.field, caught.value.limit) == (3, 10)


def test_out_of_range_names_the_field_and_the_bound_crossed() -> None:
    body = bytearray(reference.pack_body(FIELDS[ConfigureRequest], {**CONFIGURE_RAW, "port": 9}))
    with pytest.raises(OutOfRange, match=r"ConfigureRequest.port is 9, outside 0..4") as caught:
        decode_body(ConfigureRequest, bytes(body))
    assert (caught.value.field, caught.value.limit) == (1, 4)
    body[0], body[8], body[9] = 1, 0x18, 0xFC  # setpoint_dc = -1000
    with pytest.raises(OutOfRange) as caught:
        decode_body(ConfigureRequest, bytes(body))
    assert (caught.value.field, caught.value.limit) == (7, 0)


def test_an_error_inside_a_list_item_points_at_the_list() -> None:
    fields = FIELDS[GetStatusResponse]
    port = {
        "port": 5,
        "state": 0,
        "pad_present": 1,
        "pad_type": 0,
        "session_id": 0,
        "duration_s": 0,
        "remaining_s": 0,
        "intensity": 0,
        "mode": 0,
        "pulse_hz": 0,
        "sham": 0,
        "setpoint_dc": 0,
        "temp_dc": 0,
        "skin_temp_dc": 0,
        "faults": 0,
        "override": 0,
        "starts_left": 3,
    }
    raw = {
        "state": 0,
        "battery_pct": 0,
        "battery_mv": 0,
        "charger_connected": 0,
        "board_temp_dc": 0,
        "faults": 0,
        "uptime_s": 0,
        "boot_count": 0,
        "ports": [port],
    }
    with pytest.raises(OutOfRange, match=r"GetStatusResponse.ports: PortStatus.port is 5") as e:
        decode_body(GetStatusResponse, reference.pack_body(fields, raw))
    assert e.value.field == 9
    raw["ports"] = [{**port, "port": 1, "mode": 9}]
    with pytest.raises(InvalidValue, match=r"PortStatus.mode cannot be 9"):
        decode_body(GetStatusResponse, reference.pack_body(fields, raw))


def test_too_many_list_items_is_out_of_range_at_the_maximum() -> None:
    fields = FIELDS[GetInfoResponse]
    raw = {f.name: _zero(f) for f in fields} | {"irradiance_dmw_cm2": [1] * 11}
    with pytest.raises(OutOfRange, match="irradiance_dmw_cm2 has 11 items; at most 10") as caught:
        decode_body(GetInfoResponse, reference.pack_body(fields, raw))
    assert (caught.value.field, caught.value.limit) == (14, 10)


def _zero(field: FieldSpec) -> Any:
    if field.type == "string":
        return b""
    if field.type == "list":
        return []
    return field.range[0] if field.range else (1 if field.type in {"device_family"} else 0)


def test_text_must_be_printable_ascii() -> None:
    fields = FIELDS[GetInfoResponse]
    raw = {f.name: _zero(f) for f in fields} | {"model": b"IRL\x07W2"}
    with pytest.raises(InvalidValue, match=r"GetInfoResponse.model cannot be b'IRL\\x07W2'"):
        decode_body(GetInfoResponse, reference.pack_body(fields, raw))


def test_unknown_fault_bits_are_kept_through_a_round_trip() -> None:
    event = FaultRaisedEvent(port=0, fault=FaultFlags.INTERNAL | FaultFlags(1 << 14))
    decoded = decode_body(FaultRaisedEvent, encode_body(event))
    assert int(decoded.fault) == (1 << 6) | (1 << 14)


def test_flags_outside_the_wire_type_are_refused_at_construction() -> None:
    with pytest.raises(ValidationError, match="less than or equal to 65535"):
        FaultRaisedEvent(port=0, fault=70_000)  # type: ignore[arg-type]


def test_a_string_longer_than_its_maximum_is_out_of_range_at_the_maximum() -> None:
    raw = {f.name: _zero(f) for f in FIELDS[GetInfoResponse]} | {"model": b"M" * 25}
    with pytest.raises(OutOfRange, match="model has 25 bytes; at most 24") as caught:
        decode_body(GetInfoResponse, reference.pack_body(FIELDS[GetInfoResponse], raw))
    assert (caught.value.field, caught.value.limit) == (3, 24)
    longest = raw | {"model": b"M" * 24}
    assert decode_body(GetInfoResponse, reference.pack_body(FIELDS[GetInfoResponse], longest))
