"""/regions/<code>/: the region pages (assessment/region_views.py)."""

from django.urls import path

from . import region_views

app_name = "regions"
urlpatterns = [
    path("<str:code>/", region_views.region_detail, name="detail"),
]
