"""The irlink error hierarchy: every error says what went wrong and what to do."""

from __future__ import annotations


class IRLinkError(Exception):
    """Base of every error irlink raises on purpose."""


class SpecError(IRLinkError):
    """protocols/ is missing or does not validate: the installation or the spec is broken."""


class ProtocolError(IRLinkError):
    """Bytes on the wire that do not follow IRLink v1."""
