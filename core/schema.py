"""The OpenAPI schema's error responses: every operation documents the answers core/errors.py gives.

drf-spectacular describes only the success body; a client (and schemathesis) must also know
which error codes an operation may answer and their bodies:

- 400 and 409: field errors, `{"字段": ["消息"], "non_field_errors": [...]}`, nested for members
  (`{"members": [{}, {"id_number": [...]}]}`), or `{"detail": "…"}` for a body that is not JSON;
- 401, 403, 404, 412, 428, 429: `{"detail": "…"}`.

Which codes an operation documents follows from what it can meet: 401/403 where it needs a
user, 404 on every authenticated operation (a path id out of scope, an id in the body, a bad
page cursor), 400 on writes (the services' refusals) and where there is a query string,
409/412 on writes, 429 under a throttle.

It also declares the "" a read-only choice field answers when its model field may be blank:
DRF drops `allow_blank` from read-only model fields, so without this the schema's enum would
forbid the "" the API sends (an empty 致贫原因, a household's first adjustment with no 原状态).
"""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class ErrorDetailSerializer(serializers.Serializer):
    """The body of every error but a field error: 401, 403, 404, 412, 428, 429 (core/errors.py)."""

    detail = serializers.CharField(help_text="错误说明（中文）")


FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": (
        "字段名 → 该字段的错误消息列表；嵌套对象为同样结构的对象，成员列表为与提交顺序对应的对象数组。"
        '请求体不是合法 JSON 时为 {"detail": "…"}。'
    ),
    "properties": {
        "non_field_errors": {"type": "array", "items": {"type": "string"}, "description": "不属于某一字段的错误"},
        "detail": {"type": "string"},
    },
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "array", "items": {"type": "object", "additionalProperties": True}},
            {"type": "object", "additionalProperties": True},
        ]
    },
}

DESCRIPTIONS = {
    "400": "输入有误：按字段给出中文错误消息",
    "401": "未登录或令牌无效",
    "403": "无权进行此操作（说明由哪一级办理）",
    "404": "未找到或不在本用户的区划范围内",
    "409": "与已有记录冲突（如身份证号码已在其他户登记）",
    "412": "记录已被他人修改，请重新读取后再提交",
    "429": "请求过于频繁，请稍后再试",
}


class ErrorResponsesAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error responses of core/errors.py on every operation."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, serializers.ChoiceField) and field.read_only and blank_in_model(field):
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None:
            for code in self.error_codes(operation):
                operation["responses"].setdefault(code, self.error_response(code))
        return operation

    def error_codes(self, operation: dict) -> list[str]:
        authenticated = bool(self.view.get_permissions())
        has_query = any(parameter["in"] == "query" for parameter in operation.get("parameters", []))
        codes = []
        if has_query or "requestBody" in operation or self.method in WRITE_METHODS:
            codes.append("400")
        if authenticated:
            codes += ["401", "403", "404"]
            if self.method in WRITE_METHODS:
                codes += ["409", "412"]
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def error_response(self, code: str) -> dict:
        if code in ("400", "409"):
            component = ResolvedComponent(
                name="FieldErrors", type=ResolvedComponent.SCHEMA, object="FieldErrors", schema=FIELD_ERRORS_SCHEMA
            )
            self.registry.register_on_missing(component)
        else:
            component = self.resolve_serializer(ErrorDetailSerializer(), "response")
        return {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": component.ref}}}


def blank_in_model(field: serializers.Field) -> bool:
    """Whether the model field behind a ModelSerializer's field allows ""."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:
        return False
