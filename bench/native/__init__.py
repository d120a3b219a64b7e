"""Native P4 baselines for the data-plane bench: hand-written v1model programs of the
elements and the chain p4sfc runs dynamically (``*.p4``), the cases and their entries
from the same NF configs (``cases.py``), and one BMv2 switch with paced, timestamped
traffic (``lab.py``)."""
