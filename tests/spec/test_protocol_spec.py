"""protocols/irlink-v1.yaml: it validates, the code follows it, and broken specs are refused."""

from __future__ import annotations

import copy
import typing
from enum import IntEnum, IntFlag
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from irlink.protocol import messages
from irlink.protocol.messages import EVENTS, REQUESTS
from irlink.protocol.wire import Ascii, Bool, Int, ListOf, optional_base, since, wire_fields
from irlink.spec import load_protocol
from irlink.spec._files import read_yaml
from irlink.spec.protocol import FieldSpec, ProtocolSpec
from tests.generated import assert_current

ROOT = Path(__file__).resolve().parents[2]


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def test_generated_models_are_exactly_what_the_spec_makes() -> None:
    assert_current("gen_messages.py")


def test_every_spec_message_has_a_model_and_no_model_is_extra() -> None:
    spec = load_protocol()
    assert set(REQUESTS) == {m.id for m in spec.messages}
    assert set(EVENTS) == {e.id for e in spec.events}
    for m in spec.messages:
        assert m.name == REQUESTS[m.id].NAME
        assert m.idempotent == REQUESTS[m.id].IDEMPOTENT
    for e in spec.events:
        assert e.name == EVENTS[e.id].NAME


def _check_fields(spec: ProtocolSpec, cls: Any, fields: list[FieldSpec]) -> None:
    model_fields = wire_fields(cls)
    assert list(model_fields) == [f.name for f in fields], cls.__name__
    for f in fields:
        annotation, metadata = model_fields[f.name]
        assert since(metadata) == f.since, f"{cls.__name__}.{f.name}"
        if f.since:  # appended by a minor revision: None from an older device
            assert type(None) in typing.get_args(annotation), f"{cls.__name__}.{f.name}"
            annotation = optional_base(annotation)
        wire = next(m for m in metadata if isinstance(m, Int | Ascii | ListOf | Bool))
        if f.type == "string":
            assert wire == Ascii(f.max_len)
        elif f.type == "list":
            assert isinstance(wire, ListOf)
            assert wire.max_items == f.max_items
            if f.of in spec.structs:
                _check_fields(spec, getattr(messages, camel(f.of)), spec.structs[f.of].fields)
            else:
                assert wire.item is not None
                assert wire.item.name == f.of
        elif f.type == "bool":
            assert annotation is bool
        else:
            assert wire.name == spec.wire_type(f.type), f"{cls.__name__}.{f.name}"
            if f.range is not None:
                bounds = {type(m).__name__: m for m in metadata}
                assert (bounds["Ge"].ge, bounds["Le"].le) == tuple(f.range)


def test_every_field_has_the_spec_name_order_wire_type_and_range() -> None:
    spec = load_protocol()
    for m in spec.messages:
        _check_fields(spec, REQUESTS[m.id], spec.body_fields(m.request))
        _check_fields(spec, REQUESTS[m.id].RESPONSE, spec.body_fields(m.response))
    for e in spec.events:
        _check_fields(spec, EVENTS[e.id], spec.body_fields(e.body))
    _check_fields(spec, messages.ErrorReply, spec.structs["error_reply"].fields)


def test_enums_and_flags_carry_the_spec_values() -> None:
    spec = load_protocol()
    for name, enum in spec.enums.items():
        cls = getattr(messages, camel(name))
        assert issubclass(cls, IntEnum)
        assert {m.name.lower(): int(m) for m in cls} == enum.values
    for name, flags in spec.flags.items():
        cls = getattr(messages, camel(name))
        assert issubclass(cls, IntFlag)
        assert {m.name.lower(): int(m) for m in cls} == {k: 1 << v for k, v in flags.bits.items()}


def raw_spec() -> dict[str, Any]:
    return copy.deepcopy(read_yaml("irlink-v1.yaml"))


def message(raw: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in raw["messages"] if m["name"] == name)


@pytest.mark.parametrize(
    ("break_it", "complaint"),
    [
        (lambda r: message(r, "stop").update(id=0x01), "two messages share an id"),
        (lambda r: message(r, "start")["request"][0].update(range=[0, 300]), "does not fit u8"),
        (lambda r: message(r, "subscribe")["request"][0].update(unit="s"), "must end in _s"),
        (lambda r: message(r, "subscribe")["request"][0].pop("unit"), "unit suffix but no unit"),
        (lambda r: message(r, "stop")["request"][0].update(type="u12"), "unknown type 'u12'"),
        (lambda r: r["structs"]["status"]["fields"][-1].update(max_items=14), "room for 249"),
        (lambda r: r["framing"]["crc"].update(init=0x1D0F), "does not match init"),
        (lambda r: r["framing"]["crc"].update(poly=0x8005), "CRC-16/CCITT-FALSE only"),
        (lambda r: r["framing"].update(max_frame=300), "max_frame must be 259"),
        (lambda r: r["enums"]["mode"]["values"].update(burst=1), "repeats a value"),
        (lambda r: r["flags"]["fault_flags"]["bits"].update(extra=16), "bits beyond u16"),
        (lambda r: message(r, "stop").update(name="Stop"), "lower_snake_case"),
        (
            lambda r: r["structs"]["error_reply"]["fields"].append({"name": "x", "type": "string"}),
            "needs max_len",
        ),
        (
            lambda r: message(r, "read_usage_log")["request"][0].update(range=[0, 0xFFFFFFFF]),
            "range bounds must fit i32",
        ),
        (
            lambda r: message(r, "stop")["request"].append(
                {"name": "note", "type": "string", "max_len": 8}
            ),
            "a request body must have a fixed size",
        ),
    ],
    ids=[
        "dup-id",
        "range",
        "unit",
        "suffix",
        "type",
        "size",
        "crc-init",
        "crc-poly",
        "max-frame",
        "enum",
        "flags",
        "name",
        "string",
        "i32-limit",
        "variable-request",
    ],
)
def test_a_broken_spec_is_refused_with_the_reason(break_it: Any, complaint: str) -> None:
    raw = raw_spec()
    break_it(raw)
    with pytest.raises(ValidationError, match=complaint):
        ProtocolSpec.model_validate(raw)


def test_the_shipped_spec_sizes_leave_room_in_a_frame() -> None:
    spec = load_protocol()
    room = spec.framing.max_payload - spec.header_size() - 2
    sizes = [spec.max_body_size(spec.body_fields(m.response)) for m in spec.messages]
    assert max(sizes) <= room
