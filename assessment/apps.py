from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = "考核评估"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here: models and tasks may load only once the app registry is ready.
        from funds.signals import ledger_changed
        from households.signals import figures_changed

        from .tasks import recompute_after_figures_changed, recompute_ratings_after_ledger_change

        ledger_changed.connect(recompute_ratings_after_ledger_change, dispatch_uid="assessment-ratings-on-ledger")
        figures_changed.connect(recompute_after_figures_changed, dispatch_uid="assessment-chain-on-figures")
