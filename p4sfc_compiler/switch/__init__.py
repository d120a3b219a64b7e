"""The embedded reference switch: the device state of a loaded p4sfc program
(:mod:`.tables`, :mod:`.device`) and the pipeline model that runs frames through it
(:mod:`.pipeline`), the twin of the P4 program rendered from ``p4/templates/``.
The P4Runtime server and the ports build on these.
"""
