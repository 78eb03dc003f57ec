from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.models import User


def ensure_user(session: Session, subject: str, name: str | None, email: str | None) -> User:
    """The user for this subject, created on first sight; name and email follow the latest token."""
    user = session.scalar(select(User).where(User.subject == subject))
    if user is not None:
        if (name and user.name != name) or (email and user.email != email):
            user.name = name or user.name
            user.email = email or user.email
        return user
    session.execute(
        insert(User)
        .values(subject=subject, name=name, email=email)
        .on_conflict_do_nothing(index_elements=[User.subject])
    )
    return session.scalars(select(User).where(User.subject == subject)).one()
