"""The real ``click`` as an oracle: NF bodies of the library run in software."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from p4sfc_compiler.frontend.nflib import nf_source


def click_binary() -> str | None:
    for candidate in (shutil.which("click"), "/usr/local/bin/click", "/opt/p4tools/click/bin/click"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def run_click(
    workdir: Path, config: str, handlers: list[str], frames: list
) -> tuple[list[bytes], dict[str, str]]:
    """Run ``config`` (reading in.pcap, writing out.pcap) on ``frames`` (scapy packets or
    bytes); the output frames, as bytes, and the values of ``handlers`` after the run."""
    from scapy.utils import PcapWriter, RawPcapReader

    # bytes go to the pcap as they are: rebuilding a dissected packet can change it
    # (scapy's IGMP layer, once loaded, adds a Router Alert option to the IP header)
    with PcapWriter(str(workdir / "in.pcap"), linktype=1) as pcap:
        for f in frames:
            pcap.write(f if isinstance(f, bytes) else bytes(f))
    (workdir / "config.click").write_text(config)
    command = [click_binary(), "-f", "config.click"]
    for h in handlers:
        command += ["-h", h]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    values: dict[str, str] = {}
    # click prints each handler as "NAME:\nVALUE\n" after the run.
    lines = done.stdout.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.endswith(":") and line[:-1] in handlers:
            values[line[:-1]] = lines[i + 1].strip()
    # read back raw: scapy would rebuild some dissected packets differently
    with RawPcapReader(str(workdir / "out.pcap")) as pcap:
        return [data for data, _ in pcap], values


def wrap_chain(types: list[str]) -> str:
    """Library NFs ``types`` in a row (instances ``nf0``, ``nf1``...), pcap in and out."""
    text = ""
    for t in dict.fromkeys(types):
        text += f"elementclass NF_{t} {{\n{nf_source(t).read_text()}\n}}\n"
    chain = " -> ".join(f"nf{i} :: NF_{t}" for i, t in enumerate(types))
    return text + f"FromDump(in.pcap, STOP true, TIMING false) -> {chain} -> ToDump(out.pcap);\n"
