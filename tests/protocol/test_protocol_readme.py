"""protocols/README.md: its worked example is the vectors' bytes and it names the whole spec.

The worked example's frames sit in ```text blocks after a marker line
``<!-- worked-example: NAME -->``; the catalogue tables list fields as
``| # | offset | `name` | ...``. Both are read here so the prose cannot drift
from protocols/irlink-v1.yaml or protocols/vectors/ unnoticed.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from cobs import cobs

from irlink.protocol import (
    DeviceCodec,
    StartRequest,
    StartResponse,
    decode_frame,
    decode_message,
)
from irlink.protocol.codec import encode_error
from irlink.protocol.messages import ErrorCode, ErrorReply, FrameKind
from tests.generated import assert_current

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "protocols" / "README.md"
SPEC = ROOT / "protocols" / "irlink-v1.yaml"
VECTORS = ROOT / "protocols" / "vectors"

BLOCK = re.compile(r"^<!-- worked-example: ([a-z0-9-]+) -->\n```text\n(.*?)\n```", re.M | re.S)
HEADING = re.compile(r"^#### (?:0x([0-9A-F]{2}) )?`(\w+)`$", re.M)
NO_OFFSET = "\u2013"  # an en dash: the offset after a variable-length field
ROW = re.compile(rf"^\| (\d+) \| (\d+|{NO_OFFSET}) \| `(\w+)` \|", re.M)
SCALAR_SIZES = {"u8": 1, "u16": 2, "u32": 4, "i8": 1, "i16": 2, "i32": 4, "bool": 1}


@cache
def readme() -> str:
    return README.read_text(encoding="utf-8")


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return loaded


def example(name: str) -> bytes:
    """The bytes of the README's worked-example block ``name``."""
    blocks = dict(BLOCK.findall(readme()))
    assert name in blocks, f"no <!-- worked-example: {name} --> block in {README}"
    return bytes.fromhex(blocks[name])


def vector(file: str, name: str) -> dict[str, Any]:
    entries = yaml.safe_load((VECTORS / f"{file}.yaml").read_text(encoding="utf-8"))
    [found] = [v for v in entries if v["name"] == name]
    return dict(found)


def vector_bytes(file: str, name: str) -> bytes:
    return bytes.fromhex(vector(file, name)["hex"])


def test_worked_example_request_is_the_start_vector_and_decodes_to_start_port_1() -> None:
    wire = example("start-request")
    assert wire == vector_bytes("requests", "start port 1 session 4242")
    frame = decode_frame(wire[:-1])
    assert (frame.version, frame.kind, frame.seq) == (1, FrameKind.REQUEST, 7)
    assert decode_message(frame) == StartRequest(port=1, session_id=4242)


def test_worked_example_response_is_the_start_done_vector_echoing_seq_7() -> None:
    wire = example("start-response")
    assert wire == vector_bytes("responses", "start done")
    frame = decode_frame(wire[:-1])
    assert (frame.kind, frame.seq, frame.msg_id) == (FrameKind.RESPONSE, 7, StartRequest.MSG_ID)
    assert decode_message(frame) == StartResponse()


def test_worked_example_error_refuses_the_same_start_with_no_pad() -> None:
    wire = example("start-error-no-pad")
    assert wire == DeviceCodec().error(7, StartRequest.MSG_ID, ErrorCode.NO_PAD)
    frame = decode_frame(wire[:-1])
    assert (frame.kind, frame.seq, frame.msg_id) == (FrameKind.ERROR, 7, StartRequest.MSG_ID)
    reply = decode_message(frame)
    assert reply == ErrorReply(code=ErrorCode.NO_PAD, field=0, limit=0)
    # The same refusal sent with the vector's seq is the vector, byte for byte.
    no_pad = vector("errors", "error no_pad")
    assert isinstance(reply, ErrorReply)
    assert encode_error(no_pad["seq"], frame.msg_id, reply) == bytes.fromhex(no_pad["hex"])


def test_worked_example_error_vector_block_is_the_no_pad_vector() -> None:
    assert example("error-no-pad-vector") == vector_bytes("errors", "error no_pad")


@pytest.mark.parametrize("name", ["start-request", "start-response", "start-error-no-pad"])
def test_worked_example_payloads_are_the_frames_cobs_decoded(name: str) -> None:
    payload = example(f"{name}-payload")
    wire = example(name)
    assert cobs.decode(wire[:-1]) == payload
    assert cobs.encode(payload) + b"\0" == wire


def test_every_message_and_event_of_the_spec_has_its_heading_with_its_id() -> None:
    text = readme()
    for item in [*spec()["messages"], *spec()["events"]]:
        assert f"#### 0x{item['id']:02X} `{item['name']}`" in text, item["name"]


