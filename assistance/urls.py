from django.urls import path

from . import pairing_views, team_views, visit_views

app_name = "assistance"
urlpatterns = [
    # 结对帮扶 (docs/domain.md §9.1, §9.2)
    path("pairing/", pairing_views.village_index, name="pairing"),
    path("pairing/village/<str:code>/", pairing_views.village_pairing, name="pairing_village"),
    path("pairing/import/", pairing_views.pairing_import, name="pairing_import"),
    path("helpers/", pairing_views.helper_list, name="helpers"),
    path("helpers/<int:pk>/", pairing_views.helper_detail, name="helper_detail"),
    path("helpers/<int:pk>/move/", pairing_views.helper_move, name="helper_move"),
    path("coverage/", pairing_views.coverage_page, name="coverage"),
    # 帮扶单位 and 定点帮扶 (docs/domain.md §9.3)
    path("units/", team_views.unit_list, name="units"),
    path("units/new/", team_views.unit_form, name="unit_create"),
    path("units/<int:pk>/", team_views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", team_views.unit_form, name="unit_edit"),
    path("units/<int:pk>/assign/", team_views.unit_assign, name="unit_assign"),
    path("assignments/<int:pk>/end/", team_views.assignment_end, name="assignment_end"),
    # 驻村工作队 (docs/domain.md §9.4, §9.5)
    path("teams/", team_views.team_list, name="teams"),
    path("teams/new/", team_views.team_create, name="team_create"),
    path("teams/missing/", team_views.missing_teams, name="missing_teams"),
    path("teams/import/", team_views.roster_import, name="roster_import"),
    path("teams/<int:pk>/", team_views.team_detail, name="team_detail"),
    path("teams/<int:pk>/end/", team_views.team_end, name="team_end"),
    path("teams/<int:pk>/members/new/", team_views.member_add, name="member_add"),
    path("members/<int:pk>/replace/", team_views.member_replace, name="member_replace"),
    path("members/<int:pk>/end/", team_views.member_end, name="member_end"),
    # 帮扶日志 (docs/domain.md §9.6)
    path("visits/", visit_views.visit_list, name="visits"),
    path("visits/not-visited/", visit_views.not_visited_list, name="not_visited"),
    path("visits/<int:pk>/", visit_views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", visit_views.visit_edit, name="visit_edit"),
    path("visits/<int:pk>/attachment/", visit_views.visit_attachment, name="visit_attachment"),
    path("households/<int:pk>/visits/new/", visit_views.visit_new, name="visit_new"),
]
