"""Byte links to devices: serial (any pyserial URL) and Bluetooth LE (bleak).

:class:`Transport` is the one interface; :class:`~irlink.transport.serial.SerialTransport`
and :class:`~irlink.transport.ble.BleTransport` implement it. :func:`irlink.connect`
picks one from the address; the BLE one needs the ``ble`` extra and is imported only
when an address asks for it.
"""

from __future__ import annotations

from irlink.transport.base import Transport

__all__ = ["Transport"]
