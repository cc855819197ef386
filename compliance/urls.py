from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("participants/<int:pk>/testing/", views.participant_testing, name="participant_testing"),
    path("participants/<int:pk>/tests/order/", views.test_order, name="test_order"),
    path(
        "participants/<int:pk>/prescriptions/new/",
        views.prescription_new,
        name="prescription_new",
    ),
    path("participants/<int:pk>/blackouts/new/", views.blackout_new, name="blackout_new"),
    path("prescriptions/<int:pk>/end/", views.prescription_end, name="prescription_end"),
    path("blackouts/<int:pk>/end/", views.blackout_end, name="blackout_end"),
    path("testing/call-list/", views.call_list, name="call_list"),
    path("programs/<int:pk>/draws/", views.program_draws, name="program_draws"),
    path("tests/<int:pk>/", views.test_detail, name="test_detail"),
    path("tests/<int:pk>/collect/", views.test_collect, name="test_collect"),
    path("tests/<int:pk>/refuse/", views.test_refuse, name="test_refuse"),
    path("tests/<int:pk>/result/", views.test_result, name="test_result"),
    path("tests/<int:pk>/correct/", views.test_correct, name="test_correct"),
    path(
        "tests/<int:pk>/confirmation/",
        views.test_request_confirmation,
        name="test_request_confirmation",
    ),
]
