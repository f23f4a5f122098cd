"""Frames a verified link dropped, told to the session log a few times, never once a frame.

An attacker on the wire can send forged, replayed or plain frames as fast as the link
carries them; the host drops each (:class:`~irlink.connection.LinkStats` counts them), and
a row a frame would let them flood the session log. :class:`DropTally` reports them
instead: the first drop on a link at once, later ones at most once every
:data:`REPORT_EVERY_S` with the counts since the last report, and the link's totals when
it ends (if it dropped any).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from irlink.connection import LinkStats

__all__ = ["REPORT_EVERY_S", "DropTally"]

REPORT_EVERY_S = 60.0  # the most often a link's dropped frames are reported

Counts = tuple[int, int, int]  # forged, replayed, plain


class _Timer(Protocol):
    def cancel(self) -> None: ...


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


def _loop_call_at(when: float, callback: Callable[[], None]) -> _Timer:
    return asyncio.get_running_loop().call_at(when, callback)


class DropTally:
    """The dropped frames of one device's links, and when they were last reported.

    ``report(data, final)`` is called with the counts since the last report and the
    link's totals (``forged``, ``replayed``, ``plain``, ``total``), ``final`` when the link
    ended; it must not block (it is called as frames arrive). ``clock`` and ``call_at``
    default to the running event loop's.
    """

    def __init__(
        self,
        stats: LinkStats,
        report: Callable[[dict[str, object], bool], None],
        *,
        clock: Callable[[], float] = _loop_time,
        call_at: Callable[[float, Callable[[], None]], _Timer] = _loop_call_at,
    ) -> None:
        self._stats = stats
        self._report = report
        self._clock = clock
        self._call_at = call_at
        self._start = self._reported = self._counts()  # at the link's start, at the last report
        self._last: float | None = None  # when the link's last report was made
        self._timer: _Timer | None = None

    def _counts(self) -> Counts:
        stats = self._stats
        return stats.forged, stats.replayed, stats.plain_dropped

    def dropped(self) -> None:
        """A frame was dropped (already counted in the stats)."""
        if self._timer is not None:
            return  # a report is due: it will count this one
        now = self._clock()
        if self._last is None or now - self._last >= REPORT_EVERY_S:
            self._flush(final=False)
        else:
            self._timer = self._call_at(self._last + REPORT_EVERY_S, self._due)

    def _due(self) -> None:
        self._timer = None
        if self._counts() != self._reported:
            self._flush(final=False)

    def link_ended(self) -> None:
        """The link is gone: its totals are reported, if it dropped anything."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._counts() != self._start:
            self._flush(final=True)
        self._start = self._reported = self._counts()
        self._last = None

    def _flush(self, *, final: bool) -> None:
        counts = self._counts()
        since = [now - before for now, before in zip(counts, self._reported, strict=True)]
        total = [now - first for now, first in zip(counts, self._start, strict=True)]
        self._reported = counts
        self._last = self._clock()
        names = ("forged", "replayed", "plain")
        data: dict[str, object] = dict(zip(names, since, strict=True))
        data["total"] = dict(zip(names, total, strict=True))
        self._report(data, final)
