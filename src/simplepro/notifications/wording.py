"""What a notification says on each channel: the company's template where an administrator
wrote one, else the catalogue's default.

Templates are Django template text rendered in a sandbox engine (no loaders, no libraries, so
`{% include %}` and `{% load %}` cannot reach files or code) with the event's variables only.
A template is checked before it is stored: every variable it names must be one of its event's
(a typo would otherwise print nothing, silently, in every message), and it must render with
the sample data. Both failures are 422s naming the problem.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, Node, VariableNode
from django.template.defaulttags import IfNode
from django.utils import timezone

from simplepro.audit.services import audit_record, field_changes
from simplepro.core.problems import NotFound, invalid
from simplepro.notifications.catalogue import CATALOGUE, Event
from simplepro.notifications.models import Channel, NotificationTemplate

logger = logging.getLogger(__name__)
ENGINE = Engine(autoescape=False)
HTML_ENGINE = Engine(autoescape=True)
# Which parts a template has on each channel.
PARTS: dict[str, tuple[str, ...]] = {
    Channel.IN_APP: ("subject", "text"),
    Channel.EMAIL: ("subject", "text", "html"),
    Channel.SMS: ("text",),
    Channel.PUSH: ("subject", "text"),
}
SMS_LIMIT = 600  # characters: four SMS segments at most
CUSTOMER_CHANNELS = (Channel.SMS, Channel.EMAIL)


def channels_of(event: Event) -> tuple[str, ...]:
    """The channels an event can be worded for: customers get texts and e-mails only."""
    return CUSTOMER_CHANNELS if event.for_customers else tuple(PARTS)


# Sample values for the preview, one per variable any event may use.
SAMPLES: dict[str, Any] = {
    "job": {
        "number": "J-1042",
        "customer": "Avery Jones",
        "start": "Fri 12 Jun, 08:00",
        "window": "08:00–09:00",
        "pickup": "12 Oak Street, Springfield",
        "delivery": "4 Elm Road, Shelbyville",
    },
    "role": "crew lead",
    "by": "Dana Dispatcher",
    "crew": "Sam Lead, Chris Mover",
    "status": "approved",
    "period": "Mon 15 Jun – Wed 17 Jun",
    "crew_member": "Chris Mover",
    "reason": "Family wedding",
    "customer": "Avery Jones",
    "version": 2,
    "total": "USD 1,284.50",
    "note": "We would like the earlier date.",
    "problems": "The last verified backup is 30 hours old.",
    "author": "Sam Lead",
    "conversation": "job J-1042",
    "excerpt": "We are at the pickup; the elevator is booked until 10.",
    "company": "Bay State Movers",
    "source": "Website",
    "move": "2 bedrooms, local move, 14 Jun 2027 (within a week)",
    "duplicate": "",
    "subject": "Call new website lead",
    "due": "Mon 14 Jun, 10:00",
}


@dataclass(frozen=True)
class Wording:
    subject: str
    text: str
    html: str = ""


def sample_context(event: Event) -> dict[str, Any]:
    roots = {variable.split(".")[0] for variable in event.variables}
    return {root: SAMPLES[root] for root in roots if root in SAMPLES}


def _expressions(node: Node) -> list[FilterExpression]:
    """The variable expressions one node evaluates (its output or its conditions)."""
    found: list[FilterExpression] = []
    if isinstance(node, VariableNode):
        found.append(node.filter_expression)
    if isinstance(node, IfNode):
        for condition, _ in node.conditions_nodelists:
            pending = [condition]
            while pending:
                part = pending.pop()
                if part is None:
                    continue
                value = getattr(part, "value", None)
                if isinstance(value, FilterExpression):
                    found.append(value)
                pending += [getattr(part, "first", None), getattr(part, "second", None)]
    return found


def _lookup(value: Any) -> str | None:
    """The dotted name of a variable reference; None for a literal ("text", 3)."""
    lookups = getattr(value, "lookups", None)
    return ".".join(lookups) if lookups else None


def variables_used(source: str) -> set[str]:
    """Every variable a template names, filters' arguments included."""
    nodes = ENGINE.from_string(source).nodelist
    used: set[str] = set()
    for node in [*nodes.get_nodes_by_type(VariableNode), *nodes.get_nodes_by_type(IfNode)]:
        for expression in _expressions(node):
            values = [expression.var, *(arg for _, args in expression.filters for _, arg in args)]
            used |= {name for name in map(_lookup, values) if name}
    return used


def _render(source: str, context: dict[str, Any], *, html: bool = False) -> str:
    engine = HTML_ENGINE if html else ENGINE
    return engine.from_string(source).render(Context(context, autoescape=html)).strip()


def _defaults(event: Event, channel: str) -> dict[str, str]:
    if channel == Channel.SMS:  # a text has no subject: the title leads the text
        return {"subject": "", "text": f"{event.title}. {event.body}", "html": ""}
    return {"subject": event.title, "text": event.body, "html": ""}


