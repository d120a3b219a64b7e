"""FromDump and ToDump configurations: the file and the settings the engine honours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from p4sfc_compiler.errors import SourcePos
from p4sfc_compiler.families.base import ElementConfigError
from p4sfc_compiler.families.values import ArgReader, ConfigEnv, parse_bool, parse_uint, unquote

CLASSES = ("FromDump", "ToDump", "FromDevice", "ToDevice")

DEFAULT_SNAPLEN = 2000  # ToDump's default, as Click's
ENCAPS = ("ETHER",)  # link types the engine writes


@dataclass(frozen=True)
class FromDumpConfig:
    filename: str
    stop: bool = False
    timing: bool = False
    active: bool = True


@dataclass(frozen=True)
class ToDumpConfig:
    filename: str
    snaplen: int = DEFAULT_SNAPLEN
    encap: str = "ETHER"


@dataclass(frozen=True)
class DeviceConfig:
    """FromDevice / ToDevice: the device name; the engine takes frames from its caller
    for a FromDevice and keeps what reaches a ToDevice, by device name."""

    device: str


# FromDevice's and ToDevice's keywords (userlevel); the engine reads none of them.
_DEVICE_KEYWORDS = {
    "FromDevice": ("SNIFFER", "PROMISC", "SNAPLEN", "FORCE_IP", "METHOD", "CAPTURE",
                   "BPF_FILTER", "OUTBOUND", "HEADROOM", "ENCAP", "BURST", "TIMESTAMP"),
    "ToDevice": ("BURST", "METHOD", "DEBUG", "ALLOW_NONEXISTENT", "QUIET"),
}

IOConfig = FromDumpConfig | ToDumpConfig | DeviceConfig


def parse(
    cls: str, args: Sequence[str], pos: SourcePos | None = None, env: ConfigEnv | None = None
) -> IOConfig:
    r = ArgReader([a.strip() for a in args], cls)
    try:
        if cls in _DEVICE_KEYWORDS:
            device = unquote(r.read("DEVNAME", positional=True, mandatory=True))
            for kw in _DEVICE_KEYWORDS[cls]:
                r.read(kw)
            r.complete()
            return DeviceConfig(device)
        filename = unquote(r.read("FILENAME", positional=True, mandatory=True))
        if cls == "FromDump":
            stop = r.read("STOP", parse_bool, default=False)
            timing = r.read("TIMING", parse_bool, default=False)
            active = r.read("ACTIVE", parse_bool, default=True)
            r.complete()
            return FromDumpConfig(filename, stop, timing, active)
        if cls == "ToDump":
            snaplen = r.read("SNAPLEN", lambda s: parse_uint(s, 32, "SNAPLEN"),
                             positional=True, default=DEFAULT_SNAPLEN)
            encap = r.read("ENCAP", positional=True, default="ETHER").upper()
            r.complete()
            if encap not in ENCAPS:
                raise r.error(f"ENCAP {encap}: only {', '.join(ENCAPS)}")
            return ToDumpConfig(filename, snaplen or DEFAULT_SNAPLEN, encap)
    except ElementConfigError as e:
        raise ElementConfigError(e.message, pos) from None
    raise ElementConfigError(f"{cls} is not a trace file class", pos)
