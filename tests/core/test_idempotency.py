from __future__ import annotations

from typing import Any

import pytest

from simplepro.customers.models import Customer

pytestmark = pytest.mark.django_db

BODY = {"type": "residential", "name": "Retry Rita"}


@pytest.fixture
def api(personas: Any, api_as: Any) -> Any:
    return api_as(personas["manager"])


def test_a_retried_create_returns_the_first_answer(api: Any) -> None:
    first = api.post_json("/api/customers", BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post_json("/api/customers", BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Customer.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(api: Any) -> None:
    api.post_json("/api/customers", BODY, HTTP_IDEMPOTENCY_KEY="k-2")
    other = api.post_json(
        "/api/customers", {**BODY, "name": "Someone Else"}, HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert other.status_code == 422
    assert Customer.objects.count() == 1


def test_keys_belong_to_one_user(personas: Any, api_as: Any, api: Any) -> None:
    api.post_json("/api/customers", BODY, HTTP_IDEMPOTENCY_KEY="shared")
    other_user = api_as(personas["admin"])
    assert (
        other_user.post_json("/api/customers", BODY, HTTP_IDEMPOTENCY_KEY="shared").status_code
        == 201
    )
    assert Customer.objects.count() == 2


def test_without_a_key_every_post_creates(api: Any) -> None:
    api.post_json("/api/customers", BODY)
    api.post_json("/api/customers", BODY)
    assert Customer.objects.count() == 2


def test_a_refusal_for_permissions_is_not_replayed(personas: Any, api_as: Any) -> None:
    dispatcher = api_as(personas["dispatcher"])
    assert (
        dispatcher.post_json("/api/customers", BODY, HTTP_IDEMPOTENCY_KEY="k-3").status_code == 403
    )
    personas["dispatcher"].role = "manager"
    personas["dispatcher"].save()
    assert (
        dispatcher.post_json("/api/customers", BODY, HTTP_IDEMPOTENCY_KEY="k-3").status_code == 201
    )
