"""The project's URLs under a path of their own, for tests/fupin/test_navigation.py."""

from django.urls import include, path

urlpatterns = [path("registry/", include("fupin.urls"))]
