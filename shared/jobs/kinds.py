"""Job kinds as data: one declaration per kind is the single source the engine, the API, the workers,
the launcher and the docs read.

A kind names its queue (each queue has its own worker container), the kind whose outputs it reads,
and its step, by import path so that declaring a kind loads nothing heavy: the step module is imported
only where a job of that kind runs or its outputs are discarded. The built-in kinds live beside their
steps (`shared.pipeline.kinds`); a deployment adds kinds of its own by naming modules in
`JOB_KIND_MODULES`, each exporting `KINDS`.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from shared.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from shared.jobs.step import Step

BUILTIN_MODULES = ("shared.pipeline.kinds",)
MAINTENANCE_QUEUE = "maintenance"
# Webhook deliveries: requests to other systems, which wait on the network, so their own worker.
WEBHOOKS_QUEUE = "webhooks"
SERVICE_QUEUES = (WEBHOOKS_QUEUE, MAINTENANCE_QUEUE)
TASK_PREFIX = "workopti.jobs."

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,15}$")  # stored in jobs.kind, String(16)
_QUEUE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")  # jobs.queue, String(32)


class UnknownKind(LookupError):
    """A job kind no loaded declaration names."""


@dataclass(frozen=True)
class Kind:
    name: str
    queue: str
    step: str  # "package.module:Class", a subclass of shared.jobs.step.Step
    follows: str | None = None  # the kind whose outputs this one reads; None: it starts a run
    default: bool = True  # part of the pipeline an upload runs when it names none
    # "package.module:function" of (session, document_id) -> bool: after a run that rebuilt what this
    # kind reads completes, a run of this kind starts when the function says the document wants one
    # (an extraction the document was given schemas for). Read by import path, like the step.
    wanted: str | None = None

    @property
    def task(self) -> str:
        """The Celery task that runs jobs of this kind."""
        return TASK_PREFIX + self.name


class Catalog:
    """The kinds a process knows, checked as a whole: unique names, known parents, no cycles."""

    def __init__(self, kinds: Iterable[Kind]) -> None:
        by_name: dict[str, Kind] = {}
        for kind in kinds:
            if not _NAME.match(kind.name):
                raise ValueError(f"job kind {kind.name!r}: names are 1-16 of a-z, 0-9 and _, starting a-z")
            if not _QUEUE.match(kind.queue) or kind.queue in SERVICE_QUEUES:
                raise ValueError(f"job kind {kind.name!r}: {kind.queue!r} cannot be a work queue")
            if kind.name in by_name:
                raise ValueError(f"job kind {kind.name!r} is declared twice")
            if ":" not in kind.step:
                raise ValueError(f"job kind {kind.name!r}: step must be 'module:Class', not {kind.step!r}")
            if kind.wanted is not None and (":" not in kind.wanted or kind.follows is None or kind.default):
                raise ValueError(
                    f"job kind {kind.name!r}: wanted is 'module:function', for a kind that follows another "
                    "and is not part of the default pipeline"
                )
            by_name[kind.name] = kind
        for kind in by_name.values():
            if kind.follows is not None and kind.follows not in by_name:
                raise ValueError(f"job kind {kind.name!r} follows {kind.follows!r}, which is not declared")
        self._kinds = _topological(by_name)
        self._by_name = {kind.name: kind for kind in self._kinds}
        self._steps: dict[str, type[Step]] = {}

    def __iter__(self) -> Iterator[Kind]:
        """Every kind, parents before the kinds that follow them, otherwise in declaration order."""
        return iter(self._kinds)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def names(self) -> list[str]:
        return [kind.name for kind in self._kinds]

    def get(self, name: str) -> Kind:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownKind(f"no job kind is called {name!r}") from None

    def queue(self, name: str) -> str:
        return self.get(name).queue

    @property
    def work_queues(self) -> tuple[str, ...]:
        """The queues jobs run on, each once, in the order their first kind is declared."""
        return tuple(dict.fromkeys(kind.queue for kind in self._kinds))

    @property
    def queues(self) -> tuple[str, ...]:
        """Every queue a deployment needs a worker for: the work queues, webhooks and maintenance."""
        return (*self.work_queues, *SERVICE_QUEUES)

    @property
    def default_pipeline(self) -> list[str]:
        return [kind.name for kind in self._kinds if kind.default]

    def order(self, names: Iterable[str]) -> list[str]:
        """`names` (known, without repeats) in the order they run."""
        wanted = set(names)
        for name in wanted:
            self.get(name)
        return [kind.name for kind in self._kinds if kind.name in wanted]

    def descendants(self, name: str) -> list[str]:
        """The kinds that read `name`'s outputs, directly or through others, in run order."""
        found: set[str] = set()
        for kind in self._kinds:  # parents come first, so one pass sees every chain
            if kind.follows is not None and (kind.follows == name or kind.follows in found):
                found.add(kind.name)
        return [kind.name for kind in self._kinds if kind.name in found]

    def roots(self) -> list[str]:
        return [kind.name for kind in self._kinds if kind.follows is None]

    def wanted(self, name: str) -> Callable[[Session, uuid.UUID], bool] | None:
        """The kind's `wanted` function, imported on first use; None when it has none."""
        path = self.get(name).wanted
        if path is None:
            return None
        module, _, function = path.partition(":")
        found: Callable[[Session, uuid.UUID], bool] = getattr(importlib.import_module(module), function)
        return found

    def step(self, name: str) -> type[Step]:
        """The kind's step class, imported on first use."""
        found = self._steps.get(name)
        if found is None:
            found = _import_step(self.get(name))
            self._steps[name] = found
        return found


