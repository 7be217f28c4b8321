"""What the visitors' page cache (playbook.pagecache) checks in the database.

- site_state: one row whose content_generation takes a new random value when data
  changed outside the app's sessions (a migration, a restore). Ordinary writes never
  touch it, so it is no row that writers queue on.
- page_invalidation: one row per scope a committed transaction changed (a playbook,
  the gallery, the library, ...), each with a random token. Rows are only inserted
  (and old rows of a scope deleted now and then by a later write to that scope), so
  concurrent writers never wait for each other here. A page's fingerprint is the
  generation with the count and sum of the tokens of the scopes it shows.
"""

from __future__ import annotations

from sqlalchemy import DDL, BigInteger, CheckConstraint, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from playbook.models.base import Base, IdMixin


class SiteState(Base):
    __tablename__ = "site_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    content_generation: Mapped[int] = mapped_column(BigInteger, default=0)


# The one row exists from the moment the table does (create_all here; the migration
# inserts it too), so setting a generation never has to insert.
event.listen(
    SiteState.__table__,
    "after_create",
    DDL("INSERT INTO site_state (id, content_generation) VALUES (1, 0)"),
)


class PageInvalidation(IdMixin, Base):
    __tablename__ = "page_invalidation"
    # The fingerprint reads count and sum of token by scope: the index alone answers it.
    __table_args__ = (Index("ix_page_invalidation_scope_token", "scope", "token"),)

    scope: Mapped[str] = mapped_column(String(40))
    token: Mapped[int] = mapped_column(BigInteger)
