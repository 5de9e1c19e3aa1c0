"""The public 农户自主申报 pages: no login (docs/domain.md §12.11)."""

from django.urls import path

from . import intake_views

app_name = "report"
urlpatterns = [
    path("", intake_views.report_index, name="index"),
    path("<str:village_code>/", intake_views.report_form, name="village"),
]
