"""The state library (paper section III-D.2, Table II): a server element's state mirrored
into its switch, so a split NF's flows stay in the switch after their first packet.

``table.P4SFCTable`` and ``counter.P4SFCCounter`` are what elements use;
``agent.SwitchAgent`` owns the connection to one switch and writes for every table of a
server; ``binding`` says where an element's state lives on the switch; ``policy`` picks
the flows that get switch space when a table is full.
"""
