"""The case file in one read (`GET /v1/cases/{id}/file`): the same parts, word for word, as the
nine endpoints the case page read one by one, only the parts the caller's roles may read, the
same audit entries, and nothing of another tenant's or office's case."""

from __future__ import annotations

from collections import Counter

from cases_test_helpers import add_staff, open_case, post
from typer.testing import CliRunner

from alac_cli.main import app as alac

PARTS = {  # part -> its own endpoint ({id}: the case)
    "case": "/v1/cases/{id}",
    "history": "/v1/cases/{id}/history",
    "consents": "/v1/cases/{id}/consents",
    "actions": "/v1/cases/{id}/actions",
    "deadlines": "/v1/cases/{id}/deadlines",
    "letters": "/v1/cases/{id}/letters",
    "referrals": "/v1/cases/{id}/referrals",
    "notes": "/v1/cases/{id}/notes",
    "deadline_rules": "/v1/deadline-rules",
}


def worked_case(platform) -> dict:
    """A case with a history, a consent, an action, a deadline, a letter and notes."""
    add_staff(platform, "lena", "almaty")
    case = open_case(platform, request_type="case")
    path = f"/v1/cases/{case['id']}"

    def change(suffix: str, body: dict) -> None:
        version = platform.cases.get(path, headers=platform.headers("lena")).json()["version"]
        answer = post(platform, f"{path}/{suffix}", "lena", {**body, "version": version})
        assert answer.status_code in (200, 201), answer.text

    change("transitions", {"to_status": "assessment", "reason": "in mandate"})
    change("transitions", {"to_status": "awaiting_consent", "reason": "a letter is needed"})
    change("consents", {"scopes": ["formal_action", "documents_to_authorities"]})
    change("transitions", {"to_status": "in_action", "reason": "consent signed"})
    change("actions", {"action_type": "meeting", "summary": "met the client"})
    change("letters", {"language": "ru", "authority": "Прокуратура", "facts": "Факты.",
                       "legal_assessment": "Оценка.", "request": "Проверить."})  # fmt: skip
    made = post(platform, f"{path}/deadlines", "lena", {"due_on": "2099-01-05"})
    assert made.status_code == 201, made.text
    for text in ("called back", "documents promised"):
        assert post(platform, f"{path}/notes", "vera", {"text": text}).status_code == 201
    return case


def audit_whats(platform, case_id: str) -> list[str]:
    entries = platform.cases.get(
        f"/v1/cases/{case_id}/audit", headers=platform.headers("kazbek")
    ).json()
    return [e["what"] for e in entries]


def test_the_file_is_the_nine_answers_and_is_audited_as_they_are(platform):
    case = worked_case(platform)
    headers = platform.headers("lena")
    before = audit_whats(platform, case["id"])
    one_by_one = {}
    for name, path in PARTS.items():
        answer = platform.cases.get(path.format(id=case["id"]), headers=headers)
        assert answer.status_code == 200, (name, answer.text)
        one_by_one[name] = answer.json()
    between = audit_whats(platform, case["id"])
    file = platform.cases.get(f"/v1/cases/{case['id']}/file", headers=headers)
    assert file.status_code == 200, file.text
    assert file.headers["ETag"] == f'"{one_by_one["case"]["version"]}"'
    assert file.json() == one_by_one
    # every part but the referrals (they need a second centre) has something to compare
    assert all(file.json()[name] for name in PARTS if name != "referrals")
    after = audit_whats(platform, case["id"])
    # The file's read (between the audit reads) left the same entries as the nine reads.
    read_one_by_one = Counter(between[len(before) :]) - Counter(["audit.read"])
    read_at_once = Counter(after[len(between) :]) - Counter(["audit.read"])
    assert read_one_by_one == read_at_once
    assert set(read_at_once) >= {"case.read", "case.history", "letter.list", "note.read"}
    # the parts' entries were appended in one go, each linked to the one before: intact chain
    url = platform.runtime("cases").database_url
    checked = CliRunner().invoke(alac, ["cases", "verify-audit", "--database-url", url])
    assert checked.exit_code == 0 and "intact" in checked.output, checked.output


def test_a_part_the_role_may_not_read_is_null_and_not_audited(platform):
    case = worked_case(platform)
    for user, hidden in {
        "vera": {"consents", "deadlines", "letters", "referrals", "deadline_rules"},
        "tamara": set(PARTS) - {"case", "deadline_rules"},
    }.items():
        headers = platform.headers(user)
        before = audit_whats(platform, case["id"])
        body = platform.cases.get(f"/v1/cases/{case['id']}/file", headers=headers).json()
        for name, path in PARTS.items():
            own = platform.cases.get(path.format(id=case["id"]), headers=headers)
            if name in hidden:
                assert own.status_code == 403, (user, name, own.text)
                assert body[name] is None, (user, name)
            else:
                assert own.status_code == 200, (user, name, own.text)
                assert body[name] == own.json(), (user, name)
        recorded = audit_whats(platform, case["id"])[len(before) + 1 :]  # after its audit.read
        file_entries = recorded[: len(recorded) // 2]  # the file first, then the parts
        assert "consent.read" not in file_entries and "deadline.read" not in file_entries


def test_another_tenant_or_office_gets_not_found(platform):
    case = worked_case(platform)
    for user in ("dana", "askar"):  # a lawyer of another tenant; a volunteer of another office
        answer = platform.cases.get(f"/v1/cases/{case['id']}/file", headers=platform.headers(user))
        assert answer.status_code == 404, (user, answer.text)
        assert case["crux"] not in answer.text and "complaint_id" not in answer.text
        # word for word the answer for the case itself (like a missing one)
        alone = platform.cases.get(f"/v1/cases/{case['id']}", headers=platform.headers(user))
        assert answer.json()["detail"] == alone.json()["detail"]
    refused = platform.cases.get(f"/v1/cases/{case['id']}/file", headers=platform.headers("anuar"))
    assert refused.status_code == 403  # analysts never read case files
