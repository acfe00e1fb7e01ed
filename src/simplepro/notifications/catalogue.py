"""The events that tell people something, with their default wording.

Each entry names the variables its text may use (documented in docs/notifications.md); the
text is a Django template rendered with those variables only; an administrator may replace
it per channel (simplepro.notifications.wording). Critical events are the ones a
person must not miss (quiet hours will not hold them back once SMS and push arrive).
"""

from __future__ import annotations

from dataclasses import dataclass

EMAIL = frozenset({"email"})
# Crews are on their phones: a text reaches them on the road (only when SMS is configured).
EMAIL_AND_SMS = frozenset({"email", "sms"})


@dataclass(frozen=True)
class Event:
    key: str
    label: str
    title: str
    body: str
    variables: tuple[str, ...]
    critical: bool = False
    # Channels on by default beside the app (a person may turn them off or on).
    by_default: frozenset[str] = frozenset()
    # Sent to a customer (by text or e-mail, from simplepro.messaging.automatic), not to staff.
    for_customers: bool = False
    # About something the customer booked (a confirmation, a reminder): sent even to those who
    # unsubscribed. False (offers, follow-ups): carries an unsubscribe link and honours it.
    transactional: bool = True


JOB = ("job.number", "job.customer", "job.start", "job.window", "job.pickup", "job.delivery")
CATALOGUE: dict[str, Event] = {
    event.key: event
    for event in (
        Event(
            "job_assigned",
            "A job assigned to you",
            "You are on job {{ job.number }} ({{ role }})",
            "{{ job.customer }}, {{ job.start }}. Arrive {{ job.window }} at {{ job.pickup }}.",
            (*JOB, "role", "by"),
            by_default=EMAIL_AND_SMS,
        ),
        Event(
            "shift_reminder",
            "Tomorrow's job",
            "Tomorrow: job {{ job.number }} at {{ job.start }}",
            "{{ job.customer }}. Arrive {{ job.window }} at {{ job.pickup }}. Crew: {{ crew }}.",
            (*JOB, "crew"),
            by_default=EMAIL_AND_SMS,
        ),
        Event(
            "job_unassigned",
            "Taken off a job",
            "You are no longer on job {{ job.number }}",
            "{{ job.customer }}, {{ job.start }}. Changed by {{ by }}.",
            (*JOB, "by"),
            by_default=EMAIL_AND_SMS,
        ),
        Event(
            "schedule_changed",
            "Your job's time changed",
            "Job {{ job.number }} moved to {{ job.start }}",
            "{{ job.customer }}: now {{ job.start }}, arrive {{ job.window }}. Changed by {{ by }}.",
            (*JOB, "by"),
            by_default=EMAIL_AND_SMS,
        ),
        Event(
            "time_off_answered",
            "Your time off was answered",
            "Time off {{ status }}: {{ period }}",
            "{{ by }} {{ status }} your request for {{ period }}.",
            ("status", "period", "by"),
            by_default=EMAIL,
        ),
        Event(
            "time_off_requested",
            "Time off to answer",
            "{{ crew_member }} asks for time off",
            "{{ crew_member }}: {{ period }}. {{ reason }}",
            ("crew_member", "period", "reason"),
        ),
        Event(
            "estimate_viewed",
            "Your customer opened their quote",
            "{{ customer }} is looking at their quote",
            "{{ customer }} opened quote version {{ version }} just now: a good time to call.",
            ("customer", "version"),
        ),
        Event(
            "quote_accepted",
            "A quote accepted",
            "{{ customer }} accepted their quote",
            "Accepted {{ total }}. {{ note }}",
            ("customer", "total", "note", "by"),
            by_default=EMAIL,
        ),
        Event(
            "quote_declined",
            "A quote declined",
            "{{ customer }} declined their quote",
            "{{ note }}",
            ("customer", "total", "note", "by"),
            by_default=EMAIL,
        ),
        Event(
            "message_received",
            "A message for you",
            "{{ author }} wrote in {{ conversation }}",
            "{{ excerpt }}",
            ("author", "conversation", "excerpt"),
        ),
        Event(
            "customer_booking_confirmed",
            "To the customer: booking confirmed",
            "Your move with {{ company }} is booked",
            "Hello {{ customer }}, your move {{ job.number }} is booked for {{ job.start }}. "
            "The crew arrives {{ job.window }} at {{ job.pickup }}. Questions? Just reply.",
            ("customer", "company", *JOB),
            for_customers=True,
        ),
        Event(
            "customer_day_before",
            "To the customer: the day before",
            "Tomorrow: your move with {{ company }}",
            "Hello {{ customer }}, see you tomorrow, {{ job.start }}. The crew arrives "
            "{{ job.window }} at {{ job.pickup }}. Reply to this message with any change.",
            ("customer", "company", *JOB),
            for_customers=True,
        ),
        Event(
            "customer_crew_on_way",
            "To the customer: crew on the way",
            "Your crew is on the way",
            "{{ company }}: your crew{% if crew %} ({{ crew }}){% endif %} is on the way to "
            "{{ job.pickup }}.",
            ("customer", "company", "crew", *JOB),
            for_customers=True,
        ),
        Event(
            "lead_assigned",
            "A lead for you",
            "New lead: {{ customer }}{% if duplicate %} (an existing customer){% endif %}",
            "{{ move }}. From {{ source }}.",
            ("customer", "source", "move", "duplicate"),
            by_default=EMAIL,
        ),
        Event(
            "activity_assigned",
            "A sales task for you",
            "To do: {{ subject }}",
            "{{ customer }}, {{ due }}. From {{ by }}.",
            ("subject", "customer", "due", "by"),
        ),
        Event(
            "sales_follow_up",
            "A follow-up rule for you",
            "Follow up: {{ customer }}",
            "{{ message }} ({{ move }}). Rule: {{ rule }}.",
            ("message", "customer", "move", "rule"),
            by_default=EMAIL,
        ),
        Event(
            "activities_overdue",
            "Sales tasks overdue",
            "{{ count }} overdue: {{ first }}",
            "{{ list }}",
            ("count", "first", "list"),
        ),
        Event(
            "activities_upcoming",
            "A sales task coming up",
            "At {{ due }}: {{ subject }}",
            "{{ customer }}. {{ description }}",
            ("subject", "customer", "due", "description"),
        ),
        Event(
            "sales_daily_summary",
            "Your sales day (08:00)",
            "Today: {{ due_today }} to do, {{ overdue }} overdue",
            "{{ list }}{% if stale %} Gone quiet: {{ stale }}.{% endif %}",
            ("due_today", "overdue", "list", "stale", "open"),
            by_default=EMAIL,
        ),
        Event(
            "opportunity_stale",
            "An opportunity gone quiet",
            "{{ customer }}: nothing for {{ days }} days",
            "{{ move }}. Last activity {{ last }}.",
            ("customer", "move", "days", "last"),
        ),
        Event(
            "quote_not_viewed",
            "A quote nobody opened",
            "{{ customer }} has not opened their quote ({{ days }} days)",
            "Sent {{ sent }}, {{ total }}. They were reminded; a call may help.",
            ("customer", "days", "sent", "total"),
        ),
        Event(
            "customer_follow_up",
            "To the customer: a follow-up from sales",
            "Your move with {{ company }}",
            "Hello {{ customer }}, this is {{ salesperson }} at {{ company }}, following up on "
            "your move ({{ move }}). Reply to this message with any question.",
            ("customer", "company", "salesperson", "move"),
            for_customers=True,
            transactional=False,
        ),
        Event(
            "customer_re_engage",
            "To the customer: still planning a move?",
            "Still planning your move, {{ customer }}?",
            "Hello {{ customer }}, {{ company }} here. If your plans have changed and you are "
            "moving after all, reply to this message and {{ salesperson }} will send a fresh quote.",
            ("customer", "company", "salesperson", "move"),
            for_customers=True,
            transactional=False,
        ),
        Event(
            "customer_quote_reminder",
            "To the customer: your quote is waiting",
            "Your moving quote from {{ company }}",
            "Hello {{ customer }}, your quote ({{ total }}) is waiting for you at {{ link }} "
            "and is valid until {{ valid_until }}. Reply with any question.",
            ("customer", "company", "salesperson", "total", "link", "valid_until"),
            for_customers=True,
            transactional=False,
        ),
        Event(
            "backup_problem",
            "Backups need attention",
            "Backups need attention",
            "{{ problems }}",
            ("problems",),
            critical=True,
        ),
    )
}

STAFF_EVENTS = {key: event for key, event in CATALOGUE.items() if not event.for_customers}
