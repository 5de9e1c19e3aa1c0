"""Pages anyone may read without logging in: the online 公示栏 of each village (docs/domain.md §10.5)."""

from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("villages/<str:village_code>/notices/", views.public_notices, name="village_notices"),
]
