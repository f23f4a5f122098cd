"""The firmware's safety checks: battery, heat, sensors, emitters, pads and charger.

A mixin of :class:`irlink.sim.firmware.Firmware`, kept apart so each file does one job:
this one decides when a fault is raised or cleared and which sessions it ends.
"""

from __future__ import annotations

from irlink.protocol.messages import (
    ChargerConnectedEvent,
    ChargerDisconnectedEvent,
    EndReason,
    FaultClearedEvent,
    FaultRaisedEvent,
    LowBatteryEvent,
    PadAttachedEvent,
    PadDetachedEvent,
    PortState,
)
from irlink.protocol.wire import Event
from irlink.sim.memory import NonVolatile
from irlink.sim.model import Hardware
from irlink.sim.state import (
    BATTERY_CUTOFF,
    BURN_DOSE,
    EMITTER_FAILURE,
    HEAT,
    INTERNAL,
    OVER_TEMPERATURE,
    SENSOR_OPEN,
    SENSOR_SHORT,
    PortSession,
    fault_flags,
)
from irlink.spec.device_info import AdvertisedLimits

__all__ = ["Safety"]


class Safety:
    """Fault and power handling shared by every boot of the firmware."""

    hw: Hardware
    info: AdvertisedLimits
    memory: NonVolatile
    ports: list[PortSession]
    device_faults: int
    battery_warned: bool

    def _event(self, event: Event) -> None:
        raise NotImplementedError

    def _end(self, port: PortSession, reason: EndReason) -> None:
        raise NotImplementedError

    def _check_battery(self) -> None:
        battery = self.hw.battery
        if battery is None:
            return
        pct = int(battery.soc * 100 + 1e-9)
        if pct > self.info.battery_warn_pct and not self.battery_warned and not self.device_faults:
            return  # the common case, every physics step: nothing to do
        pct = battery.pct
        if pct <= self.info.battery_cutoff_pct and not self.hw.charger_connected:
            if not self.device_faults & BATTERY_CUTOFF:
                self._raise(None, BATTERY_CUTOFF, EndReason.LOW_BATTERY)
        elif self.device_faults & BATTERY_CUTOFF:
            self._clear(None, BATTERY_CUTOFF)
        if pct <= self.info.battery_warn_pct and not self.battery_warned:
            self.battery_warned = True
            self._event(LowBatteryEvent(battery_pct=pct, battery_mv=self.hw.battery_mv()))
        elif pct > self.info.battery_warn_pct:
            self.battery_warned = False

    def _check_heat(self) -> None:
        """The checks of every physics step: over-temperature and the burn-dose guard."""
        trip = self.info.temp_trip_dc
        for port in self.ports:
            hw = port.hw
            thermal = hw.thermal
            hot = thermal.temp_dc - thermal.skin_offset_dc >= trip and hw.sensor == "ok"
            if hot and not port.faults & OVER_TEMPERATURE:
                self._raise(port, OVER_TEMPERATURE)
            if hw.burn.dose and hw.burn.tripped and not port.faults & BURN_DOSE:
                self._raise(port, BURN_DOSE)

    def _check_faults(self) -> None:
        """Every fault check: sensors and emitters (changed by the hardware), then heat."""
        for port in self.ports:
            hw = port.hw
            self._set_port_fault(port, SENSOR_OPEN, hw.sensor == "open")
            self._set_port_fault(port, SENSOR_SHORT, hw.sensor == "short")
            failed = not hw.emitter_ok and port.state == PortState.RUNNING and hw.drive.level > 0
            if failed or (hw.emitter_ok and port.faults & EMITTER_FAILURE):
                self._set_port_fault(port, EMITTER_FAILURE, failed)
        self._check_heat()

    def _set_port_fault(self, port: PortSession, bit: int, active: bool) -> None:
        if active and not port.faults & bit:
            self._raise(port, bit)
        elif not active and port.faults & bit:
            self._clear(port, bit)

    def _raise(
        self, port: PortSession | None, bit: int, reason: EndReason = EndReason.FAULT
    ) -> None:
        """Raise a fault: the event first, then the sessions it stops end with ``reason``."""
        if port:
            port.faults |= bit
            if bit & HEAT:
                number = port.hw.number
                self.memory.latched[number] = self.memory.latched.get(number, 0) | bit
        else:
            self.device_faults |= bit
        self._event(FaultRaisedEvent(port=port.hw.number if port else 0, fault=fault_flags(bit)))
        for each in [port] if port else self.ports:
            if each.in_session:
                self._end(each, reason)

    def _clear(self, port: PortSession | None, bits: int) -> None:
        if port:
            port.faults &= ~bits
            number = port.hw.number
            self.memory.latched[number] = self.memory.latched.get(number, 0) & ~bits
        else:
            self.device_faults &= ~bits
        self._event(FaultClearedEvent(port=port.hw.number if port else 0, fault=fault_flags(bits)))

    def notice(self) -> None:
        """Look at the hardware now: battery and fault checks outside the physics step."""
        self._check_battery()
        self._check_faults()

    def internal_fault(self) -> None:
        """A device-level internal fault (a watchdog, a failed self-test): all output off."""
        if not self.device_faults & INTERNAL:
            self._raise(None, INTERNAL)

    def pad_changed(self, port_number: int) -> None:
        """The hardware saw a pad plugged or unplugged on a port."""
        port = self.ports[port_number - 1]
        if port.hw.pad_present:
            self._event(PadAttachedEvent(port=port_number, pad_type=port.hw.pad_type))
            return
        self._event(PadDetachedEvent(port=port_number))  # the cause before its effect
        if port.in_session:
            self._end(port, EndReason.PAD_DETACHED)

    def charger_changed(self) -> None:
        """The hardware saw the charger connected or disconnected."""
        if not self.hw.charger_connected:
            self._event(ChargerDisconnectedEvent())
            return
        self._event(ChargerConnectedEvent())
        if self.hw.profile.physics.safety.charge_blocks_therapy:
            self.end_all(EndReason.CHARGER)

    def end_all(self, reason: EndReason) -> None:
        """End every running or paused session with ``reason``."""
        for port in self.ports:
            if port.in_session:
                self._end(port, reason)
