"""Flag possible duplicates of a new complaint, at a cost that does not grow with the data.

Two indexed lookups within DUPLICATE_WINDOW of the complaint's received_at (either side, so
a bulk import of old complaints is compared with complaints of their own time):

- same contact: the complainant pseudonym, index (tenant_id, complainant_pseudonym,
  received_at) on complaints;
- nearly the same text: the crux's LSH band buckets (minhash.py), index (tenant_id, band,
  bucket_hash, received_at) on complaint_text_bands; the complaints sharing a bucket are
  verified with `similarity` >= SIMILARITY on the normalised texts.

Each lookup reads at most a fixed number of rows (PER_LOOKUP per pseudonym and per band),
and at most MAX_VERIFIED texts are compared: with thousands of identical texts (a campaign,
a template) staff see the most recent ones, which is enough to review them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import uuid4

from rapidfuzz.distance import Indel
from sqlalchemy import bindparam, delete, desc, func, insert, select, union_all
from sqlalchemy.orm import Session

from alac_intake.complaints import access
from alac_intake.complaints.models import Complaint
from alac_intake.complaints.schemas import ContactDetails
from alac_intake.database import kernel_tables
from alac_intake.duplicates import minhash
from alac_intake.duplicates.models import ComplaintTextBand, DuplicateReason, PossibleDuplicate
from alac_intake.duplicates.schemas import (
    DuplicateCandidate,
    DuplicateCheck,
    DuplicateFlag,
    DuplicateFlags,
)
from alac_intake.vault import service as vault
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope, utcnow
from alac_kernel.prebuilt import Prebuilt
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
# more CPU than the lookup itself; on SQLite they are compiled once too and run on the DBAPI
# cursor (alac_kernel.prebuilt: SQLAlchemy's own cost per execution was more than SQLite's).
# The tenant is a parameter of every branch.
_SAME_CONTACT = Prebuilt(
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
            select(_bands.c.complaint_id, _bands.c.received_at)
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
# The candidates, counted in the database: the MAX_VERIFIED complaints sharing most buckets
# (then the most recent), each with its text, and how many index rows the branches read. At
# most BANDS * PER_LOOKUP rows are grouped, so the cost stays bounded, and 20 rows come back
# instead of up to 500 (fetching them cost more than the comparisons). The text is read by
# the complaint's primary key only: with `tenant_id = ?` too, SQLite's planner picks the
# tenant index and reads every complaint of the tenant; the tenant is checked on each row.
_shared = _SAME_BUCKET.subquery("shared")
_counted = (
    select(
        _shared.c.complaint_id,
        func.count().label("bands"),
        func.max(_shared.c.received_at).label("latest"),
        func.sum(func.count()).over().label("examined"),
    )
    .group_by(_shared.c.complaint_id)
    .order_by(desc("bands"), desc("latest"))
    .limit(MAX_VERIFIED)
    .subquery("counted")
)
_CANDIDATES = Prebuilt(
    select(
        _counted.c.complaint_id, _counted.c.examined, _complaints.c.tenant_id, _complaints.c.crux
    )
    .join_from(_counted, _complaints, _complaints.c.id == _counted.c.complaint_id)
    .order_by(_counted.c.bands.desc(), _counted.c.latest.desc())
)
_INSERT_BANDS = Prebuilt(insert(_bands))
_INSERT_FLAGS = Prebuilt(insert(table_of(PossibleDuplicate)))


@dataclass(frozen=True)
class Flag:
    """One `possible_duplicates` row to store (plain data: no ORM object per flag)."""

    tenant_id: str
    complaint_id: str
    other_complaint_id: str
    reason: DuplicateReason
    score: float
    flagged_at: datetime


@dataclass
class Lookup:
    """What the lookup found and how many index rows it read (the cost, for tests and logs)."""

    flags: list[Flag] = field(default_factory=list)
    rows_examined: int = 0
    texts_verified: int = 0
    seen: set[str] = field(default_factory=set)  # every complaint id the lookup considered

    @property
    def ids(self) -> list[str]:
        return list(dict.fromkeys(f.other_complaint_id for f in self.flags))


def index_text(*, session: Session, complaint: Complaint) -> None:
    """(Re)write the complaint's band buckets; call after changing the crux."""
    session.execute(delete(_bands).where(_bands.c.complaint_id == complaint.id))
    insert_bands(session=session, complaint=complaint)


