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
        if getattr(self, "tracking_table_exists", True) is False:
            self._recheck_tracking_table(curs)
        super()._create_table(curs)  # type: ignore[misc]  # a mixin: the library's recorder it is mixed into has it

    def _recheck_tracking_table(self, curs: Any) -> None:
        """The library looks for a tracking table before this lock is taken: a process that created it meanwhile
        has also recorded its migration row, which inserting again would fail on (IntegrityError). Look again."""
        schema, table = self.datastore.schema, self.tracking_table_name  # type: ignore[attr-defined]  # a mixin: the library's recorder it is mixed into has it
        curs.execute("SELECT to_regclass(%s)", (f'"{schema}"."{table}"',), prepare=False)
        row = curs.fetchone()
        if row is None or next(iter(row.values()) if isinstance(row, dict) else iter(row)) is None:
            return
        curs.execute(self.max_tracking_id_statement, (self.table_migration_identifier,))  # type: ignore[attr-defined]  # a mixin: the library's recorder it is mixed into has it
        found = curs.fetchone()
        self.tracking_table_exists = True
        self.tracking_migration_current = self.tracking_migration_previous = found["max"] if found else None
