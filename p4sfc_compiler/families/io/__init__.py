"""Trace files and devices: FromDump reads a pcap, ToDump writes one; FromDevice and
ToDevice are a network device's two directions.

The elements touch files, so no switch runs them; the NF engine runs them with the
files read and written by the engine itself (``p4sfc_compiler/engine/pcap.py``), which
also lets a caller hand frames in and take packets out in memory.
"""
