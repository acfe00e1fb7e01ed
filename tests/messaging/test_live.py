"""Typing and presence over the real /ws/ stream (the ASGI app in-process, on the configured
channel layer): passed to the others in the thread at once, never stored, refused for a
thread one cannot read."""

from __future__ import annotations

from typing import Any

import pytest

from simplepro.accounts.models import Role
from simplepro.core.models import StreamEvent
from simplepro.messaging.services import direct_open
from tests.realtime.conftest import in_thread, open_socket, run, token_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_typing_reaches_the_other_person_and_nobody_else(make_user: Any) -> None:
    dina, sam, outsider = (
        make_user(Role.DISPATCHER),
        make_user(Role.CREW_LEAD),
        make_user(Role.SALES),
    )
    thread = direct_open(actor=dina, other_id=sam.pk)
    tokens = [token_for(u)[0] for u in (dina, sam, outsider)]

    async def scenario() -> None:
        (writer, _), (reader, _), (other, _) = [await open_socket(token=t) for t in tokens]
        await writer.send({"type": "typing", "conversation": str(thread.pk)})
        signal = await reader.frame_of("signal")
        assert signal["kind"] == "typing"
        assert signal["data"] == {"conversation_id": str(thread.pk), "user_id": str(dina.pk),
                                  "name": dina.display_name}  # fmt: skip
        assert await other.nothing_more() and await writer.nothing_more()
        # someone outside the thread: an error frame, the socket stays up, nothing passed on
        await other.send({"type": "typing", "conversation": str(thread.pk)})
        error = await other.frame_of("error")
        assert error["code"] == "not_found"
        await other.send({"type": "typing", "conversation": "not-a-uuid"})
        assert (await other.frame_of("error"))["code"] == "not_found"
        assert await reader.nothing_more()
        await other.send({"type": "ping"})
        await other.frame_of("pong")
        for socket in (writer, reader, other):
            await socket.close()

    run(scenario())
    assert not StreamEvent.objects.exists()  # passing: nothing kept


def test_presence_changes_are_passed_on_and_readable(make_user: Any, api_as: Any) -> None:
    dina, sam = make_user(Role.DISPATCHER), make_user(Role.CREW_LEAD)
    thread = direct_open(actor=dina, other_id=sam.pk)
    dina_token, sam_token = token_for(dina)[0], token_for(sam)[0]
    reader = api_as(dina)

    async def scenario() -> None:
        (watcher, _), (phone, _) = (
            await open_socket(token=dina_token),
            await open_socket(token=sam_token),
        )
        await phone.send({"type": "presence", "state": "online"})
        signal = await watcher.frame_of("signal")
        assert signal["data"] == {"user_id": str(sam.pk), "state": "online"}
        await phone.send({"type": "presence", "state": "online"})  # unchanged: not passed on
        assert await watcher.nothing_more()
        await phone.send({"type": "presence", "state": "asleep"})
        assert (await phone.frame_of("error"))["code"] == "refused"
        await phone.send({"type": "presence", "state": "away"})
        assert (await watcher.frame_of("signal"))["data"]["state"] == "away"
        members = await in_thread(_members)(reader, thread.pk)
        assert members[sam.display_name] == "away"
        await watcher.close()
        await phone.close()

    run(scenario())


def _members(client: Any, thread_id: Any) -> dict[str, str]:
    detail = client.get(f"/api/messages/conversations/{thread_id}").json()
    return {m["name"]: m["presence"] for m in detail["members"]}


# Who may send "typing" in the job's thread (the sales persona's customer, led by the crew
# lead): the same people the API lets read it (tests/test_permissions.py).
TYPING_IN_JOB_THREAD = {
    "super_admin": True, "admin": True, "manager": True, "dispatcher": True, "sales": True,
    "sales2": False, "customer_service": True, "crew_lead": True, "crew_member": False,
    "crew_member2": False,
}  # fmt: skip


def test_typing_in_a_job_thread_per_persona(moving_company: Any) -> None:
    from simplepro.messaging.services import job_thread

    people = moving_company.people
    thread = job_thread(viewer=people["dispatcher"], job=moving_company.job)
    tokens = {persona: token_for(people[persona])[0] for persona in TYPING_IN_JOB_THREAD}

    async def scenario() -> dict[str, bool]:
        allowed = {}
        for persona, token in tokens.items():
            socket, _ = await open_socket(token=token)
            await socket.send({"type": "typing", "conversation": str(thread.pk)})
            await socket.send({"type": "ping"})
            frame = await socket.frame()
            allowed[persona] = frame["type"] == "pong"
            if not allowed[persona]:
                assert frame == {
                    "type": "error",
                    "code": "not_found",
                    "detail": "No such conversation.",
                }
            await socket.close()
        return allowed

    assert run(scenario()) == TYPING_IN_JOB_THREAD


def test_a_frame_handler_that_fails_leaves_the_socket_up(make_user: Any, monkeypatch: Any) -> None:
    from simplepro.core import events

    def broken(user_id: Any, frame: dict[str, Any]) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setitem(events.FRAME_HANDLERS, "typing", broken)
    token = token_for(make_user(Role.DISPATCHER))[0]

    async def scenario() -> None:
        socket, _ = await open_socket(token=token)
        await socket.send({"type": "typing", "conversation": "x"})
        assert (await socket.frame_of("error"))["code"] == "server_error"
        await socket.send({"type": "ping"})
        await socket.frame_of("pong")
        await socket.close()

    run(scenario())
