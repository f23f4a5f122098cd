"""Write the message catalogue of protocols/README.md (sections 6.1 to 6.5) from the spec.

    python scripts/gen_protocol_doc.py          # rewrite the catalogue in the README
    python scripts/gen_protocol_doc.py --check  # exit 1 if the README's catalogue is stale

The catalogue sits between the README's ``<!-- catalogue:begin -->`` and
``<!-- catalogue:end -->`` lines; everything else in the README is prose written by
hand. tests/protocol/test_protocol_readme.py runs --check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from irlink.spec import load_protocol
from irlink.spec.protocol import SCALAR_SIZES, Body, FieldSpec, ProtocolSpec

README = Path(__file__).resolve().parents[1] / "protocols" / "README.md"
BEGIN = "<!-- catalogue:begin -->"
END = "<!-- catalogue:end -->"
UNITS = {"s": "s", "ms": "ms", "dC": "0.1 °C", "mV": "mV", "pct": "%", "Hz": "Hz"}
UNITS["dmW/cm2"] = "0.1 mW/cm²"
# What a struct's table does not say by itself.
STRUCT_NOTES = {
    "status": "`ports` lists the device's ports; each item names its port in `port`.",
    "port_status": (
        "An item of `status.ports`: 23 bytes from a 1.0 device, 25 from a 1.1 device. "
        "A host reads the layout of the minor the device announced in `device_info`."
    ),
    "device_info": (
        "The fields up to `heartbeat_misses` never move; a body that ends there is a 1.0 "
        "device's. A host reads `device_info` before it knows the device's minor "
        "(section 11)."
    ),
}


def version(minor: int) -> str:
    return f"1.{minor}"


def size_of(spec: ProtocolSpec, f: FieldSpec, largest: bool) -> int:
    if f.type == "string":
        return 1 + (f.max_len or 0 if largest else 0)
    if f.type == "list":
        assert f.of is not None
        if not largest:
            return 1
        assert f.max_items is not None
        if f.of in spec.structs:
            item = sum(size_of(spec, x, True) for x in spec.structs[f.of].fields)
        else:
            item = SCALAR_SIZES[f.of]
        return 1 + f.max_items * item
    return SCALAR_SIZES[spec.wire_type(f.type)]


def size_text(spec: ProtocolSpec, fields: list[FieldSpec], minor: int) -> str:
    present = [f for f in fields if f.since <= minor]
    low = sum(size_of(spec, f, False) for f in present)
    high = sum(size_of(spec, f, True) for f in present)
    unit = "byte" if high == 1 else "bytes"
    return f"{low} {unit}" if low == high else f"{low} to {high} bytes"


def sizes(spec: ProtocolSpec, fields: list[FieldSpec]) -> str:
    """The body's size, and its size in each older minor that sends it shorter."""
    newest = size_text(spec, fields, spec.minor)
    older = sorted({f.since for f in fields if f.since})
    earlier = [f"{version(m - 1)}: {size_text(spec, fields, m - 1)}" for m in older]
    return newest + (f" ({'; '.join(earlier)})" if earlier else "")


def type_text(spec: ProtocolSpec, f: FieldSpec) -> str:
    if f.type == "string":
        return f"string, max {f.max_len}"
    if f.type == "list":
        of = f"`{f.of}`" if f.of in spec.structs else f.of
        return f"list of {of}, max {f.max_items}"
    if f.type in spec.enums:
        return f"{spec.enums[f.type].type}: enum `{f.type}`"
    if f.type in spec.flags:
        return f"{spec.flags[f.type].type}: flags `{f.type}`"
    return f.type


def range_text(spec: ProtocolSpec, f: FieldSpec) -> str:
    if f.type == "string":
        return f"0..{f.max_len} bytes of 0x20..0x7E"
    if f.type == "list":
        text = f"0..{f.max_items} items"
        return text + (f", each {f.range[0]}..{f.range[1]}" if f.range else "")
    if f.type == "bool":
        return "0 or 1"
    if f.type in spec.enums:
        return "a listed value"
    if f.type in spec.flags:
        return "any bits"
    if f.range is not None:
        return f"{f.range[0]}..{f.range[1]}"
    return "any"


def notes_text(f: FieldSpec) -> str:
    text = f.doc
    if f.absent is not None:
        text = f"{text} {f.absent} (0x{f.absent & 0xFFFF:04X}) = no reading.".strip()
    if f.since:
        text = f"**Since {version(f.since)}.** {text}".strip()
    return text


