"""Table creation on PostgreSQL, one process or thread at a time.

API replicas, workers and each projection runner start together and create their tables with CREATE … IF NOT
EXISTS, which PostgreSQL does not make safe under concurrency ("tuple concurrently updated"). A transaction-scoped
advisory lock taken first puts them in a row; the lock ends with the creating transaction.
"""

from __future__ import annotations

import hashlib
from typing import Any


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, from the lock's name."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


TABLE_CREATION_LOCK = lock_key("deals:create-tables")


class SerialTableCreation:
    """Mixin for the PostgreSQL recorders: their create statements run under one advisory lock."""

    def _create_table(self, curs: Any) -> None:
        curs.execute("SELECT pg_advisory_xact_lock(%s)", (TABLE_CREATION_LOCK,), prepare=False)
        super()._create_table(curs)  # type: ignore[misc]
