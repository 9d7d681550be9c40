"""Generating a letter of support: consent-gated action, PDF rendered and stored encrypted
(AES-GCM, alac_kernel.crypto) under a key of its own, wrapped by the tenant's letter key, which
cases' master key wraps in turn. Erasing the complaint's personal data deletes the PDFs and
their keys."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alac_cases.actions import service as actions
from alac_cases.case.commands import Recorded, change_case, read_case, records_reader, rows_of_case
from alac_cases.case.models import Case
from alac_cases.deadlines.calendar import KZ
from alac_cases.letters import references
from alac_cases.letters.letterhead import letterhead
from alac_cases.letters.models import CasesTenantKey, Letter
from alac_cases.letters.render import LetterContent, Signatory, render_pdf
from alac_cases.letters.store import LetterStore
from alac_cases.runtime import CasesRuntime
from alac_cases.staff import service as staff
from alac_cases.tenancy.service import languages_of
from alac_kernel import crypto
from alac_kernel.auth.principal import Principal
from alac_kernel.crypto import MasterKeys
from alac_kernel.db import new_id, one_found, session_scope, utcnow
from alac_kernel.errors import Gone, InvalidFields, NotFound
from alac_kernel.outbox import Outbox

PDF_HEADER = b"%PDF-"


# The action's summary, in the letter's language: the lawyer reads it in the case's actions
# and timeline beside the letter itself.
ACTION_SUMMARY = {
    "en": "Letter of support to {authority}",
    "ru": "Письмо поддержки: {authority}",
    "kk": "Қолдау хаты: {authority}",
}


def _wrap_aad(tenant: str, version: int) -> str:
    return f"cases-tenant-key|{tenant}|{version}"


def _letter_key_aad(tenant: str, letter_id: str, version: int) -> str:
    return f"letter-key|{tenant}|{letter_id}|{version}"


def _pdf_aad(tenant: str, letter_id: str) -> str:
    return f"letter|{tenant}|{letter_id}"


def tenant_key(
    *, session: Session, keys: MasterKeys, tenant: str, version: int | None = None
) -> tuple[int, bytes]:
    """(version, key): the given version, else the newest; created on a tenant's first use."""
    query = select(CasesTenantKey).where(CasesTenantKey.tenant_id == tenant)
    if version is not None:
        query = query.where(CasesTenantKey.version == version)
    row = session.execute(
        query.order_by(CasesTenantKey.version.desc()).limit(1)
    ).scalar_one_or_none()
    if row is None:
        if version is not None:
            raise LookupError(f"no letter key version {version} for tenant {tenant}")
        raw = crypto.new_key()
        session.add(
            CasesTenantKey(
                tenant_id=tenant, version=1, master_key_id=keys.current_id,
                wrapped=crypto.seal(keys.current, raw, _wrap_aad(tenant, 1)), created_at=utcnow(),
            )
        )  # fmt: skip
        session.flush()
        return 1, raw
    master = keys.by_id(row.master_key_id)
    return row.version, crypto.open_sealed(master, row.wrapped, _wrap_aad(tenant, row.version))


def create(
    *,
    session: Session,
    outbox: Outbox,
    store: LetterStore,
    keys: MasterKeys,
    case: Case,
    principal: Principal,
    language: str,
    authority: str,
    legal_assessment: str,
    facts: str,
    request: str,
    addressee_address: str | None = None,
) -> Letter:
    # A centre writes to authorities only in the languages it works in (the registry's
    # `languages`): it could not answer the reply, nor its lawyers sign what they cannot read.
    offered = languages_of(session=session, tenant_id=case.tenant_id)
    if offered is not None and language not in offered:
        reason = f"the centre writes letters in {', '.join(offered)} only"
        raise InvalidFields(
            f"body.language: {reason}", errors=[{"field": "body.language", "reason": reason}]
        )
    # The action is recorded first: it refuses a closed case, an anonymous complaint and a
    # missing documents_to_authorities consent before anything is rendered or stored.
    action = actions.record(
        session=session,
        outbox=outbox,
        case=case,
        principal=principal,
        action_type="letter_of_support",
        summary=ACTION_SUMMARY[language].format(authority=" ".join(authority.split())),
        occurred_at=utcnow(),
    )
    now = utcnow()
    dated = now.astimezone(KZ).date()
    number = references.next_number(session, tenant=case.tenant_id, year=dated.year)
    reference = references.reference(case.tenant_id, dated.year, number)
    pdf = render_pdf(
        LetterContent(
            language=language,
            authority=authority,
            addressee_address=addressee_address,
            legal_assessment=legal_assessment,
            facts=facts,
            request=request,
            signatory=signatory(session=session, principal=principal),
            letterhead=letterhead(session, case.tenant_id, language),
            reference=reference,
            case_reference=case.id[:8],
            dated=dated,
        )
    )
    letter_id = new_id()
    version, wrapping = tenant_key(session=session, keys=keys, tenant=case.tenant_id)
    letter_key = crypto.new_key()
    letter = Letter(
        id=letter_id,
        key_version=version,
        wrapped_key=crypto.seal(
            wrapping, letter_key, _letter_key_aad(case.tenant_id, letter_id, version)
        ),
        tenant_id=case.tenant_id,
        case_id=case.id,
        action_id=action.id,
        language=language,
        authority=authority,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        created_by=principal.subject,
        created_at=now,
        reference=reference,
    )
    session.add(letter)
    session.flush()
    # Stored before the commit, so a letter row never lacks its PDF; if the transaction then
    # fails, `write_letter` deletes the file again.
    store.put(
        tenant=case.tenant_id,
        letter_id=letter.id,
        data=crypto.encrypt(letter_key, pdf, _pdf_aad(case.tenant_id, letter.id)),
    )
    return letter


