"""The migrations build exactly the schema the models describe (the test database was built by them)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models import db


def test_migrations_match_the_models(app):
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            differences = compare_metadata(context, db.metadata)
    assert differences == [], f"run 'flask --app app db migrate' and review the new migration: {differences}"
