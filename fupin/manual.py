"""操作手册: what each role does for each task, with links to the pages, the reader's own role first.

The text is in templates/fupin/manual/<role>.html; every link in it is a `{% url %}`, so a renamed
page breaks the test (tests/fupin/test_manual.py) and never the manual.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from core.codes import Role


@dataclass(frozen=True)
class Manual:
    role: str
    label: str
    mine: bool

    @property
    def template(self) -> str:
        return f"fupin/manual/{self.role}.html"


def manuals_for(user) -> list[Manual]:
    """Every role's manual, the user's own first (an account without a role reads them in table order)."""
    manuals = [Manual(role, label, role == user.role) for role, label in Role.choices]
    return sorted(manuals, key=lambda entry: not entry.mine)


@login_required
def manual(request):
    user = request.user
    return render(
        request,
        "fupin/manual.html",
        {
            "manuals": manuals_for(user),
            # The user's own region page (区划浏览), for the tasks that start there.
            "region_url": reverse("regions:detail", args=[user.region_id]) if user.region_id else "",
            "nav_active": "help",
        },
    )
