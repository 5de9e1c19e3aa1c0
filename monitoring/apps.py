from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    label = "monitoring"
    verbose_name = "防返贫监测"
    default_auto_field = "django.db.models.BigAutoField"
