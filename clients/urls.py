from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("participants/", views.participant_list, name="participant_list"),
    path("participants/new/", views.intake, name="intake"),
    path("participants/<int:pk>/", views.participant_detail, name="participant_detail"),
    path("participants/<int:pk>/photo/", views.participant_photo, name="participant_photo"),
    path("participants/<int:pk>/team/", views.participant_team, name="participant_team"),
    path("participants/<int:pk>/seal/", views.participant_seal, name="participant_seal"),
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
    path("participants/<int:pk>/disclosures/", views.disclosures, name="disclosures"),
    path(
        "participants/<int:pk>/disclosures/print/",
        views.disclosures_print,
        name="disclosures_print",
    ),
    path("participants/<int:pk>/contacts/new/", views.contact_log, name="contact_log"),
    path(
        "participants/<int:pk>/contacts/<int:contact_pk>/",
        views.contact_detail,
        name="contact_detail",
    ),
    path(
        "participants/<int:pk>/contacts/<int:contact_pk>/edit/",
        views.contact_edit,
        name="contact_edit",
    ),
    path(
        "participants/<int:pk>/contacts/<int:contact_pk>/addenda/",
        views.addendum_add,
        name="addendum_add",
    ),
    path(
        "participants/<int:pk>/contacts/<int:contact_pk>/entered-in-error/",
        views.contact_mark_error,
        name="contact_mark_error",
    ),
    path("participants/<int:pk>/consents/new/", views.consent_new, name="consent_new"),
    path("participants/<int:pk>/consents/blank/", views.consent_blank, name="consent_blank"),
    path(
        "participants/<int:pk>/consents/<int:consent_pk>/",
        views.consent_detail,
        name="consent_detail",
    ),
    path(
        "participants/<int:pk>/consents/<int:consent_pk>/revoke/",
        views.consent_revoke,
        name="consent_revoke",
    ),
    path(
        "participants/<int:pk>/consents/<int:consent_pk>/disposition/",
        views.consent_disposition,
        name="consent_disposition",
    ),
    path(
        "participants/<int:pk>/consents/<int:consent_pk>/print/",
        views.consent_print,
        name="consent_print",
    ),
    path("participants/<int:pk>/timeline/", views.timeline, name="timeline"),
    path(
        "participants/<int:pk>/calendar/", views.participant_calendar, name="participant_calendar"
    ),
    path("participants/<int:pk>/appointments/new/", views.appointment_new, name="appointment_new"),
    path(
        "participants/<int:pk>/appointments/<int:appointment_pk>/outcome/",
        views.appointment_outcome,
        name="appointment_outcome",
    ),
    path("participants/<int:pk>/life-domains/", views.life_domains, name="life_domains"),
    path("participants/<int:pk>/incidents/new/", views.incident_new, name="incident_new"),
    path("follow-ups/<int:pk>/complete/", views.follow_up_complete, name="follow_up_complete"),
    path("calendar/", views.my_calendar, name="my_calendar"),
    path("access-log/", views.access_log, name="access_log"),
    path("access-log/metadata/", views.access_log_metadata, name="access_log_metadata"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:pk>/resolve/", views.alert_resolve, name="alert_resolve"),
    path(
        "programs/<int:program_pk>/caseload-transfer/",
        views.caseload_transfer,
        name="caseload_transfer",
    ),
]
