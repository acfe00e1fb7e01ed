"""The company's own wording per event and channel: checked on save (an unknown variable is a
422 naming it), previewed with sample data, used for what is sent, and back to the default."""

from __future__ import annotations

from typing import Any

import pytest

from simplepro.accounts.models import Role
from simplepro.audit.models import AuditRecord
from simplepro.notifications.models import Delivery, NotificationTemplate
from simplepro.notifications.services import notify
from simplepro.notifications.wording import variables_used

pytestmark = pytest.mark.django_db
URL = "/api/notifications/templates/job_assigned/email"
JOB = {"job": {"number": "J-9", "customer": "Ana & Bo", "start": "Tue 08:00", "window": "8–9",
               "pickup": "5 Pickup Rd"}, "role": "Lead"}  # fmt: skip


def test_variables_are_found_in_output_conditions_and_filter_arguments() -> None:
    source = "{{ job.number|upper }} {% if crew %}{{ role|default:by }}{% endif %} {{ 'x' }}"
    assert variables_used(source) == {"job.number", "crew", "role", "by"}


def test_an_unknown_variable_is_refused_naming_it(api_as: Any, make_user: Any) -> None:
    admin = api_as(make_user(Role.ADMIN))
    response = admin.put_json(URL, {"subject": "Job {{ job.nubmer }}", "text": "Hi"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "subject" and "{{ job.nubmer }}" in error["message"]
    assert "job.number" in error["message"]  # and says which ones exist
    assert not NotificationTemplate.objects.exists()


def test_a_template_that_does_not_parse_is_refused(api_as: Any, make_user: Any) -> None:
    admin = api_as(make_user(Role.ADMIN))
    response = admin.put_json(URL, {"subject": "x", "text": "{% if role %}open"})
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "syntax"
    response = admin.put_json(URL, {"subject": "x", "text": "{% include '/etc/passwd' %}"})
    assert response.status_code == 422


def test_unknown_events_and_channels_are_404(api_as: Any, make_user: Any) -> None:
    admin = api_as(make_user(Role.ADMIN))
    assert (
        admin.put_json("/api/notifications/templates/nope/email", {"text": "x"}).status_code == 404
    )
    assert (
        admin.put_json("/api/notifications/templates/job_assigned/fax", {"text": "x"}).status_code
        == 404
    )
    assert admin.delete("/api/notifications/templates/nope/sms").status_code == 404


def test_preview_uses_sample_data_and_saves_nothing(api_as: Any, make_user: Any) -> None:
    admin = api_as(make_user(Role.ADMIN))
    body = {"subject": "{{ job.number }} for {{ job.customer }}", "text": "Arrive {{ job.window }}",
            "html": "<p>{{ job.pickup }}</p>"}  # fmt: skip
    preview = admin.post_json(f"{URL}/preview", body).json()
    assert preview["subject"] == "J-1042 for Avery Jones"
    assert preview["text"] == "Arrive 08:00–09:00"
    assert preview["html"] == "<p>12 Oak Street, Springfield</p>"
    assert not NotificationTemplate.objects.exists()


def test_a_saved_template_words_what_is_sent_and_can_be_reset(api_as: Any, make_user: Any) -> None:
    admin_user = make_user(Role.ADMIN)
    admin = api_as(admin_user)
    saved = admin.put_json(URL, {"subject": "Booked: {{ job.number }}", "text": "See you {{ job.start }}",
                            "html": "<b>{{ job.customer }}</b> & co"})  # fmt: skip
    assert saved.status_code == 200 and saved.json()["customised"] is True
    (made,) = notify(recipients=[make_user(Role.CREW_LEAD)], event="job_assigned", context=JOB)
    email = Delivery.objects.get(notification=made, channel="email")
    assert (email.subject, email.text) == ("Booked: J-9", "See you Tue 08:00")
    assert email.html == "<b>Ana &amp; Bo</b> & co"  # the values are escaped, not the template
    assert made.title == "You are on job J-9 (Lead)"  # the app's own wording is another template
    assert AuditRecord.objects.filter(action="notification_template_save").count() == 1
    reset = admin.delete(URL)
    assert reset.status_code == 200 and reset.json()["customised"] is False
    assert reset.json()["subject"] == "You are on job {{ job.number }} ({{ role }})"
    assert AuditRecord.objects.filter(action="notification_template_reset").count() == 1


def test_administrators_edit_wording_in_the_browser(make_user: Any, web_as: Any) -> None:
    browser = web_as(make_user(Role.ADMIN))
    assert "Edit" in browser.get("/notifications/templates/").content.decode()
    page = "/notifications/templates/shift_reminder/sms/"
    assert "Tomorrow: job J-1042" in browser.get(page).content.decode()  # current, with samples
    bad = browser.post(page, {"action": "save", "text": "{{ crew_names }}"})
    assert bad.status_code == 422 and "crew_names" in bad.content.decode()
    preview = browser.post(page, {"action": "preview", "text": "Tomorrow {{ job.number }}"})
    assert "Preview (not saved)" in preview.content.decode() and "Tomorrow J-1042" in (
        preview.content.decode()
    )
    assert (
        browser.post(page, {"action": "save", "text": "Tomorrow {{ job.number }}"}).status_code
        == 302
    )
    assert NotificationTemplate.objects.get().text == "Tomorrow {{ job.number }}"
    assert browser.post(page, {"action": "reset"}).status_code == 302
    assert not NotificationTemplate.objects.exists()


def test_only_administrators_reach_the_wording(make_user: Any, web_as: Any) -> None:
    assert web_as(make_user(Role.DISPATCHER)).get("/notifications/templates/").status_code == 403


def test_a_template_that_fails_on_real_values_falls_back_to_the_default(
    make_user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Checked on save with sample data; a value that breaks it later must not stop the job."""
    from simplepro.notifications.wording import wordings

    class Unprintable:
        def __str__(self) -> str:
            raise ValueError("cannot print this")

    NotificationTemplate.objects.create(event="job_assigned", channel="in_app",
                                        subject="For {{ job.delivery }}", text="x")  # fmt: skip
    context = {"job": {"number": "J-1", "delivery": Unprintable()}, "role": "Lead"}
    worded = wordings("job_assigned", {"in_app"}, context)
    assert worded["in_app"].subject == "You are on job J-1 (Lead)"
    assert "notification_template_failed" in [r.message for r in caplog.records]
