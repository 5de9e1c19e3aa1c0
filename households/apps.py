from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = "建档立卡"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here: models and services may load only once the app registry is ready.
        from core import transfer

        from .imports import validate_or_commit
        from .models import ImportJob

        transfer.register(ImportJob, work=validate_or_commit)
