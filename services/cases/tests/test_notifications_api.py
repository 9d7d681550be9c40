"""The notifications HTTP API the console builds on: the caller's own list with its unread
count and pages, marking read, preferences validated field by field, the tenant's rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from cases_test_helpers import problem
from notification_world import World, build


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    with build(tmp_path) as built:
        yield built


def _told(world: World, how_many: int, assignee: str = "lena") -> list:
    cases = [world.open_case(assignee=assignee) for _ in range(how_many)]
    for case in cases:
        world.message_posted(case)
    world.pump()
    return cases


def test_unread_count_pages_and_marking_read(world: World) -> None:
    _told(world, 5)
    first = world.notifications("lena", limit=2)
    assert first["unread"] == 5 and len(first["items"]) == 2 and first["next"]
    second = world.notifications("lena", limit=2, cursor=first["next"])
    third = world.notifications("lena", limit=2, cursor=second["next"])
    assert third["next"] is None
    seen = [n["id"] for page in (first, second, third) for n in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    created = [n["created_at"] for page in (first, second, third) for n in page["items"]]
    assert created == sorted(created, reverse=True)
    assert set(first["items"][0]) == {
        "id", "kind", "case_id", "case_reference", "title", "link", "created_at", "read_at",
    }  # fmt: skip

    one = seen[0]
    marked = world.client.post(f"/v1/notifications/{one}/read", headers=world.headers("lena"))
    assert marked.status_code == 200, marked.text
    assert marked.json()["read_at"] is not None
    again = world.client.post(f"/v1/notifications/{one}/read", headers=world.headers("lena"))
    assert again.json()["read_at"] == marked.json()["read_at"]  # the first reading stays
    unread = world.notifications("lena", unread="true")
    assert unread["unread"] == 4 and one not in [n["id"] for n in unread["items"]]

    everything = world.client.post("/v1/notifications/read-all", headers=world.headers("lena"))
    assert everything.json() == {"marked": 4, "unread": 0}
    assert world.notifications("lena")["unread"] == 0
    assert world.notifications("lena", unread="true")["items"] == []


def test_other_peoples_and_other_tenants_notifications_are_not_found(world: World) -> None:
    _told(world, 1)
    [mine] = world.notifications("lena")["items"]
    for user in ("laura", "kazbek", "tamara", "dana"):  # same tenant, and another tenant
        assert world.notifications(user)["items"] == []
        response = world.client.post(
            f"/v1/notifications/{mine['id']}/read", headers=world.headers(user)
        )
        problem(response, 404)
    assert world.notifications("lena")["unread"] == 1  # nobody else marked it


def test_a_forged_cursor_is_a_field_error(world: World) -> None:
    _told(world, 3)
    page = world.notifications("lena", limit=1)
    forged = page["next"][:-4] + ("AAAA" if not page["next"].endswith("AAAA") else "BBBB")
    for cursor in (forged, "not-a-cursor"):
        response = world.client.get(
            "/v1/notifications", params={"cursor": cursor}, headers=world.headers("lena")
        )
        body = problem(response, 422)
        assert body["errors"][0]["field"] == "query.cursor"
    # A cursor of the unread listing is not one of the full listing.
    unread = world.notifications("lena", limit=1, unread="true")
    response = world.client.get(
        "/v1/notifications", params={"cursor": unread["next"]}, headers=world.headers("lena")
    )
    assert problem(response, 422)["errors"][0]["field"] == "query.cursor"


def test_preferences_are_the_callers_own_and_validated(world: World) -> None:
    url = "/v1/notifications/preferences"
    default = world.client.get(url, headers=world.headers("lena"))
    assert default.json() == {"email": True, "digest": "off", "quiet_hours": None}
    wanted = {"email": True, "digest": "daily", "quiet_hours": {"start": "22:00", "end": "07:00"}}
    put = world.client.put(url, json=wanted, headers=world.headers("lena"))
    assert put.status_code == 200 and put.json() == wanted
    assert world.client.get(url, headers=world.headers("lena")).json() == wanted
    assert world.client.get(url, headers=world.headers("laura")).json()["digest"] == "off"

    bad = {
        ("quiet_hours", "start"): {"quiet_hours": {"start": "25:00", "end": "07:00"}},
        ("quiet_hours", "end"): {"quiet_hours": {"start": "07:00", "end": "07:00"}},
        ("digest",): {"digest": "weekly"},
        ("email",): {"email": "sometimes"},
        ("colour",): {"colour": "red"},
    }
    for field, body in bad.items():
        response = world.client.put(url, json=body, headers=world.headers("lena"))
        errors = problem(response, 422)["errors"]
        assert errors[0]["field"] == "body." + ".".join(field), errors
        assert errors[0]["reason"]
    # Nothing half-written: the stored preferences are still the good ones.
    assert world.client.get(url, headers=world.headers("lena")).json() == wanted


def test_rules_are_the_tenants_and_switch_audiences(world: World) -> None:
    url = "/v1/notifications/rules"
    rules = world.client.get(url, headers=world.headers("kazbek"))
    assert rules.status_code == 200
    assert {"kind": "deadline_missed", "audience": "office_coordinators", "enabled": True,
            "working_days": None} in rules.json()  # fmt: skip
    problem(world.client.get(url, headers=world.headers("lena")), 403)
    switch_off = {
        "rules": [{"kind": "complainant_message", "audience": "assignee", "enabled": False}]
    }
    problem(world.client.put(url, json=switch_off, headers=world.headers("kazbek")), 403)
    done = world.client.put(url, json=switch_off, headers=world.headers("tamara"))
    assert done.status_code == 200, done.text
    _told(world, 1)
    assert world.notifications("lena")["items"] == []
    # Another tenant keeps its defaults.
    case = world.open_case(assignee="dana", tenant="ndi")
    world.message_posted(case)
    world.pump()
    assert len(world.notifications("dana")["items"]) == 1

    wrong = {"rules": [{"kind": "coffee_break", "audience": "everyone", "enabled": True}]}
    errors = problem(world.client.put(url, json=wrong, headers=world.headers("tamara")), 422)
    assert [e["field"] for e in errors["errors"]] == [
        "body.rules[0].kind",
        "body.rules[0].audience",
    ]


def test_openapi_documents_the_notifications_api_with_problem_responses(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    for path, method in [
        ("/v1/notifications", "get"),
        ("/v1/notifications/{notification_id}/read", "post"),
        ("/v1/notifications/read-all", "post"),
        ("/v1/notifications/preferences", "get"),
        ("/v1/notifications/preferences", "put"),
        ("/v1/notifications/deliveries", "get"),
    ]:
        responses = paths[path][method]["responses"]
        assert "application/problem+json" in responses["422"]["content"], path
        assert "403" in responses and "401" in responses
