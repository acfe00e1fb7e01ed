"""Who hears of what: every kind of event reaches exactly the people who may read its record,
checked per persona against a table written by hand (like the route table) and against the
selectors the pages and the API read through, so the two can never drift apart."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from simplepro.accounts.permissions import has_permission
from simplepro.core.models import StreamEvent
from simplepro.customers.services import customer_create
from simplepro.estimates.selectors import estimate_list
from simplepro.estimates.services import estimate_create, estimate_decide, estimate_send
from simplepro.jobs import crew_services
from simplepro.jobs import services as jobs
from simplepro.jobs.models import CrewMember, Truck
from simplepro.jobs.selectors import visible_jobs
from simplepro.pricing import EstimateInput
from tests.test_permissions import PERSONAS

# The staff personas (a partner and an anonymous visitor hear nothing: no sign-in takes them).
STAFF = [p for p in PERSONAS if p not in ("anonymous", "partner")]

pytestmark = pytest.mark.django_db

# fmt: off
# kind of record → does the persona hear of it, in the PERSONAS order (anonymous last, never).
#                       sa ad mg di sa s2 cs cl cm c2 anon
HEARS: dict[str, tuple[int, ...]] = {
    # the crew lead was put on the job after it was created
    "job created":     (1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0),
    "job":             (1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0),
    "estimate":        (1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0),
    "time_off":        (1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0),
    # confirming the job e-mailed the customer: their thread's readers hear of it
    "customer thread": (1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0),
}
# fmt: on
START = dt.datetime(2027, 3, 2, 13, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(personas: dict[str, Any], django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    """A customer of `sales`, a job with the crew lead on it (crew_member has a profile but is
    not on the job), its estimate sent and accepted, and the lead's time off asked for and
    answered: every kind of event this module publishes."""
    owner = personas["super_admin"]
    with django_capture_on_commit_callbacks(execute=True):
        customer = customer_create(
            actor=owner,
            data={"type": "residential", "name": "Ana Garcia", "emails": ["ana@example.com"],
                  "assigned_salesperson_id": personas["sales"].pk},
        )  # fmt: skip
        estimate = estimate_create(
            actor=owner, customer=customer,
            estimate_input=EstimateInput(service="local", move_date=dt.date(2027, 3, 2)),
        )  # fmt: skip
        estimate_send(actor=owner, estimate=estimate)
        estimate_decide(actor=owner, estimate=estimate, accepted=True)
        job = jobs.job_create(
            actor=owner, customer=customer,
            data={"scheduled_start": START, "scheduled_end": START + dt.timedelta(hours=6)},
        )  # fmt: skip
        lead = CrewMember.objects.create(name="Lead Person", user=personas["crew_lead"])
        CrewMember.objects.create(name="Other Person", user=personas["crew_member"])
        truck = Truck.objects.create(name="Box truck", capacity_cuft=1500, license_plate="MA 9")
        jobs.assignment_create(actor=owner, job=job, crew_member=lead, role="lead")
        jobs.assignment_create(actor=owner, job=job, truck=truck)
        jobs.job_reschedule(
            actor=owner, job=job, start=START + dt.timedelta(hours=1),
            end=START + dt.timedelta(hours=7),
        )  # fmt: skip
        jobs.job_transition(actor=owner, job=job, to="confirmed")
        time_off = crew_services.time_off_request(
            actor=personas["crew_lead"], member=lead, start=START + dt.timedelta(days=30),
            end=START + dt.timedelta(days=31), reason="Wedding",
        )  # fmt: skip
        crew_services.time_off_review(actor=owner, time_off=time_off, approve=True)
    return {"job": job, "estimate": estimate, "customer": customer}


KINDS_OF = {
    "job created": {"job.created"},
    "job": {"job.assigned", "job.rescheduled", "job.status_changed"},
    "estimate": {"estimate.created", "estimate.sent", "estimate.accepted"},
    "time_off": {"time_off.requested", "time_off.answered"},
    "customer thread": {"message.received"},
}


@pytest.mark.parametrize("persona", STAFF)
def test_each_person_hears_exactly_what_they_may_read(
    persona: str, personas: dict[str, Any], world: dict[str, Any]
) -> None:
    user = personas[persona]
    heard = set(
        StreamEvent.objects.filter(user=user)
        .exclude(kind__startswith="notification.")  # personal: tests/notifications
        .values_list("kind", flat=True)
    )
    column = PERSONAS.index(persona)
    expected = set().union(*(KINDS_OF[k] for k, row in HEARS.items() if row[column]))
    assert heard == expected


@pytest.mark.parametrize("persona", STAFF)
def test_hearing_of_a_record_matches_being_able_to_read_it(
    persona: str, personas: dict[str, Any], world: dict[str, Any]
) -> None:
    user = personas[persona]
    heard = set(StreamEvent.objects.filter(user=user).values_list("kind", flat=True))
    reads_job = visible_jobs(viewer=user).filter(pk=world["job"].pk).exists()
    reads_estimate = has_permission(user, "estimates.view") and (
        estimate_list(viewer=user).filter(pk=world["estimate"].pk).exists()
    )
    assert ("job.status_changed" in heard) == reads_job
    assert ("estimate.created" in heard) == reads_estimate


def test_each_stream_counts_up_from_one_without_gaps(
    personas: dict[str, Any], world: dict[str, Any]
) -> None:
    for user in personas.values():
        ids = list(
            StreamEvent.objects.filter(user=user).order_by("seq").values_list("seq", flat=True)
        )
        assert ids == list(range(1, len(ids) + 1))


def test_a_person_taken_off_a_job_is_told_once_and_then_hears_no_more(
    personas: dict[str, Any], world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    lead_user = personas["crew_lead"]
    job = world["job"]
    assignment = job.assignments.get(crew_member__user=lead_user)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.assignment_delete(actor=personas["dispatcher"], assignment=assignment)
        jobs.job_transition(actor=personas["dispatcher"], job=job, to="on_hold", reason="Keys")
    newest = (
        StreamEvent.objects.filter(user=lead_user, kind__startswith="job.").order_by("-seq").first()
    )
    assert newest is not None and newest.kind == "job.unassigned"
    assert newest.data["job"]["number"] == job.number
    assert StreamEvent.objects.filter(user=personas["dispatcher"], kind="job.status_changed",
                                      data__job__status="on_hold").exists()  # fmt: skip


def test_a_rolled_back_change_is_never_announced(
    personas: dict[str, Any], world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    before = StreamEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception, match="cannot"):
        jobs.job_transition(actor=personas["dispatcher"], job=world["job"], to="closed")
    assert StreamEvent.objects.count() == before


def test_the_first_view_of_a_quote_link_is_announced_once(
    personas: dict[str, Any], world: dict[str, Any], client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    from simplepro.estimates.services import quote_link

    version = world["estimate"].versions.get()
    path = quote_link(version).split("//", 1)[1].split("/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(f"/{path}").status_code == 200
        assert client.get(f"/{path}").status_code == 200
    viewed = StreamEvent.objects.filter(user=personas["sales"], kind="estimate.viewed")
    assert viewed.count() == 1
    assert viewed.get().data["estimate"]["customer"]["name"] == "Ana Garcia"
    assert not StreamEvent.objects.filter(user=personas["sales2"], kind="estimate.viewed").exists()
