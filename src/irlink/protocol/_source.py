"""The per-model codec compiler behind :mod:`irlink.protocol.body`.

Each model gets an encoder and a decoder written as Python source from its fields'
wire markers and compiled once. The decoder checks exactly the model's constraints
(ranges, enum values, 0/1 booleans, printable ASCII, lengths) on one fast test per
group of fixed fields; only when that test fails does a diagnosis function walk the
group field by field, in wire order, to name the first bad field.
"""

from __future__ import annotations

import functools
import itertools
import re
import struct
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Any

from annotated_types import Ge, Le
from pydantic import BaseModel

from irlink.protocol.errors import BadLength, InvalidValue, MessageError, OutOfRange
from irlink.protocol.messages import PROTOCOL_MINOR
from irlink.protocol.wire import (
    BOOL,
    Ascii,
    Int,
    ListOf,
    WireModel,
    optional_base,
    since,
    wire_fields,
)

Decoder = Callable[[bytes, int], tuple[Any, int]]
Encoder = Callable[[Any], bytes]

_PRINTABLE = re.compile(rb"[ -~]*").fullmatch
_MODEL_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")


@dataclass(frozen=True, slots=True)
class Compiled:
    """The codec of one model; ``fixed`` and ``make`` are set for fixed-size ones."""

    encode: Encoder
    decode: Decoder
    fixed: struct.Struct | None
    make: Callable[[tuple[Any, ...]], Any] | None
    read: Callable[[bytes], Any]
    """Reads a whole body: ``decode`` plus the length rules (see irlink.protocol.body)."""
    read_values: Callable[[bytes], tuple[Any, ...]]
    """``read`` giving the field values in field order instead of the model (same checks)."""


_CODECS: dict[tuple[type[Any], int], Compiled] = {}


def compiled(cls: type[Any], minor: int = PROTOCOL_MINOR) -> Compiled:
    """The codec of ``cls`` as a device of revision 1.``minor`` lays it out, compiled once.

    Fields a later minor revision appended are left off the wire and read as ``None``.
    """
    codec = _CODECS.get((cls, minor))
    if codec is None:
        layout = min(minor, PROTOCOL_MINOR)  # a newer minor: the fields this code knows
        codec = _CODECS.get((cls, layout))
        if codec is None:
            codec = _SourceBuilder(cls, layout).build()
        _CODECS[(cls, layout)] = _CODECS[(cls, minor)] = codec
    return codec


def _wire(metadata: list[Any]) -> Int | Ascii | ListOf | None:
    for meta in metadata:
        if isinstance(meta, Int | Ascii | ListOf):
            return meta
        if meta is BOOL:
            return None
    raise TypeError(f"field without a wire type: {metadata}")


def _bounds(metadata: list[Any], wire: Int) -> tuple[int, int]:
    low, high = wire.low, wire.high
    for meta in metadata:
        if isinstance(meta, Ge):
            low = int(meta.ge)  # type: ignore[call-overload]
        elif isinstance(meta, Le):
            high = int(meta.le)  # type: ignore[call-overload]
    return low, high


