"""Generate src/irlink/protocol/messages.py from protocols/irlink-v1.yaml.

    python scripts/gen_messages.py          # rewrite the module
    python scripts/gen_messages.py --check  # exit 1 if the module is stale

The models are generated rather than written by hand so that protocols/ stays the
single source of truth; tests/protocol/test_spec_drift.py runs --check.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from irlink.spec import load_protocol
from irlink.spec.protocol import INT_TYPES, FieldSpec, ProtocolSpec, all_bodies

TARGET = Path(__file__).resolve().parents[1] / "src" / "irlink" / "protocol" / "messages.py"


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def describe(f: FieldSpec) -> str:
    text = f.doc
    if f.unit:
        text = f"{text} Unit: {f.unit}.".strip()
    if f.absent is not None:
        text = f"{text} {f.absent} means no reading.".strip()
    return text


def field_args(f: FieldSpec, extra: list[str]) -> str:
    args = list(extra)
    if describe(f):
        args.append(f"description={describe(f)!r}")
    if f.unit:
        args.append(f"json_schema_extra={{'unit': {f.unit!r}}}")
    return f"Field({', '.join(args)})" if args else ""


def int_bounds(f: FieldSpec, type_name: str) -> list[str]:
    low, high, _ = INT_TYPES[type_name]
    if f.range is not None:
        low, high = f.range
    return [f"ge={low}", f"le={high}"]


def annotation(spec: ProtocolSpec, f: FieldSpec) -> str:
    parts: list[str]
    if f.type == "string":
        parts = ["str", f"Ascii({f.max_len})"]
        extra = [f"max_length={f.max_len}", "pattern=r'^[ -~]*$'"]
    elif f.type == "list":
        assert f.of is not None
        if f.of in spec.structs:
            parts = [f"tuple[{camel(f.of)}, ...]", f"ListOf({f.max_items})"]
        else:
            item = f"Annotated[int, Field({', '.join(int_bounds(f, f.of))})]"
            parts = [f"tuple[{item}, ...]", f"ListOf({f.max_items}, {f.of.upper()})"]
        extra = [f"max_length={f.max_items}"]
    elif f.type == "bool":
        parts, extra = ["bool", "BOOL"], []
    elif f.type in INT_TYPES:
        parts, extra = ["int", f.type.upper()], int_bounds(f, f.type)
    elif f.type in spec.flags:
        # pydantic keeps unknown bits (as the spec wants) but would let a value outgrow
        # the wire type; the bounds stop that at construction.
        wire = spec.wire_type(f.type)
        parts, extra = [camel(f.type), wire.upper()], int_bounds(f, wire)
    else:
        parts, extra = [camel(f.type), spec.wire_type(f.type).upper()], []
    if f.since:
        # Appended by a minor revision: None in a message from an older device.
        parts[0] = f"{parts[0]} | None"
        parts.insert(2, f"Since({f.since})")
    field = field_args(f, extra)
    if field:
        parts.append(field)
    return f"Annotated[{', '.join(parts)}]" + (" = None" if f.since else "")


def fields_block(spec: ProtocolSpec, fields: list[FieldSpec]) -> list[str]:
    return [f"    {f.name}: {annotation(spec, f)}" for f in fields]


def model(
    spec: ProtocolSpec,
    name: str,
    bases: str,
    doc: str,
    fields: list[FieldSpec],
    classvars: list[str],
) -> list[str]:
    head = f"class {name}({bases}):" if bases else f"class {name}:"
    lines = [head, f'    """{doc}"""', ""]
    lines += [f"    {c}" for c in classvars]
    lines += fields_block(spec, fields)
    if lines[-1] == "":
        lines.pop()
    return [*lines, "", ""]


def body(spec: ProtocolSpec, body: list[FieldSpec] | str, base: str) -> tuple[str, list[FieldSpec]]:
    """Base classes and own fields of a message whose body may be a named struct."""
    if isinstance(body, str):
        return f"{camel(body)}, {base}", []
    return base, body


def generate(spec: ProtocolSpec) -> str:
    out = [
        f'"""IRLink {spec.version}.{spec.minor} message models, from protocols/irlink-v1.yaml.',
        "",
        "Do not edit: run ``python scripts/gen_messages.py`` after changing the spec.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from enum import IntEnum",
        "from typing import Annotated, Any, ClassVar, NamedTuple",
        "",
        "from pydantic import Field, GetCoreSchemaHandler",
        "from pydantic_core import CoreSchema",
        "",
        "from irlink.protocol.wire import {WIRE_IMPORTS}",
        "",
        f"PROTOCOL_VERSION = {spec.version}",
        f"PROTOCOL_MINOR = {spec.minor}",
        '"""The newest minor revision of the protocol this module describes."""',
        f"MAX_PAYLOAD = {spec.framing.max_payload}",
        '"""Header, body and CRC of one frame, in bytes, before COBS encoding."""',
        f"MAX_FRAME = {spec.framing.max_frame}",
        '"""One encoded frame with its delimiter, in bytes."""',
        f"CRC_INIT = {spec.framing.crc.init:#06x}",
        "",
        "",
    ]
    for name, enum in spec.enums.items():
        out += [f"class {camel(name)}(IntEnum):", f'    """{enum.doc}"""', ""]
        out += [f"    {k.upper()} = {v}" for k, v in enum.values.items()]
        out += ["", ""]
        if enum.since:
            added = ", ".join(f"{camel(name)}.{k.upper()}: {m}" for k, m in enum.since.items())
            out += [f"{name.upper()}_SINCE: dict[{camel(name)}, int] = {{{added}}}"]
            out += [f'"""The minor revision that added each newer value of {camel(name)}."""', ""]
    for name, flags in spec.flags.items():
        out += [f"class {camel(name)}(WireFlags):", f'    """{flags.doc}"""', ""]
        out += [f"    {k.upper()} = 1 << {v}" for k, v in flags.bits.items()]
        out += ["", ""]
    items = {f.of for _, fields in all_bodies(spec) for f in fields if f.type == "list"}
    for name, struct in spec.structs.items():
        if name in items:
            # List items are typed named tuples, validated by the message that holds them
            # and dumped as objects (irlink.protocol.wire.record_schema).
            out += model(spec, camel(name), "NamedTuple", struct.doc, struct.fields, [])
            out[-2:-2] = [
                "",
                "    @classmethod",
                "    def __get_pydantic_core_schema__(",
                "        cls, source: Any, handler: GetCoreSchemaHandler",
                "    ) -> CoreSchema:",
                "        return record_schema(cls, handler)",
            ]
        else:
            out += model(spec, camel(name), "WireModel", struct.doc, struct.fields, [])
    requests, events = [], []
    for m in spec.messages:
        ident = [f"MSG_ID: ClassVar[int] = {m.id:#04x}", f"NAME: ClassVar[str] = {m.name!r}"]
        ident += [f"SINCE: ClassVar[int] = {m.since}"] if m.since else []
        bases, own = body(spec, m.response, "Response")
        out += model(spec, f"{camel(m.name)}Response", bases, f"Answer to {m.name}.", own, ident)
        bases, own = body(spec, m.request, "Request")
        classvars = [
            *ident,
            f"IDEMPOTENT: ClassVar[bool] = {m.idempotent}",
            f"RESPONSE: ClassVar[type[Response]] = {camel(m.name)}Response",
        ]
        out += model(spec, f"{camel(m.name)}Request", bases, m.doc, own, classvars)
        requests.append(f"    {m.id:#04x}: {camel(m.name)}Request,")
    for e in spec.events:
        ident = [f"MSG_ID: ClassVar[int] = {e.id:#04x}", f"NAME: ClassVar[str] = {e.name!r}"]
        ident += [f"SINCE: ClassVar[int] = {e.since}"] if e.since else []
        bases, own = body(spec, e.body, "Event")
        out += model(spec, f"{camel(e.name)}Event", bases, e.doc, own, ident)
        events.append(f"    {e.id:#04x}: {camel(e.name)}Event,")
    out += ["REQUESTS: dict[int, type[Request]] = {", *requests, "}"]
    out += ['"""Every request model by message id."""', ""]
    out += ["EVENTS: dict[int, type[Event]] = {", *events, "}"]
    out += ['"""Every event model by message id."""', ""]
    source = "\n".join(out)
    wire = ["BOOL", "I8", "I16", "I32", "U8", "U16", "U32", "Ascii", "Event", "ListOf"]
    wire += ["Request", "Response", "Since", "WireFlags", "WireModel", "record_schema"]
    used = [w for w in wire if re.search(rf"\b{w}\b", source.split("{WIRE_IMPORTS}", 1)[1])]
    return format_source(source.replace("{WIRE_IMPORTS}", f"({', '.join(used)},)"))


def format_source(source: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(TARGET), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"ruff could not format the generated module:\n{done.stderr}")
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the module is stale")
    args = parser.parse_args()
    source = generate(load_protocol())
    if args.check:
        if TARGET.read_text(encoding="utf-8") != source:
            print(f"{TARGET} is stale: run python scripts/gen_messages.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(source, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