def signatory(*, session: Session, principal: Principal) -> Signatory:
    """Who signs: the display name and position the staff registry has for the lawyer (from
    staff.* events or POST /v1/staff); else the name claim of their token; else their username.
    Never the office code."""
    member = staff.member(session=session, subject=principal.subject)
    name = (member.display_name if member else None) or principal.name or principal.username
    return Signatory(name=name or principal.subject, position=member.position if member else None)


def read_pdf(*, session: Session, keys: MasterKeys, store: LetterStore, letter: Letter) -> bytes:
    """The PDF; Gone once erased, NotFound when its file is missing."""
    if letter.erased_at is not None:
        raise Gone("This letter was erased with the complainant's personal data.")
    data = store.get(tenant=letter.tenant_id, letter_id=letter.id)
    if data is None:
        raise NotFound("letter")
    if letter.wrapped_key is None or letter.key_version is None or data.startswith(PDF_HEADER):
        # Stored in plaintext before encryption at rest (revision 8d3e5f7a9b10), or its
        # encryption by `encrypt_plaintext` was interrupted after the key's commit. (A
        # ciphertext starts with a random nonce: "%PDF-" by chance once in 2^40.)
        return data
    _, wrapping = tenant_key(
        session=session, keys=keys, tenant=letter.tenant_id, version=letter.key_version
    )
    letter_key = crypto.open_sealed(
        wrapping,
        letter.wrapped_key,
        _letter_key_aad(letter.tenant_id, letter.id, letter.key_version),
    )
    return crypto.decrypt(letter_key, data, _pdf_aad(letter.tenant_id, letter.id))


def encrypt_plaintext(
    *,
    factory: sessionmaker[Session],
    keys: MasterKeys,
    store: LetterStore,
    batch_size: int = 100,
) -> dict[str, int]:
    """Encrypt the letter PDFs stored before encryption at rest (revision 8d3e5f7a9b10), while
    the service runs. Each batch's keys are committed first, then its files are rewritten in
    place (the store writes a temporary file and renames it): a crash in between leaves a
    plaintext PDF under a committed key, which `read_pdf` still serves (a PDF is recognised by
    its header) and the next run encrypts; never a ciphertext without its key. Repeatable."""
    report = {"encrypted": 0, "missing": 0}
    while True:
        pending: list[tuple[Letter, bytes, bytes]] = []
        with session_scope(factory, all_tenants=True) as session:
            letters = (
                session.execute(
                    select(Letter)
                    .where(Letter.wrapped_key.is_(None), Letter.erased_at.is_(None))
                    .order_by(Letter.id)
                    .limit(batch_size)
                )
                .scalars()
                .all()
            )
            if not letters:
                break
            for letter in letters:
                data = store.get(tenant=letter.tenant_id, letter_id=letter.id)
                if data is None:
                    # No file to protect: the row could only answer 404; mark it erased.
                    letter.erased_at = utcnow()
                    report["missing"] += 1
                    continue
                version, wrapping = tenant_key(session=session, keys=keys, tenant=letter.tenant_id)
                letter_key = crypto.new_key()
                letter.key_version = version
                letter.wrapped_key = crypto.seal(
                    wrapping, letter_key, _letter_key_aad(letter.tenant_id, letter.id, version)
                )
                pending.append((letter, letter_key, data))
            session.flush()
            session.expunge_all()
        for letter, letter_key, data in pending:  # after the commit: the keys are safe
            _rewrite(store, letter, letter_key, data)
            report["encrypted"] += 1
    report["encrypted"] += _finish_interrupted(factory=factory, keys=keys, store=store)
    return report


