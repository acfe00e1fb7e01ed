"""Staff conversations over the API and the pages: direct and team threads, the job's
thread, history by cursor, unread counts, read receipts, and the refusals (404 for a thread
one may not read with nothing written, 422 for an oversized message, 429 for a flood)."""

from __future__ import annotations

from typing import Any

import pytest

from simplepro.core.models import StreamEvent
from simplepro.messaging.models import MAX_BODY, Conversation, Message
from simplepro.notifications.models import Notification
from tests.messaging.conftest import Company

pytestmark = pytest.mark.django_db


def _post(client: Any, conversation_id: Any, body: str) -> Any:
    return client.post_json(
        f"/api/messages/conversations/{conversation_id}/messages", {"body": body}
    )


def test_a_direct_thread_is_one_per_pair_and_both_read_it(
    moving_company: Company, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    people = moving_company.people
    dina, sam = api_as(people["dispatcher"]), api_as(people["crew_lead"])
    opened = dina.post_json(
        "/api/messages/conversations/direct", {"user_id": str(people["crew_lead"].pk)}
    )
    assert opened.status_code == 200
    again = sam.post_json(
        "/api/messages/conversations/direct", {"user_id": str(people["dispatcher"].pk)}
    )
    assert again.json()["id"] == opened.json()["id"]  # the same thread from either side
    thread = opened.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(dina, thread, "Can you take the piano job?").status_code == 201
    listed = sam.get("/api/messages/conversations").json()
    assert [(c["id"], c["unread"], c["title"]) for c in listed] == [
        (thread, 1, people["dispatcher"].display_name)
    ]
    assert sam.get("/api/messages/unread-count").json() == {"unread": 1}
    # the crew lead is told in the bell
    told = Notification.objects.get(recipient=people["crew_lead"], event="message_received")
    assert told.link == f"/messages/{thread}/" and "piano" in told.body
    # reading it: unread goes to 0 and the dispatcher's stream carries the read receipt
    with django_capture_on_commit_callbacks(execute=True):
        assert sam.post_json(f"/api/messages/conversations/{thread}/read", {}).status_code == 200
    assert sam.get("/api/messages/unread-count").json() == {"unread": 0}
    detail = dina.get(f"/api/messages/conversations/{thread}").json()
    newest = Message.objects.get().id
    assert {m["name"]: m["last_read_id"] for m in detail["members"]}[
        people["crew_lead"].display_name
    ] == newest
    kinds = set(
        StreamEvent.objects.filter(user=people["dispatcher"]).values_list("kind", flat=True)
    )
    assert {"message.received", "conversation.read"} <= kinds


def test_someone_outside_a_thread_gets_404_and_nothing_is_written(
    moving_company: Company, api_as: Any
) -> None:
    people = moving_company.people
    dina = api_as(people["dispatcher"])
    thread = dina.post_json("/api/messages/conversations/direct",
                            {"user_id": str(people["crew_lead"].pk)}).json()["id"]  # fmt: skip
    outsider = api_as(people["sales"])
    for response in (
        outsider.get(f"/api/messages/conversations/{thread}"),
        outsider.get(f"/api/messages/conversations/{thread}/messages"),
        _post(outsider, thread, "let me in"),
        outsider.post_json(f"/api/messages/conversations/{thread}/read", {}),
    ):
        assert response.status_code == 404
    assert not Message.objects.exists()
    unknown = "00000000-0000-0000-0000-000000000000"
    assert dina.get(f"/api/messages/conversations/{unknown}").status_code == 404


def test_the_job_thread_is_the_office_and_the_crew_on_it(
    moving_company: Company, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    people, job = moving_company.people, moving_company.job
    lead = api_as(people["crew_lead"])
    thread = lead.get(f"/api/messages/jobs/{job.pk}")
    assert thread.status_code == 200 and thread.json()["kind"] == "job"
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(lead, thread.json()["id"], "Elevator booked till 10").status_code == 201
    # the office reads it; a crew member not on the job does not even see the job
    assert (
        api_as(people["dispatcher"]).get(f"/api/messages/jobs/{job.pk}").json()["id"]
        == thread.json()["id"]
    )
    assert api_as(people["crew_member"]).get(f"/api/messages/jobs/{job.pk}").status_code == 404
    stranger = api_as(people["crew_member"])
    assert stranger.get(f"/api/messages/conversations/{thread.json()['id']}").status_code == 404
    # sales see their own customer's job thread, not another salesperson's
    assert (
        api_as(people["sales"])
        .get(f"/api/messages/conversations/{thread.json()['id']}")
        .status_code
        == 200
    )
    assert (
        api_as(people["sales2"])
        .get(f"/api/messages/conversations/{thread.json()['id']}")
        .status_code
        == 404
    )
    # the stream: the office and the crew lead got the message; crew_member did not
    got = set(StreamEvent.objects.filter(kind="message.received").values_list("user_id", flat=True))
    assert people["dispatcher"].pk in got and people["crew_member"].pk not in got


def test_history_pages_by_before_and_after(moving_company: Company, api_as: Any) -> None:
    people = moving_company.people
    dina = api_as(people["dispatcher"])
    thread = dina.post_json("/api/messages/conversations/direct",
                            {"user_id": str(people["manager"].pk)}).json()["id"]  # fmt: skip
    conversation = Conversation.objects.get(pk=thread)
    made = Message.objects.bulk_create(
        Message(conversation=conversation, author=people["dispatcher"], direction="internal",
                body=f"m{i}") for i in range(7)
    )  # fmt: skip
    ids = [m.id for m in made]
    newest = dina.get(f"/api/messages/conversations/{thread}/messages?limit=3").json()
    assert [m["body"] for m in newest["items"]] == ["m4", "m5", "m6"] and newest["has_older"]
    older = dina.get(
        f"/api/messages/conversations/{thread}/messages?limit=3&before={ids[4]}"
    ).json()
    assert [m["body"] for m in older["items"]] == ["m1", "m2", "m3"] and older["has_older"]
    oldest = dina.get(
        f"/api/messages/conversations/{thread}/messages?limit=3&before={ids[1]}"
    ).json()
    assert [m["body"] for m in oldest["items"]] == ["m0"] and not oldest["has_older"]
    newer = dina.get(f"/api/messages/conversations/{thread}/messages?limit=4&after={ids[1]}").json()
    assert [m["body"] for m in newer["items"]] == ["m2", "m3", "m4", "m5"] and newer["has_newer"]
    beyond = dina.get(f"/api/messages/conversations/{thread}/messages?before={2**70}")
    assert beyond.status_code in (200, 422)


def test_bad_messages_are_refused_naming_the_problem(
    moving_company: Company, api_as: Any, settings: Any
) -> None:
    people = moving_company.people
    dina = api_as(people["dispatcher"])
    thread = dina.post_json("/api/messages/conversations/direct",
                            {"user_id": str(people["manager"].pk)}).json()["id"]  # fmt: skip
    too_long = _post(dina, thread, "x" * (MAX_BODY + 1))
    assert too_long.status_code == 422 and str(MAX_BODY) in too_long.json()["errors"][0]["message"]
    assert _post(dina, thread, "   ").status_code == 422
    assert dina.post_json("/api/messages/conversations/direct",
                          {"user_id": str(people["dispatcher"].pk)}).status_code == 422  # fmt: skip
    assert not Message.objects.exists()
    settings.MESSAGE_RATE_LIMITS = "3/60"
    statuses = [_post(dina, thread, f"hello {i}").status_code for i in range(5)]
    assert statuses == [201, 201, 201, 429, 429]
    flood = _post(dina, thread, "again")
    assert "Too many messages" in flood.json()["detail"] and int(flood["Retry-After"]) > 0
    assert Message.objects.count() == 3


def test_team_threads_are_made_by_the_office(moving_company: Company, api_as: Any) -> None:
    people = moving_company.people
    body = {
        "title": "Crew A",
        "member_ids": [str(people["crew_lead"].pk), str(people["crew_member"].pk)],
    }
    assert (
        api_as(people["crew_lead"]).post_json("/api/messages/conversations/team", body).status_code
        == 403
    )
    made = api_as(people["dispatcher"]).post_json("/api/messages/conversations/team", body)
    assert made.status_code == 201 and made.json()["title"] == "Crew A"
    assert len(made.json()["members"]) == 3
    assert (
        api_as(people["crew_member"])
        .get(f"/api/messages/conversations/{made.json()['id']}")
        .status_code
        == 200
    )
    assert (
        api_as(people["sales"]).get(f"/api/messages/conversations/{made.json()['id']}").status_code
        == 404
    )


def test_messages_in_the_browser(moving_company: Company, web_as: Any) -> None:
    people = moving_company.people
    dina = web_as(people["dispatcher"])
    assert "Write to someone" in dina.get("/messages/").content.decode()
    opened = dina.post("/messages/direct/", {"user_id": str(people["crew_lead"].pk)})
    assert opened.status_code == 302
    thread = opened["Location"]
    assert dina.post(f"{thread}post/", {"body": "See you at 8"}).status_code == 302
    page = dina.get(thread).content.decode()
    assert "See you at 8" in page and "data-conversation=" in page
    sam = web_as(people["crew_lead"])
    assert "See you at 8" in sam.get(thread).content.decode()  # reading marks it read
    assert "Seen by" in dina.get(thread).content.decode()
    # the job page and the crew's screen lead to the job's thread
    job_thread = sam.get(f"/messages/job/{moving_company.job.pk}/")
    assert job_thread.status_code == 302
    assert (
        f"/messages/job/{moving_company.job.pk}/"
        in sam.get(f"/jobs/{moving_company.job.pk}/").content.decode()
    )
    too_long = dina.post(f"{thread}post/", {"body": "x" * (MAX_BODY + 1)}, follow=True)
    assert f"at most {MAX_BODY} characters" in too_long.content.decode()
