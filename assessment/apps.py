from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = "考核评估"
    default_auto_field = "django.db.models.BigAutoField"
