from django.urls import path

from . import print_views, views

app_name = "households"
urlpatterns = [
    path("", views.household_list, name="list"),
    path("new/", views.household_create, name="create"),
    path("member-row/", views.member_row, name="member_row"),
    path("id-check/", views.id_check, name="id_check"),
    path("import/", views.import_upload, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("import/<int:pk>/errors.xlsx", views.import_errors, name="import_errors"),
    path("<int:pk>/", views.household_detail, name="detail"),
    path("<int:pk>/edit/", views.household_edit, name="edit"),
    path("<int:pk>/handbook/", print_views.household_handbook, name="handbook"),
    path("<int:pk>/adjust/", views.household_action, {"action": "adjust"}, name="adjust"),
    path("<int:pk>/unmask/", views.household_unmask, name="unmask"),
    path("<int:pk>/income/", views.household_action, {"action": "income"}, name="income"),
    path("<int:pk>/aid-measures/", views.household_action, {"action": "aid_measure"}, name="aid_measure"),
    path("<int:pk>/helpers/", views.household_action, {"action": "assign_helper"}, name="assign_helper"),
    path("<int:pk>/members/add/", views.household_action, {"action": "member_add"}, name="member_add"),
    path("<int:pk>/members/remove/", views.household_action, {"action": "member_remove"}, name="member_remove"),
]
