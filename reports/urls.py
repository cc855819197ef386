from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("units-of-service/", views.units_of_service, name="units_of_service"),
    path("units-of-service.csv", views.units_of_service_csv, name="units_of_service_csv"),
]
