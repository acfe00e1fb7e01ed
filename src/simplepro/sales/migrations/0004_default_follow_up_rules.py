"""The original system's eight follow-up rules, shipped as defaults that fire for real (its
own never did: the events they listened for were not emitted, or lacked the fields they
read). The company edits or turns them off on the Follow-up rules page."""

from typing import Any

from django.db import migrations


def _call(subject: str, hours: float, **extra: Any) -> dict[str, Any]:
    return {
        "type": "create_activity",
        "delay_hours": hours,
        "kind": "call",
        "subject": subject,
        **extra,
    }


def _is(field: str, value: str) -> dict[str, Any]:
    return {"field": field, "op": "equals", "value": value}


DEFAULTS = [
    (
        "urgent-call",
        "Urgent lead: call now",
        "opportunity_created",
        0,
        [_is("opportunity.priority", "urgent")],
        [
            _call("URGENT: contact the customer now", 0),
            {
                "type": "notify_user",
                "delay_hours": 0,
                "who": "salesperson",
                "message": "An urgent lead: call the customer now.",
            },
        ],
    ),
    (
        "website-lead-call",
        "New website lead: call within the hour",
        "opportunity_created",
        1,
        [_is("opportunity.source", "website")],
        [_call("Call the new website lead", 1)],
    ),
    (
        "referral-call",
        "Referred lead: call within two hours",
        "opportunity_created",
        1,
        [{"field": "opportunity.source", "op": "in", "value": ["referral", "partner"]}],
        [_call("Call the referred customer", 2)],
    ),
    (
        "quote-follow-up",
        "Quote sent: follow up after two days",
        "quote_sent",
        2,
        [],
        [_call("Follow up on the quote", 48)],
    ),
    (
        "callback-requested",
        "Callback requested: call back next day",
        "activity_completed",
        3,
        [_is("event.outcome", "callback_requested")],
        [_call("Call back: the customer asked", 24)],
    ),
    (
        "negotiating-weekly",
        "Negotiating: follow up after a week",
        "status_changed",
        3,
        [_is("event.new_status", "negotiating")],
        [_call("Weekly follow-up while negotiating", 168)],
    ),
    (
        "won-kick-off",
        "Won: kick-off call and tell the office",
        "status_changed",
        4,
        [_is("event.new_status", "won")],
        [
            {
                "type": "create_activity",
                "delay_hours": 0,
                "kind": "meeting",
                "subject": "Job kick-off call with the customer",
            },
            {
                "type": "notify_user",
                "delay_hours": 0,
                "who": "managers",
                "message": "Won: the move is booked, check the crew and trucks.",
            },
        ],
    ),
    (
        "lost-re-engage",
        "Lost: re-engage after 30 days",
        "status_changed",
        5,
        [_is("event.new_status", "lost")],
        [
            {
                "type": "send_customer",
                "delay_hours": 720,
                "template": "customer_re_engage",
                "channel": "email",
            }
        ],
    ),
]


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    FollowUpRule = apps.get_model("sales", "FollowUpRule")
    for key, name, trigger, position, conditions, actions in DEFAULTS:
        FollowUpRule.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "trigger": trigger,
                "position": position,
                "conditions": conditions,
                "actions": actions,
            },
        )


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("sales", "FollowUpRule").objects.filter(
        key__in=[d[0] for d in DEFAULTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0003_follow_up_rules")]
    operations = [migrations.RunPython(seed, unseed)]
