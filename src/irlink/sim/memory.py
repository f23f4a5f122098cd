"""What a simulated device keeps across power loss: boot count, usage log, session checkpoints,
and (IRLink 1.2) its identity's generation, its pairing list and its count of wrong setup codes."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from irlink.protocol.messages import EndReason, Mode, UsageRecord
from irlink.security.pairings import Pairings

__all__ = ["LOG_CAPACITY", "Checkpoint", "NonVolatile"]

LOG_CAPACITY = 256  # records kept; older ones are overwritten (oldest_index moves on)
CHECKPOINT_S = 10  # how often a running session's progress is written to flash


@dataclass
class Checkpoint:
    """A running session's progress as last written to flash, for the power-loss record."""

    session_id: int
    port: int
    sham: bool
    mode: Mode
    intensity: int
    pulse_hz: int
    setpoint_dc: int
    planned_s: int
    delivered_s: int
    uptime_s: int
    boot_count: int


@dataclass
class NonVolatile:
    """Flash memory: survives reboots and brown-outs, unlike the firmware's RAM."""

    boot_count: int = 0
    next_index: int = 0
    log: deque[UsageRecord] = field(default_factory=lambda: deque(maxlen=LOG_CAPACITY))
    checkpoints: dict[int, Checkpoint] = field(default_factory=dict)  # by port
    starts: dict[int, list[float]] = field(default_factory=dict)  # start times by port
    latched: dict[int, int] = field(default_factory=dict)  # heat fault bits by port
    # IRLink 1.2 (a device with the secure capability): the factory resets so far (the
    # device's id and keys are derived from its serial and this), the hosts it is paired
    # with, and the wrong setup codes since the last right one (the guessing limit's count).
    generation: int = 0
    pairings: Pairings = field(default_factory=Pairings)
    pair_failures: int = 0

    @property
    def oldest_index(self) -> int:
        """Index of the oldest record still kept (next_index when the log is empty)."""
        return self.log[0].log_index if self.log else self.next_index

    def record(
        self, checkpoint: Checkpoint, reason: EndReason, delivered_s: int, uptime_s: int
    ) -> UsageRecord:
        """Append the record of a session that ended, and forget its checkpoint."""
        record = UsageRecord(
            log_index=self.next_index,
            session_id=checkpoint.session_id,
            port=checkpoint.port,
            end_reason=reason,
            sham=checkpoint.sham,
            mode=checkpoint.mode,
            intensity=checkpoint.intensity,
            pulse_hz=checkpoint.pulse_hz,
            setpoint_dc=checkpoint.setpoint_dc,
            planned_s=checkpoint.planned_s,
            delivered_s=min(delivered_s, 0xFFFF),
            ended_uptime_s=min(uptime_s, 0xFFFFFFFF),
            boot_count=checkpoint.boot_count,
        )
        self.next_index = (self.next_index + 1) & 0xFFFFFFFF
        self.log.append(record)
        self.checkpoints.pop(checkpoint.port, None)
        return record

    def read(self, from_index: int, max_count: int) -> list[UsageRecord]:
        """Up to ``max_count`` records from ``from_index`` on (from the oldest kept if earlier)."""
        first = self.oldest_index
        skip = max(0, from_index - first)
        return list(self.log)[skip : skip + max_count]

    def boot(self) -> list[UsageRecord]:
        """Count a boot; sessions cut by the power loss become records with reason power_loss."""
        records = [
            self.record(c, EndReason.POWER_LOSS, c.delivered_s, c.uptime_s)
            for c in sorted(self.checkpoints.values(), key=lambda c: c.port)
        ]
        self.boot_count = (self.boot_count + 1) & 0xFFFF
        return records

    def sessions_since(self, port: int, since: float) -> int:
        """Sessions started on ``port`` at or after device time ``since``."""
        times = self.starts.get(port, [])
        times[:] = [t for t in times if t >= since]
        return len(times)
