"""COPY instead of INSERT for the 采集表 import's large batches.

bulk_create of 1,750 members is one INSERT with about 50,000 parameters, which Django
assembles and psycopg re-parses in Python; COPY streams the same values. The values are
Django's own (each field's pre_save and get_db_prep_save, as bulk_create uses), so encrypted
fields encrypt and arrays and JSON adapt the same way. Row triggers (pghistory) fire for
COPY as for INSERT; the history context set by the statements before it in the transaction
applies.
"""

from django.db import connection, models

from .text import check_text_fields


def copy_insert(objects: list[models.Model]) -> None:
    """Insert `objects` (one model, unsaved) with COPY; each gets its primary key from the table's sequence."""
    if not objects:
        return
    for instance in objects:
        # COPY skips save() and its pre-save text guard (core/text.py): check here instead.
        check_text_fields(instance)
    meta = type(objects[0])._meta
    table, pk_column = meta.db_table, meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk_column, len(objects)],
        )
        for instance, (key,) in zip(objects, cursor.fetchall(), strict=True):
            instance.pk = key
        fields = meta.concrete_fields
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        # COPY bypasses Django's cursor wrapper: map psycopg's errors (a unique violation) to Django's.
        statement = f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
        with connection.wrap_database_errors, cursor.copy(statement) as copy:
            for instance in objects:
                copy.write_row([field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields])
    for instance in objects:
        instance._state.adding = False
        instance._state.db = connection.alias
