"""The device config ``--pipeline`` sends: for BMv2, p4c's JSON of OUT's program
(``OUT/p4/p4sfc.json``), compiled with ``p4c-bm2-ss`` when it is missing.

The embedded switch needs only the P4Info (it recognises the p4sfc program from it and
ignores the device config), so without the JSON and without p4c the config is
:data:`NO_JSON`: the embedded switch takes it; BMv2 refuses it (not JSON) and the error
says p4c's JSON is needed (:func:`no_device_config_hint`). Not an empty config: BMv2
takes an empty one and then runs no program, refusing every entry with "Error when adding
match entry to target"."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from p4sfc_compiler.errors import P4SFCError
from p4sfc_compiler.runtime.outdir import OutDir

P4C = "p4c-bm2-ss"
# The device config sent when there is no p4c JSON to send (see the module's docstring).
NO_JSON = b"p4sfc: no p4c JSON (the P4Info names the program)"


def no_device_config_hint(out: OutDir) -> str:
    """What a switch that refused an empty device config needs (BMv2: p4c's JSON)."""
    target = out.device_json
    return (f"a BMv2 switch needs p4c's JSON: {target} is missing and {P4C} is not on PATH "
            f"to compile it ({P4C} -o {target} {target.with_name('p4sfc.p4')})")


def device_config(out: OutDir, compile_timeout: float = 600) -> bytes:
    """BMv2's device config for OUT's program; compiles it when it is missing;
    :data:`NO_JSON` when it is missing and p4c is not on PATH (enough for the embedded
    switch)."""
    target = out.device_json
    if target.is_file():
        return target.read_bytes()
    source = target.with_name("p4sfc.p4")
    if shutil.which(P4C) is None:
        return NO_JSON
    if not source.is_file():
        raise P4SFCError(f"{out.path}: no {source.name} to compile the pipeline from")
    try:
        done = subprocess.run([P4C, "-o", str(target), str(source)], capture_output=True,
                              text=True, timeout=compile_timeout)
    except subprocess.TimeoutExpired:
        raise P4SFCError(f"{P4C} took longer than {compile_timeout:g} s on {source}") from None
    if done.returncode != 0 or not target.is_file():
        first = (done.stderr or done.stdout).strip().splitlines()
        raise P4SFCError(f"{P4C} failed on {source}: {first[0] if first else 'no output'}")
    return Path(target).read_bytes()
