from rest_framework.pagination import CursorPagination

from .totals import list_total


class IdCursorPagination(CursorPagination):
    """Keyset pagination: constant cost per page at province scale, no COUNT(*)."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 500


class CodeCursorPagination(IdCursorPagination):
    ordering = "code"


class CountedCursorPagination(IdCursorPagination):
    """Keyset pages that also say how many rows the list holds, by the lists' one counting rule (core/totals.py).

    `count` is exact when `count_is_estimate` is false, the planner's rounded estimate when true;
    `people` is the people of the counted households where the rows are households. A view
    supplies its own rule as `list_total(queryset)` (the scope decides exactness), else the
    queryset is counted as it is.
    """

    def paginate_queryset(self, queryset, request, view=None):
        total_of = getattr(view, "list_total", None)
        self.total = total_of(queryset) if total_of else list_total(queryset)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data = {
            "count": self.total.rows,
            "count_is_estimate": self.total.is_estimate,
            "people": self.total.people,
            **response.data,
        }
        return response

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["required"] = ["count", "count_is_estimate", "results"]
        answer["properties"] = {
            "count": {"type": "integer", "description": "总数：count_is_estimate 为 false 时精确，为 true 时估算"},
            "count_is_estimate": {"type": "boolean", "description": "范围大于乡镇且数量大时按数据库统计信息估算"},
            "people": {"type": "integer", "nullable": True, "description": "这些户的人口数（同样精确或估算）"},
            **answer["properties"],
        }
        return answer
