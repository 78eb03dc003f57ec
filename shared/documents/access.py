"""Who may see what, expressed once as SQL so every query filters the same way.

Today a document is visible to its owner only; what another user owns is indistinguishable from what
does not exist (404, never 403).
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement

from shared.models import Document


def visible_to(user_id: uuid.UUID) -> ColumnElement[bool]:
    return Document.owner_id == user_id
