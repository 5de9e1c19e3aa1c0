"""The one scoping rule: a user sees the subtree of their region, by code prefix.

Every region-scoped model names the column holding its 12-digit region code in
`scope_code_field` and uses `ScopedQuerySet`; every selector starts from
`Model.objects.visible_to(user)`. Out-of-scope objects are simply absent, so a
lookup through `get_visible_or_404` answers 404, never 403.
"""

from django.db import models
from django.http import Http404

from .regions import ancestor_codes, code_prefix


def scope_prefix(user) -> str | None:
    """The code prefix a user may see: "" for everything, None for nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser or user.role == "admin":
        return ""
    if user.region_id is None:
        return None
    return code_prefix(user.region_id, user.region.level)


def sees_code(code: str) -> models.Q:
    """The users whose scope holds region `code` (a filter on User): `scope_prefix` read backwards.

    Active users of the code's region or of one of its ancestors, and those who see everything.
    Who is told about a region's work (core/notifications.py) is chosen by this, so a notice never
    reaches a user who could not open what it names.
    """
    regions = models.Q(region_id__in=ancestor_codes(code, include_self=True))
    return models.Q(is_active=True) & (regions | models.Q(is_superuser=True) | models.Q(role="admin"))


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """[low, high) bounds of the codes starting with a digit prefix: "622926" -> ("622926", "622927").

    A range, unlike LIKE 'prefix%', uses a plain btree index under any collation, and the
    same index then serves ORDER BY code (see households_household (village_id, id)).
    """
    if set(prefix) == {"9"}:
        return prefix, None
    return prefix, str(int(prefix) + 1).zfill(len(prefix))


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user):
        prefix = scope_prefix(user)
        if prefix is None:
            return self.none()
        if prefix == "":
            return self.all()
        return self.within_prefix(prefix)

    def within_prefix(self, prefix: str):
        """Rows whose region code starts with `prefix`, as an index-friendly range."""
        low, high = prefix_range(prefix)
        field = self.model.scope_code_field
        rows = self.filter(**{f"{field}__gte": low})
        return rows.filter(**{f"{field}__lt": high}) if high else rows


def get_visible_or_404(queryset, user, **lookup):
    """Fetch one object the user may see; anything else is a 404."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("未找到或无权查看。") from error
