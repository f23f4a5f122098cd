"""``irlink pairings list`` and ``remove``: the devices this host is paired with.

Without ``-d`` these commands read and change only this host's key store
(``pairings.json`` in the config folder, or ``IRLINK_CONFIG``'s); they never talk to a
device, and forgetting a pairing here leaves the device's own list as it is. With
``-d ADDRESS`` (after the command, or the global ``-d`` on the command line) they talk
to the device too, as an admin host: ``list`` shows the hosts the device is paired with,
``remove`` makes the device forget this host (then forgets the device here), or with
``--host ID`` another host.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated

import typer

from irlink.cli.common import DeviceHere, JsonHere, Options, emit, fail, options, run

if TYPE_CHECKING:
    from irlink.device import Device
    from irlink.record.store import SessionLog
    from irlink.security.keystore import KeyStore, Pairing

app = typer.Typer(
    name="pairings",
    help="The devices this host is paired with: list them, or forget one.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

SHORT_ID = 8  # hex digits of a device id in the text table


def _opened() -> KeyStore:
    """This host's key store, read; one ``error:`` line (exit 2) if it cannot be used."""
    from irlink.security.keystore import KeyStore, KeyStoreError  # noqa: PLC0415

    try:
        return KeyStore.open()
    except KeyStoreError as exc:
        fail(str(exc))


def _device_given(ctx: typer.Context, device: str | None) -> str | None:
    """The device to talk to: ``-d`` after the command, or the global ``-d`` typed on the
    command line (not IRLINK_DEVICE's, nor the default ``auto``: these commands are about
    this host's key store unless a device is named)."""
    if device is not None:
        return device
    root = ctx.find_root()
    source = root.get_parameter_source("device")
    if getattr(source, "name", "") == "COMMANDLINE":
        return str(root.params["device"])
    return None


def list_pairings(
    ctx: typer.Context, device: DeviceHere = None, json_here: JsonHere = False
) -> None:
    """List the devices this host is paired with (kept on this host): serial, model,
    device id, admin, when paired, the address last used. Times are local (UTC with
    --json). With -d ADDRESS: the hosts that device is paired with (admin hosts only)."""
    address = _device_given(ctx, device)
    if address is not None:
        _list_on_device(ctx, address, json_here)
        return
    opts = options(ctx, json=json_here)
    from irlink.cli.paired import pairing_line  # noqa: PLC0415
    from irlink.security.keystore import KeyStoreError  # noqa: PLC0415

    store = _opened()
    try:
        kept = store.pairings()
    except KeyStoreError as exc:
        fail(str(exc))
    if opts.json:
        for pairing in kept:
            emit(opts, "pairing", pairing_line(pairing), lambda: None)
        return
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    from irlink.cli.logview import local  # noqa: PLC0415
    from irlink.cli.texts import console  # noqa: PLC0415

    out = console()
    if not kept:
        out.print(
            f"no devices are paired with this host ({store.path}): "
            "`irlink pair -d ADDRESS` pairs one"
        )
        return
    table = Table(box=None, pad_edge=False)
    for column in ("serial", "model", "device id", "admin", "paired at", "last address"):
        table.add_column(column)
    for pairing in kept:
        table.add_row(
            pairing.serial,
            pairing.model,
            pairing.device_id.hex()[:SHORT_ID],
            "admin" if pairing.admin else "",
            local(pairing.paired_at),
            pairing.address,
        )
    out.print(table)
    out.print(
        Text(
            f"kept in {store.path}; times are local. `irlink pairings remove SERIAL` (or "
            "the start of a device id) forgets one",
            style="dim",
        )
    )


def _list_on_device(ctx: typer.Context, address: str, json_here: bool) -> None:
    from irlink.cli.paired import DevicePairingLine  # noqa: PLC0415

    async def body(device: Device, opts: Options) -> None:
        info = device.info
        hosts = await device.pairings()
        lines = [
            DevicePairingLine(info.serial, info.model, h.pairing_id, h.admin, h.this_host)
            for h in hosts
        ]
        if opts.json:
            for line in lines:
                emit(opts, "device_pairing", line, lambda: None)
            return
        typer.echo(f"{info.model} serial {info.serial} is paired with {len(lines)} host(s):")
        for line in lines:
            marks = [m for m, on in (("admin", line.admin), ("this host", line.this_host)) if on]
            typer.echo(f"  {line.pairing_id}  {', '.join(marks)}".rstrip())
        typer.echo(
            "`irlink pairings remove --host ID -d ADDRESS` makes the device forget one "
            "(the start of its id will do)"
        )

    run(ctx, body, address, json_here)