def test_every_error_code_of_the_spec_is_described_with_its_value() -> None:
    text = readme()
    for code, value in spec()["enums"]["error_code"]["values"].items():
        assert f"| {value} | `{code}` |" in text, code
        # Once in the enum table and once in the table saying when it is sent.
        assert text.count(f"| {value} | `{code}` |") >= 2, code


def test_every_enum_value_and_flag_bit_of_the_spec_appears_with_its_number() -> None:
    text = readme()
    for name, enum in spec()["enums"].items():
        assert f"#### `{name}` ({enum['type']})" in text, name
        for value_name, value in enum["values"].items():
            assert f"| {value} | `{value_name}` |" in text, f"{name}.{value_name}"
    for name, flags in spec()["flags"].items():
        assert f"#### `{name}` ({flags['type']})" in text, name
        width = SCALAR_SIZES[flags["type"]] * 2
        for bit_name, bit in flags["bits"].items():
            assert f"| {bit} | 0x{1 << bit:0{width}X} | `{bit_name}` |" in text, bit_name


def sections() -> dict[str, str]:
    """Catalogue sections by heading: ``0x10 configure`` for messages, ``status`` for structs."""
    text = readme()
    found = list(HEADING.finditer(text))
    out: dict[str, str] = {}
    for here, after in zip(found, [*found[1:], None], strict=True):
        end = after.start() if after else text.find("\n## ", here.end())
        key = f"0x{here[1]} {here[2]}" if here[1] else here[2]
        out[key] = text[here.end() : end]
    return out


def field_size(field: dict[str, Any]) -> int | None:
    kind = field["type"]
    if kind in ("string", "list") or kind in spec()["structs"]:
        return None
    for table in ("enums", "flags"):
        if kind in spec()[table]:
            kind = spec()[table][kind]["type"]
    return SCALAR_SIZES[kind]


def expected_rows(body: list[dict[str, Any]] | str) -> list[tuple[str, str, str]]:
    if isinstance(body, str):
        return []
    rows: list[tuple[str, str, str]] = []
    offset: int | None = 0
    for position, field in enumerate(body, start=1):
        rows.append((str(position), NO_OFFSET if offset is None else str(offset), field["name"]))
        size = field_size(field)
        offset = None if offset is None or size is None else offset + size
    return rows


def test_catalogue_lists_the_spec_fields_in_wire_order_at_their_offsets() -> None:
    found = sections()
    wanted: dict[str, list[tuple[str, str, str]]] = {}
    for m in spec()["messages"]:
        wanted[f"0x{m['id']:02X} {m['name']}"] = [
            *expected_rows(m["request"]),
            *expected_rows(m["response"]),
        ]
    for e in spec()["events"]:
        wanted[f"0x{e['id']:02X} {e['name']}"] = expected_rows(e["body"])
    for name, struct in spec()["structs"].items():
        wanted[name] = expected_rows(struct["fields"])
    for key, rows in wanted.items():
        assert key in found, f"no catalogue section for {key}"
        assert ROW.findall(found[key]) == rows, key


def test_catalogue_names_the_struct_of_every_struct_body() -> None:
    found = sections()
    bodies = [(f"0x{m['id']:02X} {m['name']}", m["response"]) for m in spec()["messages"]]
    bodies += [(f"0x{e['id']:02X} {e['name']}", e["body"]) for e in spec()["events"]]
    for key, body in bodies:
        if isinstance(body, str):
            assert f"[`{body}`](#{body}) struct" in found[key], key


def test_every_message_and_event_description_of_the_spec_is_quoted_in_full() -> None:
    """The prose catalogue repeats the spec's sentences; a changed sentence must change both."""
    text = " ".join(readme().split())
    items = [*spec()["messages"], *spec()["events"]]
    missing = [item["name"] for item in items if " ".join(item["doc"].split()) not in text]
    assert missing == []


def test_every_field_description_of_the_spec_is_quoted_in_full() -> None:
    text = " ".join(readme().split())
    bodies = [s["fields"] for s in spec()["structs"].values()]
    for item in spec()["messages"]:
        bodies += [b for b in (item["request"], item["response"]) if isinstance(b, list)]
    bodies += [e["body"] for e in spec()["events"] if isinstance(e["body"], list)]
    docs = {f["doc"] for body in bodies for f in body if f.get("doc")}
    missing = sorted(d for d in docs if " ".join(d.split()) not in text)
    assert missing == []


def test_the_catalogue_is_what_the_spec_makes() -> None:
    assert_current("gen_protocol_doc.py")


# What a reader outside this project cannot open: protocols/ must stand alone.
OUTSIDE = re.compile(r"src/|scripts/|tests/|\.py\b|DOMAIN|shared/|/work/|irlink\.")


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "protocols").rglob("*") if p.is_file()),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_nothing_in_protocols_points_outside_it(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [f"{n}: {line.strip()}" for n, line in enumerate(lines, 1) if OUTSIDE.search(line)]
    assert found == []