def table(spec: ProtocolSpec, fields: list[FieldSpec]) -> list[str]:
    lines = [
        "| # | offset | field | type | unit | range | notes |",
        "|--:|--:|---|---|---|---|---|",
    ]
    offset: int | None = 0
    for position, f in enumerate(fields, start=1):
        at = "\u2013" if offset is None else str(offset)  # an en dash: after a variable field
        unit = UNITS.get(f.unit or "", "")
        lines.append(
            f"| {position} | {at} | `{f.name}` | {type_text(spec, f)} | {unit} | "
            f"{range_text(spec, f)} | {notes_text(f)} |"
        )
        variable = f.type in ("string", "list")
        offset = None if offset is None or variable else offset + size_of(spec, f, True)
    return lines


def body_block(spec: ProtocolSpec, body: Body) -> list[str]:
    if isinstance(body, str):
        fields = spec.structs[body].fields
        return [f"The [`{body}`](#{body}) struct: {sizes(spec, fields)}."]
    if not body:
        return ["Empty: 0 bytes."]
    return [*table(spec, body), "", f"Size: {sizes(spec, body)}."]


def since_mark(minor: int) -> str:
    return f" (since {version(minor)})" if minor else ""


def catalogue(spec: ProtocolSpec) -> str:
    out = ["### 6.1 Summary", ""]
    out += [
        "| id | request | request body | response body | idempotent | since |",
        "|---|---|--:|---|---|---|",
    ]
    for m in spec.messages:
        request = size_text(spec, spec.body_fields(m.request), spec.minor)
        response = spec.body_fields(m.response)
        answer = f"`{m.response}`" if isinstance(m.response, str) else sizes(spec, response)
        out.append(
            f"| 0x{m.id:02X} | [`{m.name}`](#0x{m.id:02x}-{m.name}) | {request} | {answer} | "
            f"{'yes' if m.idempotent else 'no'} | {version(m.since)} |"
        )
    out += ["", "| id | event | body | since |", "|---|---|---|---|"]
    for e in spec.events:
        body = f"`{e.body}`" if isinstance(e.body, str) else sizes(spec, e.body)
        out.append(f"| 0x{e.id:02X} | `{e.name}` | {body} | {version(e.since)} |")
    out += ["", "### 6.2 Requests (host to device)", ""]
    out += [
        "A request and its response share `msg_id`. Responses with an empty body still",
        'come back: they say "done".',
        "",
    ]
    for m in spec.messages:
        out += [f"#### 0x{m.id:02X} `{m.name}`", "", m.doc, ""]
        out += [f"Idempotent: {'yes' if m.idempotent else 'no'}.{since_mark(m.since)}", ""]
        out += ["Request body:", "", *body_block(spec, m.request), ""]
        out += ["Response body:", "", *body_block(spec, m.response), ""]
    out += ["### 6.3 Events (device to host)", ""]
    out += ["Sent unasked; the header `seq` is the event counter.", ""]
    for e in spec.events:
        out += [f"#### 0x{e.id:02X} `{e.name}`", "", e.doc + since_mark(e.since), ""]
        out += [*body_block(spec, e.body), ""]
    out += ["### 6.4 Structs", ""]
    for name, struct in spec.structs.items():
        out += [f"#### `{name}`", "", struct.doc, "", *table(spec, struct.fields), ""]
        out += [f"Size: {sizes(spec, struct.fields)}.", ""]
        if name in STRUCT_NOTES:
            out += [STRUCT_NOTES[name], ""]
    out += ["### 6.5 Enums and flags", ""]
    for name, enum in spec.enums.items():
        out += [f"#### `{name}` ({enum.type})", "", enum.doc, ""]
        out += ["| value | name | since |", "|--:|---|---|"]
        out += [
            f"| {value} | `{key}` | {version(enum.since.get(key, 0))} |"
            for key, value in enum.values.items()
        ]
        out.append("")
    for name, flags in spec.flags.items():
        width = SCALAR_SIZES[flags.type] * 2
        out += [f"#### `{name}` ({flags.type})", "", flags.doc, ""]
        out += ["| bit | mask | name |", "|--:|---|---|"]
        out += [f"| {bit} | 0x{1 << bit:0{width}X} | `{key}` |" for key, bit in flags.bits.items()]
        out.append("")
    return "\n".join(out)


def render(text: str, spec: ProtocolSpec) -> str:
    head, rest = text.split(BEGIN + "\n", 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{catalogue(spec)}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the catalogue is stale")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    made = render(text, load_protocol())
    if args.check:
        if made != text:
            print(f"{README} is stale: run python scripts/gen_protocol_doc.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(made, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
