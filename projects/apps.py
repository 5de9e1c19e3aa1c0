from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "项目库"
    default_auto_field = "django.db.models.BigAutoField"
