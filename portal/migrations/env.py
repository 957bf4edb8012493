"""Alembic environment: the engine is handed in by portal.db (no alembic.ini needed)."""

from alembic import context

import intake.handin_models
import intake.models  # noqa: F401
import portal.models  # noqa: F401
from intake.db import Base

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
