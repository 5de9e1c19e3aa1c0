"""Full personal data on request: shown only with the permission, and every showing audited."""

from core.models import AccessAudit
from core.permissions import Action, require

from ..models import Household


def unmask_household(*, user, household_id: int) -> dict:
    """The full ID numbers and phone of a household, for a user holding the permission; audited.

    Returns {"phone": ..., "members": {member_id: id_number}}. Each call writes an AccessAudit row.
    """
    household = Household.objects.visible_to(user).get(pk=household_id)
    require(user, Action.UNMASK_PERSONAL_DATA)  # the role and the households.view_full_id permission
    members = {member.pk: member.id_number for member in household.members.filter(is_active=True)}
    AccessAudit.objects.create(
        user=user,
        action=AccessAudit.Action.UNMASK,
        object_type="household",
        object_id=str(household.pk),
        detail=f"户编号 {household.household_no}",
        row_count=len(members),
    )
    return {"phone": household.phone or "", "members": members}
