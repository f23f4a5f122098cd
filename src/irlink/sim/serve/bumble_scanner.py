"""The bleak scanner backend over bumble: the air's central scanning for advertisements.

Part of the bumble bleak backend (:mod:`irlink.sim.serve.bumble_bleak`). Scanners share
the central of their :class:`~irlink.sim.serve.bumble_gatt.BumbleAir`, which scans while
any of them does. The advertising reports are bumble's: flags and the service UUID
from the advertising data, the name from the scan response (none on a passive scan).
"""

from __future__ import annotations

import weakref
from typing import Any, ClassVar

from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bumble.device import Advertisement, Device

from irlink.sim.serve.ble_gatt import parse_advertising
from irlink.sim.serve.bumble_gatt import BumbleAir

__all__ = ["BumbleBleakScanner"]

_scanning: weakref.WeakKeyDictionary[Device, int] = weakref.WeakKeyDictionary()


class BumbleBleakScanner(BaseBleakScanner):
    """bleak scanner backend: the air's central scanning actively for advertisements."""

    bound_air: ClassVar[BumbleAir | None] = None

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        *,
        air: BumbleAir | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._air = air or self.bound_air
        self._active = scanning_mode != "passive"
        self._central: Device | None = None

    async def start(self) -> None:
        """Start scanning (the central scans once for all its scanners)."""
        await self.stop()
        self.seen_devices = {}
        central = await (self._air or BumbleAir.current()).central()
        central.on(Device.EVENT_ADVERTISEMENT, self._heard)
        self._central = central
        _scanning[central] = _scanning.get(central, 0) + 1
        if not central.is_scanning:
            await central.start_scanning(filter_duplicates=False)

    async def stop(self) -> None:
        """Stop scanning."""
        central, self._central = self._central, None
        if central is None:
            return
        central.remove_listener(Device.EVENT_ADVERTISEMENT, self._heard)
        _scanning[central] -= 1
        if not _scanning[central] and central.is_scanning:
            await central.stop_scanning()

    def _heard(self, advertisement: Advertisement) -> None:
        heard = parse_advertising(bytes(advertisement.data))
        if not self.is_allowed_uuid(list(heard.service_uuids)):
            return
        name = heard.local_name if self._active else None  # the name is in the scan response
        tx_power = advertisement.tx_power
        data = AdvertisementData(
            local_name=name,
            manufacturer_data={},
            service_data={},
            service_uuids=list(heard.service_uuids),
            tx_power=None if tx_power == Advertisement.TX_POWER_NOT_AVAILABLE else tx_power,
            rssi=advertisement.rssi,
            platform_data=(advertisement,),
        )
        address = str(advertisement.address)
        found = self.create_or_update_device(address, address, name, advertisement, data)
        self.call_detection_callbacks(found, data)
