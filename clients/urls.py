from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("participants/", views.participant_list, name="participant_list"),
    path("participants/new/", views.intake, name="intake"),
    path("participants/<int:pk>/", views.participant_detail, name="participant_detail"),
    path("participants/<int:pk>/photo/", views.participant_photo, name="participant_photo"),
    path("participants/<int:pk>/team/", views.participant_team, name="participant_team"),
    path(
        "participants/<int:pk>/team/<int:assignment_pk>/end/",
        views.assignment_end,
        name="assignment_end",
    ),
    path(
        "participants/<int:pk>/enrollments/new/",
        views.enrollment_create,
        name="enrollment_create",
    ),
    path(
        "participants/<int:pk>/enrollments/<int:enrollment_pk>/status/",
        views.enrollment_status,
        name="enrollment_status",
    ),
    path("participants/<int:pk>/documents/new/", views.document_upload, name="document_upload"),
    path(
        "participants/<int:pk>/documents/<int:document_pk>/",
        views.document_download,
        name="document_download",
    ),
    path("participants/<int:pk>/history/", views.participant_history, name="participant_history"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:pk>/resolve/", views.alert_resolve, name="alert_resolve"),
    path(
        "programs/<int:program_pk>/caseload-transfer/",
        views.caseload_transfer,
        name="caseload_transfer",
    ),
]
