"""The webhooks' part of the periodic sweep: publish the deliveries that are due (retries whose time
has come, messages that were lost) and forget finished deliveries past the log's retention."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings
from shared.db.engine import session_scope
from shared.db.outbox import TaskPublisher
from shared.webhooks import delivery
from shared.webhooks.outbox import publish_after_commit

log = logging.getLogger(__name__)


@dataclass
class WebhookSweepReport:
    released: int = 0
    pruned: int = 0


def sweep(factory: sessionmaker[Session], publisher: TaskPublisher, settings: Settings) -> WebhookSweepReport:
    report = WebhookSweepReport()
    with session_scope(factory, publisher) as session:
        due = delivery.release_due(session, settings.jobs.republish_after_seconds)
        publish_after_commit(session, due)
        report.released = len(due)
    with session_scope(factory) as session:
        report.pruned = delivery.prune(session, settings.webhooks.log_retention_seconds)
    if report.released or report.pruned:
        log.info("webhook sweep: %s", report)
    return report
