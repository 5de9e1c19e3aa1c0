from django.urls import path

from . import views

app_name = "funds"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/", views.ledger, name="county"),
    path("<str:code>/sources/new/", views.source_new, name="source_new"),
    path("<str:code>/allocations/new/", views.allocation_new, name="allocation_new"),
    path("<str:code>/allocations/<int:pk>/reverse/", views.allocation_reverse, name="allocation_reverse"),
    path("<str:code>/disbursements/new/", views.disbursement_new, name="disbursement_new"),
    path("<str:code>/disbursements/<int:pk>/reverse/", views.disbursement_reverse, name="disbursement_reverse"),
]
