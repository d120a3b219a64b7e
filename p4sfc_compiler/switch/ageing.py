"""The embedded switch's ageing monitor: BMv2's sweeper thread for idle timeouts.

BMv2 (``src/bm_sim/ageing.cpp``) sweeps the tables with idle timeout every
:data:`SWEEP_INTERVAL_S` from the switch's start, on a fixed cadence (the next sweep is due
one interval after the previous one was due, not after it ended); each sweep's newly aged
entries go, through PI, in one ``IdleTimeoutNotification`` to the primary controller's
stream (none when no controller is primary). Which entries a sweep reports is the
table's job (:meth:`~p4sfc_compiler.switch.tables.Table.sweep`); this module only keeps
the cadence. PI buffers notifications up to 100 ms before it sends them; the embedded
switch sends at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

# BMv2's default sweep interval (AgeingMonitor's sweep_interval_ms = 1000; neither
# simple_switch_grpc nor PI changes it).
SWEEP_INTERVAL_S = 1.0


class AgeingMonitor:
    """A thread calling ``sweep`` every ``interval`` seconds and passing what it returns
    (a notification, or None for nothing to say) to ``send``."""

    def __init__(self, sweep: Callable[[], Any | None], send: Callable[[Any], None],
                 interval: float = SWEEP_INTERVAL_S) -> None:
        if interval <= 0:
            raise ValueError("the ageing sweep interval must be positive")
        self.sweep = sweep
        self.send = send
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ageing", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        due = time.monotonic()
        while True:
            note = self.sweep()
            if note is not None:
                self.send(note)
            due += self.interval
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
