"""The workflow of a case as data (DOMAIN.md "Workflow"): which status may follow which.

Changing the workflow means changing these tables, not code. Closing needs an outcome;
reopening a closed case is a transition out of `closed` and is recorded as case.reopened.
"""

from __future__ import annotations

QUICK_ANSWER = "quick_answer"
TRIAGE = "triage"
ASSESSMENT = "assessment"
AWAITING_CONSENT = "awaiting_consent"
IN_ACTION = "in_action"
AWAITING_RESPONSE = "awaiting_response"
CLOSED = "closed"

STATUSES = (
    QUICK_ANSWER,
    TRIAGE,
    ASSESSMENT,
    AWAITING_CONSENT,
    IN_ACTION,
    AWAITING_RESPONSE,
    CLOSED,
)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    # an information request turns out to be a case: it goes to the triage queue
    QUICK_ANSWER: (TRIAGE, CLOSED),
    TRIAGE: (ASSESSMENT, QUICK_ANSWER, CLOSED),
    ASSESSMENT: (AWAITING_CONSENT, IN_ACTION, CLOSED),
    AWAITING_CONSENT: (IN_ACTION, ASSESSMENT, CLOSED),
    IN_ACTION: (AWAITING_RESPONSE, AWAITING_CONSENT, CLOSED),
    AWAITING_RESPONSE: (IN_ACTION, CLOSED),
    CLOSED: (TRIAGE, ASSESSMENT, IN_ACTION),  # reopening
}

OUTCOMES = (
    "resolved",
    "advice_given",
    "rejected",
    "outside_mandate",
    "client_declined",
    "options_exhausted",
    "referred",
    "undefined",
    # the complainant (or a coordinator on their word) withdrew the complaint in intake
    "withdrawn",
)

# An anonymous complainant can get a legal assessment and advice, nothing done on their behalf
# (DOMAIN.md workflow step 3).
NOT_FOR_ANONYMOUS = frozenset({AWAITING_CONSENT, IN_ACTION, AWAITING_RESPONSE})

# Statuses that act on the client's behalf, and the consent scopes entering them needs.
NEEDS_CONSENT: dict[str, tuple[str, ...]] = {IN_ACTION: ("formal_action",)}


def allowed_from(status: str, *, anonymous: bool = False) -> list[str]:
    targets = TRANSITIONS.get(status, ())
    return [t for t in targets if not (anonymous and t in NOT_FOR_ANONYMOUS)]
