from django.urls import path

from . import dashboard_views, intake_views, record_views, views

app_name = "monitoring"
urlpatterns = [
    path("", views.monitoring_list, name="list"),
    path("<int:pk>/", views.monitoring_detail, name="detail"),
    path("leads/", intake_views.lead_list, name="leads"),
    path("leads/<int:pk>/", intake_views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/close/", intake_views.lead_close, name="lead_close"),
    path("leads/<int:pk>/phone/", intake_views.lead_phone, name="lead_phone"),
    path("department-lists/", intake_views.department_list_page, name="department_lists"),
    path("department-lists/<int:pk>/", intake_views.department_list_detail, name="department_list_detail"),
    path("department-lists/<int:pk>/report.xlsx", intake_views.department_list_report, name="department_list_report"),
    path("dashboard/", dashboard_views.monitoring_dashboard, name="dashboard"),
    path("dashboard/export/", dashboard_views.monitoring_dashboard_export, name="dashboard_export"),
    path("<int:pk>/measures/", record_views.record_action, {"action": "measure"}, name="add_measure"),
    path("<int:pk>/measures/end/", record_views.record_action, {"action": "end_measure"}, name="end_measure"),
    path("<int:pk>/findings/", record_views.record_action, {"action": "findings"}, name="findings"),
]