def _topological(by_name: dict[str, Kind]) -> list[Kind]:
    ordered: list[Kind] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(kind: Kind) -> None:
        if kind.name in placed:
            return
        if kind.name in visiting:
            raise ValueError(f"job kind {kind.name!r} follows itself through {kind.follows!r}")
        visiting.add(kind.name)
        if kind.follows is not None:
            place(by_name[kind.follows])
        visiting.discard(kind.name)
        placed.add(kind.name)
        ordered.append(kind)

    for kind in by_name.values():
        place(kind)
    return ordered


def _import_step(kind: Kind) -> type[Step]:
    from shared.jobs.step import Step

    module_name, _, attribute = kind.step.partition(":")
    found = getattr(importlib.import_module(module_name), attribute, None)
    if not (isinstance(found, type) and issubclass(found, Step)):
        raise TypeError(f"job kind {kind.name!r}: {kind.step} is not a Step")
    return found


def load_catalog(modules: Sequence[str] = ()) -> Catalog:
    """The built-in kinds and those of `modules` (each exporting `KINDS`)."""
    kinds: list[Kind] = []
    for module_name in (*BUILTIN_MODULES, *modules):
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ValueError(
                f"JOB_KIND_MODULES names {module_name}, which cannot be imported: {exc}"
            ) from exc
        declared = getattr(module, "KINDS", None)
        if declared is None:
            raise ValueError(f"{module_name} (JOB_KIND_MODULES) declares no KINDS")
        kinds.extend(declared)
    return Catalog(kinds)


_installed: list[Catalog] = []


@cache
def _configured() -> Catalog:
    return load_catalog(get_settings().jobs.kind_modules)


def catalog() -> Catalog:
    """The kinds this process knows: the built-in ones and JOB_KIND_MODULES', loaded once."""
    return _installed[-1] if _installed else _configured()


@contextmanager
def installed(replacement: Catalog) -> Iterator[Catalog]:
    """Use `replacement` as this process's catalogue for a while (an embedding program, a benchmark)."""
    _installed.append(replacement)
    try:
        yield replacement
    finally:
        _installed.remove(replacement)
