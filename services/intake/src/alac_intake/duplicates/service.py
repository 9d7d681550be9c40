"""Flag possible duplicates of a new complaint, at a cost that does not grow with the data.

Two indexed lookups within DUPLICATE_WINDOW of the complaint's received_at (either side, so
a bulk import of old complaints is compared with complaints of their own time):

- same contact: the complainant pseudonym, index (tenant_id, complainant_pseudonym,
  received_at) on complaints;
- nearly the same text: the crux's LSH band buckets (minhash.py), index (tenant_id, band,
  bucket_hash, received_at) on complaint_text_bands; the complaints sharing a bucket are
  verified with difflib's ratio >= SIMILARITY on the normalised texts.

Each lookup reads at most a fixed number of rows (PER_LOOKUP per pseudonym and per band),
and at most MAX_VERIFIED texts are compared: with thousands of identical texts (a campaign,
a template) staff see the most recent ones, which is enough to review them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from typing import TYPE_CHECKING
from uuid import uuid4

from sqlalchemy import bindparam, delete, insert, select, union_all
from sqlalchemy.orm import Session

from alac_intake.complaints import access
from alac_intake.complaints.models import Complaint
from alac_intake.complaints.schemas import ContactDetails
from alac_intake.duplicates import minhash
from alac_intake.duplicates.models import ComplaintTextBand, PossibleDuplicate
from alac_intake.duplicates.schemas import (
    DuplicateCandidate,
    DuplicateCheck,
    DuplicateFlag,
    DuplicateFlags,
)
from alac_intake.vault import service as vault
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope, utcnow
from alac_kernel.tables import table_of

if TYPE_CHECKING:
    from alac_intake.runtime import IntakeRuntime

DUPLICATE_WINDOW = timedelta(days=90)
SIMILARITY = 0.9
PER_LOOKUP = 10
MAX_VERIFIED = 20

_bands = table_of(ComplaintTextBand)
_complaints = table_of(Complaint)

# Both lookups are built once with bind parameters and run on the session's connection: a
# 50-branch statement rebuilt per complaint (and walked by the ORM's tenant-scope hook) cost
# more CPU than the lookup itself. The tenant is a parameter of every branch.
_SAME_CONTACT = (
    select(_complaints.c.id)
    .where(
        _complaints.c.tenant_id == bindparam("tenant"),
        _complaints.c.complainant_pseudonym == bindparam("pseudonym"),
        _complaints.c.received_at.between(bindparam("lo"), bindparam("hi")),
        _complaints.c.id != bindparam("complaint_id"),
    )
    .order_by(_complaints.c.received_at.desc())
    .limit(PER_LOOKUP)
)
_SAME_BUCKET = union_all(
    *(
        select(
            select(_bands.c.complaint_id)
            .where(
                _bands.c.tenant_id == bindparam("tenant"),
                _bands.c.band == band,
                _bands.c.bucket_hash == bindparam(f"bucket{band}"),
                _bands.c.received_at.between(bindparam("lo"), bindparam("hi")),
                _bands.c.complaint_id != bindparam("complaint_id"),
            )
            .order_by(_bands.c.received_at.desc())
            .limit(PER_LOOKUP)
            .subquery()
        )
        for band in range(minhash.BANDS)
    )
)


@dataclass
class Lookup:
    """What the lookup found and how many index rows it read (the cost, for tests and logs)."""

    flags: list[PossibleDuplicate] = field(default_factory=list)
    rows_examined: int = 0
    texts_verified: int = 0

    @property
    def ids(self) -> list[str]:
        return list(dict.fromkeys(f.other_complaint_id for f in self.flags))


def index_text(*, session: Session, complaint: Complaint) -> None:
    """(Re)write the complaint's band buckets; call after registering or changing the crux."""
    session.execute(delete(_bands).where(_bands.c.complaint_id == complaint.id))
    session.execute(
        insert(_bands),
        [
            {
                "tenant_id": complaint.tenant_id,
                "complaint_id": complaint.id,
                "band": band,
                "bucket_hash": bucket,
                "received_at": complaint.received_at,
            }
            for band, bucket in minhash.bands(complaint.crux)
        ],
    )


