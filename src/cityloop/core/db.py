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
    model: type[models.Model],
    changed: int,
    *,
    threshold: int = ANALYZE_THRESHOLD,
    fields: tuple[str, ...] = (),
) -> bool:
    """ANALYZE ``model``'s table on PostgreSQL when ``changed`` rows reach ``threshold``.

    ``fields``: only those columns' statistics (a sweep that changed the lights alone need
    not sample the whole wide row again: seconds on a large table). Inside a transaction it
    runs after commit (the new rows must be visible to the sample). Returns ``True`` when an
    ANALYZE ran or was scheduled."""
    if connection.vendor != "postgresql" or changed < threshold:
        return False
    table = model._meta.db_table
    q = connection.ops.quote_name
    columns = ", ".join(q(model._meta.get_field(f).column) for f in fields)

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {q(table)}" + (f" ({columns})" if columns else ""))
        logger.info("analyzed %s after %d changed rows", table, changed)

    if connection.in_atomic_block:
        transaction.on_commit(run, robust=True)
    else:
        run()
    return True


def estimated_rows(qs: models.QuerySet) -> int | None:
    """The planner's estimate of how many rows ``qs`` returns, from one ``EXPLAIN`` (planning
    only, nothing read): PostgreSQL; ``None`` on other databases."""
    if connection.vendor != "postgresql":
        return None
    import json

    plan = json.loads(qs.explain(format="json"))
    plan = plan[0] if isinstance(plan, list) else plan
    return int(plan["Plan"]["Plan Rows"])


_table_rows: dict[str, tuple[float, int]] = {}
TABLE_ROWS_TTL = 600.0  # seconds: a table's size moves slowly against what it is used for


def table_rows(model: type[models.Model]) -> int | None:
    """PostgreSQL's own count of a table's rows (``pg_class.reltuples``, kept by ANALYZE and
    autovacuum), read at most every :data:`TABLE_ROWS_TTL` seconds per process; ``None`` on
    other databases. An estimate, for choosing plans, never a figure to show."""
    if connection.vendor != "postgresql":
        return None
    import time

    table = model._meta.db_table
    now = time.monotonic()
    found = _table_rows.get(table)
    if found is None or now - found[0] > TABLE_ROWS_TTL:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            row = cursor.fetchone()
        found = _table_rows[table] = (now, max(int(row[0]) if row else 0, 0))
    return found[1]


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


def insert_rows(
    model: type[models.Model],
    rows: list[dict[str, object]],
    *,
    returning: bool = False,
    conflict: tuple[list[str], list[str]] | None = None,
) -> list[int]:
    """Insert ``rows`` — plain dicts keyed by field attname (``case_id``, not ``case``), every
    row with the same keys — with one ``INSERT … SELECT`` over a single JSON parameter
    (``json_to_recordset`` on PostgreSQL, ``json_each`` on SQLite): no model objects, no
    statement that grows with the rows, no parameter limit. A sweep writing thousands of
    events and notifications spends its time in the database, not in the ORM. JSON fields take
    Python values, datetimes aware ones. Returns the new pks with ``returning``, else ``[]``.

    ``conflict=(unique fields, fields to update)``: an upsert — a row whose unique fields are
    taken overwrites those fields of the row there (``ON CONFLICT … DO UPDATE``)."""
    if not rows:
        return []
    sql, params = _rows_source(model, rows)
    names = list(rows[0])
    q = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    cols = ", ".join(q(f.column) for f in fields)
    sql = f"INSERT INTO {q(model._meta.db_table)} ({cols}) SELECT {sql}"
    if conflict is not None:
        unique, update = conflict
        col = {name: q(model._meta.get_field(name).column) for name in (*unique, *update)}
        sets = ", ".join(f"{col[n]} = excluded.{col[n]}" for n in update)
        # "WHERE true": SQLite's parser needs it between INSERT … SELECT and ON CONFLICT.
        sql += f" WHERE true ON CONFLICT ({', '.join(col[n] for n in unique)}) DO UPDATE SET {sets}"
    if returning:
        sql += f" RETURNING {q(model._meta.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()] if returning else []


def update_rows(model: type[models.Model], rows: list[dict[str, object]]) -> int:
    """Write ``rows`` — dicts keyed by attname, each with the pk (``id``) and the same other
    fields — onto their rows with one ``UPDATE … FROM`` over a single JSON parameter (what
    Django's ``bulk_update`` does with a ``CASE`` per field and row, at a fraction of the
    Python). Returns the number of rows updated."""
    if not rows:
        return 0
    pk = model._meta.pk
    names = [n for n in rows[0] if n != pk.attname]
    source, params = _rows_source(model, rows, aliased=True)
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    sets = ", ".join(f"{q(model._meta.get_field(n).column)} = r.{q(n)}" for n in names)
    sql = f"UPDATE {table} SET {sets} FROM {source}"
    sql += f" WHERE {table}.{q(pk.column)} = r.{q(pk.attname)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _rows_source(
    model: type[models.Model], rows: list[dict[str, object]], *, aliased: bool = False
) -> tuple[str, list[object]]:
    """``rows`` as SQL over one JSON parameter: ``"<columns> FROM <source>"`` for INSERT …
    SELECT, or with ``aliased`` a sub-query ``(…) AS r`` whose columns are the attnames."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    stamps = [n for n, f in zip(names, fields, strict=True) if isinstance(f, models.DateTimeField)]
    if stamps:  # the database's own spelling, not the encoder's (which drops microseconds)
        pg = connection.vendor == "postgresql"
        spelt: dict[object, object] = {}

        def spell(value):
            if value is None:
                return None
            if value not in spelt:
                spelt[value] = (
                    value.isoformat() if pg else connection.ops.adapt_datetimefield_value(value)
                )
            return spelt[value]

        rows = [{**row, **{n: spell(row[n]) for n in stamps}} for row in rows]
    payload = json.dumps(rows, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    q = connection.ops.quote_name
    if connection.vendor == "postgresql":
        typed = zip(names, fields, strict=True)
        shape = ", ".join(f"{q(n)} {f.db_type(connection)}" for n, f in typed)
        if aliased:
            return f"json_to_recordset(%s::json) AS r({shape})", [payload]
        select = ", ".join(f"r.{q(n)}" for n in names)
        return f"{select} FROM json_to_recordset(%s::json) AS r({shape})", [payload]
    if aliased:
        select = ", ".join(f"json_extract(value, '$.{n}') AS {q(n)}" for n in names)
        return f"(SELECT {select} FROM json_each(%s)) AS r", [payload]
    select = ", ".join(f"json_extract(value, '$.{n}')" for n in names)
    return f"{select} FROM json_each(%s)", [payload]
