"""The site's content generation: one row whose value changes whenever a transaction
that changed what visitors can see commits (playbook.pagecache bumps it). Every
worker reads it to know whether a page it rendered earlier is still what a fresh
render would give."""

from __future__ import annotations

from sqlalchemy import DDL, BigInteger, CheckConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from playbook.models.base import Base


class SiteState(Base):
    __tablename__ = "site_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    content_generation: Mapped[int] = mapped_column(BigInteger, default=0)


# The one row exists from the moment the table does (create_all here; the migration
# inserts it too), so the bump never has to insert.
event.listen(
    SiteState.__table__,
    "after_create",
    DDL("INSERT INTO site_state (id, content_generation) VALUES (1, 0)"),
)
