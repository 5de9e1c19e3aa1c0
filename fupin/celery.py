import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from core.logging import mask_handlers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")

# Queueing never fails a request while Redis is away (core/queueing.py).
app = Celery("fupin", task_cls="core.queueing:TolerantTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def mask_worker_logs(logger, **kwargs):
    """A worker replaces the root handlers of LOGGING with its own: they mask ID and phone numbers too."""
    mask_handlers(logger)
