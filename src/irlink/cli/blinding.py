"""Blinded studies on the command line: a device's sham masked, and what it refuses.

Every command that connects to a device asks the session log (``--db``; read-only, and
only if it exists, under ``--no-log``) whether the device is in a blinded study. If it
is, its sham is masked in everything the command shows (:mod:`irlink.masking`), a
frame trace is refused before its first status is read (the frames carry the sham
bit), and its sessions are not set by hand (``session set``, ``start --duration``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from irlink.cli.common import EXIT_USAGE, TRACE_VERBOSITY, Failure, Options
from irlink.errors import IRLinkError

if TYPE_CHECKING:
    from irlink.device import Device
    from irlink.model import Info
    from irlink.record.blinding import BlindPolicy
    from irlink.record.store import SessionLog

__all__ = ["CommandBlind", "TraceRefused", "refuse_by_hand"]


class TraceRefused(IRLinkError):
    """A frame trace was asked of a device in a blinded study: it would show the sham bit."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


def _studies(names: Sequence[str]) -> str:
    if not names:
        return "a blinded study"
    return ("study " if len(names) == 1 else "studies ") + ", ".join(names)


def _used_by(info: Info, names: Sequence[str]) -> str:
    return f"device {info.model} {info.serial} is used by blinded {_studies(names)}"


def _until(names: Sequence[str]) -> str:
    return f"until {_studies(names)} {'are' if len(names) > 1 else 'is'} unblinded"


def _found(opts: Options, address: str, log: SessionLog | None) -> BlindPolicy:
    from irlink.record.blinding import blind_policy  # noqa: PLC0415
    from irlink.record.rows import link_kind  # noqa: PLC0415

    # Without this command's log (--no-log, or it could not be opened), the file read-only.
    source = log if log is not None else opts.db
    return blind_policy(source, simulated=link_kind(address) == "sim")


class CommandBlind:
    """The ``blind`` of a command's device: the log's blinded studies; a trace refused."""

    def __init__(self, opts: Options, address: str, log: SessionLog | None) -> None:
        self.opts = opts
        self.found = _found(opts, address, log)

    def __call__(self, info: Info) -> bool:
        if not self.found(info):
            return False
        names = self.found.studies
        if self.opts.trace:
            raise TraceRefused(
                f"{_used_by(info, names)}: --trace would show the sham setting of a blinded "
                f"study; leave --trace (IRLINK_TRACE) out {_until(names)}",
                "--trace",
            )
        if self.opts.verbose >= TRACE_VERBOSITY:
            raise TraceRefused(
                f"{_used_by(info, names)}: -vvv would show every frame, the sham setting of a "
                f"blinded study among them; use -vv at most {_until(names)}",
                "--verbose",
            )
        return True


def refuse_by_hand(device: Device, opts: Options) -> None:
    """End a command that would set the sessions of a device in a blinded study by hand:
    its settings are the study's (and its sham, masked, cannot be kept honestly)."""
    if not device.blinded:
        return
    names = _found(opts, opts.device, None).studies_of(device.info)
    raise Failure(
        f"{_used_by(device.info, names)}: its sessions are set by `irlink study visit`; "
        "unblind the study first to set them by hand",
        EXIT_USAGE,
    )
