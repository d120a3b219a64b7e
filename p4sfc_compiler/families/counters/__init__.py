"""Packet counters: Counter and AverageCounter.

On the switch a counter is one slot of the ``counter_*`` registers: packets, bytes, and
for AverageCounter the timestamps of the first and last packet (its rate is
count / (last - first)). Click counts ``p->length()``, the bytes from the data pointer
on; the switch counts from frame offset 14 (the IPv4 header), so ``bytes_base`` is the
number of bytes before offset 14 that Click still counts (14 - data offset).
"""
