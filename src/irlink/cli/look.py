"""``irlink scan``, ``info``, ``status [--watch]``, ``usage`` and ``schema``: reading devices."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from irlink.cli import values
from irlink.cli.common import DeviceHere, JsonHere, Options, emit, fail, guarded, options, run

if TYPE_CHECKING:
    from irlink.device import Device

USAGE_INDEX_MAX = 0xFFFFFFFF  # the usage log's index is a u32 on the wire


def scan(
    ctx: typer.Context,
    seconds: Annotated[
        float,
        typer.Option(
            "--seconds",
            metavar="S",
            help="How long to listen for BLE devices (up to 600).",
            parser=values.number(0, 600, " seconds", closed=True),
        ),
    ] = 5.0,
    ble: Annotated[bool, typer.Option("--ble/--no-ble", help="Scan Bluetooth LE too.")] = True,
    json_here: JsonHere = False,
) -> None:
    """List the devices on serial ports (by USB id) and on Bluetooth LE (by service)."""
    opts = options(ctx, json=json_here)

    async def body() -> None:
        import importlib.util  # noqa: PLC0415

        from irlink.discovery import discover  # noqa: PLC0415

        scan_ble = ble and importlib.util.find_spec("bleak") is not None
        if ble and not scan_ble:  # say so, rather than claim BLE was searched
            typer.echo(
                "BLE not scanned: bleak is not installed; pip install 'irlink[ble]'", err=True
            )
        found = await discover(ble=scan_ble, timeout=seconds)
        if opts.json:
            for device in found:
                emit(opts, "device", device, lambda: None)
            return
        if not found:
            typer.echo("no irlink device found on serial ports" + (" or BLE" if scan_ble else ""))
            return
        from rich.table import Table  # noqa: PLC0415

        from irlink.cli.texts import console  # noqa: PLC0415

        table = Table("address", "family", "serial", "name", "link", box=None)
        for device in found:
            table.add_row(
                device.address,
                device.family or "?",
                device.serial_number or "?",
                device.name,
                device.link,
            )
        console().print(table)

    guarded(opts, body)


def info(ctx: typer.Context, device_here: DeviceHere = None, json_here: JsonHere = False) -> None:
    """Show what the device is: identity, firmware, ports and every limit it enforces."""

    async def body(device: Device, opts: Options) -> None:
        from irlink.cli.tables import print_info  # noqa: PLC0415

        emit(opts, "info", device.info, lambda: print_info(device.info))

    run(ctx, body, device_here, json_here)


def status(
    ctx: typer.Context,
    watch: Annotated[
        bool, typer.Option("--watch", "-w", help="Keep showing status and events until Ctrl-C.")
    ] = False,
    period: Annotated[
        timedelta,
        typer.Option(
            metavar="DURATION",
            help="How often the device reports with --watch.",
            parser=values.duration,
            show_default="1s",
        ),
    ] = timedelta(seconds=1),
    count: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="With --watch: stop after N status reports.",
            parser=values.whole(1, 1_000_000_000),
            show_default=False,
        ),
    ] = None,
    device_here: DeviceHere = None,
    json_here: JsonHere = False,
) -> None:
    """Show each port's state and remaining time, battery, temperatures and faults."""
    if count is not None and not watch:
        fail("--count needs --watch (without it there is one status)", option="--count")

    async def body(device: Device, opts: Options) -> None:
        from irlink.cli.tables import print_status  # noqa: PLC0415
        from irlink.cli.watch import watch_status  # noqa: PLC0415

        if watch:
            await watch_status(device, opts, period, count)
            return
        now = await device.status()
        emit(opts, "status", now, lambda: print_status(device.info, now))

    run(ctx, body, device_here, json_here)


def usage(
    ctx: typer.Context,
    since: Annotated[
        int,
        typer.Option(
            metavar="INDEX",
            help="Start at this log index (0: the oldest kept).",
            parser=values.whole(0, USAGE_INDEX_MAX),
        ),
    ] = 0,
    device_here: DeviceHere = None,
    json_here: JsonHere = False,
) -> None:
    """List the device's own log of past sessions: planned and delivered time, how each ended."""

    async def body(device: Device, opts: Options) -> None:
        from irlink.cli.tables import print_usage  # noqa: PLC0415

        records = await device.usage_log(since)
        if opts.json:
            for record in records:
                emit(opts, "usage_record", record, lambda: None)
        else:
            print_usage(records)

    run(ctx, body, device_here, json_here)


def schema() -> None:
    """Print the JSON Schema of every line ``--json`` writes."""
    import json  # noqa: PLC0415

    from irlink.cli.jsonlines import schema as make  # noqa: PLC0415

    sys.stdout.write(json.dumps(make(), indent=2) + "\n")
