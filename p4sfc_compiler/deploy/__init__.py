"""Running a compiled deployment in one process, and the software chain beside it.

``wiring.py`` reads where OUT's switches, servers and links are (``plan.json``);
``servers.py`` runs a server's generated Click configuration (the NF engine, or the real
``click``); ``deployment.py`` starts an embedded switch per topology switch, applies OUT's
entries over P4Runtime and carries every frame between switches, servers and egress ports
until it leaves; ``software.py`` is the baseline (the chain's NFs in a row, on the traffic
its route claims); ``equivalence.py`` compares the two; ``traffic.py`` generates the demo's
and the tests' traces; ``demo.py`` is ``p4sfc demo``.
"""
