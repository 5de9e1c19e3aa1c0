from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Keyset pagination: constant cost per page at province scale, no COUNT(*)."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 500


class CodeCursorPagination(IdCursorPagination):
    ordering = "code"
