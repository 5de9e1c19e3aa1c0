from datetime import timedelta

from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import manual, notification_views, views
from .service_status import HealthView, broker_client

admin.site.site_header = "fupin 建档立卡系统管理"
admin.site.site_title = "fupin"

handler500 = "fupin.errors.server_error"
handler400 = "fupin.errors.bad_request"
handler403 = "fupin.errors.permission_denied"
handler404 = "fupin.errors.page_not_found"

SWAGGER_UI_STYLE = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"

# /health/ for docker-compose and `make run`: is PostgreSQL, the cache, the broker and a
# Celery worker answering? No login, and no data beyond the names of the checks.
HEALTH_CHECKS = [
    "health_check.Database",
    "health_check.Cache",
    ("fupin.service_status.BrokerRedis", {"client_factory": broker_client}),
    ("fupin.service_status.CeleryPing", {"limit": 1, "timeout": timedelta(seconds=2)}),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("exports/", views.exports, name="exports"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("help/", manual.manual, name="help"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/<int:pk>/", notification_views.notification_open, name="notification_open"),
    path("notifications/read-all/", notification_views.notification_read_all, name="notifications_read_all"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("regions/", include("assessment.region_urls")),
    path("households/", include("households.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("assistance/", include("assistance.urls")),
    path("assessment/", include("assessment.urls")),
    path("funds/", include("funds.urls")),
    path("projects/", include("projects.urls")),
    path("public/", include("assessment.public_urls")),
    path("report/", include("monitoring.report_urls")),
    path("users/", include("fupin.account_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("fupin.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up code as a script of its own: no inline script (CSP).
    # Swagger UI injects one fixed <style> element as it starts: that one is allowed, by its hash, on
    # this page only (tests/e2e/test_csp.py notices when an upgrade of the sidecar changes it).
    path(
        "api/docs/",
        csp_update({"style-src": [SWAGGER_UI_STYLE]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    path("health/", HealthView.as_view(checks=HEALTH_CHECKS), name="health"),
    path("favicon.ico", lambda request: HttpResponseRedirect(static("favicon.svg"))),
]
