"""The built-in job kinds: extract, then embed and ai, each reading what extract made; and schemas,
which reads the classification and pages to extract the fields of the schemas a document was given."""

from __future__ import annotations

from shared.jobs.kinds import Kind

EXTRACT = "extract"
EMBED = "embed"
AI = "ai"
SCHEMAS = "schemas"

KINDS = (
    Kind(EXTRACT, queue="ocr", step="shared.pipeline.steps.extract:ExtractStep"),
    Kind(EMBED, queue="embed", step="shared.pipeline.steps.embed:EmbedStep", follows=EXTRACT),
    Kind(AI, queue="ai", step="shared.pipeline.steps.ai:AiStep", follows=EXTRACT),
    # Not part of an upload's pipeline: it runs after one when the document has schemas to extract
    # (given by a person, or attached to the label it was classified with), and when a schema is run.
    Kind(
        SCHEMAS,
        queue="ai",
        step="shared.pipeline.steps.schemas:SchemasStep",
        follows=AI,
        default=False,
        wanted="shared.extraction.assign:wanted",
    ),
)