def insert_bands(*, session: Session, complaint: Complaint | Draft) -> None:
    """The band buckets of a new complaint's crux (one executemany)."""
    _INSERT_BANDS.execute_many(
        session.connection(),
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


def find_possible_duplicates(*, session: Session, complaint: Complaint | Draft) -> Lookup:
    """Earlier or later complaints of the same tenant within the window from the same
    pseudonym or with nearly the same crux. Reads only index ranges; stores nothing, so a
    registration runs it before its write transaction (`newer_flags` then completes it)."""
    tenant = complaint.tenant_id
    lo, hi = complaint.received_at - DUPLICATE_WINDOW, complaint.received_at + DUPLICATE_WINDOW
    lookup = Lookup()
    now = utcnow()
    connection = session.connection()
    params = {"tenant": tenant, "lo": lo, "hi": hi, "complaint_id": complaint.id}
    same_contact = [
        other
        for (other,) in _SAME_CONTACT.execute(
            connection, {**params, "pseudonym": complaint.complainant_pseudonym}
        )
    ]
    lookup.rows_examined += len(same_contact)
    lookup.seen.update(same_contact)
    lookup.flags += [_flag(complaint, other, "same_contact", 1.0, now) for other in same_contact]
    buckets = {f"bucket{band}": bucket for band, bucket in minhash.bands(complaint.crux)}
    candidates = _CANDIDATES.execute(connection, {**params, **buckets})
    if not candidates:
        return lookup
    lookup.rows_examined += int(candidates[0][1])  # examined: the same on every row
    lookup.seen.update(other for other, _, _, _ in candidates)
    texts = [(other, crux) for other, _, of, crux in candidates if of == tenant]
    lookup.texts_verified = len(texts)
    mine = minhash.normalise(complaint.crux)
    for other, crux in texts:
        score = similarity(mine, minhash.normalise(crux))
        if score >= SIMILARITY:
            lookup.flags.append(_flag(complaint, other, "similar_text", score, now))
    return lookup


_outbox = kernel_tables.outbox
_NEWER = select(_outbox.c.aggregateid).where(
    _outbox.c.seq > bindparam("mark"),
    _outbox.c.type == "complaint.received",
    _outbox.c.tenant_id == bindparam("tenant"),
)
_NEWER_SHARING = select(_bands.c.complaint_id, _bands.c.band, _bands.c.bucket_hash).where(
    _bands.c.complaint_id.in_(bindparam("ids", expanding=True)),
    _bands.c.bucket_hash.in_(bindparam("buckets", expanding=True)),
)
_NEWER_ROWS = select(
    _complaints.c.id, _complaints.c.tenant_id, _complaints.c.crux,
    _complaints.c.complainant_pseudonym, _complaints.c.received_at,
).where(_complaints.c.id.in_(bindparam("ids", expanding=True)))  # fmt: skip


def newer_flags(*, session: Session, complaint: Complaint, lookup: Lookup, mark: int) -> None:
    """Complete `lookup`, made before the write transaction as of outbox row `mark`, with the
    complaints registered since (every registration writes its `complaint.received` to the
    outbox in its own transaction, and on SQLite transactions commit one after the other):
    the flags are then those the lookup inside the transaction would have given. Usually
    there are none or a few, and this is one read of the outbox's newest rows."""
    tenant = complaint.tenant_id
    connection = session.connection()
    newer = [
        other
        for other in connection.execute(_NEWER, {"mark": mark, "tenant": tenant}).scalars()
        if other != complaint.id and other not in lookup.seen
    ]
    if not newer:
        return
    lookup.seen.update(newer)
    mine = set(minhash.bands(complaint.crux))
    sharing = {
        other
        for other, band, bucket in connection.execute(
            _NEWER_SHARING, {"ids": newer, "buckets": [bucket for _, bucket in mine]}
        )
        if (band, bucket) in mine
    }
    lo, hi = complaint.received_at - DUPLICATE_WINDOW, complaint.received_at + DUPLICATE_WINDOW
    now = utcnow()
    for row in connection.execute(_NEWER_ROWS, {"ids": newer}):
        if row.tenant_id != tenant or not lo <= row.received_at <= hi:
            continue
        if row.complainant_pseudonym == complaint.complainant_pseudonym:
            lookup.flags.append(_flag(complaint, row.id, "same_contact", 1.0, now))
        if row.id in sharing:
            score = similarity(minhash.normalise(complaint.crux), minhash.normalise(row.crux))
            if score >= SIMILARITY:
                lookup.flags.append(_flag(complaint, row.id, "similar_text", score, now))


def _flag(
    complaint: Complaint | Draft,
    other: str,
    reason: DuplicateReason,
    score: float,
    now: datetime,
) -> Flag:
    return Flag(
        tenant_id=complaint.tenant_id, complaint_id=complaint.id, other_complaint_id=other,
        reason=reason, score=round(score, 4), flagged_at=now,
    )  # fmt: skip


def similarity(a: str, b: str) -> float:
    """The normalised Indel similarity of two normalised texts: 2 * M / (len(a) + len(b)), M
    the length of their longest common subsequence (rapidfuzz, bit-parallel C++). It is
    difflib's `ratio()` formula with the longest common subsequence for difflib's matching
    blocks, which can only be shorter: every pair difflib scored >= SIMILARITY scores so
    here too. A pair below SIMILARITY stops early (score_cutoff) and scores 0."""
    return Indel.normalized_similarity(a, b, score_cutoff=SIMILARITY)


def flag_possible_duplicates(*, session: Session, complaint: Complaint) -> Lookup:
    """Index the new complaint's text, find its possible duplicates and store the flags, in
    the caller's transaction (a registration does the lookup before it: `store_flags`)."""
    lookup = find_possible_duplicates(session=session, complaint=complaint)
    insert_bands(session=session, complaint=complaint)
    store_flags(session=session, lookup=lookup)
    return lookup


def store_flags(*, session: Session, lookup: Lookup) -> None:
    _INSERT_FLAGS.execute_many(session.connection(), [vars(f) for f in lookup.flags])


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
