"""Property-based tests of the offload partitioner (paper section III-E)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from p4sfc_compiler.analysis.catalog import Offloadability
from p4sfc_compiler.analysis.partition import Placement, partition_chain, segments_of

F, P, N = Offloadability.FULL, Offloadability.PARTIAL, Offloadability.NON

classes_st = st.sampled_from([F, P, N])
servers_st = st.sampled_from(["srv1", "srv2", "srv3"])


@st.composite
def chains(draw):
    n = draw(st.integers(1, 12))
    classes = draw(st.lists(classes_st, min_size=n, max_size=n))
    # locations as runs, so that chains revisit servers and segments have several NFs
    locations: list[str] = []
    while len(locations) < n:
        locations += [draw(servers_st)] * draw(st.integers(1, 5))
    switch_of = {"srv1": "s1", "srv2": "s1", "srv3": "s2"}
    return classes, locations[:n], switch_of


def _max_offloadable_prefix(cls: list[Offloadability]) -> int:
    k = 0
    while k < len(cls) and cls[k] is not N:
        k += 1
    return k


@settings(max_examples=400, deadline=None)
@given(chains())
@example(([N], ["srv1"], {"srv1": "s1"}))
@example(([P, N, P], ["srv1"] * 3, {"srv1": "s1"}))
@example(([F, N, F, N, F], ["srv1"] * 5, {"srv1": "s1"}))
@example(([F, F], ["srv1", "srv2"], {"srv1": "s1", "srv2": "s1"}))
def test_partition_invariants(chain) -> None:
    classes, locations, switch_of = chain
    placements, segments = partition_chain(classes, locations, switch_of.__getitem__)

    # every NF placed exactly once, chain order kept
    assert len(placements) == len(classes)
    assert [i for s in segments for i in s.nfs] == list(range(len(classes)))
    for s in segments:
        assert s.switch == switch_of[s.server]
        assert all(locations[i] == s.server for i in s.nfs)

    for i, (c, p) in enumerate(zip(classes, placements, strict=True)):
        # no non-offloadable NF on a switch
        if c is N:
            assert p is Placement.SERVER, i
        # a partially offloadable NF on the switch side is split, a fully one is whole
        if p is Placement.SPLIT:
            assert c is P
        if p is Placement.SWITCH:
            assert c is F

    for s in segments:
        cls = [classes[i] for i in s.nfs]
        # switch side = maximal offloadable prefix and suffix of the segment
        k = _max_offloadable_prefix(cls)
        if k == len(cls):
            assert s.pre == s.nfs and not s.server_nfs and not s.post
        else:
            j = _max_offloadable_prefix(cls[::-1])
            assert len(s.pre) == k and len(s.post) == j
            # the server side is contiguous, starts and ends with a non-offloadable NF
            mid = list(s.server_nfs)
            assert mid == list(range(mid[0], mid[-1] + 1))
            assert classes[mid[0]] is N and classes[mid[-1]] is N
        for i in s.pre + s.post:
            assert placements[i] is not Placement.SERVER
        for i in s.server_nfs:
            assert placements[i] is Placement.SERVER


@settings(max_examples=200, deadline=None)
@given(chains())
def test_partition_is_deterministic(chain) -> None:
    classes, locations, switch_of = chain
    a = partition_chain(classes, locations, switch_of.__getitem__)
    b = partition_chain(list(classes), list(locations), dict(switch_of).__getitem__)
    assert a == b


def test_paper_chain() -> None:
    # IPS -> Monitor -> Firewall -> NAT, all on one server (paper section IV)
    placements, (seg,) = partition_chain([N, F, F, P], ["srv1"] * 4, lambda s: "s1")
    assert placements == [Placement.SERVER, Placement.SWITCH, Placement.SWITCH, Placement.SPLIT]
    assert seg.pre == () and seg.server_nfs == (0,) and seg.post == (1, 2, 3)


def test_segments_of_runs() -> None:
    assert segments_of(["a", "a", "b", "a"]) == [("a", (0, 1)), ("b", (2,)), ("a", (3,))]