@dataclass(frozen=True)
class Draft:
    """A complaint still being typed: only what the lookup reads of a complaint (id "", so
    it excludes nothing)."""

    tenant_id: str
    received_at: datetime
    crux: str
    complainant_pseudonym: str
    id: str = ""


def find_possible_duplicates(
    *, session: Session, complaint: Complaint | Draft, scores: dict[str, float] | None = None
) -> Lookup:
    """Earlier or later complaints of the same tenant within the window from the same
    pseudonym or with nearly the same crux. Reads only index ranges; stores nothing.

    `scores` (from `score_texts`, outside the write transaction) maps the normalised texts
    already compared with this crux to their similarity: only a text not among them (a
    complaint written meanwhile) is compared here, inside the transaction."""
    tenant = complaint.tenant_id
    lo, hi = complaint.received_at - DUPLICATE_WINDOW, complaint.received_at + DUPLICATE_WINDOW
    lookup = Lookup()
    now = utcnow()
    connection = session.connection()
    params = {"tenant": tenant, "lo": lo, "hi": hi, "complaint_id": complaint.id}
    same_contact = (
        connection.execute(_SAME_CONTACT, {**params, "pseudonym": complaint.complainant_pseudonym})
        .scalars()
        .all()
    )
    lookup.rows_examined += len(same_contact)
    lookup.flags += [
        PossibleDuplicate(
            tenant_id=tenant,
            complaint_id=complaint.id,
            other_complaint_id=other,
            reason="same_contact",
            score=1.0,
            flagged_at=now,
        )  # fmt: skip
        for other in same_contact
    ]
    buckets = {f"bucket{band}": bucket for band, bucket in minhash.bands(complaint.crux)}
    shared = Counter(connection.execute(_SAME_BUCKET, {**params, **buckets}).scalars().all())
    lookup.rows_examined += sum(shared.values())
    candidates = [other for other, _ in shared.most_common(MAX_VERIFIED)]
    if candidates:
        # By primary key only: with `tenant_id = ?` too, SQLite's planner picks the tenant
        # index and reads every complaint of the tenant. The ids come from the tenant's own
        # bands; the tenant is still checked on every row.
        texts = [
            (other, crux)
            for other, owner, crux in connection.execute(
                select(_complaints.c.id, _complaints.c.tenant_id, _complaints.c.crux).where(
                    _complaints.c.id.in_(candidates)
                )
            )
            if owner == tenant
        ]
        lookup.texts_verified = len(texts)
        mine = minhash.normalise(complaint.crux)
        for other, crux in sorted(texts, key=lambda row: candidates.index(row[0])):
            theirs = minhash.normalise(crux)
            known = scores.get(theirs) if scores is not None else None
            score = known if known is not None else similarity(mine, theirs)
            if score >= SIMILARITY:
                lookup.flags.append(
                    PossibleDuplicate(
                        tenant_id=tenant,
                        complaint_id=complaint.id,
                        other_complaint_id=other,
                        reason="similar_text",
                        score=round(score, 4),
                        flagged_at=now,
                    )  # fmt: skip
                )
    return lookup


def score_texts(
    *, session: Session, tenant: str, crux: str, received_at: datetime
) -> dict[str, float]:
    """The similarity of `crux` with the texts that share one of its band buckets, by their
    normalised text: the quadratic comparisons (difflib) done before the write transaction,
    on a read-only session, so that they do not hold SQLite's write lock. The transaction
    then reads the buckets again and compares only texts that are new (find_possible_duplicates)."""
    lo, hi = received_at - DUPLICATE_WINDOW, received_at + DUPLICATE_WINDOW
    connection = session.connection()
    params = {"tenant": tenant, "lo": lo, "hi": hi, "complaint_id": ""}
    buckets = {f"bucket{band}": bucket for band, bucket in minhash.bands(crux)}
    shared = Counter(connection.execute(_SAME_BUCKET, {**params, **buckets}).scalars().all())
    candidates = [other for other, _ in shared.most_common(MAX_VERIFIED)]
    if not candidates:
        return {}
    mine = minhash.normalise(crux)
    scores: dict[str, float] = {}
    for owner, text in connection.execute(
        select(_complaints.c.tenant_id, _complaints.c.crux).where(_complaints.c.id.in_(candidates))
    ):
        theirs = minhash.normalise(text)
        if owner == tenant and theirs not in scores:
            scores[theirs] = similarity(mine, theirs)
    return scores


