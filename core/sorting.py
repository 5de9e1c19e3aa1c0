"""The header links of a sortable list: one click sorts by a column, a second click the other way."""

from django.http import QueryDict


def sort_headers(query: QueryDict, columns: list[tuple[str, str | None]], current: str) -> list[dict]:
    """Each column's label, the query string sorting by it, and its aria-sort ("ascending", "descending" or "").

    `columns` are (label, sort key or None for a column that does not sort); `current` the list's
    sort ("head_name", "-head_name"). The page position (`after`) is dropped: a new order starts
    at its first page.
    """
    headers = []
    for label, key in columns:
        state = ""
        if key and current.removeprefix("-") == key:
            state = "descending" if current.startswith("-") else "ascending"
        link = None
        if key:
            params = query.copy()
            params.pop("after", None)
            params["sort"] = f"-{key}" if state == "ascending" else key
            link = params.urlencode()
        headers.append({"label": label, "key": key, "query": link, "state": state})
    return headers
