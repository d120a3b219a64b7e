"""Output choosers: PaintSwitch (by the paint annotation; 255 copies to every output),
HashSwitch (sum of LENGTH bytes at OFFSET), RoundRobinSwitch (successive outputs).

No switch kind runs them (the catalog gives them no P4 kind); the NF engine does.
"""