def remove(
    ctx: typer.Context,
    which: Annotated[
        str | None,
        typer.Argument(
            metavar="SERIAL|DEVICE_ID",
            help="The device's serial, or its device id (at least its first 4 hex digits), "
            "as `irlink pairings list` shows them.",
            show_default=False,
        ),
    ] = None,
    device: DeviceHere = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            metavar="ID",
            help="With -d: make the device forget another host, by its pairing id (or the "
            "start of it) as `irlink pairings list -d ADDRESS` shows it.",
            show_default=False,
        ),
    ] = None,
    json_here: JsonHere = False,
) -> None:
    """Forget a device on this host. The device still lists this host until an admin
    host removes it there (or the device is reset). With -d ADDRESS, as an admin host:
    the device forgets this host first; with --host ID, another host (nothing here)."""
    address = _device_given(ctx, device)
    if host is not None:
        if address is None:
            fail("--host removes a host on a device: give the device with -d ADDRESS")
        if which is not None:
            fail(f"give {which!r} or --host, not both: --host removes another host's pairing")
        _remove_host(ctx, address, host, json_here)
        return
    if which is None:
        fail(
            "give the device's serial (or device id) to forget, as `irlink pairings list` "
            "shows it; or --host ID with -d ADDRESS"
        )
    if address is not None:
        _remove_on_device(ctx, address, which, json_here)
    opts = options(ctx, json=json_here)
    from irlink.cli.recording import open_recording  # noqa: PLC0415
    from irlink.security.keystore import KeyStoreError  # noqa: PLC0415

    store = _opened()
    with contextlib.ExitStack() as stack:
        recording = open_recording(opts, stack)  # a log irlink must not touch: nothing forgotten
        try:
            gone = store.forget(which)
        except KeyStoreError as exc:
            fail(str(exc))
        if recording.log is not None:
            _forgotten(recording.log, gone)
        _said_forgotten(opts, gone, on_device=address is not None)
        recording.check()


def _forgotten(log: SessionLog, gone: Pairing) -> None:
    """Keep the pairing forgotten here among the log's security events (never its keys)."""
    from irlink.journal import SecurityEvent, SecurityKind  # noqa: PLC0415

    event = SecurityEvent(
        SecurityKind.PAIRING_REMOVED_BY_HOST,
        "forgotten on this host (its key store): it must pair again to control the device",
        {"device_id": gone.device_id.hex(), "admin": gone.admin, "on_device": False},
        serial=gone.serial,
    )
    log.journal(gone.address).security(event)


def _said_forgotten(opts: Options, gone: Pairing, *, on_device: bool) -> None:
    """Say what was forgotten: a line of --json, or a sentence."""
    from irlink.cli.paired import PairingRemoved  # noqa: PLC0415

    removed = PairingRemoved(
        serial=gone.serial,
        model=gone.model,
        device_id=gone.device_id.hex(),
        admin=gone.admin,
        still_on_device=not on_device,
    )

    def human() -> None:
        as_admin = " (as an admin)" if gone.admin else ""
        said = (
            "The device forgot this host too."
            if on_device
            else f"The device still lists this host{as_admin} until an admin host removes it "
            "there (or the device is reset)."
        )
        typer.echo(
            f"forgot {gone.model} serial {gone.serial} (device id "
            f"{gone.device_id.hex()[:SHORT_ID]}) on this host, which must pair again to "
            f"control it. {said}"
        )

    emit(opts, "pairing_removed", removed, human)


def _remove_on_device(ctx: typer.Context, address: str, which: str, json_here: bool) -> None:
    """Make the device at ``address``, the one kept as ``which``, forget this host."""
    from irlink.security.keystore import MIN_PREFIX  # noqa: PLC0415

    store = _opened()
    given = which.strip()
    kept = store.pairing_for(given)
    if kept is None and len(given) >= MIN_PREFIX:
        found = [p for p in store.pairings() if p.device_id.hex().startswith(given.lower())]
        kept = found[0] if len(found) == 1 else None
    if kept is None:
        fail(
            f"this host keeps no pairing with the serial or device id {which!r}: "
            "`irlink pairings list` shows them"
        )

    async def body(device: Device, opts: Options) -> None:
        info = device.info
        if info.serial != kept.serial:
            fail(
                f"the device at {address} is {info.model} serial {info.serial}, not serial "
                f"{kept.serial}: give the address of the device to forget"
            )
        await device.remove_pairing(device.host.id)

    run(ctx, body, address, json_here)


def _remove_host(ctx: typer.Context, address: str, prefix: str, json_here: bool) -> None:
    """Make the device at ``address`` forget the host whose pairing id starts with ``prefix``."""
    from irlink.cli.paired import DevicePairingRemoved  # noqa: PLC0415

    wanted = prefix.strip().lower()

    async def body(device: Device, opts: Options) -> None:
        hosts = await device.pairings()
        found = [h for h in hosts if h.pairing_id.startswith(wanted)] if wanted else []
        if len(found) != 1:
            listed = ", ".join(h.pairing_id for h in hosts) or "none"
            fail(
                f"{'no' if not found else 'more than one'} host paired with the device has "
                f"a pairing id starting {prefix!r} (it has: {listed}); give more of the id"
            )
        [gone] = found
        await device.remove_pairing(gone.pairing_id)
        info = device.info
        line = DevicePairingRemoved(info.serial, info.model, gone.pairing_id)

        def human() -> None:
            itself = " (this host: it must pair again to control it)" if gone.this_host else ""
            typer.echo(
                f"{info.model} serial {info.serial} forgot host {gone.pairing_id}{itself}; "
                "its sessions ended"
            )

        emit(opts, "device_pairing_removed", line, human)

    run(ctx, body, address, json_here)


app.command("list")(list_pairings)
app.command("remove")(remove)
