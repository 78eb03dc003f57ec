import datetime as dt
import uuid

from sqlalchemy import String, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, new_id


class User(Base):
    """Someone who signs in; created the first time their token is seen."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # The identity provider's subject (`sub`): stable for the person, unique across users.
    subject: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
