from django.apps import AppConfig


class VillagesConfig(AppConfig):
    name = "villages"
    verbose_name = "区划"
    default_auto_field = "django.db.models.BigAutoField"
