from django.urls import path

from . import views

app_name = "villages"
urlpatterns = [
    path("<str:code>/", views.region_detail, name="region_detail"),
]
