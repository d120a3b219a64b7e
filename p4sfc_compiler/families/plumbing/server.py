"""Plumbing on a server: Alert and Forward are not Click classes."""

from __future__ import annotations

from p4sfc_compiler.families.base import ServerOnlyError


def server_form(cls: str, config: str) -> tuple[str, str]:
    """Alert and Forward are not Click classes. On a server an Alert's packet is at the
    server already: it becomes a Counter (pass-through; its count is the alert count).
    Forward names a switch port, which no server has."""
    if cls == "Alert":
        return "Counter", ""
    if cls == "Forward":
        raise ServerOnlyError(
            f"Forward({config}) sends the packet out of a switch port; it cannot run in an "
            "NF placed on a server"
        )
    return cls, config
