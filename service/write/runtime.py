"""Process settings for a server that holds many deals in memory and answers many small requests, applied when
the writer thread starts (the first write: start-up is over).

- The GIL switch interval: the writer waits on the database several times per save; with the default 5 ms, each
  wait can cost up to 5 ms more before the event-loop thread hands the GIL back.
- The cyclic garbage collector, with DEALS_GC_TUNING (which `deals serve` turns on; processes that merely use the
  service, like the tests, keep Python's defaults): by default a collection of the oldest generation runs whenever
  the long-lived objects grew by a quarter, and it walks all of them — the writer's cached deals included — pausing
  every thread (measured at 16 clients on SQLite: four such pauses in eight seconds, the longest 190 ms). Freezing
  what start-up allocated and raising the thresholds leaves a few young collections per second.
"""

from __future__ import annotations

import gc
import sys

GC_THRESHOLDS = (20_000, 20, 50)
SWITCH_INTERVAL = 0.001
_frozen = False


def writer_started(gc_tuning: bool) -> None:
    global _frozen
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
    if gc_tuning and not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
