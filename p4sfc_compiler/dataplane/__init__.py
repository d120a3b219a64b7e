"""The data-plane contract: every fact that the P4 program, the entry builder, the P4Info,
the switch model and the runtime share, written once.

* :mod:`.wire`: header layouts, EtherTypes, the SFC header's encoding;
* :mod:`.reserved`: port widths, reserved ports and ids, masks, clone sessions;
* :mod:`.fields`: the metadata and every key field's width, the tables' keys;
* :mod:`.program`: the tables, actions, registers and parameters of the program.

The templates under ``p4/templates`` are rendered from these modules; nothing here imports
the rest of the compiler.
"""
