"""The installed ``irlink`` as a real process, and ``irlink sim serve`` for it to reach.

Nothing sleeps: a child's output is read as it comes, with a deadline.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.test_cli_sim import SCRIPT, START_S, serving

__all__ = ["SCRIPT", "START_S", "irlink", "json_lines", "read_until", "simulator", "started"]


@contextmanager
def simulator(*args: str, family: str = "waistband") -> Iterator[str]:
    """A device served by ``irlink sim serve FAMILY --pty ARGS``: its pty's path."""
    with serving(1, family, "--pty", *args) as (_, [[_, _, path]]):
        yield path


def irlink(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``irlink ARGS`` to the end; ``env`` adds to this environment."""
    return subprocess.run(
        [SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=START_S * 2,
        check=False,
        env=None if env is None else os.environ | env,
        input=stdin,
    )


@contextmanager
def started(*args: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """``irlink ARGS`` running; killed if the test leaves it running."""
    proc = subprocess.Popen(
        [SCRIPT, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=None if env is None else os.environ | env,
        # A child of a shell that ran us in the background would ignore SIGINT for good.
        # No other thread runs here (the simulator is another process): fork is safe.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=START_S)


def read_until(proc: subprocess.Popen[bytes], text: bytes) -> bytes:
    """What ``proc`` wrote on stdout up to and including ``text`` (fails at the deadline)."""
    assert proc.stdout is not None
    deadline, out = time.monotonic() + START_S, b""
    while text not in out:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
        assert chunk, f"irlink ended or stalled before {text!r}: {out!r}"
        out += chunk
    return out


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON lines of a child's stdout."""
    return [json.loads(line) for line in text.splitlines()]
