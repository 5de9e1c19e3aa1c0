"""COPY instead of INSERT for the 采集表 import's large batches.

bulk_create of 1,750 members is one INSERT with about 50,000 parameters, which Django
assembles and psycopg re-parses in Python; COPY streams the same values. The values are
Django's own (each field's pre_save and get_db_prep_save, as bulk_create uses), so encrypted
fields encrypt and arrays and JSON adapt the same way. Triggers (pghistory) fire for COPY
as for INSERT, under the history context of the write. Where Django would pass a value on
unchanged (a str to a CharField, an int to an IntegerField, a date to a DateField, a Decimal
to a DecimalField: `_unchanged_type`), it is written without asking each field for it again,
which was a fifth of the import's commit; auto_now fields take one time for the whole batch, and
encrypted fields encrypt the whole batch at once (core/encryption.py).
"""

import datetime
import decimal
import functools
import inspect

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.db.models import DEFERRED
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from encrypted_fields.fields import EncryptedFieldMixin

from .encryption import encrypt_values
from .text import check_text_fields


def build(model: type[models.Model], values: dict, related: dict | None = None) -> models.Model:
    """`model(**values, **related)` for a batch: the same unsaved instance, built positionally.

    Model.__init__ with keywords looks each field up in the keywords (a KeyError for every one
    not given) and assigns related objects through their descriptors; a 采集表 builds 45,000
    instances twice. Here each field not in `values` takes its default as __init__ gives it,
    and each related object (field name → saved or unsaved instance) sets its key and is cached
    as the descriptor caches it. A name that is not a plain field of `model` is refused, as
    __init__ refuses it. Where __init__ would only store each value in the instance's dict (see
    `_construction`) and nothing listens to pre_init or post_init, the values are stored at once,
    which takes a third less time than __init__'s assignment field by field.
    """
    defaults, relations, stored_as_given = _construction(model)
    if unknown := values.keys() - defaults.keys() or (related or {}).keys() - relations.keys():
        raise TypeError(f"{model.__name__}() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
    row = [values[name] if name in values else default() for name, default in defaults.items()]
    if stored_as_given and not (pre_init.receivers or post_init.receivers):
        instance = model.__new__(model)
        instance._state = ModelState()
        instance.__dict__.update(zip(defaults, row, strict=True))
    else:
        instance = model(*row)
    for name, obj in (related or {}).items():
        field = relations[name]
        setattr(instance, field.attname, getattr(obj, field.target_field.attname))
        field.set_cached_value(instance, obj)
    return instance


@functools.cache
def _construction(model) -> tuple[dict, dict, bool]:
    """Each concrete field's name (a relation's attname) → how __init__ gets its default; relation
    name → field; and whether __init__ stores every value in the instance's dict as it is given.

    It does unless a field is generated (left unset) or its class attribute intercepts the
    assignment (a file field's descriptor); a foreign key's does, but on a new instance, with
    nothing cached to forget, it stores the key as it is.
    """
    fields = model._meta.concrete_fields
    defaults = {
        (field.attname if field.is_relation else field.name): (lambda: DEFERRED)
        if field.generated
        else field._get_default
        for field in fields
    }
    relations = {field.name: field for field in fields if field.is_relation and field.many_to_one}
    stored_as_given = all(not field.generated and _assigned_as_is(model, field) for field in fields)
    return defaults, relations, stored_as_given


def _assigned_as_is(model, field) -> bool:
    attribute = inspect.getattr_static(model, field.attname, None)
    return type(attribute) is ForeignKeyDeferredAttribute or not hasattr(type(attribute), "__set__")


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
        # The connection's execute wrappers set the history context (pghistory) and pgtrigger's
        # ignore list as transaction-local settings in front of each statement they pass, but
        # not in front of a SELECT, and COPY does not pass them at all: a statement that does
        # sets them for the COPY's triggers too.
        cursor.execute("DO $$ BEGIN END $$")
        fields = meta.concrete_fields
        plain = _plain_fields(type(objects[0]))
        now = timezone.now()  # one time for the batch, as one INSERT's rows get nearly one
        tokens = {
            field: encrypt_values(field, [getattr(instance, field.attname) for instance in objects])
            for field, kind in plain
            if kind is _ENCRYPTED
        }
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        # COPY bypasses Django's cursor wrapper: map psycopg's errors (a unique violation) to Django's.
        statement = f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
        with connection.wrap_database_errors, cursor.copy(statement) as copy:
            for position, instance in enumerate(objects):
                copy.write_row(_row(instance, plain, now, tokens, position))
    for instance in objects:
        instance._state.adding = False
        instance._state.db = connection.alias


def _row(instance, plain: list[tuple[models.Field, type | tuple | None]], now, tokens: dict, position: int) -> list:
    """The instance's values as bulk_create would send them (each field's pre_save and get_db_prep_save);
    an encrypted field's value is its token in `tokens`, encrypted for the batch."""
    row = []
    for field, kind in plain:
        if kind is _ENCRYPTED:
            row.append(tokens[field][position])
            continue
        if kind is _NOW:  # pre_save of auto_now(_add): the time, set on the instance too
            setattr(instance, field.attname, now)
            row.append(now)
            continue
        if kind is not None:
            value = getattr(instance, field.attname)
            if value is None or type(value) is kind or (kind is str and isinstance(value, str)):
                row.append(value)  # a choice of TextChoices is a str as well, and passed on as itself
                continue
            if type(kind) is tuple and type(value) is list and all(type(item) is kind[1] for item in value):
                row.append(value)  # an array of plain values, each passed on unchanged
                continue
        row.append(field.get_db_prep_save(field.pre_save(instance, True), connection))
    return row


# Field classes whose pre_save is the attribute and whose get_db_prep_save returns a value of
# this exact type unchanged on PostgreSQL (subclasses, such as encrypted fields, are not listed).
_UNCHANGED = {
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
    models.BooleanField: bool,
    models.DateField: datetime.date,
    models.DecimalField: decimal.Decimal,  # PostgreSQL takes the Decimal as it is (adapt_decimalfield_value)
}


_NOW = object()  # a DateTimeField with auto_now or auto_now_add: its pre_save is timezone.now()
_ENCRYPTED = object()  # an encrypted CharField: its pre_save is the attribute, its value a Fernet token


def _unchanged_type(field: models.Field) -> type | tuple | object | None:
    """The type Django passes on unchanged for `field`; ("array", type) for an array of them."""
    if type(field) is models.DateTimeField and (field.auto_now or field.auto_now_add) and settings.USE_TZ:
        return _NOW
    if isinstance(field, EncryptedFieldMixin) and isinstance(field, models.CharField):
        return _ENCRYPTED
    if type(field) is ArrayField:
        item = _unchanged_type(field.base_field)
        return ("array", item) if isinstance(item, type) else None
    if isinstance(field, models.ForeignKey):
        return _unchanged_type(field.target_field)
    if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add):
        return None  # pre_save sets the date
    return _UNCHANGED.get(type(field))


@functools.cache
def _plain_fields(model) -> list[tuple[models.Field, type | tuple | None]]:
    return [(field, _unchanged_type(field)) for field in model._meta.concrete_fields]
