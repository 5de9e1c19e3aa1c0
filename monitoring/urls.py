from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("", views.monitoring_list, name="list"),
    path("<int:pk>/", views.monitoring_detail, name="detail"),
]
