"""Factory-provisioned pairings: simulated devices that trust this host from the start.

A real device leaves the factory paired with nobody: a host pairs with it once, with the
setup code on its label (``irlink pair``), and verifies it on every connection after.
A simulated device does the same. But a test suite that builds hundreds of simulated
devices and serves each on a pty, a TCP port or a BLE backend, or a CLI test that talks
to ``irlink sim serve`` in another process, would pair with each one first (an SRP-6a
exchange, a tenth of a second or more). Instead a process can ask that every secure
simulated device it makes from now on be **provisioned** with a pairing of this host,
as a factory could do for a fleet: both sides written directly, this host in the
device's pairing list (an admin, being the first) and the device's id and key in the
key store under its serial (:meth:`irlink.sim.SimulatedDevice.provision`). Nothing of the
protocol is skipped: the host still runs pair verify on every connection and every frame
is sealed; only pair setup is.

Provisioning is on while :func:`trust_host` says so; before it is called (or after
``trust_host(None)``) it follows the environment variable ``IRLINK_SIM_TRUST_HOST``:
``1`` is on, with the key store of ``IRLINK_CONFIG`` (or the user's config folder) as
each device is made. ``irlink sim serve --trust-host`` sets it for its devices, and
irlink's own test suites (``tests/conftest.py``, ``hil/conftest.py``) set it for every
test, with each test's key store in a temporary folder; the security tests turn it off.

>>> from irlink.sim import SimulatedDevice, trust_host
>>> previous = trust_host(False)
>>> len(SimulatedDevice("waistband").pairings)
0
>>> _ = trust_host(previous)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from irlink.security.keystore import KeyStore

__all__ = ["TRUST_ENV", "trust_host", "trusted_store"]

TRUST_ENV = "IRLINK_SIM_TRUST_HOST"
"""The environment variable that turns provisioning on (``1``) when :func:`trust_host`
has not decided."""

_setting: KeyStore | bool | None = None


def trust_host(trust: KeyStore | bool | None = True) -> KeyStore | bool | None:
    """Whether secure simulated devices made from now on in this process trust a host.

    ``True``: the host of the key store in ``IRLINK_CONFIG`` (or the user's config folder),
    looked up as each device is made; a :class:`~irlink.security.keystore.KeyStore`: that
    store's host; ``False``: none (devices start unpaired, as from a factory); ``None``:
    as ``IRLINK_SIM_TRUST_HOST`` says. Returns the setting it replaces, to put back.
    """
    global _setting
    previous, _setting = _setting, trust
    return previous


def trusted_store() -> KeyStore | None:
    """The key store whose host a new simulated device trusts, or None."""
    setting = _setting
    if setting is None:
        setting = os.environ.get(TRUST_ENV, "").strip() not in ("", "0")
    if setting is False:
        return None
    if setting is True:
        from irlink.security.keystore import KeyStore  # noqa: PLC0415  (only when on)

        return KeyStore.open()
    return setting
