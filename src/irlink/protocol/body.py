"""Message bodies to bytes and back, compiled per model from its wire-type markers.

Each model gets a pair of small functions, written as Python source from the model's
fields and compiled once on first use. They do exactly what the model's constraints
say (ranges, enum values, 0/1 booleans, printable ASCII, list lengths), so a decoded
message is as valid as one pydantic built, at a fraction of the cost.
"""

from __future__ import annotations

import functools
import re
import struct
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Any, TypeVar

from annotated_types import Ge, Le
from pydantic.fields import FieldInfo

from irlink.protocol.errors import BadLength, InvalidValue, MessageError, OutOfRange
from irlink.protocol.wire import BOOL, Ascii, Int, ListOf, WireModel

M = TypeVar("M")
Decoder = Callable[[bytes, int], tuple[Any, int]]
Encoder = Callable[[Any], bytes]

_PRINTABLE = re.compile(rb"[ -~]*").fullmatch


def encode_body(message: object) -> bytes:
    """The wire bytes of a message body."""
    return _compiled(type(message)).encode(message)


def decode_body(cls: type[M], body: bytes) -> M:
    """Read a body of model ``cls``; raise BadLength, OutOfRange or InvalidValue if it is not."""
    try:
        message, end = _compiled(cls).decode(body, 0)
    except (struct.error, IndexError):
        raise BadLength(f"{cls.__name__}: the body ends early ({len(body)} bytes)") from None
    if end != len(body):
        raise BadLength(f"{cls.__name__}: {len(body) - end} bytes after the end of the body")
    result: M = message
    return result


def _wire(info: FieldInfo) -> Int | Ascii | ListOf | None:
    for meta in info.metadata:
        if isinstance(meta, Int | Ascii | ListOf):
            return meta
        if meta is BOOL:
            return None
    raise TypeError(f"field without a wire type: {info}")


def _bounds(metadata: list[Any], wire: Int) -> tuple[int, int]:
    low, high = wire.low, wire.high
    for meta in metadata:
        if isinstance(meta, Ge):
            low = int(meta.ge)  # type: ignore[call-overload]
        elif isinstance(meta, Le):
            high = int(meta.le)  # type: ignore[call-overload]
    return low, high


