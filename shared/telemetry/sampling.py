"""Which traces are kept: requests and jobs, at TRACE_SAMPLE_RATIO; never the background chatter."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from shared.messaging.tasks import SWEEP_TASK

# The sweep runs every few seconds and nearly always finds nothing; what it republishes is traced on
# the job itself (the job resumes the trace stored on its row). "run/<task>" is how the Celery
# instrumentation names a task's span.
ROUTINE_ROOTS = frozenset({f"run/{SWEEP_TASK}"})


class _Roots(Sampler):
    """Decides for spans that start a trace.

    A database or Redis call with no request or job around it (a health probe, the lease heartbeat's
    thread, start-up) would otherwise start a one-span trace of its own every few seconds.
    """

    def __init__(self, ratio: float) -> None:
        self._ratio = TraceIdRatioBased(ratio)

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT or name in ROUTINE_ROOTS:
            return SamplingResult(Decision.DROP)
        return self._ratio.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"WorkOptiRoots{{{self._ratio.get_description()}}}"


def build_sampler(ratio: float) -> Sampler:
    """A child follows its parent's decision, so a job is kept exactly when its request was."""
    return ParentBased(root=_Roots(ratio))
