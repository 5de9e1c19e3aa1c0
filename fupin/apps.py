from django.apps import AppConfig


class ShellConfig(AppConfig):
    """The project shell: settings, URLs, the API router, Celery, the demo, embedded services."""

    name = "fupin"
    label = "shell"
    verbose_name = "项目"

    def ready(self):
        # Imported here: the report registry loads every app's models, ready only now.
        from core import transfer
        from core.models import ExportJob

        from .exports import write_export

        transfer.register(ExportJob, work=write_export)
