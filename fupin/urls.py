from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

admin.site.site_header = "fupin 建档立卡系统管理"
admin.site.site_title = "fupin"

urlpatterns = [
    path("", views.home, name="home"),
    path("exports/", views.exports, name="exports"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("regions/", include("assessment.region_urls")),
    path("households/", include("households.urls")),
    path("assessment/", include("assessment.urls")),
    path("funds/", include("funds.urls")),
    path("projects/", include("projects.urls")),
    path("public/", include("projects.public_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("fupin.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]
