"""The Zendesk preset: the JSON body docs/service.md tells a Zendesk trigger to send,
with placeholders filled in as Zendesk fills them, becomes the right console events."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared fixtures

import store.conftest as store_fixtures

import service.http_rig as rig
from service.http_rig import Service

matrix = store_fixtures.matrix  # pg: tests/service/conftest.py
make_service = rig.make_service

pytestmark = pytest.mark.postgres

ZENDESK = "/api/v1/presets/zendesk"


def zendesk(event: str, *, status: str = "Open", priority: str = "Urgent",
            comment: dict[str, Any] | None = None) -> dict[str, Any]:
    """The trigger's body after Zendesk renders the placeholders of docs/service.md."""
    body: dict[str, Any] = {"event": event, "ticket": {
        "id": "35436", "title": "Checkout fails for every EU customer",
        "description": "Since 09:00 no EU order goes through.", "priority": priority,
        "status": status, "type": "Incident", "organization": "Acme GmbH",
        "assignee": "Dana Agent", "created_at": "2026-03-02T10:00Z",
        "updated_at": "2026-03-02T10:05Z"}}
    if comment is not None:
        body["comment"] = comment
    return body


@pytest.fixture
def service(make_service) -> Service:
    return make_service()


def sync(service: Service) -> None:
    """What the service's sync does after a wake: pull the shared log locally."""
    service.store.ingest(service.db.pull(service.store.cursor()))


def kinds(service: Service) -> list[tuple[str, str, dict[str, Any]]]:
    return [(r[1], r[2], json.loads(r[3])) for r in service.rows()]


def test_a_created_ticket_opens_with_its_facts_and_the_priority_as_severity(service):
    answer = service.post(ZENDESK, zendesk("ticket_created"))
    assert answer.status_code == 200, answer.text
    [(ticket, kind, payload)] = kinds(service)
    assert (ticket, kind) == ("35436", "opened")
    assert payload == {"title": "Checkout fails for every EU customer",
                       "text": "Since 09:00 no EU order goes through.",
                       "account": "Acme GmbH", "category": "incident",
                       "owner": "Dana Agent", "severity": "P1"}
    [row] = service.rows()
    assert row[4] == "api:zendesk" and row[7].startswith("2026-03-02T10:00:00")


def test_zendesk_retrying_a_webhook_adds_nothing(service):
    body = zendesk("ticket_created")
    assert service.post(ZENDESK, body).json()["new"] == 1
    again = service.post(ZENDESK, body)
    assert again.status_code == 200 and again.json()["new"] == 0
    assert len(service.rows()) == 1


def test_updates_become_status_severity_and_resolution_events_only_when_they_change_something(
        service):
    service.post(ZENDESK, zendesk("ticket_created", priority="High"))
    sync(service)
    service.post(ZENDESK, zendesk("ticket_updated", status="Pending", priority="Urgent"))
    sync(service)
    service.post(ZENDESK, zendesk("ticket_updated", status="Pending", priority="Urgent"))
    sync(service)
    service.post(ZENDESK, zendesk("ticket_updated", status="Solved", priority="Urgent"))
    sync(service)
    service.post(ZENDESK, zendesk("ticket_updated", status="Open", priority="Urgent"))
    got = [(k, p) for _, k, p in kinds(service)]
    assert got == [("opened", got[0][1]),
                   ("severity", {"severity": "P1", "by": "support",
                                 "reason": "Zendesk priority Urgent"}),
                   ("status", {"status": "waiting_on_customer"}),
                   ("resolved", {}),
                   ("reopened", {})]  # reopened is open again: no status event
    assert got[0][1]["severity"] == "P2"


def test_comments_from_the_customer_and_from_an_agent(service):
    service.post(ZENDESK, zendesk("ticket_created"))
    sync(service)
    customer = service.post(ZENDESK, zendesk("comment_added", comment={
        "text": "This is still broken and we are losing money!", "from": "customer"}))
    agent = service.post(ZENDESK, zendesk("comment_added", comment={
        "text": "We are on it.", "from": "agent"}))
    assert (customer.status_code, agent.status_code) == (200, 200)
    got = [(k, p) for _, k, p in kinds(service)][1:]
    assert got == [("message", {"text": "This is still broken and we are losing money!"}),
                   ("update_sent", {})]


def test_an_update_for_a_ticket_never_seen_opens_it_first(service):
    service.post(ZENDESK, zendesk("ticket_updated", status="Pending"))
    assert [k for _, k, _ in kinds(service)] == ["opened", "status"]


def test_a_bad_zendesk_body_names_its_fields_and_writes_nothing(service):
    body = zendesk("comment_added", comment={"text": "hi", "from": "robot"})
    body["event"] = "ticket_merged"
    body["ticket"]["id"] = ""
    body["ticket"]["created_at"] = "yesterday"
    answer = service.post(ZENDESK, body)
    assert answer.status_code == 400
    fields = [p["field"] for p in answer.json()["problems"]]
    assert fields == ["event", "ticket.id", "ticket.created_at"]
    assert service.rows() == []
    # the preset takes the same bearer token as the events API
    assert service.post(ZENDESK, zendesk("ticket_created"), token="ect_x").status_code == 401
