"""A real Celery worker runs the missed-test sweep end to end: the task goes through Redis (the
tests' own database number, settings.TEST_REDIS_DB, on a queue of this test's own), the worker
thread runs it on its own database connection (so the rows are committed first), and the result
comes back through the result backend."""

import datetime
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from clients.models import Alert
from compliance.models import DrugTest, TestReason, TestStatus
from compliance.tasks import drug_tests_missed_sweep_task
from drugcourt.celery import app


@pytest.fixture
def worker_queue(monkeypatch):
    """A queue nobody else consumes, which .delay() sends to while the test runs.

    The app's queue table outlives the test, so later workers (tests/drugcourt/test_health.py)
    must find it as it was: it is built (on first use) before the default queue changes, or it
    would consume this queue by default for good, and the selection a worker started with
    `queues=` makes (Queues.select) is put back afterwards."""
    queue = f"test-worker-{uuid.uuid4().hex[:12]}"
    queues = app.amqp.queues
    monkeypatch.setattr(queues, "_consume_from", queues._consume_from)
    monkeypatch.setattr(app.conf, "task_default_queue", queue)
    return queue


@pytest.mark.django_db(transaction=True)
def test_a_worker_marks_an_overdue_test_missed_and_raises_its_alert(participant, worker_queue):
    now = timezone.now()
    test = DrugTest.objects.create(
        participant=participant,
        program=participant.enrollments.get().program,
        reason=TestReason.ORDERED,
        scheduled_for=timezone.localdate(now),
        notified_at=now - datetime.timedelta(hours=9),
        collect_by=now - datetime.timedelta(hours=1),
        status=TestStatus.SCHEDULED,
        status_changed_at=now - datetime.timedelta(hours=9),
    )

    with start_worker(app, perform_ping_check=False, queues=[worker_queue], shutdown_timeout=5):
        outcome = drug_tests_missed_sweep_task.delay().get(timeout=10)

    assert outcome == {"alerts_raised": 1, "rows_changed": 1, "rows_skipped": 0}
    test.refresh_from_db()
    assert test.status == TestStatus.MISSED
    assert Alert.objects.filter(kind="test_missed", source_key=f"test:{test.pk}").exists()
