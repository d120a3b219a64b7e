"""``p4sfc destroy`` and ``p4sfc status`` against BMv2 ``simple_switch_grpc``: the
two-server example's two chains applied, one destroyed; the other's entries read back
unchanged, the destroyed one has none, destroying it again writes nothing, and status
lists what is there (an entry of no chain of OUT as foreign; BMv2's refused register
reads said as such)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.bmv2 import unavailable
from test_apply_bmv2 import _lab, _read, _switch_args

from p4sfc_compiler.cli import main
from p4sfc_compiler.runtime.apply import INSERT, Names
from p4sfc_compiler.runtime.client import Connection
from p4sfc_compiler.runtime.destroy import destroy_switch, destroy_targets
from p4sfc_compiler.runtime.outdir import load_out_dir
from p4sfc_compiler.runtime.status import FOREIGN, status_switch

REASON = unavailable()

pytestmark = [
    pytest.mark.tools,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=REASON or ""),
]


def test_destroy_removes_one_chain_and_leaves_the_other(tmp_path: Path) -> None:
    out, lab = _lab(tmp_path, "two-server")
    try:
        runner = CliRunner()
        args = _switch_args(lab)
        r = runner.invoke(main, ["apply", str(out), "--pipeline", *args])
        assert r.exit_code == 0, r.output
        out_dir = load_out_dir(out)
        names = Names(out_dir)
        addresses = lab.addresses()
        before = {n: _read(addresses[n], sw.device_id) for n, sw in out_dir.switches.items()}

        start = time.monotonic()
        r = runner.invoke(main, ["destroy", str(out), "--chain", "web", *args])
        took = time.monotonic() - start
        assert r.exit_code == 0, r.output
        print(f"destroy web on 2 switches: {took:.2f} s")
        for name, sw in out_dir.switches.items():
            got = _read(addresses[name], sw.device_id)
            kept = {k: v for k, v in before[name].items() if names.owner(k, v) != "web"}
            assert got == kept, name  # the other chain's entries, unchanged
            assert {e.key: e.value for e in sw.entries if e.chain == "site-to-site"} == got
            assert not any(names.owner(k, v) == "web" for k, v in got.items())

        # again: nothing there, nothing written
        r = runner.invoke(main, ["destroy", str(out), "--chain", "web", *args])
        assert r.exit_code == 0 and "nothing written" in r.output, r.output
        for t in destroy_targets(out_dir, "web", tuple(f"{n}={a}" for n, a in addresses.items()),
                                 None):
            again = asyncio.run(destroy_switch(out_dir, t, "web"))
            assert (again.found, again.deleted, again.writes) == (0, 0, 0)

        # status: site-to-site on both, web nowhere; an entry of an unknown chain id
        # is foreign; BMv2 answers the counter reads
        (s2,) = [t for t in destroy_targets(out_dir, "site-to-site", ("s2=" + addresses["s2"],),
                                            None)]
        web = next(e for e in s2.plan.entries if e.chain == "web" and names.ids.chain_field.get(
            e.key[0], (None, 0))[1] is None)
        fid = names.ids.chain_field[web.key[0]][0]
        stray = (web.key[0], tuple((f, k, 99 if f == fid else v, x)
                                   for f, k, v, x in web.key[1]), web.key[2])

        async def insert_stray() -> None:
            async with Connection("s2", addresses["s2"], s2.device_id, election_id=9) as conn:
                conn.use_index(out_dir.index)
                assert await conn.write([conn.table_update(INSERT, stray, web.value)]) == []
        asyncio.run(insert_stray())

        st = asyncio.run(status_switch(out_dir, s2))
        assert st.chains == ["site-to-site"] and st.foreign == 1
        assert st.total("site-to-site") == st.expected["site-to-site"]
        assert sum(st.entries[FOREIGN].values()) == 1
        # BMv2 answers counter reads over P4Runtime; no traffic was sent
        assert st.counters and all((c.packets, c.bytes) == (0, 0) for c in st.counters)

        r = runner.invoke(main, ["status", str(out), *args])
        assert r.exit_code == 0, r.output
        chains = [ln.split(": chains ", 1)[1] for ln in r.output.splitlines() if ": chains " in ln]
        assert chains and all(c.startswith("site-to-site (") and "web" not in c
                              for c in chains), r.output
        assert "foreign entries: 1" in r.output, r.output

        # the stray entry is not web's: destroying site-to-site leaves it alone
        r = runner.invoke(main, ["destroy", str(out), "--chain", "site-to-site", *args])
        assert r.exit_code == 0, r.output
        assert _read(addresses["s1"], 0) == {}
        assert _read(addresses["s2"], s2.device_id) == {stray: web.value}
    finally:
        lab.close()


def test_a_shared_clone_session_stays_until_its_last_chain_goes(tmp_path: Path) -> None:
    """Chain a alerts at srv1, chain b at srv1 and srv2: s1's session is shared, s2's is
    b's alone. Destroying b removes s2's session and keeps s1's; destroying a removes it."""
    import json

    from backend.test_clone_sessions import ALERT_NF, TOPOLOGY, _chain
    from support.bmv2 import Lab

    from p4sfc_compiler.backend.compile import compile_chains
    from p4sfc_compiler.frontend.chainspec import load_chains, load_topology, validate

    (tmp_path / "alert.click").write_text(ALERT_NF)
    chains = [_chain("a", [("al1", "alert.click", "srv1")], "10.0.0.0/8"),
              _chain("b", [("al2", "alert.click", "srv1"), ("al3", "alert.click", "srv2")],
                     "11.0.0.0/8")]
    (tmp_path / "chains.json").write_text(json.dumps(chains))
    (tmp_path / "topo.json").write_text(json.dumps(TOPOLOGY))
    specs = load_chains(tmp_path / "chains.json")
    topo = load_topology(tmp_path / "topo.json")
    validate(specs, topo)
    out = tmp_path / "out"
    result = compile_chains(specs, topo, out_dir=out)
    lab = Lab(result.files, topo, tmp_path, load=False)
    try:
        (out / "p4" / "p4sfc.json").write_bytes(lab.device_json)
        args = _switch_args(lab)
        addresses = lab.addresses()
        runner = CliRunner()
        r = runner.invoke(main, ["apply", str(out), "--pipeline", *args])
        assert r.exit_code == 0, r.output
        out_dir = load_out_dir(out)
        (session,) = {cs.session_id for sw in out_dir.switches.values()
                      for cs in sw.clone_sessions}

        def sessions(name: str) -> set[int] | None:
            async def go() -> set[int] | None:
                async with Connection("probe", addresses[name],
                                      out_dir.switches[name].device_id, election_id=9) as conn:
                    got = await conn.read_clone_sessions()
                    return None if got is None else set(got)
            return asyncio.run(go())

        if sessions("s1") is None:
            pytest.skip("this BMv2 does not read clone sessions back over P4Runtime")
        assert sessions("s1") == sessions("s2") == {session}

        r = runner.invoke(main, ["destroy", str(out), "--chain", "b", *args])
        assert r.exit_code == 0, r.output
        assert sessions("s1") == {session} and sessions("s2") == set()
        names = Names(out_dir)
        for name, sw in out_dir.switches.items():
            got = _read(addresses[name], sw.device_id)
            assert got == {e.key: e.value for e in sw.entries if e.chain == "a"}, name
            assert not any(names.owner(k, v) == "b" for k, v in got.items())

        r = runner.invoke(main, ["destroy", str(out), "--chain", "a", *args])
        assert r.exit_code == 0, r.output
        assert sessions("s1") == set() and _read(addresses["s1"], 0) == {}
    finally:
        lab.close()
