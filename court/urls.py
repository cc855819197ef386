from django.urls import path

from . import views

app_name = "court"

urlpatterns = [
    path("court/sessions/", views.session_list, name="session_list"),
    path("programs/<int:pk>/court/sessions/new/", views.session_create, name="session_create"),
    path("court/sessions/<int:pk>/", views.docket, name="docket"),
    path("court/sessions/<int:pk>/edit/", views.session_update, name="session_update"),
    path("court/sessions/<int:pk>/print/", views.docket_print, name="docket_print"),
    path("court/sessions/<int:pk>/summary/", views.summary, name="summary"),
    path("court/sessions/<int:pk>/place/", views.docket_place, name="docket_place"),
    path("court/hearings/<int:pk>/", views.hearing, name="hearing"),
    path("court/hearings/<int:pk>/remove/", views.docket_remove, name="docket_remove"),
    path("court/hearings/<int:pk>/outcome/", views.hearing_outcome, name="hearing_outcome"),
    path("court/hearings/<int:pk>/responses/", views.hearing_response, name="hearing_response"),
    path("court/hearings/<int:pk>/phase/", views.hearing_phase, name="hearing_phase"),
    path(
        "court/hearings/<int:pk>/completion/", views.hearing_completion, name="hearing_completion"
    ),
    path("court/hearings/<int:pk>/staffing/", views.staffing, name="staffing"),
    path("court/hearings/<int:pk>/staffing/note/", views.staffing_note, name="staffing_note"),
    path(
        "court/hearings/<int:pk>/staffing/recommendation/",
        views.staffing_recommend,
        name="staffing_recommend",
    ),
    path("court/enrollments/<int:pk>/close/", views.enrollment_close, name="enrollment_close"),
    path("court/warrants/", views.warrant_list, name="warrant_list"),
    path("court/warrants/<int:pk>/issue/", views.warrant_issue, name="warrant_issue"),
    path("court/warrants/<int:pk>/serve/", views.warrant_serve, name="warrant_serve"),
    path("court/warrants/<int:pk>/recall/", views.warrant_recall, name="warrant_recall"),
    path("court/obligations/<int:pk>/hours/", views.service_hours_log, name="service_hours_log"),
    path("participants/<int:pk>/conditions/new/", views.condition_add, name="condition_add"),
    path("court/conditions/<int:pk>/lift/", views.condition_lift, name="condition_lift"),
    path(
        "court/conditions/<int:pk>/violation/",
        views.condition_violation,
        name="condition_violation",
    ),
    path("participants/<int:pk>/ledger/assess/", views.ledger_assess, name="ledger_assess"),
    path("participants/<int:pk>/ledger/pay/", views.ledger_pay, name="ledger_pay"),
    path("participants/<int:pk>/ledger/waive/", views.ledger_waive, name="ledger_waive"),
    path("court/ledger/<int:pk>/reverse/", views.ledger_reverse, name="ledger_reverse"),
    path("court/ledger/<int:pk>/receipt/", views.ledger_receipt, name="ledger_receipt"),
]