class _SourceBuilder:
    """Writes the source of one model's encoder and decoder, field by field."""

    def __init__(self, cls: type[Any], minor: int) -> None:
        self.cls = cls
        self.minor = minor
        self.env: dict[str, Any] = {
            "_new": object.__new__,
            "_tnew": tuple.__new__,
            # BaseModel's own slot descriptors: what model_construct sets, minus the lookups.
            **{f"_set{slot}": BaseModel.__dict__[slot].__set__ for slot in _MODEL_SLOTS},
            "_oor": _out_of_range,
            "_inv": _invalid,
            "_len": _too_long,
            "_nested": _nested,
            "_printable": _PRINTABLE,
            "_chain": itertools.chain.from_iterable,
            "MessageError": MessageError,
            "cls": cls,
        }
        self.defs: list[str] = []  # helper functions (diagnoses), before the codec itself
        self.dec: list[str] = []
        self.enc: list[str] = []
        self.values: list[str] = []
        self.group: list[tuple[str, str]] = []  # (struct letter, field name) awaiting a pack
        self.conds: list[str] = []  # fast-path tests of the group's fields
        self.slow: list[str] = []  # the same tests one by one, in wire order, each raising
        self.lookups: list[str] = []  # enum lookups of the group

    def const(self, value: Any) -> str:
        name = f"_c{len(self.env)}"
        self.env[name] = value
        return name

    def flush(self) -> None:
        if not self.group:
            return
        fmt = self.const(struct.Struct("<" + "".join(f for f, _ in self.group)))
        names = [n for _, n in self.group]
        self.dec.append(f"({', '.join(f'r_{n}' for n in names)},) = {fmt}.unpack_from(buf, off)")
        self.dec.append(f"off += {fmt}.size")
        self.dec += self.take_checks()
        self.enc.append(f"{fmt}.pack({', '.join(f'm.{n}' for n in names)})")
        self.group = []

    def scalar(self, pos: int, name: str, kind: Any, metadata: list[Any], wire: Int | None) -> None:
        self.group.append((wire.fmt if wire else "B", name))
        raw = f"r_{name}"
        if wire is None:
            self.check(f"{raw} < 2", f"raise _inv(cls, {pos}, {name!r}, {raw})")
            self.values.append(f"{raw} == 1")
        elif isinstance(kind, type) and issubclass(kind, IntFlag):
            # Unknown bits are kept: a fault from newer firmware must not vanish. No fault
            # at all is by far the commonest value, so it skips even the cache.
            cached = self.const(functools.lru_cache(maxsize=1024)(kind))
            self.values.append(f"({self.const(kind(0))} if {raw} == 0 else {cached}({raw}))")
        elif isinstance(kind, type) and issubclass(kind, IntEnum):
            table = self.const({int(member): member for member in kind})
            self.lookups.append(f"v_{name} = {table}[{raw}]")
            self.slow.append(f"if {raw} not in {table}: raise _inv(cls, {pos}, {name!r}, {raw})")
            self.values.append(f"v_{name}")
        else:
            low, high = _bounds(metadata, wire)
            # Only the bounds the wire type does not already guarantee are tested.
            test = " and ".join(
                [f"{low} <= {raw}"] * (low != wire.low) + [f"{raw} <= {high}"] * (high != wire.high)
            )
            if test:
                self.check(test, f"raise _oor(cls, {pos}, {name!r}, {raw}, {low}, {high})")
            self.values.append(raw)

    def check(self, condition: str, failure: str) -> None:
        self.conds.append(condition)
        self.slow.append(f"if not ({condition}): {failure}")

    def take_checks(self) -> list[str]:
        """The checks of the pending group: one test on the fast path, diagnosis on failure."""
        if not self.slow:
            return []
        raws = ", ".join(f"r_{n}" for _, n in self.group)
        diagnose = f"_diagnose{len(self.defs)}"
        self.defs += [f"def {diagnose}({raws}):", *(f"    {line}" for line in self.slow)]
        self.defs.append("    raise AssertionError('a check failed that diagnosis passed')")
        lines: list[str] = []
        if self.conds:
            lines += [f"if not ({' and '.join(self.conds)}):", f"    {diagnose}({raws})"]
        if self.lookups:
            lines += ["try:", *(f"    {line}" for line in self.lookups)]
            lines += ["except KeyError:", f"    {diagnose}({raws})"]
        self.conds, self.slow, self.lookups = [], [], []
        return lines

    def text(self, pos: int, name: str, wire: Ascii) -> None:
        self.flush()
        self.dec += [
            "n = buf[off]",
            f"if n > {wire.max_len}: raise _len(cls, {pos}, {name!r}, n, {wire.max_len}, 'bytes')",
            f"v_{name} = buf[off + 1 : off + 1 + n]",
            f"if len(v_{name}) != n: raise IndexError",
            "off += 1 + n",
            f"if not _printable(v_{name}): raise _inv(cls, {pos}, {name!r}, v_{name})",
        ]
        self.values.append(f"v_{name}.decode('ascii')")
        self.enc.append(f"bytes((len(m.{name}),)) + m.{name}.encode('ascii')")

    def items(self, pos: int, name: str, kind: Any, wire: ListOf) -> None:
        self.flush()
        most = wire.max_items
        self.dec += [
            "n = buf[off]",
            "off += 1",
            f"if n > {most}: raise _len(cls, {pos}, {name!r}, n, {most}, 'items')",
        ]
        if wire.item is not None:
            item_info = typing.get_args(typing.get_args(kind)[0])[1]
            low, high = _bounds(item_info.metadata, wire.item)
            packers = self.const([struct.Struct(f"<{n}{wire.item.fmt}") for n in range(most + 1)])
            self.dec += [
                f"v_{name} = {packers}[n].unpack_from(buf, off)",
                f"off += {packers}[n].size",
                f"for x in v_{name}:",
                f"    if not {low} <= x <= {high}:",
                f"        raise _oor(cls, {pos}, {name!r}, x, {low}, {high})",
            ]
            self.values.append(f"v_{name}")
            self.enc.append(f"bytes((len(m.{name}),)) + {packers}[len(m.{name})].pack(*m.{name})")
            return
        item = compiled(typing.get_args(kind)[0], self.minor)
        if item.fixed is None or item.make is None:
            raise TypeError(f"{self.cls.__name__}.{name}: list items must have a fixed size")
        fixed, make = self.const(item.fixed), self.const(item.make)
        self.dec += [
            f"end = off + n * {fixed}.size",
            "if len(buf) < end: raise IndexError",
            "try:",
            f"    v_{name} = tuple(map({make}, {fixed}.iter_unpack(buf[off:end])))",
            f"except MessageError as e: raise _nested(cls, {pos}, {name!r}, e) from None",
            "off = end",
        ]
        self.values.append(f"v_{name}")
        self.enc.append(f"bytes((len(m.{name}),)), *map({self.const(item.encode)}, m.{name})")

    def build(self) -> Compiled:
        every_field = wire_fields(self.cls)
        # Fields appended after this minor are not on the wire: they read as None.
        fields_info = {n: f for n, f in every_field.items() if since(f[1]) <= self.minor}
        absent = len(every_field) - len(fields_info)
        fixed_size = True
        for pos, (name, (annotation, metadata)) in enumerate(fields_info.items(), start=1):
            kind = optional_base(annotation)
            wire = _wire(metadata)
            if isinstance(wire, Ascii):
                fixed_size = False
                self.text(pos, name, wire)
            elif isinstance(wire, ListOf):
                fixed_size = False
                self.items(pos, name, kind, wire)
            else:
                self.scalar(pos, name, kind, metadata, wire)
        record = not issubclass(self.cls, WireModel)
        built = self.values + ["None"] * absent
        if record:
            # A named tuple is built as the tuple it is: no __init__, no per-field work.
            construct = [f"o = _tnew(cls, ({', '.join(built)},))"]
        else:
            names = list(every_field)
            fields = ", ".join(f"{n!r}: {v}" for n, v in zip(names, built, strict=True))
            # What model_construct does, minus its per-field default handling. A frozen
            # model never changes its fields-set in place (model_copy copies it): share one.
            self.env["_fields_set"] = set(names)
            construct = [
                "o = _new(cls)",
                f"_set__dict__(o, {{{fields}}})",
                "_set__pydantic_fields_set__(o, _fields_set)",
                "_set__pydantic_extra__(o, None)",
                "_set__pydantic_private__(o, None)",
            ]
        fixed = None
        make: list[str] = []
        if fixed_size and self.group:
            fixed = struct.Struct("<" + "".join(f for f, _ in self.group))
            self.env["_fixed"] = fixed
            raw = ", ".join(f"r_{n}" for _, n in self.group)
            checks = self.take_checks()
            make = ["def make(t):", f"    ({raw},) = t", *(f"    {c}" for c in checks)]
            make += [*(f"    {c}" for c in construct), "    return o"]
            on_wire = f"*m[:{len(fields_info)}]" if absent else "*m"
            packed = on_wire if record else ", ".join(f"m.{n}" for _, n in self.group)
            self.enc.append(f"_fixed.pack({packed})")
            decode = [
                "def decode(buf, off):",
                "    return make(_fixed.unpack_from(buf, off)), off + _fixed.size",
            ]
        else:
            self.flush()
            decode = ["def decode(buf, off):", *(f"    {line}" for line in self.dec)]
            decode += [*(f"    {c}" for c in construct), "    return o, off"]
        # The same reading, handing back the values rather than building the model: for a
        # caller that turns them into something else at once (irlink.Status).
        values = "".join(f"{v}, " for v in built)
        decode_values = ["def decode_values(buf, off):", *(f"    {line}" for line in self.dec)]
        if make:  # make's unpacking and checks, not its construct
            decode_values += ["    t = _fixed.unpack_from(buf, off)"]
            decode_values += make[1 : len(make) - len(construct) - 1]
        decode_values.append(f"    return ({values}), off + {'_fixed.size' if make else 0}")
        encode = self.one_pack_encoder(fields_info) or [
            "def encode(m):",
            f"    return b''.join([{', '.join(self.enc)}])"
            if len(self.enc) > 1
            else f"    return {self.enc[0] if self.enc else repr(b'')}",
        ]
        source = "\n".join(self.defs + make + decode + decode_values + encode)
        exec(compile(source, f"<irlink body codec {self.cls.__name__}>", "exec"), self.env)
        name, decode_fn = self.cls.__name__, self.env["decode"]
        return Compiled(
            self.env["encode"],
            decode_fn,
            fixed,
            self.env.get("make") if fixed else None,
            whole_body_reader(name, fixed, decode_fn),
            whole_body_reader(name, fixed, self.env["decode_values"]),
        )

    def one_pack_encoder(self, fields_info: dict[str, tuple[Any, list[Any]]]) -> list[str]:
        """An encoder making one struct call, for fixed fields then one list of records.

        Status and usage-log bodies have this shape; packing the whole body at once
        (a Struct per item count) beats packing each item and joining the pieces.
        """
        if not fields_info:
            return []
        *head, (last, (kind, metadata)) = fields_info.items()
        wire = _wire(metadata)
        if not isinstance(wire, ListOf) or wire.item is not None:
            return []
        if any(isinstance(_wire(m), Ascii | ListOf) for _, (_, m) in head):
            return []
        item_cls = typing.get_args(kind)[0]
        item = compiled(item_cls, self.minor).fixed
        assert item is not None  # items() has refused variable-size records
        head_fmt = "".join(
            w.fmt if isinstance(w, Int) else "B" for w in (_wire(m) for _, (_, m) in head)
        )
        packers = self.const(
            [struct.Struct(f"<{head_fmt}B{item.format[1:] * n}") for n in range(wire.max_items + 1)]
        )
        # Items of an older minor leave off the fields appended after it.
        sent = sum(since(m) <= self.minor for _, m in wire_fields(item_cls).values())
        items = f"m.{last}" if sent == len(item_cls._fields) else f"(x[:{sent}] for x in m.{last})"
        values = [f"m.{name}" for name, _ in head] + [f"len(m.{last})", f"*_chain({items})"]
        return ["def encode(m):", f"    return {packers}[len(m.{last})].pack({', '.join(values)})"]


