"""Pages anyone may read without logging in: the online 公示栏 of each village (assessment/public_views.py)."""

from django.urls import path

from . import public_views

app_name = "public"
urlpatterns = [
    path("villages/<str:village_code>/notices/", public_views.public_notices, name="village_notices"),
]
