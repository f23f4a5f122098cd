"""When an unanswered request is tried again, and when it means the link is lost.

Each *try* of a request waits ``timeout`` for its answer. A try that times out is
*heard* when any frame came in from the device while it waited (an answer to something
else, an event, or a frame the decoder dropped as corrupt: bad COBS, bad CRC, bad
length), and *silent* when nothing at all came in. The rule, for a request the spec
marks idempotent (every v1 request) and ``retries`` (3 by default):

- It is tried at least ``1 + retries`` times (4), unless the link drops.
- After those, it is tried again while the link is up and the device is heard, up to
  ``1 + LIVELY_RETRIES * retries`` tries in all (25): a noisy link, whose answers come
  back damaged, gets more persistence. In a verified session (IRLink 1.2) every frame
  is 21 bytes longer, so more of them are damaged: twice that many (49). Every try of a
  request sends the same request (a retried ``start`` carries the same session id), so
  the device never does it twice.
- It ends when ``n`` tries in a row were silent: the link is then taken as lost. ``n``
  is ``1 + retries`` on a link whose tries have not gone silent lately. On a link where a
  share p of the last :data:`SILENCE_WINDOW` tries went silent and the device was then
  heard again (noise: a request or its answer lost whole), ``n`` is the smallest number
  with p ** n at most :data:`NOISE_ODDS`, so that a live link is taken as lost less than
  once in a million runs of silence; never fewer than ``1 + retries``, never more than
  the most tries. At 1 % of bytes damaged and 5 % of frames lost about a try in five
  is silent: ``n`` is then about 9 instead of 4 (at 4, one live request in a thousand
  would take the link as lost).
- A request that runs out of tries while the device is heard raises
  :class:`~irlink.RequestTimeout` with ``silent`` False, and the link is kept.

A request that is not idempotent is tried once. Silent tries of a run that ended in a
lost link, or with the link dropped, are not counted as noise.
"""

from __future__ import annotations

import math
from collections import deque

from irlink.protocol.framing import FrameDecoder

__all__ = ["LIVELY_RETRIES", "NOISE_ODDS", "SILENCE_WINDOW", "Liveness", "frames_in"]

LIVELY_RETRIES = 8  # retries while the device is heard, for each retry on a silent link
NOISE_ODDS = 1e-6  # how rarely a live link may be taken as lost in a run of silence
SILENCE_WINDOW = 128  # the recent tries the share of silent ones is measured over


def frames_in(decoder: FrameDecoder) -> int:
    """How many frames ``decoder`` has read: intact ones and those dropped as corrupt."""
    stats = decoder.stats
    return stats.frames + stats.cobs_errors + stats.crc_errors + stats.too_short + stats.too_long


class Liveness:
    """What a connection's recent tries say about its link, by try number (1, 2, ...)."""

    def __init__(self) -> None:
        self._silent: deque[int] = deque(maxlen=SILENCE_WINDOW)  # silent tries, then heard
        self._unanswered = -SILENCE_WINDOW  # the last try that timed out

    def unanswered(self, number: int) -> None:
        """Try ``number`` timed out, silent or heard."""
        self._unanswered = number

    def lived(self, silent: list[int]) -> None:
        """The device was heard after the silent tries numbered ``silent``: they were noise."""
        self._silent.extend(silent)

    def noisy(self, now: int) -> bool:
        """Whether a try went unanswered among the last :data:`SILENCE_WINDOW`, ``now`` tries in."""
        return now - self._unanswered < SILENCE_WINDOW

    def silent_limit(self, now: int, fewest: int, most: int) -> int:
        """How many silent tries in a row take the link as lost, ``now`` tries in (see above)."""
        recent = sum(1 for number in self._silent if number > now - SILENCE_WINDOW)
        if not recent:
            return fewest
        share = recent / min(SILENCE_WINDOW, now)
        if share >= 1:
            return most
        return max(fewest, min(most, math.ceil(math.log(NOISE_ODDS) / math.log(share))))
