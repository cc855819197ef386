from django.urls import path

from . import views

app_name = "assessments"

urlpatterns = [
    path("participants/<int:pk>/screening/", views.screening, name="screening"),
    path("participants/<int:pk>/admission/", views.admission, name="admission"),
    path("participants/<int:pk>/risk-need/", views.risk_need, name="risk_need"),
    path("participants/<int:pk>/asam/", views.asam, name="asam"),
    path("participants/<int:pk>/needs/", views.needs, name="needs"),
    path("participants/<int:pk>/screens/", views.screens, name="screens"),
    path(
        "participants/<int:pk>/screens/<int:version_pk>/new/",
        views.administer,
        name="administer",
    ),
    path(
        "participants/<int:pk>/administrations/<int:administration_pk>/",
        views.administration,
        name="administration",
    ),
    path("programs/<int:program_pk>/screens/", views.program_screens, name="program_screens"),
]
