"""The blocking Device: the async API run on a private event-loop thread.

Every method hands the async :class:`irlink.Device` method of the same name to the
loop thread and waits for it; there is no logic here of its own.

>>> import irlink.sync
>>> with irlink.sync.connect("sim://waistband") as device:
...     device.configure(duration="20m", intensity=2)
...     session_id = device.start()
...     print(device.status().port(1).state.name)
...     device.stop()
RUNNING
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from irlink import device as _async
from irlink.connection import LinkStats
from irlink.connector import connect as _connect
from irlink.connector import pair as _pair
from irlink.events import DeviceEvent
from irlink.limits import DurationLike
from irlink.model import Info, Status, UsageRecord
from irlink.protocol.messages import Mode
from irlink.verified import PairedHost

if TYPE_CHECKING:
    from irlink.security.codes import SetupCode
    from irlink.security.keystore import Pairing
    from irlink.sim import SimulatedDevice

__all__ = ["Device", "connect", "pair"]

T = TypeVar("T")


class _LoopThread:
    """An event loop on a daemon thread of its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="irlink", daemon=True)
        self._thread.start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(work, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # Ctrl-C while waiting: do not leave the call running
            raise

    def stop(self) -> None:
        try:
            self.run(self.loop.shutdown_default_executor())  # pyserial opens ports there
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class Device:
    """One therapy device, blocking: the methods of :class:`irlink.Device`, each waited for."""

    def __init__(self, device: _async.Device, thread: _LoopThread) -> None:
        self._device = device
        self._thread = thread

    def call(self, work: Callable[[_async.Device], Awaitable[T]]) -> T:
        """Run ``work(device)`` with the async Device on its loop thread, and wait for it: for
        library APIs built on the async Device (``irlink.regimen.runner.run_visit_sync``)."""
        return self._run(work(self._device))

    def _run(self, work: Awaitable[T]) -> T:
        async def call() -> T:
            return await work

        return self._thread.run(call())

    @property
    def address(self) -> str:
        """The address connected to."""
        return self._device.address

    @property
    def info(self) -> Info:
        """What the device is and every limit it enforces."""
        return self._device.info

    @property
    def blinded(self) -> bool:
        """Whether sham is masked: the device is in a blinded study."""
        return self._device.blinded

    @property
    def last_status(self) -> Status | None:
        """The latest status seen, without asking the device."""
        return self._device.last_status

    @property
    def connected(self) -> bool:
        """Whether the link is up and resynchronised."""
        return self._device.connected

    @property
    def simulator(self) -> SimulatedDevice | None:
        """The simulated device behind a ``sim://`` address (None otherwise)."""
        return self._device.simulator

    @property
    def stats(self) -> LinkStats:
        """What the host's side of the link has seen."""
        return self._device.stats

    @property
    def secured(self) -> bool:
        """Whether the link has a verified session (IRLink 1.2): every frame is sealed."""
        return self._device.secured

    def pairings(self) -> list[PairedHost]:
        """The hosts the device is paired with (admin hosts only)."""
        return self._run(self._device.pairings())

    def remove_pairing(self, pairing_id: str | bytes) -> None:
        """Make the device forget a host (admin hosts only)."""
        self._run(self._device.remove_pairing(pairing_id))

    def status(self) -> Status:
        """Read the device's status now."""
        return self._run(self._device.status())

    def configure(
        self,
        port: int = 0,
        *,
        duration: DurationLike | None = None,
        intensity: int | None = None,
        mode: Mode | str = Mode.CONTINUOUS,
        pulse_hz: int | None = None,
        setpoint: float | None = None,
        sham: bool = False,
        override: bool = False,
    ) -> None:
        """Set the next session of ``port`` (0: every port); see :meth:`irlink.Device.configure`."""
        self._run(
            self._device.configure(
                port,
                duration=duration,
                intensity=intensity,
                mode=mode,
                pulse_hz=pulse_hz,
                setpoint=setpoint,
                sham=sham,
                override=override,
            )
        )

    def start(self, port: int = 0, *, session_id: int | None = None) -> int:
        """Start the configured session; returns its session id."""
        return self._run(self._device.start(port, session_id=session_id))

    def stop(self, port: int = 0) -> None:
        """Stop ``port`` (0: every port)."""
        self._run(self._device.stop(port))

    def pause(self, port: int = 0) -> None:
        """Pause ``port`` (0: every port)."""
        self._run(self._device.pause(port))

    def resume(self, port: int = 0) -> None:
        """Resume ``port`` (0: every port)."""
        self._run(self._device.resume(port))

    def clear_fault(self, port: int = 0) -> None:
        """Clear latched faults on ``port`` (0: the device and every port)."""
        self._run(self._device.clear_fault(port))

    def subscribe(self, period: DurationLike | None) -> timedelta:
        """Have the device push its status every ``period`` (None: stop)."""
        return self._run(self._device.subscribe(period))

    def set_heartbeat(self, interval: DurationLike | None) -> None:
        """Arm (or with None disarm) the device's heartbeat policy."""
        self._run(self._device.set_heartbeat(interval))

    def usage_log(self, from_index: int = 0) -> list[UsageRecord]:
        """The device's own record of finished sessions, oldest first."""
        return self._run(self._device.usage_log(from_index))

    def events(self) -> Iterator[DeviceEvent]:
        """Every event from now on, in order, until the device is closed; blocks for each."""
        return self._iterate(self._device.events())  # listening starts now, not at next()

    def _iterate(self, stream: AsyncGenerator[DeviceEvent, None]) -> Iterator[DeviceEvent]:
        try:
            while True:
                try:
                    yield self._run(anext(stream))
                except StopAsyncIteration:
                    return
        finally:
            if self._thread.loop.is_running():
                self._run(stream.aclose())


def pair(address: str, code: str | SetupCode, **options: Any) -> Pairing:
    """Pair this host with the device at ``address``, blocking; see :func:`irlink.pair`."""
    thread = _LoopThread()
    try:
        return thread.run(_pair(address, code, **options))
    finally:
        thread.stop()


@contextmanager
def connect(address: str = "auto", **options: Any) -> Iterator[Device]:
    """Connect to the device at ``address``, blocking; the options of :func:`irlink.connect`
    (``blind`` among them)."""
    thread = _LoopThread()
    try:
        manager = _connect(address, **options)
        device = thread.run(manager.__aenter__())
        try:
            yield Device(device, thread)
        finally:
            thread.run(manager.__aexit__(None, None, None))
    finally:
        thread.stop()
