"""Follow-up rules firing for real: the shipped defaults, delayed steps re-checked when due,
each run recorded, a test that writes nothing, and the checks an administrator meets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from simplepro.accounts.models import User
from simplepro.core.queue import huey
from simplepro.customers.models import Customer
from simplepro.estimates.services import estimate_create, estimate_decide, estimate_send
from simplepro.messaging.models import Message
from simplepro.notifications.models import Notification
from simplepro.pricing import EstimateInput
from simplepro.sales import automation, services
from simplepro.sales.models import (
    Activity,
    FollowUpRule,
    Opportunity,
    RuleRun,
    RuleStep,
    SalesTurn,
)
from tests.conftest import ApiClient
from tests.sales.conftest import post_lead

pytestmark = pytest.mark.django_db


def runs_of(opportunity: Opportunity) -> dict[str, RuleRun]:
    return {run.rule.key: run for run in RuleRun.objects.filter(opportunity=opportunity)}


def come_due(step: RuleStep) -> None:
    """The step's time has come (the clock is not moved: the due time is)."""
    RuleStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))


def test_a_website_lead_gets_its_call_an_hour_later_for_its_salesperson(
    client: Any, lead_form: Any, personas: dict[str, User],
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert post_lead(client, lead_form).status_code == 201
    opportunity = Opportunity.objects.get()
    runs = runs_of(opportunity)
    assert runs["website-lead-call"].matched
    assert not runs["urgent-call"].matched
    assert runs["urgent-call"].why_not == "opportunity.priority is medium, not equals urgent"
    assert not runs["referral-call"].matched
    step = runs["website-lead-call"].steps.get()
    assert step.status == "pending"
    assert dt.timedelta(minutes=59) < step.due_at - timezone.now() <= dt.timedelta(hours=1)
    # On the real queue with its time (a worker holds it until then), not run now.
    [queued] = [t for t in huey.pending() if t.name == "sales.rule_step" and t.args == (step.pk,)]
    assert abs(queued.eta - step.due_at.replace(tzinfo=None)) < dt.timedelta(seconds=1)
    assert not Activity.objects.filter(automatic="website-lead-call").exists()

    come_due(step)
    assert automation.rule_step.call_local(step.pk) == "done"
    call = Activity.objects.get(automatic="website-lead-call")
    assert (call.kind, call.subject, call.assignee) == (
        "call", "Call the new website lead", opportunity.salesperson,
    )  # fmt: skip
    assert Notification.objects.filter(
        recipient=opportunity.salesperson, event="activity_assigned", title__contains="Call the"
    ).exists()
    step.refresh_from_db()
    assert step.status == "done" and "Call the new website lead" in step.outcome
    # A second run of the task (a retry, the sweep) does nothing more.
    assert automation.step_run(step.pk) == "already done"
    assert Activity.objects.filter(automatic="website-lead-call").count() == 1


def test_a_call_for_a_lead_won_since_is_skipped_and_says_so(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    step = runs_of(opportunity)["website-lead-call"].steps.get()
    Opportunity.objects.filter(pk=opportunity.pk).update(status="won")
    come_due(step)
    assert automation.step_run(step.pk) == "skipped"
    step.refresh_from_db()
    assert step.outcome == "the opportunity was won since"
    assert not Activity.objects.filter(automatic="website-lead-call").exists()


def test_the_sweep_does_a_step_the_queue_lost(opportunity: Opportunity) -> None:
    step = runs_of(opportunity)["website-lead-call"].steps.get()
    huey.flush()  # the queue lost everything (a Redis restart without persistence)
    assert automation.due_steps_run() == 0  # not due yet
    RuleStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - dt.timedelta(minutes=5))
    assert automation.due_steps_run() == 1
    assert Activity.objects.filter(automatic="website-lead-call").count() == 1
    assert automation.due_steps_run() == 0


def test_an_urgent_lead_is_called_at_once_and_its_salesperson_told(
    customer: Customer, personas: dict[str, User]
) -> None:
    opportunity = services.opportunity_create(
        actor=personas["manager"], customer=customer, data={"priority": "urgent"}
    )
    call = Activity.objects.get(opportunity=opportunity, automatic="urgent-call")
    assert call.assignee == personas["sales"] and call.subject.startswith("URGENT")
    assert Notification.objects.filter(
        recipient=personas["sales"], event="sales_follow_up", body__contains="urgent lead"
    ).exists()
    assert [s.status for s in runs_of(opportunity)["urgent-call"].steps.all()] == ["done", "done"]


def test_a_callback_request_schedules_the_call_back(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    activity = services.activity_create(
        actor=personas["sales"], opportunity=opportunity, data={"kind": "call", "subject": "Call"}
    )
    services.activity_complete(
        actor=personas["sales"], activity=activity, outcome="callback_requested"
    )
    step = runs_of(opportunity)["callback-requested"].steps.get()
    assert dt.timedelta(hours=23) < step.due_at - timezone.now() <= dt.timedelta(hours=24)


def test_a_quote_sent_schedules_its_follow_up_and_accepting_it_books_a_kick_off(
    opportunity: Opportunity, customer: Customer, personas: dict[str, User], settings: Any,
    tmp_path: Any,
) -> None:  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    sales = personas["sales"]
    estimate = estimate_create(
        actor=sales, customer=customer,
        estimate_input=EstimateInput(service="local", move_date=dt.date(2027, 6, 14)),
    )  # fmt: skip
    estimate_send(actor=sales, estimate=estimate)
    follow_up = runs_of(opportunity)["quote-follow-up"].steps.get()
    assert dt.timedelta(hours=47) < follow_up.due_at - timezone.now() <= dt.timedelta(hours=48)
    estimate_decide(actor=sales, estimate=estimate, accepted=True)
    kick_off = Activity.objects.get(opportunity=opportunity, automatic="won-kick-off")
    assert kick_off.kind == "meeting" and kick_off.assignee == sales
    assert Notification.objects.filter(
        recipient=personas["manager"], event="sales_follow_up", body__contains="Won"
    ).exists()
    # Two days on, the quote's follow-up call is not made: the move is won.
    come_due(follow_up)
    assert automation.step_run(follow_up.pk) == "skipped"


def test_lost_re_engagement_goes_out_a_month_later_only_if_still_lost(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    api = ApiClient(personas["sales"])
    lost = api.post_json(
        f"/api/opportunities/{opportunity.pk}/status", {"status": "lost", "reason": "price"}
    )
    assert lost.status_code == 200, lost.content
    step = RuleStep.objects.get(run__rule__key="lost-re-engage", run__opportunity=opportunity)
    assert (step.due_at - timezone.now()).days == 29  # 720 h, less the seconds gone by
    come_due(step)
    assert automation.step_run(step.pk) == "done"
    message = Message.objects.get(automatic=f"customer_re_engage:rule-step:{step.pk}")
    assert (message.channel, message.address) == ("email", "ana@example.com")
    assert "Still planning your move" in message.subject

    # Reopened and lost again; then reopened before the month is out: skipped.
    api.post_json(f"/api/opportunities/{opportunity.pk}/status", {"status": "open"})
    api.post_json(
        f"/api/opportunities/{opportunity.pk}/status", {"status": "lost", "reason": "price"}
    )
    second = RuleStep.objects.filter(run__rule__key="lost-re-engage").exclude(pk=step.pk).get()
    api.post_json(f"/api/opportunities/{opportunity.pk}/status", {"status": "open"})
    come_due(second)
    assert automation.step_run(second.pk) == "skipped"
    second.refresh_from_db()
    assert second.outcome == "the opportunity is open now, no longer lost"


def test_test_this_rule_says_what_it_would_do_and_writes_nothing(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    api = ApiClient(personas["admin"])
    rule = FollowUpRule.objects.get(key="lost-re-engage")
    before = (Activity.objects.count(), RuleRun.objects.count(), Message.objects.count(),
              Notification.objects.count(), list(SalesTurn.objects.values_list()))  # fmt: skip
    answer = api.post_json(f"/api/follow-up-rules/{rule.pk}/test",
                           {"opportunity_id": str(opportunity.pk)})  # fmt: skip
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["matched"] is True
    [step] = body["steps"]
    assert step["status"] == "would_do" and step["delay_hours"] == 720
    assert step["outcome"].startswith("would send “Still planning your move, Ana Customer?”")
    assert step["outcome"].endswith("by email to ana@example.com")
    urgent = FollowUpRule.objects.get(key="urgent-call")
    answer = api.post_json(f"/api/follow-up-rules/{urgent.pk}/test",
                           {"opportunity_id": str(opportunity.pk)}).json()  # fmt: skip
    assert answer["matched"] is False and "priority is medium" in answer["why_not"]
    after = (Activity.objects.count(), RuleRun.objects.count(), Message.objects.count(),
             Notification.objects.count(), list(SalesTurn.objects.values_list()))  # fmt: skip
    assert after == before


def test_a_rule_with_mistakes_is_refused_naming_each(personas: dict[str, User]) -> None:
    api = ApiClient(personas["admin"])
    refused = api.post_json("/api/follow-up-rules", {
        "name": "Broken", "trigger": "opportunity_created",
        "conditions": [{"field": "event.outcome", "op": "equals", "value": "reached"},
                       {"field": "opportunity.source", "op": "equals", "value": "billboard"}],
        "actions": [{"type": "create_activity", "kind": "fax", "subject": "x"},
                    {"type": "send_customer", "template": "customer_day_before"},
                    {"type": "notify_user", "who": "nobody", "message": "hi",
                     "delay_hours": -1}],
    })  # fmt: skip
    assert refused.status_code == 422
    fields = {error["field"] for error in refused.json()["errors"]}
    assert fields == {"conditions[0].field", "conditions[1].value", "actions[0].kind",
                      "actions[1].template", "actions[2].delay_hours"}  # fmt: skip
    assert not FollowUpRule.objects.filter(name="Broken").exists()
    quiet = api.post_json("/api/follow-up-rules", {
        "name": "Quiet", "trigger": "no_activity",
        "actions": [{"type": "notify_user", "who": "salesperson", "message": "Nudge"}],
    })  # fmt: skip
    assert quiet.status_code == 422
    assert quiet.json()["errors"][0]["field"] == "inactive_days"


def test_a_no_activity_rule_fires_once_per_quiet_spell(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    api = ApiClient(personas["admin"])
    made = api.post_json("/api/follow-up-rules", {
        "name": "Gone quiet", "trigger": "no_activity", "inactive_days": 3,
        "actions": [{"type": "create_activity", "kind": "task", "subject": "Wake it up"}],
    })  # fmt: skip
    assert made.status_code == 201, made.content
    assert automation.quiet_opportunities_fire() == 0
    Opportunity.objects.filter(pk=opportunity.pk).update(
        last_activity_at=timezone.now() - dt.timedelta(days=4)
    )
    assert automation.quiet_opportunities_fire() == 1
    assert automation.quiet_opportunities_fire() == 0  # the same spell, seen already
    task = Activity.objects.get(subject="Wake it up")
    opportunity.refresh_from_db()
    # A rule's own task does not count as activity: the spell is not broken by it.
    assert opportunity.last_activity_at < timezone.now() - dt.timedelta(days=3)
    assert task.assignee == personas["sales"]


def test_two_rules_answering_each_other_stop(
    opportunity: Opportunity, personas: dict[str, User]
) -> None:
    for a, b in (("quoted", "negotiating"), ("negotiating", "quoted")):
        FollowUpRule.objects.create(
            name=f"{a} to {b}", trigger="status_changed",
            conditions=[{"field": "event.new_status", "op": "equals", "value": a}],
            actions=[{"type": "change_status", "delay_hours": 0, "status": b}],
        )  # fmt: skip
    api = ApiClient(personas["sales"])
    moved = api.post_json(f"/api/opportunities/{opportunity.pk}/status", {"status": "quoted"})
    assert moved.status_code == 200
    # quoted → negotiating → quoted → negotiating, then the depth limit: no endless loop.
    assert RuleRun.objects.filter(rule__name__contains=" to ", matched=True).count() == 3


def test_an_administrator_edits_and_tests_a_rule_in_the_page(
    web_as: Any, opportunity: Opportunity, personas: dict[str, User]
) -> None:
    client = web_as(personas["admin"])
    listing = client.get("/sales/rules/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "New website lead: call within the hour" in page
    assert "After 1 h: a call “Call the new website lead” for the salesperson" in page
    assert "Source is Website" in page
    made = client.post("/sales/rules/new/", {
        "name": "Big moves get the manager", "trigger": "opportunity_created", "is_active": "1",
        "position": "5",
        "condition-0-field": "opportunity.move_size", "condition-0-op": "in",
        "condition-0-value": "four_bedrooms, five_bedrooms",
        "action-0-type": "notify_user", "action-0-delay_hours": "0", "action-0-person": "managers",
        "action-0-message": "A big move came in",
        "action-1-type": "create_activity", "action-1-delay_hours": "2", "action-1-kind": "meeting",
        "action-1-subject": "Book the home survey", "action-1-person": "salesperson",
    })  # fmt: skip
    assert made.status_code == 302, made.content.decode()[:2000]
    rule = FollowUpRule.objects.get(name="Big moves get the manager")
    assert rule.conditions == [{"field": "opportunity.move_size", "op": "in",
                                "value": ["four_bedrooms", "five_bedrooms"]}]  # fmt: skip
    assert [a["type"] for a in rule.actions] == ["notify_user", "create_activity"]
    shown = client.get(f"/sales/rules/{rule.pk}/").content.decode()
    assert "Move size is one of 4 bedrooms, 5 bedrooms" in shown
    tested = client.post(f"/sales/rules/{rule.pk}/", {"test_opportunity": str(opportunity.pk)})
    assert "It would not run for Ana Customer: opportunity.move_size is two_bedrooms" in (
        tested.content.decode())  # fmt: skip
    wrong = client.post(f"/sales/rules/{rule.pk}/", {
        "name": "Broken", "trigger": "opportunity_created",
        "action-0-type": "create_activity", "action-0-subject": "No kind",
    })  # fmt: skip
    assert wrong.status_code == 200
    assert "actions[0].kind" in wrong.content.decode()
    rule.refresh_from_db()
    assert rule.name == "Big moves get the manager"
    for persona in ("sales", "manager", "customer_service"):
        assert web_as(personas[persona]).get("/sales/rules/").status_code == 403


def test_a_rule_of_the_wrong_shapes_is_a_422_not_a_crash(personas: dict[str, User]) -> None:
    api = ApiClient(personas["admin"])
    for body in (
        {"trigger": "opportunity_created", "conditions": [{"field": "opportunity.source",
                                                           "op": ["in"], "value": 1}]},
        {"trigger": "opportunity_created", "actions": [{"type": ["call"]}]},
        {"trigger": "opportunity_created", "actions": [{"type": "notify_user", "who": 5,
                                                        "message": {"a": 1}}]},
        {"trigger": "no_activity", "inactive_days": True},
    ):  # fmt: skip
        answer = api.post_json(
            "/api/follow-up-rules",
            {
                "name": "Odd",
                "actions": [{"type": "create_activity", "kind": "call", "subject": "x"}],
                **body,
            },
        )
        assert answer.status_code == 422, (body, answer.content)
