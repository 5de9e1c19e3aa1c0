"""The service exceptions every app raises, and their one mapping to HTTP: 400 field errors, 403, 404, 409, 412."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DuplicatePerson(DjangoValidationError):
    """An ID number already actively registered elsewhere (the API answers 409)."""


class StaleEdit(Exception):
    """The record changed since the user loaded it (the API answers 412)."""

    message = "该户信息已被他人修改，请刷新页面后重新编辑。"


def nest_errors(message_dict: dict) -> dict:
    """{"members.1.id_number": [...]} -> {"members": [{}, {"id_number": [...]}]} (DRF's nested shape)."""
    nested: dict = {}
    for key, messages in message_dict.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[1].isdigit():
            rows = nested.setdefault(parts[0], [])
            if not isinstance(rows, list):
                rows = nested[parts[0]] = [{"non_field_errors": rows}]
            index = int(parts[1])
            while len(rows) <= index:
                rows.append({})
            rows[index][parts[2]] = messages
        elif key in nested and isinstance(nested[key], list) and nested[key] and isinstance(nested[key][0], dict):
            nested[key].append({"non_field_errors": messages})
        else:
            nested[key.replace(".", "_") if key != "__all__" else "non_field_errors"] = messages
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
        return Response({"detail": "未找到或无权查看。"}, status=status.HTTP_404_NOT_FOUND)
    return exception_handler(exc, context)
