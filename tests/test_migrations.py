"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect
from sqlmodel import SQLModel

from onboarding.db import get_engine


def test_migrated_schema_matches_models(app: Flask) -> None:
    engine = get_engine(app)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
        assert context.get_current_revision() is not None


def test_tables_exist(app: Flask) -> None:
    tables = set(inspect(get_engine(app)).get_table_names())
    assert {"connected_accounts", "stripe_writes", "webhook_events", "alembic_version"} <= tables
