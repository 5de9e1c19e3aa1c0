from .models import Region


def region_list(user, *, level: str | None = None, parent: str | None = None):
    """Regions the user may see, optionally one level or the children of one region."""
    regions = Region.objects.visible_to(user)
    if level:
        regions = regions.filter(level=level)
    if parent:
        regions = regions.filter(parent_id=parent)
    return regions.order_by("code")
