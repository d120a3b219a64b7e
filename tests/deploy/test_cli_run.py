"""``p4sfc run`` on a compiled deployment and ``p4sfc demo`` through the CLI."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from p4sfc_compiler.cli import main
from p4sfc_compiler.deploy.traffic import mixed_trace
from p4sfc_compiler.engine.pcap import read_pcap, write_pcap

ROOT = Path(__file__).resolve().parents[2]


def _compile(tmp: Path) -> Path:
    out = tmp / "out"
    r = CliRunner().invoke(main, ["compile", str(ROOT / "examples" / "paper-chain.json"),
                                  "--topology", str(ROOT / "examples" / "paper-topology.json"),
                                  "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_run_writes_egress_pcaps_and_a_summary(tmp_path: Path) -> None:
    out = _compile(tmp_path)
    frames = mixed_trace(120, seed=5)
    write_pcap(tmp_path / "in.pcap", [(f, (1, i)) for i, f in enumerate(frames)])
    res = tmp_path / "res"
    r = CliRunner().invoke(main, ["run", str(out), "--in", f"1={tmp_path / 'in.pcap'}",
                                  "-o", str(res)])
    assert r.exit_code == 0, r.output
    written = sorted(p.name for p in res.iterdir())
    assert written == ["s1-port2.pcap"]
    assert 0 < len(read_pcap(res / "s1-port2.pcap")) < len(frames)
    assert "never left the switch" in r.output and "passes per packet" in r.output
    assert "c_web" in r.output and "a_attack" in r.output


def test_run_input_errors_are_one_line(tmp_path: Path) -> None:
    out = _compile(tmp_path)
    write_pcap(tmp_path / "in.pcap", [])
    for spec, words in ((f"9={tmp_path / 'in.pcap'}", "no port '9'"),
                        (f"s7:1={tmp_path / 'in.pcap'}", "no switch 's7'"),
                        ("1=missing.pcap", "no such file"),
                        (str(tmp_path / "in.pcap"), "expected PORT=FILE")):
        r = CliRunner().invoke(main, ["run", str(out), "--in", spec, "-o", str(tmp_path / "r")])
        assert r.exit_code == 1, r.output
        assert words in r.output and len(r.output.strip().splitlines()) == 1, r.output
    r = CliRunner().invoke(main, ["run", str(tmp_path), "--in", "1=x", "-o", "r"])
    assert r.exit_code == 1 and "plan.json" in r.output


def test_demo_agrees_and_exits_zero() -> None:
    tmp = Path(tempfile.gettempdir())
    folders = set(tmp.glob("p4sfc-demo-*"))
    threads = {t.ident for t in threading.enumerate()}
    r = CliRunner().invoke(main, ["demo", "--frames", "150"])
    assert r.exit_code == 0, r.output
    # nothing left: the temporary folder is gone, the switch's threads end
    assert set(tmp.glob("p4sfc-demo-*")) == folders
    deadline = time.monotonic() + 5
    while {t.ident for t in threading.enumerate()} - threads and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not {t.ident for t in threading.enumerate()} - threads
    for words in ("where each NF runs", "packets per NF", "ips1", "server", "switch", "split",
                  "passes per packet", "never visited a server", "equivalent"):
        assert words in r.output
