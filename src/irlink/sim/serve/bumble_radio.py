"""bumble's virtual radio as irlink uses it: true scan responses, and the host's pairing.

bumble's virtual controller answers an active scan with the advertising data again;
:class:`ScanResponseController` gives the advertiser's real scan response, where
gatt.yaml puts the device name. :func:`host_pairing_config` is what the host pairs
with: LE Secure Connections, bonding, MITM protection by numeric comparison (its user
says yes to the number it shows; the device's user checks it is the one the device
shows) or by the device's out-of-band data, and Just Works refused. The device's own
side is in :mod:`irlink.sim.serve.bumble_gatt`.
"""

from __future__ import annotations

import dataclasses

from bumble import hci
from bumble.controller import Controller
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.smp import OobContext, OobSharedData

__all__ = ["ScanResponseController", "host_pairing_config"]

_Report = hci.HCI_LE_Extended_Advertising_Report_Event


class _HostDelegate(PairingDelegate):
    """The host's display and yes/no buttons: its user says yes to the number it shows."""

    def __init__(self) -> None:
        super().__init__(PairingDelegate.IoCapability.DISPLAY_OUTPUT_AND_YES_NO_INPUT)

    async def confirm(self, auto: bool = False) -> bool:
        """Refuse Just Works: asked only when there is no number to compare."""
        return False


def host_pairing_config(oob: OobSharedData | None = None) -> PairingConfig:
    """LE Secure Connections, bonding, MITM by numeric comparison or by ``oob``.

    ``oob`` is the device's out-of-band data (its NFC tag or QR code), for a device
    without a display; the host sends none of its own (its random value is 0).
    """
    config = None
    if oob is not None:
        ours = OobContext(r=bytes(16))
        config = PairingConfig.OobConfig(our_context=ours, peer_data=oob, legacy_context=None)
    return PairingConfig(sc=True, mitm=True, bonding=True, delegate=_HostDelegate(), oob=config)


class ScanResponseController(Controller):
    """bumble's virtual controller, but an active scan gets the advertiser's scan response.

    bumble's own repeats the advertising data as the scan response, which would lose
    the name gatt.yaml puts there.
    """

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        """Give scan reports the data the advertiser really answers a scan request with."""
        if isinstance(packet, _Report):
            packet = _Report([self._answered(report) for report in packet.reports])
        super().send_hci_packet(packet)

    def _answered(self, report: _Report.Report) -> _Report.Report:
        response = self._scan_response(report.address)
        if not response:
            return report
        if report.event_type & _Report.EventType.SCAN_RESPONSE:
            return dataclasses.replace(report, data=response)
        # Scannable: the host then waits for the response and reports both as one.
        return dataclasses.replace(
            report, event_type=report.event_type | _Report.EventType.SCANNABLE_ADVERTISING
        )

    def _scan_response(self, address: hci.Address) -> bytes:
        for controller in self.link.controllers:
            for advertising_set in controller.advertising_sets.values():
                if advertising_set.enabled and advertising_set.address == address:
                    return bytes(advertising_set.scan_response_data)
        return b""
