from dataclasses import dataclass

from rest_framework.pagination import CursorPagination

from .parsing import is_ascii_digits
from .totals import Total, list_total


@dataclass(frozen=True)
class NumberedPage:
    """One page of a short list shown by number (第2页，共5页), and the links to its neighbours.

    `previous_query` and `next_query` are the request's query string with only this list's page
    parameter changed, so two lists paged on one page keep each other's place.
    """

    rows: list
    number: int
    num_pages: int
    previous_query: str
    next_query: str

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1


def numbered_page(queryset, total: Total, query, *, param: str, per_page: int) -> NumberedPage:
    """The rows of the page `query[param]` asks for, `per_page` a page, counted by `total` (list_total).

    A page number that is not a whole number, or out of range, gives the nearest page: a link
    typed by hand never fails. An estimated total (约) may leave the last pages short or empty.
    """
    num_pages = max(1, -(-total.rows // per_page))
    requested = query.get(param, "")
    number = int(requested) if is_ascii_digits(requested) and len(requested) < 7 else 1
    number = min(max(number, 1), num_pages)
    rows = list(queryset[(number - 1) * per_page : number * per_page])

    def query_for(page: int) -> str:
        changed = query.copy()
        changed[param] = str(page)
        return changed.urlencode()

    return NumberedPage(
        rows=rows,
        number=number,
        num_pages=num_pages,
        previous_query=query_for(number - 1) if number > 1 else "",
        next_query=query_for(number + 1) if number < num_pages else "",
    )


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
