"""Which identifiers are Click element classes, and their port counts.

``click_classes.tsv``, next to this module (columns ``class``, ``port_count``,
``processing``), is generated from the element documentation index
(``elementdoc/INDEX.tsv``) by ``python -m p4sfc_compiler.frontend.classes INDEX.tsv
OUT.tsv``. Port counts use Click's own syntax (:mod:`portcount`: ``1/1``, ``1/1-2``,
``-/-``, ``1-/=``); an empty field means "not known" (the class inherits or computes it),
and such classes are never port-checked.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from p4sfc_compiler.frontend.portcount import PortCount, parse_port_count

# Click's port-count and processing macros (include/click/element.hh), spelled out.
PORT_MACROS = {
    "PORTS_0_0": "0/0",
    "PORTS_0_1": "0/1",
    "PORTS_1_0": "1/0",
    "PORTS_1_1": "1/1",
    "PORTS_1_1X2": "1/1-2",
}
PROCESSING_MACROS = {
    "AGNOSTIC": "a/a",
    "PUSH": "h/h",
    "PULL": "l/l",
    "PUSH_TO_PULL": "h/l",
    "PULL_TO_PUSH": "l/h",
    "PROCESSING_A_AH": "a/ah",
}

# Part of the package (not of the top-level data folders), so a wheel carries it as is.
CLASSES_TSV = Path(__file__).with_name("click_classes.tsv")

# The index keeps one header per class. For these driver groups it is the kernel (or
# simulator) header, whose ports differ from the userlevel element of the same name
# (ToDevice is 1/0 in the kernel, 1/0-2 at user level), and p4sfc runs userlevel click:
# such classes are listed without port count or processing, so nothing is misjudged.
DRIVER_SPECIFIC_GROUPS = frozenset({"linuxmodule", "bsdmodule", "minios", "ns"})
_CLASS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class ClassInfo:
    name: str
    port_count: PortCount | None
    processing: str


def _single_value(field: str, macros: dict[str, str]) -> str:
    """One Click spelling for an INDEX field, or "" when unknown or ambiguous.

    A header defining several classes lists several values; they only count when equal.
    """
    values = {macros.get(v.strip().strip('"'), v.strip().strip('"'))
              for v in next(csv.reader([field])) if v.strip()} if field.strip() else set()
    return values.pop() if len(values) == 1 else ""


def build_table(index_tsv: Path) -> list[tuple[str, str, str]]:
    """Rows ``(class, port_count, processing)`` from elementdoc/INDEX.tsv."""
    rows: dict[str, tuple[str, str, str]] = {}
    with index_tsv.open(newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        for rec in reader:
            name = (rec.get("class") or "").strip()
            # "ToDevice.b" and the like name documentation variants, not classes
            if not _CLASS_NAME.fullmatch(name):
                continue
            if (rec.get("group") or "").strip() in DRIVER_SPECIFIC_GROUPS:
                if name not in rows:
                    rows[name] = (name, "", "")
                continue
            ports = _single_value(rec.get("port_count") or "", PORT_MACROS)
            if ports:
                try:
                    parse_port_count(ports.strip())
                except ValueError:
                    ports = ""
            processing = _single_value(rec.get("processing") or "", PROCESSING_MACROS)
            rows[name] = (name, ports, processing)
    return [rows[k] for k in sorted(rows)]


def write_table(rows: Iterable[tuple[str, str, str]], out: Path) -> None:
    with out.open("w", newline="") as f:
        f.write("class\tport_count\tprocessing\n")
        for row in rows:
            f.write("\t".join(row) + "\n")


@lru_cache(maxsize=4)
def load_classes(path: str | None = None) -> dict[str, ClassInfo]:
    """The known Click classes, by name (cached)."""
    p = Path(path) if path else CLASSES_TSV
    table: dict[str, ClassInfo] = {}
    with p.open(newline="") as f:
        for rec in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            ports = rec.get("port_count") or ""
            # padding around a field is tolerated here; the port-count syntax has no spaces
            table[rec["class"]] = ClassInfo(
                rec["class"], parse_port_count(ports.strip()) if ports else None,
                rec.get("processing") or "")
    return table


def known_class_names() -> frozenset[str]:
    return frozenset(load_classes())


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m p4sfc_compiler.frontend.classes INDEX.tsv OUT.tsv",
              file=sys.stderr)
        return 2
    rows = build_table(Path(argv[0]))
    write_table(rows, Path(argv[1]))
    print(f"{len(rows)} classes written to {argv[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
