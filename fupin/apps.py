from django.apps import AppConfig


class ShellConfig(AppConfig):
    """The project shell: settings, URLs, the API router, Celery, the demo, embedded services."""

    name = "fupin"
    label = "shell"
    verbose_name = "项目"
