"""Temperatures: a first-order element or pad, its skin side, and the burn-dose guard."""

from __future__ import annotations

import math
from dataclasses import dataclass

from irlink.spec.devices import BurnDose

__all__ = ["BurnDoseMeter", "ThermalModel"]


@dataclass
class ThermalModel:
    """A first-order body: the temperature relaxes toward ambient + rise with time constant tau."""

    ambient_dc: float
    tau_s: float
    skin_offset_dc: float
    temp_dc: float = 0.0

    def __post_init__(self) -> None:
        if not self.temp_dc:
            self.temp_dc = self.ambient_dc
        self._decay = (-1.0, 1.0)  # (dt, exp(-dt / tau)) of the last step: steps repeat

    def step(self, dt: float, rise_dc: float) -> None:
        """Move toward ``ambient + rise_dc`` for ``dt`` seconds (exact for any step)."""
        last_dt, decay = self._decay
        if dt != last_dt:
            decay = math.exp(-dt / self.tau_s)
            self._decay = (dt, decay)
        target = self.ambient_dc + rise_dc
        self.temp_dc = target + (self.temp_dc - target) * decay

    @property
    def skin_dc(self) -> float:
        """The skin-side temperature: the sensor's reading less the covered-side offset."""
        return self.temp_dc - self.skin_offset_dc


@dataclass
class BurnDoseMeter:
    """DOMAIN safety rule 4: the running sum of dt / t_burn(T) at the skin."""

    spec: BurnDose
    floor_dc: float = -math.inf  # skin below this counts nothing: normal use does no harm
    dose: float = 0.0

    def t_burn_s(self, skin_dc: float) -> float:
        """Seconds of contact at ``skin_dc`` that make a burn."""
        exponent = -(skin_dc - self.spec.reference_dc) / self.spec.halving_dc
        return float(self.spec.reference_s * 2.0**exponent)

    def step(self, dt: float, skin_dc: float) -> None:
        """Add ``dt`` seconds of contact at ``skin_dc``."""
        if skin_dc >= self.floor_dc:
            self.dose += dt / self.t_burn_s(skin_dc)

    @property
    def tripped(self) -> bool:
        """Whether the dose reached the stop fraction."""
        return self.dose * 100 >= self.spec.stop_pct
