from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "assistance"
    label = "assistance"
    verbose_name = "帮扶力量"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here: models and services may load only once the app registry is ready.
        from django.db.models.signals import post_delete

        from .models import Visit
        from .visits import forget_attachment

        post_delete.connect(forget_attachment, sender=Visit, dispatch_uid="assistance_visit_attachment")
