"""Pages of the core app: role home pages, staff, organizations, programs, program settings."""

from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("home/<str:role>/", views.home_for_role, name="home_for_role"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/audit/", views.staff_audit, name="staff_audit"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", views.staff_update, name="staff_update"),
    path("staff/<int:pk>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:pk>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
    path(
        "staff/<int:pk>/set-password-link/",
        views.staff_set_password_link,
        name="staff_set_password_link",
    ),
    path(
        "staff/<int:pk>/send-set-password/",
        views.staff_send_set_password,
        name="staff_send_set_password",
    ),
    path(
        "staff/<int:pk>/two-factor-reset/",
        views.staff_two_factor_reset,
        name="staff_two_factor_reset",
    ),
    path("staff/<int:pk>/unlock/", views.staff_unlock_sign_in, name="staff_unlock_sign_in"),
    path(
        "staff/email-change/<str:token>/",
        views.staff_email_change_confirm,
        name="staff_email_change_confirm",
    ),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/<int:pk>/edit/", views.organization_update, name="organization_update"),
    path("programs/", views.program_list, name="program_list"),
    path("programs/new/", views.program_create, name="program_create"),
    path("programs/<int:pk>/edit/", views.program_update, name="program_update"),
    path("programs/<int:pk>/settings/", views.program_settings, name="program_settings"),
    path(
        "programs/<int:pk>/settings/phases/",
        views.program_settings_phases,
        name="program_settings_phases",
    ),
    path(
        "programs/<int:pk>/settings/phase-requirements/",
        views.program_settings_phase_requirements,
        name="program_settings_phase_requirements",
    ),
    path(
        "programs/<int:pk>/settings/responses/",
        views.program_settings_response_catalogue,
        name="program_settings_response_catalogue",
    ),
    path(
        "programs/<int:pk>/settings/response-matrix/",
        views.program_settings_response_matrix,
        name="program_settings_response_matrix",
    ),
    path(
        "programs/<int:pk>/settings/fees/",
        views.program_settings_fee_schedule,
        name="program_settings_fee_schedule",
    ),
    path(
        "programs/<int:pk>/settings/case-notes/",
        views.program_settings_note_format,
        name="program_settings_note_format",
    ),
    path(
        "programs/<int:pk>/settings/eligibility/",
        views.program_settings_legal_criteria,
        name="program_settings_legal_criteria",
    ),
    path(
        "programs/<int:pk>/settings/asam-rule/",
        views.program_settings_asam_rule,
        name="program_settings_asam_rule",
    ),
    path(
        "programs/<int:pk>/settings/alert-thresholds/",
        views.program_settings_alert_thresholds,
        name="program_settings_alert_thresholds",
    ),
    path(
        "programs/<int:pk>/settings/testing/",
        views.program_settings_testing_policy,
        name="program_settings_testing_policy",
    ),
]
