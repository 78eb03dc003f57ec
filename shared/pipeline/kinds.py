"""The built-in job kinds: extract, then embed and ai, each reading what extract made."""

from __future__ import annotations

from shared.jobs.kinds import Kind

EXTRACT = "extract"
EMBED = "embed"
AI = "ai"

KINDS = (
    Kind(EXTRACT, queue="ocr", step="shared.pipeline.steps.extract:ExtractStep"),
    Kind(EMBED, queue="embed", step="shared.pipeline.steps.embed:EmbedStep", follows=EXTRACT),
    Kind(AI, queue="ai", step="shared.pipeline.steps.ai:AiStep", follows=EXTRACT),
)
