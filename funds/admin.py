from django.contrib import admin

from core.admin import CheckedTextAdmin

from .models import Allocation, Disbursement, FundSource


class LedgerAdmin(CheckedTextAdmin):
    """Read-only: the ledger is written by funds/services.py only, and its entries are never edited."""

    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FundSource)
class FundSourceAdmin(LedgerAdmin):
    list_display = ["document_no", "county", "level", "year", "amount", "received_on", "created_by"]
    list_filter = ["year", "level"]
    search_fields = ["document_no", "purpose", "county__name"]
    list_select_related = ["county", "created_by"]


@admin.register(Allocation)
class AllocationAdmin(LedgerAdmin):
    list_display = ["id", "source", "project", "aid_measure", "amount", "allocated_on", "reverses", "created_by"]
    list_filter = ["source__year"]
    search_fields = ["source__document_no", "project__name", "note"]
    list_select_related = ["source", "project", "aid_measure", "reverses", "created_by"]
    raw_id_fields = ["source", "project", "aid_measure", "reverses"]


@admin.register(Disbursement)
class DisbursementAdmin(LedgerAdmin):
    list_display = ["id", "voucher_no", "allocation", "amount", "paid_on", "reverses", "created_by"]
    list_filter = ["allocation__source__year"]
    search_fields = ["voucher_no", "note", "allocation__source__document_no"]
    list_select_related = ["allocation__source", "reverses", "created_by"]
    raw_id_fields = ["allocation", "reverses"]
