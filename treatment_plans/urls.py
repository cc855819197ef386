from django.urls import path

from . import views

app_name = "treatment_plans"

urlpatterns = [
    path("participants/<int:pk>/referrals/new/", views.referral_new, name="referral_new"),
    path("referrals/", views.my_referrals, name="my_referrals"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral_detail"),
    path("referrals/<int:pk>/accept/", views.referral_accept, name="referral_accept"),
    path("referrals/<int:pk>/decline/", views.referral_decline, name="referral_decline"),
    path("referrals/<int:pk>/intake/", views.referral_schedule_intake, name="referral_intake"),
    path(
        "referrals/<int:pk>/intake/reschedule/",
        views.referral_reschedule_intake,
        name="referral_reschedule_intake",
    ),
    path("referrals/<int:pk>/withdraw/", views.referral_withdraw, name="referral_withdraw"),
    path(
        "referrals/<int:pk>/intake/outcome/",
        views.referral_intake_outcome,
        name="referral_intake_outcome",
    ),
    path("episodes/<int:pk>/discharge/", views.episode_discharge, name="episode_discharge"),
    path("episodes/<int:pk>/reports/new/", views.progress_report_new, name="progress_report_new"),
    path("participants/<int:pk>/plans/new/", views.plan_start, name="plan_start"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/goals/", views.plan_goal_add, name="plan_goal_add"),
    path("plans/<int:pk>/objectives/", views.plan_objective_add, name="plan_objective_add"),
    path("plans/<int:pk>/services/", views.plan_service_add, name="plan_service_add"),
    path("plans/<int:pk>/deferrals/", views.plan_need_defer, name="plan_need_defer"),
    path("plans/<int:pk>/activate/", views.plan_activate, name="plan_activate"),
    path("plans/<int:pk>/review/", views.plan_review, name="plan_review"),
]