class _Writer:
    """Source of one encoder and one decoder, built field by field."""

    def __init__(self, cls: type[Any]) -> None:
        self.cls = cls
        self.env: dict[str, Any] = {
            "_new": object.__new__,
            "_set": object.__setattr__,
            "_oor": _out_of_range,
            "_inv": _invalid,
            "_len": _too_long,
            "_nested": _nested,
            "_printable": _PRINTABLE,
            "MessageError": MessageError,
            "cls": cls,
        }
        self.dec: list[str] = []
        self.enc: list[str] = []
        self.values: list[str] = []
        self.group: list[tuple[str, str]] = []  # (struct letter, field name) awaiting a pack
        self.conds: list[str] = []  # checks of the group's fields, run after its unpack
        self.slow: list[str] = []
        self.lookups: list[tuple[str, str, int, str]] = []

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

    def scalar(self, pos: int, name: str, info: FieldInfo, wire: Int | None) -> None:
        kind = info.annotation
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
            self.lookups.append((f"v_{name} = {table}[{raw}]", f"{raw} in {table}", pos, name))
            self.values.append(f"v_{name}")
        else:
            low, high = _bounds(info.metadata, wire)
            if (low, high) != (wire.low, wire.high):
                self.check(
                    f"{low} <= {raw} <= {high}",
                    f"raise _oor(cls, {pos}, {name!r}, {raw}, {low}, {high})",
                )
            self.values.append(raw)

    def check(self, condition: str, failure: str) -> None:
        self.conds.append(condition)
        self.slow.append(f"if not {condition}: {failure}")

    def take_checks(self) -> list[str]:
        """The checks of the pending group: one test on the fast path, diagnosis on failure."""
        lines: list[str] = []
        if self.conds:
            lines.append(f"if not ({' and '.join(self.conds)}):")
            lines += [f"    {line}" for line in self.slow]
        if self.lookups:
            lines.append("try:")
            lines += [f"    {assign}" for assign, _, _, _ in self.lookups]
            lines.append("except KeyError:")
            for _, known, pos, name in self.lookups:
                lines.append(f"    if not {known}: raise _inv(cls, {pos}, {name!r}, r_{name})")
            lines.append("    raise")
        self.conds, self.slow, self.lookups = [], [], []
        return lines

    def text(self, pos: int, name: str, wire: Ascii) -> None:
        self.flush()
        self.dec += [
            "n = buf[off]",
            f"if n > {wire.max_len}: raise _oor(cls, {pos}, {name!r}, n, 0, {wire.max_len})",
            f"v_{name} = buf[off + 1 : off + 1 + n]",
            f"if len(v_{name}) != n: raise IndexError",
            "off += 1 + n",
            f"if not _printable(v_{name}): raise _inv(cls, {pos}, {name!r}, v_{name})",
        ]
        self.values.append(f"v_{name}.decode('ascii')")
        self.enc.append(f"bytes((len(m.{name}),)) + m.{name}.encode('ascii')")

    def items(self, pos: int, name: str, info: FieldInfo, wire: ListOf) -> None:
        self.flush()
        limit = f"if n > {wire.max_items}: raise _len(cls, {pos}, {name!r}, n, {wire.max_items})"
        self.dec += ["n = buf[off]", "off += 1", limit]
        if wire.item is None:
            (item_cls, _) = typing.get_args(info.annotation)
            item = _compiled(item_cls)
            sub, sub_enc = self.const(item.decode), self.const(item.encode)
            self.enc.append(f"bytes((len(m.{name}),)), *map({sub_enc}, m.{name})")
            if item.fixed is not None:
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
                return
            self.dec += [
                f"v_{name} = []",
                "try:",
                "    for _ in range(n):",
                f"        item, off = {sub}(buf, off)",
                f"        v_{name}.append(item)",
                f"except MessageError as e: raise _nested(cls, {pos}, {name!r}, e) from None",
            ]
            self.values.append(f"tuple(v_{name})")
            return
        item_info = typing.get_args(typing.get_args(info.annotation)[0])[1]
        low, high = _bounds(item_info.metadata, wire.item)
        packers = self.const(
            [struct.Struct(f"<{n}{wire.item.fmt}") for n in range(wire.max_items + 1)]
        )
        self.dec += [
            f"v_{name} = {packers}[n].unpack_from(buf, off)",
            f"off += {packers}[n].size",
            f"for x in v_{name}:",
            f"    if not {low} <= x <= {high}: raise _oor(cls, {pos}, {name!r}, x, {low}, {high})",
        ]
        self.values.append(f"v_{name}")
        self.enc.append(f"bytes((len(m.{name}),)) + {packers}[len(m.{name})].pack(*m.{name})")

    def build(self) -> Compiled:
        fixed_size = True
        fields_info: dict[str, FieldInfo] = self.cls.__pydantic_fields__
        for pos, (name, info) in enumerate(fields_info.items(), start=1):
            wire = _wire(info)
            if isinstance(wire, Ascii):
                fixed_size = False
                self.text(pos, name, wire)
            elif isinstance(wire, ListOf):
                fixed_size = False
                self.items(pos, name, info, wire)
            else:
                self.scalar(pos, name, info, wire)
        names = list(fields_info)
        fields = ", ".join(f"{n!r}: {v}" for n, v in zip(names, self.values, strict=True))
        construct = ["o = _new(cls)", f"_set(o, '__dict__', {{{fields}}})"]
        if issubclass(self.cls, WireModel):
            # What model_construct does, minus its per-field default handling. A frozen
            # model never changes its fields-set in place (model_copy copies it): share one.
            self.env["_fields_set"] = set(names)
            construct += [
                "_set(o, '__pydantic_fields_set__', _fields_set)",
                "_set(o, '__pydantic_extra__', None)",
                "_set(o, '__pydantic_private__', None)",
            ]
        fixed = None
        lines: list[str] = []
        if fixed_size and self.group:
            fixed = struct.Struct("<" + "".join(f for f, _ in self.group))
            raw = ", ".join(f"r_{n}" for _, n in self.group)
            checks = self.take_checks()
            lines += ["def make(t):", f"    ({raw},) = t", *(f"    {c}" for c in checks)]
            lines += [*(f"    {c}" for c in construct), "    return o"]
            self.env["_fixed"] = fixed
            self.enc.append(f"_fixed.pack({', '.join(f'm.{n}' for _, n in self.group)})")
            self.dec = ["t = _fixed.unpack_from(buf, off)", "return make(t), off + _fixed.size"]
            decode = ["def decode(buf, off):", *(f"    {line}" for line in self.dec)]
        else:
            self.flush()
            decode = ["def decode(buf, off):", *(f"    {line}" for line in self.dec)]
            decode += [*(f"    {c}" for c in construct), "    return o, off"]
        encode = ["def encode(m):", f"    return b''.join([{', '.join(self.enc)}])"]
        if not self.enc:
            encode[1] = "    return b''"
        elif len(self.enc) == 1:
            encode[1] = f"    return {self.enc[0]}"
        source = "\n".join(lines + decode + encode)
        exec(compile(source, f"<irlink body codec {self.cls.__name__}>", "exec"), self.env)
        return Compiled(
            self.env["encode"], self.env["decode"], fixed, self.env.get("make") if fixed else None
        )


@dataclass(frozen=True, slots=True)
class Compiled:
    """The compiled codec of one model; ``fixed`` and ``make`` are set for fixed-size ones."""

    encode: Encoder
    decode: Decoder
    fixed: struct.Struct | None
    make: Callable[[tuple[Any, ...]], Any] | None


_CODECS: dict[type[Any], Compiled] = {}


def _compiled(cls: type[Any]) -> Compiled:
    codec = _CODECS.get(cls)
    if codec is None:
        codec = _CODECS[cls] = _Writer(cls).build()
    return codec


def _where(cls: type[Any], name: str) -> str:
    return f"{cls.__name__}.{name}"


def _out_of_range(
    cls: type[Any], pos: int, name: str, value: int, low: int, high: int
) -> OutOfRange:
    limit = low if value < low else high
    return OutOfRange(
        f"{_where(cls, name)} is {value}, outside {low}..{high}", field=pos, limit=limit
    )


def _too_long(cls: type[Any], pos: int, name: str, count: int, most: int) -> OutOfRange:
    return OutOfRange(
        f"{_where(cls, name)} has {count} items; at most {most} are allowed", field=pos, limit=most
    )


def _invalid(cls: type[Any], pos: int, name: str, value: object) -> InvalidValue:
    return InvalidValue(f"{_where(cls, name)} cannot be {value!r}", field=pos)


def _nested(cls: type[Any], pos: int, name: str, error: MessageError) -> MessageError:
    # Errors inside a list item name the item's field but point at the list in the body.
    return type(error)(f"{_where(cls, name)}: {error}", field=pos, limit=error.limit)
