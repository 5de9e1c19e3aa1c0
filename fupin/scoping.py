"""The one scoping rule: a user sees the subtree of their region, by code prefix.

Every region-scoped model names the column holding its 12-digit region code in
`scope_code_field` and uses `ScopedQuerySet`; every selector starts from
`Model.objects.visible_to(user)`. Out-of-scope objects are simply absent, so a
lookup through `get_visible_or_404` answers 404, never 403.
"""

from django.db import models
from django.http import Http404


def scope_prefix(user) -> str | None:
    """The code prefix a user may see: "" for everything, None for nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser or user.role == "admin":
        return ""
    if user.region_id is None:
        return None
    from villages.models import code_prefix

    return code_prefix(user.region_id, user.region.level)


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user):
        prefix = scope_prefix(user)
        if prefix is None:
            return self.none()
        if prefix == "":
            return self.all()
        return self.filter(**{f"{self.model.scope_code_field}__startswith": prefix})


def get_visible_or_404(queryset, user, **lookup):
    """Fetch one object the user may see; anything else is a 404."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("未找到或无权查看。") from error
