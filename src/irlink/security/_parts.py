"""Steps in parts: how a pairing message longer than one frame crosses the link.

The host sends its message for a step as ``parts`` requests (``part`` 0, 1, ...); the
device acknowledges each but the last with ``(step, part, 0, [])`` and answers the last
with part 0 of its own message, ``(step + 1, 0, reply_parts, data)``. The host reads the
other reply parts with ``(step + 1, k, 0, [])``. Both pair setup and pair verify use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from irlink.protocol.messages import PairingPart
from irlink.security.errors import AuthenticationFailed, BadPairingMessage, Refused

PART_BYTES = 200
"""Most bytes of a message in one part (``pairing_part.data``'s max_items)."""

P = TypeVar("P", bound=PairingPart)
Step = Callable[[int, bytes], tuple[int, bytes]]
"""Runs the step the host's whole message completes: (step, message) -> (reply step, reply)."""

_STEP, _PART, _PARTS = 1, 2, 3  # the fields of pairing_part, for error replies


def split(message: bytes) -> list[bytes]:
    """``message`` in parts of at most :data:`PART_BYTES` bytes; an empty message is one part."""
    return [message[at : at + PART_BYTES] for at in range(0, len(message), PART_BYTES)] or [b""]


class DeviceParts(Generic[P]):
    """The device's end: collects the host's parts, runs the step, serves the reply's parts.

    A repeat of the last request (a host that lost the answer) gets the same answer
    again, without running anything twice.
    """

    def __init__(self, response: type[P], max_parts: int) -> None:
        self._response = response
        self._max_parts = max_parts
        self._collecting: tuple[int, int] | None = None  # (step, parts) being received
        self._received: list[bytes] = []
        self._reply_step = 0
        self._reply: list[bytes] = []
        self._last: tuple[PairingPart, P | Refused] | None = None

    def reset(self) -> None:
        """Forget the exchange: what was collected, the reply, the last answer."""
        self._collecting = None
        self._received = []
        self._reply_step = 0
        self._reply = []
        self._last = None

    def receive(self, request: PairingPart, run: Step) -> P:
        """The answer to one part; ``run`` is called when a message is complete.

        A repeat of the last request gets the last answer, or the last refusal if that is
        :attr:`~irlink.security.errors.Refused.repeatable`; other refusals (those that
        depend on time or on the device's state) are judged again.
        """
        if self._last is not None and self._last[0] == request:
            answer = self._last[1]
            if not isinstance(answer, Refused):
                return answer
            if answer.repeatable:
                raise answer
        try:
            answer = self._answer(request, run)
        except Refused as refusal:
            self._last = (request, refusal)
            raise
        self._last = (request, answer)
        return answer

    def _answer(self, request: PairingPart, run: Step) -> P:
        step, part, parts = request.step, request.part, request.parts
        if parts == 0:  # a read of a part of the device's reply
            if step != self._reply_step or not self._reply:
                raise BadPairingMessage(f"no reply of step {step} to read", field=_STEP)
            if part >= len(self._reply):
                raise BadPairingMessage(f"the reply has no part {part}", field=_PART)
            return self._part(step, part, len(self._reply), self._reply[part])
        if parts > self._max_parts:
            raise BadPairingMessage(
                f"{parts} parts; a step has at most {self._max_parts}", field=_PARTS
            )
        if part >= parts:
            raise BadPairingMessage(f"part {part} of {parts}", field=_PART)
        if part == 0:
            self._collecting, self._received = (step, parts), []
        elif self._collecting != (step, parts) or part != len(self._received):
            raise BadPairingMessage(f"part {part} of step {step} out of order", field=_PART)
        self._received.append(bytes(request.data))
        if part < parts - 1:
            return self._part(step, part, 0, b"")
        message = b"".join(self._received)
        self._collecting, self._received, self._reply = None, [], []
        reply_step, reply = run(step, message)
        self._reply_step, self._reply = reply_step, split(reply)
        return self._part(reply_step, 0, len(self._reply), self._reply[0])

    def _part(self, step: int, part: int, parts: int, data: bytes) -> P:
        return self._response(step=step, part=part, parts=parts, data=tuple(data))


class HostParts(Generic[P]):
    """The host's end: sends a message as parts and reads the device's reply whole."""

    def __init__(self, request: type[P]) -> None:
        self._request = request
        self._step = 0
        self._parts: list[bytes] = []
        self._sent = 0  # parts of the host's message sent so far
        self._reply: list[bytes] = []
        self._reply_parts = 0

    def send(self, step: int, message: bytes) -> P:
        """The first request of the host's ``message`` for ``step``."""
        self._step, self._parts, self._sent = step, split(message), 1
        self._reply, self._reply_parts = [], 0
        return self._part(step, 0, len(self._parts), self._parts[0])

    def receive(self, response: PairingPart) -> P | bytes:
        """The next request to send, or the device's whole reply once it is all read."""
        step, part, parts = response.step, response.part, response.parts
        if self._sent < len(self._parts):  # the device acknowledges a part
            if (step, part, parts) != (self._step, self._sent - 1, 0):
                raise AuthenticationFailed(f"the device answered part {self._sent - 1} out of turn")
            self._sent += 1
            index = self._sent - 1
            return self._part(self._step, index, len(self._parts), self._parts[index])
        expected = (self._step + 1, len(self._reply))
        if (step, part) != expected or parts == 0 or (self._reply and parts != self._reply_parts):
            raise AuthenticationFailed(
                f"the device answered step {step} part {part}; expected step {expected[0]} "
                f"part {expected[1]}"
            )
        self._reply_parts = parts
        self._reply.append(bytes(response.data))
        if len(self._reply) < parts:
            return self._part(step, len(self._reply), 0, b"")
        return b"".join(self._reply)

    def _part(self, step: int, part: int, parts: int, data: bytes) -> P:
        return self._request(step=step, part=part, parts=parts, data=tuple(data))
