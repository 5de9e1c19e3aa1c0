"""Sheet rows to the registry services' arguments, and the services' errors back to sheet cells.

No registry rule is checked here: a row becomes the `data` and `members` that
services.register_households / services.update_household validate, and each ValidationError
they raise becomes SheetErrors at the (sheet, row, column) the clerk has to fix.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError

from core.parsing import is_ascii_digits

from ..codes import Relation
from ..resources import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS
from .sheets import HEADER_OF, HISTORICAL_FIELDS, ParsedRow, SheetError

HOUSEHOLD_IMPORT_FIELDS = [c.field for c in HOUSEHOLD_COLUMNS if not c.export_only and c.field not in ("village_id",)]
MEMBER_IMPORT_FIELDS = [c.field for c in MEMBER_COLUMNS if not c.export_only and c.field != "household__household_no"]
__all__ = ["HEADER_OF", "household_data", "map_errors", "member_data", "same_values"]


def household_data(values: dict, *, historical: bool = False) -> dict:
    """A 贫困户 row as the `data` of the registry services (with its status and exit year in a historical load).

    A column the file does not have is left out (an existing household keeps its value); a blank
    cell of a text or multi-choice column is "" or [] (it clears the value).
    """
    fields = [*HOUSEHOLD_IMPORT_FIELDS, *HISTORICAL_FIELDS] if historical else HOUSEHOLD_IMPORT_FIELDS
    data = {name: values[name] for name in fields if name in values and values[name] is not None}
    if "other_causes" in values:
        data["other_causes"] = values["other_causes"] or []
    for name in ("group_name", "phone", "main_cause"):
        if name in values:
            data.setdefault(name, "")
    return data


def member_data(values: dict) -> dict:
    """A 家庭成员 row as one of the `members` of the registry services (absent columns left out)."""
    data = {name: values[name] for name in MEMBER_IMPORT_FIELDS if name in values and values[name] is not None}
    if "health" in values:
        data["health"] = values["health"] or []
    if "work_months" in values:
        data.setdefault("work_months", 0)
    return data


def same_values(current, data: dict, fields) -> bool:
    """Whether a stored row already holds `data` (decimals compared by value, empty as empty)."""
    for name in fields:
        if name not in data:
            continue
        value = getattr(current, name)
        wanted = data[name]
        if isinstance(value, Decimal) or isinstance(wanted, Decimal):
            if Decimal(str(value or 0)) != Decimal(str(wanted or 0)):
                return False
        elif (value or "") != (wanted or "") and value != wanted:
            return False
    return True


def map_errors(error: ValidationError, household_row: ParsedRow, member_rows: list[ParsedRow]) -> list[SheetError]:
    """A service's ValidationError for one household as errors at the cells of its rows."""
    mapped = []
    messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    for key, reasons in messages.items():
        parts = key.split(".")
        if parts[0] == "members" and len(parts) == 3 and is_ascii_digits(parts[1]) and int(parts[1]) < len(member_rows):
            row = member_rows[int(parts[1])]
            mapped += [row.error(parts[2], reason) for reason in reasons]
        elif parts[0] == "members":
            # A count rule (one 户主): point at the extra 户主, else at the household's first member.
            heads = [row for row in member_rows if row.values.get("relation") == Relation.HEAD]
            target = heads[1] if len(heads) > 1 else (member_rows[0] if member_rows else None)
            mapped += [(target or household_row).error("relation", reason) for reason in reasons]
        else:
            if key == "village":  # the cell the village was given in: its code, or its name
                by_name = household_row.values.get("village__name") and "village_id" not in household_row.values
                key = "village__name" if by_name else "village_id"
            if key not in HEADER_OF:
                key = "household_no"
            mapped += [household_row.error(key, reason) for reason in reasons]
    return mapped
