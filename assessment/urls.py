from django.urls import path

from . import print_views, statistics_views, views

app_name = "assessment"
urlpatterns = [
    path("queue/", views.review_queue, name="queue"),
    path("queue/batch-approve/", views.batch_approve, name="batch_approve"),
    path("applications/new/<str:kind>/", views.application_new, name="new"),
    path("monitoring/identify/", views.monitoring_identify, name="monitoring_identify"),
    path("monitoring/<int:pk>/eliminate/", views.risk_eliminate, name="risk_eliminate"),
    path("applications/<int:pk>/", views.application_detail, name="detail"),
    # Before the action route, which would take "print" for an action.
    path("applications/<int:pk>/print/", print_views.application_sheet, name="print_application"),
    path("villages/<str:code>/publicity/print/", print_views.publicity_list, name="print_publicity"),
    path("applications/<int:pk>/<str:action>/", views.application_action, name="action"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("counties/<str:code>/figures/", views.county_figures, name="county_figures"),
    path("dashboard/<str:code>/", views.dashboard, name="dashboard_region"),
    path("statistics/", statistics_views.statistics_page, name="statistics"),
    path("statistics/export/", statistics_views.statistics_export, name="statistics_export"),
]