def similarity(a: str, b: str) -> float:
    """difflib's ratio (2 * matches / total length); quick_ratio is an upper bound, so a
    candidate that cannot reach SIMILARITY skips the quadratic part."""
    matcher = SequenceMatcher(None, a, b)
    if matcher.quick_ratio() < SIMILARITY:
        return matcher.quick_ratio()
    return matcher.ratio()


def flag_possible_duplicates(
    *, session: Session, complaint: Complaint, scores: dict[str, float] | None = None
) -> Lookup:
    """Index the new complaint's text, find its possible duplicates and store the flags, in
    the caller's transaction (`scores`: see find_possible_duplicates)."""
    lookup = find_possible_duplicates(session=session, complaint=complaint, scores=scores)
    index_text(session=session, complaint=complaint)
    session.add_all(lookup.flags)
    return lookup


def flags_of(*, session: Session, complaint_id: str, tenant: str) -> list[dict[str, object]]:
    """Every flag naming the complaint, either way round, newest first. Two index reads (the
    primary key's complaint_id prefix; (tenant_id, other_complaint_id)) rather than one OR,
    which SQLite would answer from the tenant_id index by reading all the tenant's flags."""
    flags = PossibleDuplicate.__table__
    connection = session.connection()
    raised = connection.execute(select(flags).where(flags.c.complaint_id == complaint_id)).all()
    received = connection.execute(
        select(flags).where(flags.c.tenant_id == tenant, flags.c.other_complaint_id == complaint_id)
    ).all()
    rows = [(row, True) for row in raised if row.tenant_id == tenant]
    rows += [(row, False) for row in received]
    rows.sort(key=lambda pair: (pair[0].flagged_at, pair[0].score), reverse=True)
    return [
        {
            "other_complaint_id": row.other_complaint_id if later else row.complaint_id,
            "reason": row.reason,
            "score": row.score,
            "flagged_at": row.flagged_at,
            "registered_later": later,
        }
        for row, later in rows
    ]


# ------------------------------------------------------------------ use cases


def flags_for(rt: IntakeRuntime, principal: Principal, complaint_id: str) -> DuplicateFlags:
    """The flags naming a complaint the caller may see, either way round."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        complaint = access.load_visible(session, principal, complaint_id)
        flags = flags_of(session=session, complaint_id=complaint.id, tenant=principal.tenant)
        return DuplicateFlags(
            complaint_id=complaint.id,
            possible_duplicates=[DuplicateFlag.model_validate(f) for f in flags],
        )


def check_draft(
    rt: IntakeRuntime, principal: Principal, crux: str, contact: ContactDetails | None
) -> DuplicateCheck:
    """The registration's lookup for a complaint still being typed: stores nothing, raises no
    flag. Without a contact the pseudonym is of a fresh id, so it matches nothing."""
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        draft = Draft(
            tenant_id=principal.tenant, received_at=utcnow(), crux=crux,
            complainant_pseudonym=vault.pseudonym(
                session=session, keys=rt.master_keys, tenant=principal.tenant,
                contact=contact.model_dump() if contact else None, fallback=f"draft:{uuid4()}",
            ),
        )  # fmt: skip
        lookup = find_possible_duplicates(session=session, complaint=draft)
        seen: dict[str, DuplicateCandidate] = {}
        for flag in lookup.flags:
            seen.setdefault(flag.other_complaint_id, DuplicateCandidate(
                other_complaint_id=flag.other_complaint_id, reason=flag.reason, score=flag.score
            ))  # fmt: skip
        return DuplicateCheck(possible_duplicates=list(seen.values()))
