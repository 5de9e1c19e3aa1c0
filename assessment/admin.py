from django.contrib import admin

from core.admin import CheckedTextAdmin

from .models import Application, CountyRating, IncidenceRate, RatingScheme, ReductionPlan, SampleSurvey


@admin.register(RatingScheme)
class RatingSchemeAdmin(CheckedTextAdmin):
    """The province edits weights, thresholds, quarter weights and vetoes here (validated on save)."""

    list_display = ["name", "year", "is_active", "source"]
    list_filter = ["is_active"]


@admin.register(ReductionPlan)
class ReductionPlanAdmin(CheckedTextAdmin):
    list_display = ["county", "year", "planned_exit_population"]
    list_filter = ["year"]


@admin.register(SampleSurvey)
class SampleSurveyAdmin(CheckedTextAdmin):
    list_display = ["county", "year", "quarter", "wrong_exit_population", "omitted_population", "data_fraud"]
    list_filter = ["year", "quarter"]


class ReadOnlyAdmin(CheckedTextAdmin):
    """Written only by the engine and the recompute tasks."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "region", "year", "status", "check_passed", "is_locked"]
    list_filter = ["kind", "status"]


@admin.register(IncidenceRate)
class IncidenceRateAdmin(ReadOnlyAdmin):
    list_display = ["region", "year", "poor_population", "rural_population", "rate", "computed_at"]
    list_filter = ["year"]


@admin.register(CountyRating)
class CountyRatingAdmin(ReadOnlyAdmin):
    list_display = ["county", "year", "period", "score", "grade", "consequence"]
    list_filter = ["year", "period", "grade"]
