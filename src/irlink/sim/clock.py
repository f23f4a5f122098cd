"""Simulated time: a manual clock that tests advance, and real or accelerated time.

A simulated device reads the time from its clock and never sleeps on its own. With
a :class:`ManualClock` nothing happens until a test calls :meth:`ManualClock.advance`,
so tests never wait for the device. A :class:`RealClock` follows the monotonic clock,
``speed`` times faster; the serving code moves its devices along with it.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import timedelta

__all__ = ["Clock", "ManualClock", "RealClock", "seconds"]


def seconds(value: float | timedelta) -> float:
    """A duration in seconds, from seconds or a :class:`~datetime.timedelta`."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Clock(ABC):
    """Where a simulated device reads the time, in seconds since the clock started."""

    @abstractmethod
    def now(self) -> float:
        """Simulated seconds since the clock started."""

    @property
    @abstractmethod
    def speed(self) -> float | None:
        """Simulated seconds per real second; None when only :meth:`advance` moves time."""


class ManualClock(Clock):
    """Time that moves only when :meth:`advance` is called; what tests use."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._watchers: list[Callable[[float], None]] = []

    def now(self) -> float:
        """Simulated seconds since the clock started."""
        return self._now

    @property
    def speed(self) -> None:
        """None: only :meth:`advance` moves this clock."""
        return None

    def watch(self, callback: Callable[[float], None]) -> Callable[[], None]:
        """Call ``callback(now)`` after every advance; returns the function that stops it."""
        self._watchers.append(callback)

        def unwatch() -> None:
            if callback in self._watchers:
                self._watchers.remove(callback)

        return unwatch

    def advance(self, by: float | timedelta) -> None:
        """Move time forward; every watcher (each simulated device) catches up before it returns."""
        step = seconds(by)
        if step < 0:
            raise ValueError(f"a clock only moves forward; advance by {step} s was asked")
        self._now += step
        for callback in list(self._watchers):
            callback(self._now)


class RealClock(Clock):
    """Monotonic time, ``speed`` times faster (1 for real time, 60 for an hour a minute)."""

    def __init__(self, speed: float = 1.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be above 0, not {speed}; use 1 for real time")
        self._speed = float(speed)
        self._monotonic = monotonic
        self._start = monotonic()

    def now(self) -> float:
        """Simulated seconds since the clock was made."""
        return (self._monotonic() - self._start) * self._speed

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._speed
