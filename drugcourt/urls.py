"""Root URLs: the composition root, which may name every app."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .tokens import set_password_token_generator

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", views.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("accounts/session/", views.session_status, name="session_status"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(token_generator=set_password_token_generator),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("", include("drugcourt.core_urls")),
    path("", include("clients.urls")),
    path("", include("assessments.urls")),
    path("", include("treatment_plans.urls")),
    path("", include("compliance.urls")),
    path("", include("court.urls")),
    path("", include("reports.urls")),
    # Django admin is for superusers fixing reference data, not part of the product; no
    # participant model is ever registered in it.
    path("django-admin/", admin.site.urls),
]
