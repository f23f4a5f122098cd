"""The rig the firmware tests share: a simulated device on a manual clock, with a host."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from irlink.protocol.messages import (
    ConfigureRequest,
    GetStatusRequest,
    Mode,
    PortState,
    ReadUsageLogRequest,
    StartRequest,
    UsageRecord,
)
from irlink.sim import ManualClock, SimulatedDevice
from irlink.spec import load_device_profile
from irlink.spec.devices import DeviceProfile
from tests.sim.host import TestHost

PROFILES = {family: load_device_profile(family) for family in ("waistband", "multiport", "firmat")}


@dataclass
class Rig:
    """A simulated device on a manual clock with a test host on it."""

    clock: ManualClock
    device: SimulatedDevice
    host: TestHost

    def status(self) -> Any:
        return self.host.ok(GetStatusRequest())

    def port(self, number: int = 1) -> Any:
        return self.status().ports[number - 1]

    def log(self, from_index: int = 0, max_count: int = 8) -> Any:
        return self.host.ok(ReadUsageLogRequest(from_index=from_index, max_count=max_count))

    def records(self) -> list[UsageRecord]:
        return list(self.log().records)

    def start(self, session_id: int, port: int = 1) -> None:
        self.host.ok(StartRequest(port=port, session_id=session_id))

    def run_until_not_running(self, port: int = 1, limit_s: int = 7200) -> int:
        """Advance second by second until the port's session ends; the seconds it took."""
        for second in range(1, limit_s + 1):
            self.clock.advance(1)
            if self.device.port_state(port) != PortState.RUNNING:
                return second
        raise AssertionError(f"port {port} still runs after {limit_s} s")


def make_rig(profile: str | DeviceProfile, **kwargs: Any) -> Rig:
    """A rig for a family (or a profile of one) on a fresh manual clock."""
    clock = ManualClock()
    chosen = PROFILES[profile] if isinstance(profile, str) else profile
    device = SimulatedDevice(chosen, clock=clock, **kwargs)
    return Rig(clock, device, TestHost(device))


def configure(
    port: int = 1,
    duration_s: int = 600,
    intensity: int = 3,
    mode: Mode = Mode.CONTINUOUS,
    pulse_hz: int = 0,
    sham: bool = False,
    setpoint_dc: int = 0,
    override: bool = False,
) -> ConfigureRequest:
    """A configure request with every field named and sensible defaults."""
    return ConfigureRequest(
        port=port,
        duration_s=duration_s,
        intensity=intensity,
        mode=mode,
        pulse_hz=pulse_hz,
        sham=sham,
        setpoint_dc=setpoint_dc,
        override=override,
    )
