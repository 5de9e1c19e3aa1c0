from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "assistance"
    label = "assistance"
    verbose_name = "帮扶力量"
    default_auto_field = "django.db.models.BigAutoField"
