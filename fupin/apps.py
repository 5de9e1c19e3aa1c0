from django.apps import AppConfig


class FupinConfig(AppConfig):
    name = "fupin"
    verbose_name = "系统"
    default_auto_field = "django.db.models.BigAutoField"
