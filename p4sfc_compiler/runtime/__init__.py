"""The runtime: putting a compile output (OUT/) onto P4Runtime switches (``p4sfc apply``).

``outdir`` reads OUT/ into ids and integers through the P4Info, ``client`` is one
P4Runtime connection (finsy's ``P4Client`` with deadlines), ``pipeline`` the BMv2 device
config, ``apply`` the diff-and-write with per-chain rollback.
"""
