"""The service's HTTP endpoint: health, readiness, metrics and the intake API, served by
the real HttpServer (its own thread and loop, port 0) in front of a real throwaway
PostgreSQL; requests go over the socket with ``requests``."""

from __future__ import annotations

import hashlib
import json
import ssl
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared fixtures

import store.conftest as store_fixtures

import service.http_rig as rig
from benchmarks.notify.fakes import self_signed_cert
from benchmarks.pgcluster import free_port
from console.domain.hlc import Timestamp
from console.notify.plan import NewDelivery
from console.service.http.server import HttpServer, Limits
from console.service.http.tokens import TokenStore, hash_token
from console.store.deliveries import DeliveryOutbox
from service.http_rig import EVENTS, T0, Service, opened

matrix = store_fixtures.matrix  # pg: tests/service/conftest.py
make_service = rig.make_service

pytestmark = pytest.mark.postgres


@pytest.fixture
def service(make_service) -> Service:
    return make_service()


# -- the intake -------------------------------------------------------------------------
def test_an_event_lands_in_the_shared_database_as_the_tokens_integration(service):
    answer = service.post(EVENTS, opened(severity="P1"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["new"] == 1
    [(eid, ticket, kind, payload, author, device, hlc, at)] = service.rows()
    assert (ticket, kind, author, device) == ("ZD-1", "opened", "api:zendesk", "svc1.api")
    assert json.loads(payload)["severity"] == "P1"
    assert answer.json()["ids"] == [eid]
    assert Timestamp.decode(hlc).device == "svc1.api"
    assert datetime.fromisoformat(at) == T0
    assert service.wakes == [1]  # sync is woken to pull it into the local store


def test_an_event_from_the_past_is_stamped_after_everything_the_service_has_seen(service):
    """As a console's own append: HLC order is the order events reach the log, so a late
    event never slips in before history the service already holds."""
    earlier = service.store.append("ZD-1", "opened", {"title": "t"}, "agent")  # now
    answer = service.post(EVENTS, {"at": T0.isoformat(), "ticket": "ZD-1",
                                   "type": "responded"})
    assert answer.status_code == 200
    [(_, _, _, _, _, _, hlc, _)] = service.rows()
    ours, theirs = Timestamp.decode(hlc), Timestamp.decode(earlier.hlc)
    assert (ours.wall_ms, ours.counter) > (theirs.wall_ms, theirs.counter)


def test_the_same_event_id_sent_twice_is_stored_once(service):
    event = {**opened(), "id": "zd-evt-1"}
    first, again = service.post(EVENTS, event), service.post(EVENTS, event)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {**first.json(), "new": 0, "duplicates": 1}
    assert len(service.rows()) == 1


def test_a_batch_replayed_with_the_same_idempotency_key_is_stored_once(service):
    batch = [opened("ZD-1"), {"at": T0.isoformat(), "ticket": "ZD-1", "type": "responded"}]
    key = {"Idempotency-Key": "batch-42"}
    assert service.post(EVENTS, batch, headers=key).json()["new"] == 2
    assert service.post(EVENTS, batch, headers=key).json()["new"] == 0
    assert len(service.rows()) == 2
    # another key is another request: the events are new (they carry no ids)
    assert service.post(EVENTS, batch, headers={"Idempotency-Key": "b43"}).json()["new"] == 2


@pytest.mark.parametrize("body, message", [
    ([], "the batch is empty"),
    ([{"at": "x"}] * 1001, "at most 1000 per request"),
])
def test_an_empty_or_too_long_batch_gets_400(service, body, message):
    answer = service.post(EVENTS, body)
    assert answer.status_code == 400 and message in answer.json()["problems"][0]["message"]


def test_an_idempotency_key_over_200_characters_gets_400(service):
    answer = service.post(EVENTS, opened(), headers={"Idempotency-Key": "k" * 201})
    assert answer.status_code == 400 and "Idempotency-Key" in answer.json()["error"]
    assert service.rows() == []


def test_a_half_bad_batch_is_refused_whole_with_every_problem_by_index_and_field(service):
    batch = [opened("ZD-1"),
             {**opened("ZD-2"), "at": "2026-03-02T10:00:00"},       # no UTC offset
             opened("ZD-3"),
             {**opened("ZD-4"), "severity": "P9"},
             "not an event",
             {**opened("ZD-6"), "id": 7}]
    answer = service.post(EVENTS, batch)
    assert answer.status_code == 400
    problems = [(p["index"], p["field"]) for p in answer.json()["problems"]]
    assert problems == [(1, "at"), (3, "severity"), (4, ""), (5, "id")]
    assert "P9" in answer.json()["problems"][1]["message"]
    assert service.rows() == []  # the good events were not written either
    assert service.wakes == []


@pytest.mark.parametrize("body", [b'{"at": ', b"", b"\xff\xfe{}", b"[" * 40 + b"]" * 40])
def test_a_body_that_is_not_json_gets_400_and_writes_nothing(service, body):
    answer = service.post(EVENTS, data=body)
    assert answer.status_code == 400
    assert answer.json()["problems"][0]["index"] is None
    assert service.rows() == []


def test_requests_without_a_valid_token_get_401_and_write_nothing(service):
    answers = [service.post(EVENTS, opened(), token=""),                 # no Authorization
               service.post(EVENTS, opened(), token="ect_wrong"),
               service.post(EVENTS, opened(), token="not-even-our-format"),
               service.post(EVENTS, opened(), token="",
                            headers={"Authorization": f"Basic {service.token}"})]
    assert [a.status_code for a in answers] == [401] * 4
    assert all(a.headers["WWW-Authenticate"].startswith("Bearer") for a in answers)
    assert service.rows() == []


def test_a_revoked_token_is_refused_on_its_next_request(service):
    assert service.post(EVENTS, opened("ZD-1")).status_code == 200
    TokenStore(service.db).revoke("zendesk")
    answer = service.post(EVENTS, opened("ZD-2"))
    assert answer.status_code == 401
    assert [r[1] for r in service.rows()] == ["ZD-1"]


def test_only_a_hash_of_a_token_is_stored(service):
    [(name, digest, prefix)] = service.pg.query(
        "SELECT name, token_hash, prefix FROM api_tokens")
    assert (name, digest) == ("zendesk", hash_token(service.token))
    assert digest == hashlib.sha256(service.token.encode()).hexdigest()
    assert service.token not in (name, digest, prefix) and len(prefix) < 10


def test_an_oversized_body_gets_413_and_writes_nothing(make_service):
    service = make_service(Limits(max_body=4096))
    big = [opened(f"ZD-{i}", text="x" * 100) for i in range(60)]
    assert service.post(EVENTS, big).status_code == 413            # Content-Length says so

    def chunks() -> Iterator[bytes]:                                # no Content-Length
        data = json.dumps(big).encode()
        yield from (data[i:i + 1000] for i in range(0, len(data), 1000))

    answer = requests.post(service.url(EVENTS), data=chunks(), timeout=10,
                           headers={"Authorization": f"Bearer {service.token}"})
    assert answer.status_code == 413
    assert service.rows() == []


def test_a_token_over_its_rate_gets_429_with_retry_after(make_service):
    service = make_service(Limits(rate=0.01, burst=2))
    answers = [service.post(EVENTS, opened(f"ZD-{i}")) for i in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1
    assert len(service.rows()) == 2


def test_events_are_refused_with_503_while_the_database_is_down(make_service):
    service = make_service(db_url=f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    answer = service.post(EVENTS, opened())
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]


# -- health -----------------------------------------------------------------------------
def test_readyz_reports_role_lag_and_depth_and_healthz_is_alive(service):
    assert service.get("/healthz").status_code == 200
    ready = service.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"role": "active", "database": True, "sync_lag_seconds": 0.25,
                            "outbox_depth": 3}


def test_readyz_is_503_when_the_database_is_unreachable_while_healthz_stays_200(
        make_service):
    service = make_service(db_url=f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    ready = service.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["database"] is False
    assert service.get("/healthz").status_code == 200


def test_unknown_paths_and_methods_get_json_errors(service):
    assert service.get("/nope").status_code == 404
    answer = service.get(EVENTS)
    assert answer.status_code == 405 and answer.json()["error"]


# -- metrics ----------------------------------------------------------------------------
def _delivery(key: str, channel: str, fire_at: datetime, kind: str = "notify") -> NewDelivery:
    return NewDelivery(key, "INC-1", channel, "dana", {"message": {}, "target": {},
                       "meta": {"kind": kind, "fire_at": fire_at.isoformat()}}, fire_at)


def test_metrics_parse_and_show_deliveries_lateness_tickets_and_leader(service):
    store = service.store
    store.append("INC-1", "opened", {"title": "t", "severity": "P1"}, "agent", at=T0)
    store.append("INC-2", "opened", {"title": "t", "severity": "P2"}, "agent", at=T0)
    store.append("INC-2", "resolved", {}, "agent", at=T0 + timedelta(minutes=1))
    outbox = DeliveryOutbox(store)
    outbox.enqueue([_delivery("a", "pagerduty", T0), _delivery("b", "pagerduty", T0),
                    _delivery("c", "slack", T0), _delivery("d", "slack", T0),
                    _delivery("e", "email", T0),
                    _delivery("f", "pagerduty", T0, kind="pd_acknowledge")], T0)
    ids = {r.key: r.id for r in outbox.listing()}
    outbox.record([
        {"id": ids["a"], "status": "sent", "attempts": 1, "sent_at": T0 + timedelta(seconds=0.3)},
        {"id": ids["b"], "status": "sent", "attempts": 3, "sent_at": T0 + timedelta(seconds=40)},
        {"id": ids["c"], "status": "dead", "attempts": 5},
        {"id": ids["d"], "status": "failed", "attempts": 2},
        {"id": ids["f"], "status": "sent", "attempts": 1,
         "sent_at": T0 + timedelta(hours=3)}])  # a follow-up, not a fire: not in lateness
    answer = service.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    assert {"escalation_deliveries", "escalation_outbox_depth", "escalation_sync_lag_seconds",
            "escalation_fire_lateness_seconds", "escalation_leader",
            "escalation_open_tickets"} <= set(families)

    def value(name: str, sample: str | None = None, **labels: str) -> float:
        found = [s.value for s in families[name].samples
                 if s.name == (sample or name) and s.labels == labels]
        assert len(found) == 1, (name, labels, families[name].samples)
        return found[0]

    total = "escalation_deliveries_total"
    assert value("escalation_deliveries", total, channel="pagerduty", outcome="sent") == 3
    assert value("escalation_deliveries", total, channel="pagerduty", outcome="retried") == 2
    assert value("escalation_deliveries", total, channel="slack", outcome="dead_lettered") == 1
    assert value("escalation_deliveries", total, channel="slack", outcome="failed") == 1
    assert value("escalation_deliveries", total, channel="slack", outcome="retried") == 5
    assert value("escalation_outbox_depth", channel="email") == 1
    late = "escalation_fire_lateness_seconds"
    assert value(late, late + "_bucket", le="0.5") == 1
    assert value(late, late + "_bucket", le="30.0") == 1
    assert value(late, late + "_bucket", le="60.0") == 2
    assert value(late, late + "_count") == 2
    assert value(late, late + "_sum") == pytest.approx(40.3, abs=0.01)
    tickets = [(s.labels["severity"], s.labels["sla_state"], s.value)
               for s in families["escalation_open_tickets"].samples]
    assert tickets == [("P1", "breached", 1.0)]  # INC-2 is resolved; INC-1 is long overdue
    assert value("escalation_leader") == 1.0
    assert value("escalation_sync_lag_seconds") == 0.25


# -- the server -------------------------------------------------------------------------
def _hello_app() -> web.Application:
    app = web.Application()
    app.add_routes([web.get("/", _hello)])
    return app


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


def test_a_port_in_use_is_an_oserror_at_start_and_leaves_no_thread_behind():
    first = HttpServer(_hello_app(), port=0)
    first.start()
    try:
        second = HttpServer(_hello_app(), port=first.port)
        with pytest.raises(OSError):
            second.start()
        assert not any(t.name == "http" and t is not first._thread
                       for t in threading.enumerate())
    finally:
        first.stop()
    assert not any(t.name == "http" for t in threading.enumerate())


def test_with_certificate_files_it_speaks_https_only(tmp_path):
    cert, key = self_signed_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = HttpServer(_hello_app(), port=0, ssl_context=context)
    server.start()
    try:
        answer = requests.get(f"https://127.0.0.1:{server.port}/", verify=str(cert),
                              timeout=10)
        assert answer.text == "hello"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{server.port}/", timeout=10)
    finally:
        server.stop()

