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
