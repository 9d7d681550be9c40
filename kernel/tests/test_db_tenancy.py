"""Tenant scoping: a session opened for tenant A never sees, changes or deletes tenant B's
rows, on SQLite and on PostgreSQL; a session with no tenant refuses tenant-scoped queries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import String, delete, func, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from alac_kernel.db import (
    TenantScoped,
    TenantScopeMissing,
    make_engine,
    make_session_factory,
    one_found,
    session_scope,
)
from alac_kernel.errors import NotFound
from alac_kernel.testing.postgres import fresh_database


class Base(DeclarativeBase):
    pass


class Note(TenantScoped, Base):
    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


class Office(Base):
    """Not tenant-scoped: shared reference data."""

    __tablename__ = "offices"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker]:
    if request.param == "postgres":
        with fresh_database("alac_tenancy") as url:
            engine = make_engine(url)
            yield _setup(engine)
            engine.dispose()
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'tenancy.db'}")
        yield _setup(engine)
        engine.dispose()


def _setup(engine) -> sessionmaker:
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with session_scope(factory, all_tenants=True) as s:
        s.add_all(
            [
                Note(id="a1", tenant_id="A", text="alpha one"),
                Note(id="a2", tenant_id="A", text="alpha two"),
                Note(id="b1", tenant_id="B", text="beta one"),
                Office(code="almaty"),
            ]
        )
    return factory


def texts(factory, tenant: str | None = None, all_tenants: bool = False) -> list[str]:
    with session_scope(factory, tenant=tenant, all_tenants=all_tenants) as s:
        return sorted(s.execute(select(Note.text)).scalars())


def test_select_sees_only_the_sessions_tenant(factory):
    with session_scope(factory, tenant="A") as s:
        assert sorted(n.id for n in s.execute(select(Note)).scalars()) == ["a1", "a2"]
        assert s.execute(select(func.count()).select_from(Note)).scalar_one() == 2
        assert s.execute(select(Note).where(Note.text.like("%one"))).scalars().all()[0].id == "a1"
        # Another tenant's row by id, as a route handler would look it up:
        assert s.execute(select(Note).where(Note.id == "b1")).scalar_one_or_none() is None
        assert s.get(Note, "b1") is None
        assert s.get(Note, "a1").text == "alpha one"
    with session_scope(factory, tenant="B") as s:
        assert [n.id for n in s.execute(select(Note)).scalars()] == ["b1"]
        assert s.execute(select(Note).where(Note.id == "a1")).scalar_one_or_none() is None


def test_update_never_touches_another_tenants_rows(factory):
    with session_scope(factory, tenant="A") as s:
        result = s.execute(update(Note).values(text="changed by A"))
        assert result.rowcount == 2
        result = s.execute(update(Note).where(Note.id == "b1").values(text="hijacked"))
        assert result.rowcount == 0
    assert texts(factory, "B") == ["beta one"]
    assert texts(factory, "A") == ["changed by A", "changed by A"]


def test_delete_never_touches_another_tenants_rows(factory):
    with session_scope(factory, tenant="B") as s:
        assert s.execute(delete(Note).where(Note.id.in_(["a1", "a2", "b1"]))).rowcount == 1
    assert texts(factory, "A") == ["alpha one", "alpha two"]
    assert texts(factory, "B") == []
    with session_scope(factory, tenant="B") as s:
        assert s.execute(delete(Note)).rowcount == 0
    assert texts(factory, all_tenants=True) == ["alpha one", "alpha two"]


def test_a_session_without_a_tenant_refuses_scoped_queries(factory):
    for statement in (
        select(Note),
        select(func.count()).select_from(Note),
        update(Note).values(text="x"),
        delete(Note),
    ):
        with pytest.raises(TenantScopeMissing):
            with session_scope(factory) as s:
                s.execute(statement)
    with pytest.raises(TenantScopeMissing):
        with session_scope(factory) as s:
            s.get(Note, "a1")
    assert texts(factory, all_tenants=True) == ["alpha one", "alpha two", "beta one"]
    # Unscoped tables stay reachable without a tenant.
    with session_scope(factory) as s:
        assert s.execute(select(Office.code)).scalars().all() == ["almaty"]


def test_all_tenants_sees_everything(factory):
    assert texts(factory, all_tenants=True) == ["alpha one", "alpha two", "beta one"]
    with session_scope(factory, all_tenants=True) as s:
        assert s.get(Note, "b1").tenant_id == "B"


def test_joined_and_aliased_queries_are_scoped_too(factory):
    from sqlalchemy.orm import aliased

    other = aliased(Note)
    with session_scope(factory, tenant="A") as s:
        pairs = s.execute(select(Note.id, other.id).join(other, other.text != Note.text)).all()
    assert sorted(pairs) == [("a1", "a2"), ("a2", "a1")]


def test_a_scoped_model_reached_only_through_a_join_is_scoped(factory):
    query = select(Office.code, Note.id).select_from(Office).join(Note, Note.text != Office.code)
    with session_scope(factory, tenant="B") as s:
        assert s.execute(query).all() == [("almaty", "b1")]
    with pytest.raises(TenantScopeMissing):
        with session_scope(factory) as s:
            s.execute(select(Office.code).join(Note, Note.text != Office.code))


def test_one_found_answers_another_tenants_record_as_a_missing_one(factory):
    with session_scope(factory, tenant="A") as s:
        assert one_found(s, select(Note).where(Note.id == "a2"), "note").text == "alpha two"
        for other in ("b1", "nope"):  # B's note, and none at all: the same refusal
            with pytest.raises(NotFound) as refused:
                one_found(s, select(Note).where(Note.id == other), "note")
            assert str(refused.value) == "note not found"
