"""Hypothesis strategies built from protocols/: raw field values and valid messages."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from irlink.protocol import EVENTS, REQUESTS, encode_error, encode_message
from irlink.protocol.messages import ErrorReply
from irlink.spec import load_protocol
from irlink.spec.protocol import INT_TYPES, FieldSpec

PRINTABLE = string.printable[:95]  # the 95 characters from space to tilde


def all_models() -> list[tuple[type[Any], list[FieldSpec]]]:
    """Every top-level body model with its spec fields."""
    spec = load_protocol()
    out: list[tuple[type[Any], list[FieldSpec]]] = []
    for m in spec.messages:
        request = REQUESTS[m.id]
        out.append((request, spec.body_fields(m.request)))
        out.append((request.RESPONSE, spec.body_fields(m.response)))
    out += [(EVENTS[e.id], spec.body_fields(e.body)) for e in spec.events]
    out.append((ErrorReply, spec.structs["error_reply"].fields))
    return out


def _int(low: int, high: int, field: FieldSpec, wire: str, valid: bool) -> st.SearchStrategy[int]:
    in_range = st.integers(*(field.range or (low, high)))
    if valid:
        return in_range
    return st.one_of(in_range, st.integers(*INT_TYPES[wire][:2]))


def raw_field(field: FieldSpec, valid: bool) -> st.SearchStrategy[Any]:
    """Raw wire values for one field; with ``valid`` False, also values the spec forbids."""
    spec = load_protocol()
    kind = field.type
    if kind == "string":
        assert field.max_len is not None
        text = st.text(PRINTABLE, max_size=field.max_len).map(str.encode)
        return text if valid else st.one_of(text, st.binary(max_size=field.max_len + 3))
    if kind == "list":
        assert field.of is not None
        assert field.max_items is not None
        most = field.max_items if valid else field.max_items + 2
        if field.of in spec.structs:
            item = raw_body(spec.structs[field.of].fields, valid)
        else:
            item = _int(*INT_TYPES[field.of][:2], field, field.of, valid)
        return st.lists(item, max_size=most)
    if kind == "bool":
        zero_one = st.sampled_from([0, 1])
        return zero_one if valid else st.one_of(zero_one, st.integers(0, 255))
    if kind in spec.enums:
        known = st.sampled_from(sorted(spec.enums[kind].values.values()))
        wire = INT_TYPES[spec.enums[kind].type]
        return known if valid else st.one_of(known, st.integers(*wire[:2]))
    if kind in spec.flags:
        return st.integers(*INT_TYPES[spec.flags[kind].type][:2])
    return _int(*INT_TYPES[kind][:2], field, kind, valid)


def raw_body(fields: list[FieldSpec], valid: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Raw values for every field of a body."""
    return st.fixed_dictionaries({f.name: raw_field(f, valid) for f in fields})


def as_pydantic_input(fields: list[FieldSpec], raw: dict[str, Any]) -> dict[str, Any]:
    """Raw wire values as input for model_validate: bytes become text, items dicts."""
    spec = load_protocol()
    out: dict[str, Any] = {}
    for f in fields:
        value = raw[f.name]
        if f.type == "string":
            value = value.decode("latin-1")
        elif f.type == "list" and f.of in spec.structs:
            value = [as_pydantic_input(spec.structs[f.of].fields, v) for v in value]
        out[f.name] = value
    return out


def messages(cls: type[Any], fields: list[FieldSpec]) -> st.SearchStrategy[Any]:
    """Valid messages of ``cls``."""
    return raw_body(fields, valid=True).map(
        lambda raw: cls.model_validate(as_pydantic_input(fields, raw))
    )


def any_message() -> st.SearchStrategy[Any]:
    """A valid message of any kind."""
    return st.one_of([messages(cls, fields) for cls, fields in all_models()])


def wire_of(message: Any, seq: int) -> bytes:
    """The frame of any message; an error reply refuses get_status."""
    if isinstance(message, ErrorReply):
        return encode_error(seq, 0x02, message)
    return encode_message(message, seq)
