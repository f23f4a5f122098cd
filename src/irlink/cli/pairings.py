"""``irlink pairings list`` and ``remove``: the devices this host is paired with.

These commands read and change only this host's key store (``pairings.json`` in the
config folder, or ``IRLINK_CONFIG``'s); they never talk to a device. Forgetting a
pairing here leaves the device's own list as it is: the device still lists this host
until an admin host removes it there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from irlink.cli.common import JsonHere, emit, fail, options

if TYPE_CHECKING:
    from irlink.security.keystore import KeyStore

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


def list_pairings(ctx: typer.Context, json_here: JsonHere = False) -> None:
    """List the devices this host is paired with (kept on this host): serial, model,
    device id, admin, when paired, the address last used. Times are local (UTC with
    --json)."""
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


def remove(
    ctx: typer.Context,
    which: Annotated[
        str,
        typer.Argument(
            metavar="SERIAL|DEVICE_ID",
            help="The device's serial, or its device id (at least its first 4 hex digits), "
            "as `irlink pairings list` shows them.",
        ),
    ],
    json_here: JsonHere = False,
) -> None:
    """Forget a device on this host. The device still lists this host until an admin
    host removes it there (or the device is reset)."""
    opts = options(ctx, json=json_here)
    from irlink.cli.paired import PairingRemoved  # noqa: PLC0415
    from irlink.security.keystore import KeyStoreError  # noqa: PLC0415

    store = _opened()
    try:
        gone = store.forget(which)
    except KeyStoreError as exc:
        fail(str(exc))
    removed = PairingRemoved(
        serial=gone.serial,
        model=gone.model,
        device_id=gone.device_id.hex(),
        admin=gone.admin,
        still_on_device=True,
    )

    def human() -> None:
        as_admin = " (as an admin)" if gone.admin else ""
        typer.echo(
            f"forgot {gone.model} serial {gone.serial} (device id "
            f"{gone.device_id.hex()[:SHORT_ID]}) on this host, which must pair again to "
            f"control it. The device still lists this host{as_admin} until an admin host "
            "removes it there (or the device is reset)."
        )

    emit(opts, "pairing_removed", removed, human)


app.command("list")(list_pairings)
app.command("remove")(remove)
