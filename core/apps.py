from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel: users and roles, scoping, policy parameters, errors, the transfer-file jobs.

    Its label stays "fupin" (the app's name before the kernel moved out of the project
    package), so its tables, migrations, permissions and AUTH_USER_MODEL ("fupin.User")
    are unchanged.
    """

    name = "core"
    label = "fupin"
    verbose_name = "系统"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Every save of user data refuses control characters and bidi overrides (core/text.py);
        # imported here because core.text needs the models, which load after this module.
        from django.db.models.signals import pre_save

        from . import lookups  # noqa: F401 - registers `__any` (core/lookups.py)
        from .text import refuse_unclean_text

        pre_save.connect(refuse_unclean_text, dispatch_uid="core.text.refuse_unclean_text")

        # A finished import or export tells its user (站内消息).
        from .notifications import job_ended
        from .transfer import job_ended as job_ended_signal

        job_ended_signal.connect(job_ended, dispatch_uid="core.notifications.job_ended")