def wordings(event_key: str, channels: set[str], context: dict[str, Any]) -> dict[str, Wording]:
    """What `event` says on each of `channels`, from the company's templates or the
    defaults (one query for all of them)."""
    event = CATALOGUE[event_key]
    own = {
        t.channel: {"subject": t.subject, "text": t.text, "html": t.html}
        for t in NotificationTemplate.objects.filter(event=event_key, channel__in=channels)
    }
    return {
        channel: _safely_worded(event, channel, own.get(channel), context) for channel in channels
    }


def _safely_worded(
    event: Event, channel: str, own: dict[str, str] | None, context: dict[str, Any]
) -> Wording:
    """The company's wording; if it fails on real values (checked only with sample data on
    save), the default, logged: a template must never stop the change that tells people."""
    if own:
        try:
            return _worded(own, context, channel)
        except Exception:
            logger.exception("notification_template_failed", extra={"event": event.key,
                                                                    "channel": channel})  # fmt: skip
    return _worded(_defaults(event, channel), context, channel)


def _worded(parts: dict[str, str], context: dict[str, Any], channel: str) -> Wording:
    subject = _render(parts["subject"], context)[:200] if parts["subject"] else ""
    text = _render(parts["text"], context)
    if channel == Channel.SMS:
        text = text[:SMS_LIMIT]
    html = _render(parts["html"], context, html=True) if parts.get("html") else ""
    return Wording(subject, text, html)


def template_row(event_key: str, channel: str) -> dict[str, Any]:
    """One event's wording on one channel; an unknown event or channel: 404."""
    for row in template_table(event_key):
        if row["channel"] == channel:
            return row
    raise NotFound("template")


def template_check(event_key: str, channel: str, parts: dict[str, str]) -> Wording:
    """The template's preview with sample data; 422 naming what is wrong with it."""
    if event_key not in CATALOGUE or channel not in channels_of(CATALOGUE[event_key]):
        raise NotFound("template")
    event = CATALOGUE[event_key]
    known = set(event.variables)
    for part in PARTS[channel]:
        source = parts.get(part, "")
        if part == "text" and not source.strip():
            raise invalid("text", "required", "A template needs its text.")
        try:
            unknown = sorted(variables_used(source) - known)
        except TemplateSyntaxError as exc:
            raise invalid(part, "syntax", f"The {part} does not parse: {exc}") from None
        if unknown:
            raise invalid(
                part,
                "unknown_variable",
                f"Unknown variable {{{{ {unknown[0]} }}}} in the {part}: this event has "
                + ", ".join(event.variables) + ".",
            )  # fmt: skip
    try:
        return _worded({p: parts.get(p, "") for p in ("subject", "text", "html")},
                       sample_context(event), channel)  # fmt: skip
    except Exception as exc:  # a filter that fails on real values (a bad date format…)
        raise invalid("text", "render", f"The template does not render: {exc}") from None


def template_save(
    *, user: Any, event_key: str, channel: str, parts: dict[str, str]
) -> NotificationTemplate:
    """Store the company's wording of an event on a channel, once it checks out (audited)."""
    template_check(event_key, channel, parts)
    fields = {
        p: parts.get(p, "") if p in PARTS[channel] else "" for p in ("subject", "text", "html")
    }
    with transaction.atomic(durable=True):
        before = NotificationTemplate.objects.filter(event=event_key, channel=channel).first()
        template, _ = NotificationTemplate.objects.update_or_create(
            event=event_key, channel=channel,
            defaults={**fields, "updated_at": timezone.now(), "updated_by": user},
        )  # fmt: skip
        old = {p: getattr(before, p) for p in fields} if before else {}
        audit_record(
            actor=user, action="notification_template_save", entity_type="notification_template",
            entity_id=f"{event_key}/{channel}", changes=field_changes(old, fields, fields),
        )  # fmt: skip
    return template


def template_reset(*, user: Any, event_key: str, channel: str) -> None:
    """Back to the catalogue's wording (audited; nothing to reset is not an error)."""
    with transaction.atomic(durable=True):
        deleted, _ = NotificationTemplate.objects.filter(event=event_key, channel=channel).delete()
        if deleted:
            audit_record(
                actor=user, action="notification_template_reset",
                entity_type="notification_template", entity_id=f"{event_key}/{channel}",
            )  # fmt: skip


def template_table(only_event: str = "") -> list[dict[str, Any]]:
    """Every event and channel, with the wording in force and whether the company changed it."""
    own = {(t.event, t.channel): t for t in NotificationTemplate.objects.all()}
    rows = []
    for key, event in CATALOGUE.items():
        if only_event and key != only_event:
            continue
        for channel in channels_of(event):
            mine = own.get((key, channel))
            defaults = _defaults(event, channel)
            rows.append({
                "event": key, "label": event.label, "channel": channel,
                "customised": mine is not None,
                "subject": mine.subject if mine else defaults["subject"],
                "text": mine.text if mine else defaults["text"],
                "html": mine.html if mine else "",
                "parts": list(PARTS[channel]),
                "variables": list(event.variables),
                "updated_at": mine.updated_at if mine else None,
            })  # fmt: skip
    return rows
