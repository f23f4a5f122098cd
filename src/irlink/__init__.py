"""irlink: talk to battery-powered infrared therapy devices over serial and Bluetooth LE."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