def whole_body_reader(
    name: str, fixed: struct.Struct | None, decode: Decoder
) -> Callable[[bytes], Any]:
    """A reader of whole bodies: length rules around a compiled decoder."""
    size = fixed.size if fixed is not None else None

    def read(body: bytes) -> Any:
        if size is not None and len(body) != size:
            # A fixed-size body (every v1 request) is judged on its length before its fields.
            raise BadLength(f"{name}: {len(body)} bytes; its body has {size}")
        try:
            message, end = decode(body, 0)
        except (struct.error, IndexError):
            # The generated decoders index past the end exactly where a body runs short.
            raise BadLength(f"{name}: the body ends early ({len(body)} bytes)") from None
        if end != len(body):
            raise BadLength(f"{name}: {len(body) - end} bytes after the end of the body")
        return message

    return read


def _where(cls: type[Any], name: str) -> str:
    return f"{cls.__name__}.{name}"


def _out_of_range(
    cls: type[Any], pos: int, name: str, value: int, low: int, high: int
) -> OutOfRange:
    limit = low if value < low else high
    return OutOfRange(
        f"{_where(cls, name)} is {value}, outside {low}..{high}", field=pos, limit=limit
    )


def _too_long(cls: type[Any], pos: int, name: str, count: int, most: int, what: str) -> OutOfRange:
    return OutOfRange(
        f"{_where(cls, name)} has {count} {what}; at most {most} are allowed", field=pos, limit=most
    )


def _invalid(cls: type[Any], pos: int, name: str, value: object) -> InvalidValue:
    return InvalidValue(f"{_where(cls, name)} cannot be {value!r}", field=pos)


def _nested(cls: type[Any], pos: int, name: str, error: MessageError) -> MessageError:
    # Errors inside a list item name the item's field but point at the list in the body.
    return type(error)(f"{_where(cls, name)}: {error}", field=pos, limit=error.limit)
