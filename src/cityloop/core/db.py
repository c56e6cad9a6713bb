"""Small database helpers that know the vendor: statistics after bulk changes.

PostgreSQL plans from the statistics ANALYZE collects; autovacuum refreshes them only after
a share of the table has changed, so a sweep that re-lit 100 k rows or an import of 50 k cases
leaves the planner guessing from the old numbers until then. :func:`analyze_after_bulk` runs
ANALYZE on the table once a bulk change is large enough to matter (cheap: a sample of the
table). SQLite keeps no such statistics unless asked and is left alone.
"""

from __future__ import annotations

import logging

from django.db import connection, models, transaction

logger = logging.getLogger("cityloop.db")

# Below this many changed rows autovacuum's own threshold is close enough.
ANALYZE_THRESHOLD = 5000


def analyze_after_bulk(
    model: type[models.Model], changed: int, *, threshold: int = ANALYZE_THRESHOLD
) -> bool:
    """ANALYZE ``model``'s table on PostgreSQL when ``changed`` rows reach ``threshold``.

    Inside a transaction it runs after commit (the new rows must be visible to the sample).
    Returns ``True`` when an ANALYZE ran or was scheduled."""
    if connection.vendor != "postgresql" or changed < threshold:
        return False
    table = model._meta.db_table

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        logger.info("analyzed %s after %d changed rows", table, changed)

    if connection.in_atomic_block:
        transaction.on_commit(run, robust=True)
    else:
        run()
    return True


def id_list_sql(ids: list[int]) -> tuple[str, list[object]]:
    """``(sql, params)`` matching a column against many ids with a single parameter:
    ``= ANY(%s)`` on PostgreSQL, ``IN (SELECT value FROM json_each(%s))`` on SQLite — no
    statement grows with the number of ids, and SQLite's parameter limit never bites."""
    if connection.vendor == "postgresql":
        # An array literal: psycopg adapting a list of 5,000 ints element by element costs
        # more than the UPDATE it feeds.
        return "= ANY(%s::bigint[])", ["{" + ",".join(str(int(i)) for i in ids) + "}"]
    import json

    return "IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]
