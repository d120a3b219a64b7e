"""The NF engine: runs a Click configuration's element graph in software.

``engine.py`` builds every element of a frontend IR graph with its family's behaviour
(``families/<family>/behaviour.py``), wires each output port to its successor once, and
pushes frames through; ``boundary.py`` holds the pseudo-elements of an NF body
(``input`` / ``output``); ``pcap.py`` reads and writes trace files.
"""
