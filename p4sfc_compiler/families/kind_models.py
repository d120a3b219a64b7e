"""Element kind -> its switch model (the embedded switch's twin of the kind's P4 block).

One row per P4 kind of the program (``dataplane.program.ALL_KINDS``; a test checks that
every kind has its model); each model lives in the owning family's ``switch.py``, the
``classify`` kind, which two families share, beside their shared ``classify_table.py``.
"""

from __future__ import annotations

from types import MappingProxyType

from p4sfc_compiler.families.classify_switch import classify_model
from p4sfc_compiler.families.counters.switch import counter_model
from p4sfc_compiler.families.encap.switch import ether_encap_model, ip_encap_model
from p4sfc_compiler.families.ipheader.switch import (
    check_ip_header_model,
    dec_ip_ttl_model,
    set_ip_dscp_model,
)
from p4sfc_compiler.families.iplookup.switch import ip_lookup_model
from p4sfc_compiler.families.kind_model import KindModel
from p4sfc_compiler.families.plumbing.switch import (
    alert_model,
    discard_model,
    forward_model,
    paint_model,
)
from p4sfc_compiler.families.rewriter.switch import rewriter_model

KIND_MODELS: MappingProxyType[str, KindModel] = MappingProxyType({
    "classify": classify_model,
    "ip_lookup": ip_lookup_model,
    "rewriter": rewriter_model,
    "counter": counter_model,
    "ether_encap": ether_encap_model,
    "ip_encap": ip_encap_model,
    "dec_ip_ttl": dec_ip_ttl_model,
    "set_ip_dscp": set_ip_dscp_model,
    "check_ip_header": check_ip_header_model,
    "paint": paint_model,
    "discard": discard_model,
    "alert": alert_model,
    "forward": forward_model,
})