def _rewrite(store: LetterStore, letter: Letter, letter_key: bytes, data: bytes) -> None:
    store.put(
        tenant=letter.tenant_id,
        letter_id=letter.id,
        data=crypto.encrypt(letter_key, data, _pdf_aad(letter.tenant_id, letter.id)),
    )


def _finish_interrupted(
    *, factory: sessionmaker[Session], keys: MasterKeys, store: LetterStore
) -> int:
    """Letters whose key was committed but whose file is still the plaintext PDF (a run
    stopped between the commit and the rewrite)."""
    done = 0
    with session_scope(factory, all_tenants=True) as session:
        letters = (
            session.execute(
                select(Letter).where(Letter.wrapped_key.is_not(None), Letter.erased_at.is_(None))
            )
            .scalars()
            .all()
        )
        for letter in letters:
            data = store.get(tenant=letter.tenant_id, letter_id=letter.id)
            if data is None or not data.startswith(PDF_HEADER):
                continue
            _, wrapping = tenant_key(
                session=session, keys=keys, tenant=letter.tenant_id, version=letter.key_version
            )
            letter_key = crypto.open_sealed(
                wrapping,
                letter.wrapped_key,  # type: ignore[arg-type]
                _letter_key_aad(letter.tenant_id, letter.id, letter.key_version),  # type: ignore[arg-type]
            )
            _rewrite(store, letter, letter_key, data)
            done += 1
    return done


def erase_for_complaint(*, session: Session, store: LetterStore, complaint_id: str) -> int:
    """Delete the PDFs and keys of every letter of the complaint's cases (on
    complaint.personal_data_purged). Repeatable: an erased letter is skipped. The files go
    before the commit; if it fails, the event is handled again."""
    letters = (
        session.execute(
            select(Letter)
            .join(Case, Case.id == Letter.case_id)
            .where(Case.complaint_id == complaint_id, Letter.erased_at.is_(None))
        )
        .scalars()
        .all()
    )
    now = utcnow()
    for letter in letters:
        store.delete(tenant=letter.tenant_id, letter_id=letter.id)
        letter.wrapped_key, letter.key_version, letter.erased_at = None, None, now
    session.flush()
    return len(letters)


def list_letters(*, session: Session, case_id: str) -> list[Letter]:
    return rows_of_case(
        session=session, model=Letter, case_id=case_id, order_by=[Letter.created_at]
    )


def get(*, session: Session, case_id: str, letter_id: str) -> Letter:
    query = select(Letter).where(Letter.id == letter_id, Letter.case_id == case_id)
    return one_found(session, query, "letter")


# ---------------------------------------------------------------------- use cases


def write_letter(
    runtime: CasesRuntime,
    principal: Principal,
    *,
    case_id: str,
    expected: int,
    language: str,
    authority: str,
    legal_assessment: str,
    facts: str,
    request: str,
    addressee_address: str | None = None,
) -> Recorded[Letter]:
    """A letter of support: the PDF rendered, stored encrypted, recorded as an action."""
    stored: str | None = None
    try:
        with change_case(
            runtime, principal, case_id=case_id, expected=expected, what="letter.create"
        ) as c:
            letter = create(
                session=c.session, outbox=c.outbox, store=runtime.letters,
                keys=runtime.master_keys, case=c.case, principal=principal,
                language=language, authority=authority, legal_assessment=legal_assessment,
                facts=facts, request=request, addressee_address=addressee_address,
            )  # fmt: skip
            stored = letter.id
            c.audit_detail = {"letter_id": letter.id, "language": letter.language}
    except BaseException:
        # The PDF is written before the commit; a rolled-back letter must not leave its text
        # (facts of the case) on disk with no row pointing at it.
        if stored is not None:
            runtime.letters.delete(tenant=principal.tenant, letter_id=stored)
        raise
    return Recorded(letter, c.case.version)


letters_of_case = records_reader("letter.list", list_letters)


def letter_pdf(
    runtime: CasesRuntime, principal: Principal, *, case_id: str, letter_id: str
) -> tuple[Letter, bytes]:
    """A letter and its PDF, read as a read of the case file."""
    with read_case(runtime, principal, case_id=case_id, what="letter.read") as c:
        letter = get(session=c.session, case_id=c.case.id, letter_id=letter_id)
        c.audit_detail = {"letter_id": letter.id}
        pdf = read_pdf(
            session=c.session, keys=runtime.master_keys, store=runtime.letters, letter=letter
        )
        return letter, pdf
