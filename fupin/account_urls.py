from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import account_views as views

app_name = "users"

urlpatterns = [
    path("", views.user_list, name="list"),
    path("import/", views.import_sheet, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("import/template/", views.import_template, name="import_template"),
    path("import/passwords/", views.passwords_download, name="passwords"),
    path("<int:pk>/", views.user_detail, name="detail"),
    path("<int:pk>/reset-password/", views.reset_password, name="reset_password"),
    path("<int:pk>/active/", views.set_active, name="set_active"),
    # Every user's own 修改密码 (Django's validators), required after an initial or reset password.
    path(
        "password/",
        views.PasswordChangeView.as_view(success_url=reverse_lazy("users:password_changed")),
        name="password",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_changed.html"),
        name="password_changed",
    ),
]
