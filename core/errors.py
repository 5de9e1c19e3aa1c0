"""The service exceptions every app raises, and their one mapping to HTTP: 400 field errors, 403, 404, 409, 412."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DuplicatePerson(DjangoValidationError):
    """An ID number already actively registered elsewhere (the API answers 409)."""


class StaleEdit(Exception):
    """The record changed since the user loaded it (the API answers 412)."""

    message = "该户信息已被他人修改，请刷新页面后重新编辑。"


NOT_FOUND = "未找到或无权查看。"
MAX_LISTED_ITEMS = 10_000  # beyond this an item list would be padding: key the items by index instead


def nest_errors(message_dict: dict) -> dict:
    """{"members.1.id_number": [...]} -> {"members": [{}, {"id_number": [...]}]} (DRF's nested shape).

    A list with errors of its own ({"members": ["须有户主"]}) and errors of its items at once
    becomes {"members": {"non_field_errors": [...], "1": {...}}}, the shape DRF gives a ListField;
    any mix of keys nests without raising.
    """
    item_errors: dict[str, dict[int, dict]] = {}
    own_errors: dict[str, list] = {}
    nested: dict = {}
    for key, messages in message_dict.items():
        name, _, rest = key.partition(".")
        index, _, field = rest.partition(".")
        if field and index.isascii() and index.isdecimal():
            rows = item_errors.setdefault(name, {})
            rows.setdefault(int(index), {}).setdefault(field.replace(".", "_"), []).extend(messages)
        elif key == "__all__":
            nested.setdefault("non_field_errors", []).extend(messages)
        elif rest:
            nested.setdefault(key.replace(".", "_"), []).extend(messages)
        else:
            own_errors.setdefault(key, []).extend(messages)
    for name, messages in own_errors.items():
        if name not in item_errors:
            nested.setdefault(name, []).extend(messages)
    for name, rows in item_errors.items():
        if name in own_errors or max(rows) > MAX_LISTED_ITEMS:
            own = {"non_field_errors": own_errors[name]} if name in own_errors else {}
            nested[name] = {**own, **{str(index): row for index, row in rows.items()}}
        else:
            nested[name] = [rows.get(index, {}) for index in range(max(rows) + 1)]
    return nested


def api_exception_handler(exc, context):
    if isinstance(exc, StaleEdit):
        return Response({"detail": exc.message}, status=status.HTTP_412_PRECONDITION_FAILED)
    if isinstance(exc, DjangoValidationError):
        code = status.HTTP_409_CONFLICT if isinstance(exc, DuplicatePerson) else status.HTTP_400_BAD_REQUEST
        body = nest_errors(exc.message_dict) if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(body, status=code)
    if isinstance(exc, PermissionDenied):
        # core.permissions.require's reason says who may; the policy is the only source of a 403.
        detail = str(exc) or "您无权进行此操作。"
        return Response({"detail": detail}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ObjectDoesNotExist):
        return Response({"detail": NOT_FOUND}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, Http404):
        # get_object_or_404 says "No Household matches the given query." in English; a message
        # of our own (Chinese) is kept, so the reader learns which object was not found.
        detail = str(exc) if any("\u4e00" <= char <= "\u9fff" for char in str(exc)) else NOT_FOUND
        return Response({"detail": detail}, status=status.HTTP_404_NOT_FOUND)
    return exception_handler(exc, context)
