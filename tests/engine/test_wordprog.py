"""The engine's compiled classifiers decide exactly as the families' ``evaluate``:
every Classifier / IPFilter / IPClassifier of the golden cases and of the NF library,
on random frames (random bytes and IPv4/TCP/UDP/ICMP-shaped ones, short ones included)
with random data pointers and IP header annotations."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from p4sfc_compiler.families import registry
from p4sfc_compiler.families.classifier.behaviour import compile_classifier
from p4sfc_compiler.families.classifier.behaviour import reach as classifier_reach
from p4sfc_compiler.families.classifier.config import ClassifierConfig
from p4sfc_compiler.families.classifier.evaluate import evaluate as classifier_evaluate
from p4sfc_compiler.families.ipfilter.behaviour import LEAD, compile_filter
from p4sfc_compiler.families.ipfilter.behaviour import reach as filter_reach
from p4sfc_compiler.families.ipfilter.config import FilterConfig
from p4sfc_compiler.families.ipfilter.evaluate import evaluate as filter_evaluate
from p4sfc_compiler.families.values import ConfigEnv
from p4sfc_compiler.frontend.parser import parse_text

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted((REPO / "tests" / "golden" / "click").glob("*/config.click")) + \
    sorted((REPO / "examples" / "nfs").glob("*.click"))


def _configs() -> tuple[list[ClassifierConfig], list[FilterConfig]]:
    classifiers: list[ClassifierConfig] = []
    filters: list[FilterConfig] = []
    for path in SOURCES:
        g = parse_text(path.read_text(), str(path), compound_body=path.parent.name == "nfs")
        for name, d in g.nodes(data=True):
            if d["cls"] in ("Classifier", "IPFilter", "IPClassifier"):
                cfg = registry.parse_config(d["cls"], d["args"], d["pos"],
                                            ConfigEnv.from_graph(g, name))
                if isinstance(cfg, ClassifierConfig):
                    classifiers.append(cfg)
                elif isinstance(cfg, FilterConfig):
                    filters.append(cfg)
    return classifiers, filters


CLASSIFIERS, FILTERS = _configs()
COMPILED_C = [(c, compile_classifier(c), bytes(classifier_reach(c))) for c in CLASSIFIERS]
COMPILED_F = [(f, compile_filter(f), bytes(filter_reach(f))) for f in FILTERS]


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=120))
    ihl = draw(st.sampled_from([5, 5, 5, 6, 15, 2]))
    proto = draw(st.sampled_from([6, 17, 1, 47, 2]))
    frag = draw(st.sampled_from([0, 0, 0x2000, 0x0010, 0x4000]))
    head = bytes([0x45 & 0xF0 | ihl, draw(st.integers(0, 255))]) + \
        draw(st.binary(min_size=4, max_size=4)) + frag.to_bytes(2, "big") + \
        bytes([draw(st.integers(0, 255)), proto]) + draw(st.binary(min_size=10, max_size=10))
    eth = draw(st.binary(min_size=12, max_size=12)) + b"\x08\x00"
    return eth + head + draw(st.binary(max_size=60))


@settings(max_examples=300, deadline=None)
@given(frames(), st.integers(0, 40), st.integers(0, 40))
def test_compiled_filters_equal_evaluate(frame: bytes, data: int, ip: int) -> None:
    data = min(data, len(frame))
    ip = min(ip, len(frame))
    for cfg, program, pad in COMPILED_F:
        want = filter_evaluate(cfg.cls, cfg, frame, data, ip)
        got = program(bytes(LEAD) + frame + pad, LEAD + ip, len(pad))
        assert got == want, cfg.rules


@settings(max_examples=300, deadline=None)
@given(frames(), st.integers(0, 40))
def test_compiled_classifiers_equal_evaluate(frame: bytes, data: int) -> None:
    data = min(data, len(frame))
    for cfg, program, pad in COMPILED_C:
        want = classifier_evaluate("Classifier", cfg, frame, data)
        got = program(frame[data:data + len(pad)] + pad, len(frame) - data)
        assert got == want, cfg.texts


def test_every_source_has_classifiers() -> None:
    assert len(FILTERS) > 20 and len(CLASSIFIERS) >= 5
