from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    label = "monitoring"
    verbose_name = "防返贫监测"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here: models and services may load only once the app registry is ready.
        from core import transfer

        from .departments import match_list
        from .models import DepartmentList

        transfer.register(DepartmentList, work=match_list)
