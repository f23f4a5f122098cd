"""The battery pack: state of charge, voltage under load, drain and charge."""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from irlink.spec.devices import Battery as BatterySpec

__all__ = ["BatteryModel"]

# Open-circuit voltage of a Li-ion cell against state of charge, as fractions of the way
# from the empty to the full voltage (a typical NMC curve: steep at both ends, flat middle).
_OCV_CURVE = (
    (0.00, 0.00),
    (0.05, 0.20),
    (0.10, 0.33),
    (0.20, 0.43),
    (0.50, 0.58),
    (0.80, 0.79),
    (1.00, 1.00),
)
_OCV_SOC = [soc for soc, _ in _OCV_CURVE]
# Each segment as (soc, fraction, fraction rise, soc span) from its left point, indexed by
# its right point as bisect finds it (0, for a flat empty cell, reads the first segment).
_OCV_SEGMENTS = [
    (s0, v0, v1 - v0, s1 - s0) for (s0, v0), (s1, v1) in itertools.pairwise(_OCV_CURVE)
]
_OCV_SEGMENTS.insert(0, _OCV_SEGMENTS[0])
INTERNAL_MOHM_PER_CELL = 80  # EST: a small 18650 cell


@dataclass
class BatteryModel:
    """Charge in joules, drained by the power drawn and refilled by a charger."""

    spec: BatterySpec
    soc: float = 1.0  # state of charge, 0..1
    charging: bool = False

    def __post_init__(self) -> None:
        self.capacity_j = self.spec.capacity_mah * self.spec.nominal_mv * 3.6 / 1000
        self._resistance_ohm = INTERNAL_MOHM_PER_CELL * self.spec.cells / 1000
        self._empty_mv = self.spec.empty_mv
        self._span_mv = self.spec.full_mv - self.spec.empty_mv

    def open_circuit_mv(self) -> float:
        """Voltage with no load at the present state of charge."""
        return self.voltage_mv(0.0)

    def voltage_mv(self, load_mw: float) -> float:
        """Terminal voltage while ``load_mw`` is drawn (sags by the cells' resistance)."""
        # Every get_status reads this: the open-circuit voltage is worked out here rather
        # than in a call of its own (with no load it is what open_circuit_mv returns).
        soc = self.soc
        if not 0.0 <= soc <= 1.0:
            soc = min(max(soc, 0.0), 1.0)
        s0, v0, rise, span = _OCV_SEGMENTS[bisect.bisect_left(_OCV_SOC, soc)]
        ocv = self._empty_mv + (v0 + rise * (soc - s0) / span) * self._span_mv
        return ocv - load_mw / ocv * self._resistance_ohm * 1000

    def step(self, dt: float, load_mw: float) -> None:
        """Drain by ``load_mw`` for ``dt`` seconds, or charge while a charger is connected."""
        if self.charging:
            self.soc = min(1.0, self.soc + dt / self.spec.charge_time_s)
        else:
            self.soc = max(0.0, self.soc - load_mw * dt / (1000 * self.capacity_j))

    @property
    def pct(self) -> int:
        """State of charge in whole percent, as the status reports it (rounded down)."""
        pct = int(self.soc * 100 + 1e-9)
        return pct if 0 <= pct <= 100 else min(100, max(0, pct))
