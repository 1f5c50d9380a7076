"""Drive schemathesis over one group of operations of one document, on one target.

:func:`run_group` runs the phases of :class:`Settings` and returns a
:class:`~mockserver.conformance.model.RunResult`:

``examples``, ``coverage``, ``fuzzing``
    each operation on its own (schemathesis' unit phases; ``examples`` fills in an
    example for operations the document gives none);
``stateful``
    sequences that follow the OpenAPI ``links`` of the document (an entity created
    by one call is read, updated, aliased and deleted by the next); link
    inference is off, so only the document's own links count;
``auth``
    the token probe of :mod:`mockserver.conformance.authcheck`.

Checks: no server errors, status codes, content types and bodies as documented,
invalid data rejected, and, in stateful sequences, deleted resources gone and
nothing readable after a successful delete.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs

from mockserver.conformance import authcheck
from mockserver.conformance.classify import classify
from mockserver.conformance.documents import (
    EXCLUDED,
    group_of,
    in_group,
    load,
    operations,
)
from mockserver.conformance.model import PHASES, Finding, RunResult
from mockserver.conformance.reproduce import curl
from mockserver.conformance.targets import Target
from mockserver.conformance.weakdecode import valid_after_decoding

logger = logging.getLogger(__name__)

UNIT_PHASES = ("examples", "coverage", "fuzzing")

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "use_after_free",
)
"""The schemathesis checks a run applies. The token check is ours
(:mod:`~mockserver.conformance.authcheck`), because schemathesis' ``ignored_auth``
only probes operations whose document declares security, and the published one
declares none. ``ensure_resource_availability`` is left out: it takes a 404 after
a create for a lost resource unless a ``DELETE`` came in between, and a Vault
server also deletes through ``POST`` (``entity/batch-delete``, ``entity/merge``)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """How hard a run tries.

    ``max_examples`` is the number of generated cases per operation in the
    fuzzing phase and of sequences in the stateful phase; ``stateful_steps``
    bounds a sequence. ``seed`` makes a run repeat. ``workers`` is the number of
    threads schemathesis sends requests from. ``shrink`` makes hypothesis look for
    the smallest failing case (more requests, clearer examples).
    """

    phases: tuple[str, ...] = PHASES
    max_examples: int = 10
    stateful_steps: int = 10
    seed: int = 0
    workers: int = 1
    request_timeout: float = 10.0
    shrink: bool = False

    def with_phases(self, phases: tuple[str, ...]) -> Settings:
        """These settings with only ``phases``."""
        return replace(self, phases=phases)


def schemathesis_config(target: Target, settings: Settings, *, stateful: bool) -> Any:
    """The schemathesis configuration of one engine run."""
    from schemathesis.config import SchemathesisConfig

    enabled = set(settings.phases)
    phases: dict[str, Any] = {
        "examples": {
            "enabled": not stateful and "examples" in enabled,
            "fill-missing": True,
        },
        "coverage": {"enabled": not stateful and "coverage" in enabled},
        "fuzzing": {"enabled": not stateful and "fuzzing" in enabled},
        "stateful": {
            "enabled": stateful and "stateful" in enabled,
            "max-steps": settings.stateful_steps,
            # Only the links of the document: inferred ones would test guesses.
            "inference": {"algorithms": []},
        },
    }
    checks: dict[str, Any] = {"enabled": False}
    for name in CHECKS:
        checks[name] = {"enabled": True}
    return SchemathesisConfig.from_dict(
        {
            "seed": settings.seed,
            "suppress-health-check": ["all"],
            "cache": {"enabled": False},
            "output": {"sanitization": {"enabled": False}},
            "base-url": target.api,
            "headers": {"X-Vault-Token": target.token},
            "workers": settings.workers,
            "request-timeout": settings.request_timeout,
            "generation": {
                "max-examples": settings.max_examples,
                "database": "none",
                "no-shrink": not settings.shrink,
                # The token is the run's own; a generated one would only test 403.
                "with-security-parameters": False,
            },
            "phases": phases,
            "checks": checks,
        }
    )


def run_group(
    target: Target,
    document_name: str,
    group: str,
    settings: Settings,
    *,
    document: dict[str, Any] | None = None,
    only: Collection[str] | None = None,
) -> RunResult:
    """Run the phases of ``settings`` over ``group`` of ``document_name``.

    ``document`` replaces the packaged document of that name (tests use it);
    ``only`` narrows the run to these operations (``METHOD /path`` labels).
    Problems of the run itself (a phase that crashed, a server that stopped
    answering) land in ``RunResult.errors``; disagreements in ``findings``.
    """
    doc = document if document is not None else load(document_name)
    result = RunResult(
        target=target.name,
        document=document_name,
        group=group,
        phases=[p for p in PHASES if p in settings.phases],
    )
    started = time.monotonic()
    for op in operations(doc):
        if op.label in EXCLUDED and group_of(op.path) == group:
            result.notes.append(f"not sent: {op.label}: {EXCLUDED[op.label]}")
    chosen = None if only is None else set(only)
    if any(p in settings.phases for p in UNIT_PHASES):
        _engine(
            target, document_name, doc, group, settings, result, chosen, stateful=False
        )
    if "stateful" in settings.phases:
        _engine(
            target, document_name, doc, group, settings, result, chosen, stateful=True
        )
    if "auth" in settings.phases:
        authcheck.probe_group(target, document_name, doc, group, result, only=chosen)
    result.seconds = time.monotonic() - started
    return result


def _engine(
    target: Target,
    document_name: str,
    document: dict[str, Any],
    group: str,
    settings: Settings,
    result: RunResult,
    only: set[str] | None,
    *,
    stateful: bool,
) -> None:
    import schemathesis
    from schemathesis.engine import events, from_schema

    labels = {
        op.label
        for op in operations(document)
        if in_group(op, group, stateful=stateful) and (only is None or op.label in only)
    }
    if not labels:
        return
    if stateful and not _linked(document, labels):
        result.notes.append(
            f"stateful: no OpenAPI links join the operations of {group!r}; "
            "the phase did not run"
        )
        return
    config = schemathesis_config(target, settings, stateful=stateful)
    schema = schemathesis.openapi.from_dict(copy.deepcopy(document), config=config)
    selected = schema.include(lambda ctx: ctx.operation.label in labels)
    for event in from_schema(selected).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(
                target,
                document_name,
                document,
                event.phase.value,
                event.recorder,
                result,
            )
        elif isinstance(event, events.NonFatalError):
            result.errors.append(
                f"{event.label}: {event.info.title}: {event.info.message}".strip()
            )
        elif isinstance(event, events.FatalError):
            result.errors.append(f"schemathesis stopped: {event.exception!r}")
        elif isinstance(event, events.Interrupted):
            result.errors.append("the run was interrupted")
        elif isinstance(event, events.EngineFinished):
            reason = event.stop_reason.skip_explanation
            if reason is not None:
                result.errors.append(f"the run stopped early: {reason}")


def _linked(document: dict[str, Any], labels: set[str]) -> bool:
    """Whether any link of ``document`` goes from one of ``labels`` to another."""
    ids = {op.operation_id: op.label for op in operations(document)}
    for op in operations(document):
        if op.label not in labels:
            continue
        for response in op.definition.get("responses", {}).values():
            for link in (response.get("links") or {}).values():
                if ids.get(str(link.get("operationId"))) in labels:
                    return True
    return False


def _record(
    target: Target,
    document_name: str,
    document: dict[str, Any],
    phase: str,
    recorder: Any,
    result: RunResult,
) -> None:
    for case_id, interaction in recorder.interactions.items():
        node = recorder.cases.get(case_id)
        if node is None:
            continue
        response = interaction.response
        result.stats(node.value.operation.label).add(
            phase, None if response is None else response.status_code
        )
    for case_id, checks in recorder.checks.items():
        for check in checks:
            info = check.failure_info
            if info is None:
                continue
            failure = info.failure
            failed_id = failure.case_id or case_id
            finding = _finding(
                target,
                document_name,
                document,
                phase,
                recorder,
                failed_id,
                check.name,
                failure,
            )
            if finding is not None:
                result.add_finding(finding)


def _negative_component(case: Any) -> tuple[str | None, str | None]:
    meta = getattr(case, "meta", None)
    data = getattr(getattr(meta, "phase", None), "data", None)
    location = getattr(data, "parameter_location", None)
    parameter = getattr(data, "parameter", None)
    name = (
        None if location is None else str(getattr(location, "name", location)).lower()
    )
    return name, parameter


def _finding(
    target: Target,
    document_name: str,
    document: dict[str, Any],
    phase: str,
    recorder: Any,
    case_id: str,
    check: str,
    failure: Any,
) -> Finding | None:
    node = recorder.cases.get(case_id)
    interaction = recorder.interactions.get(case_id)
    if node is None or interaction is None:
        logger.debug("failure without a recorded request: %s", failure)
        return None
    request = interaction.request
    status = None if interaction.response is None else interaction.response.status_code
    location, parameter = _negative_component(node.value)
    if (
        type(failure).__name__ == "AcceptedNegativeData"
        and location in (None, "body")
        and _weakly_valid(node.value, request, document)
    ):
        # Not invalid for a Vault server: its weak decoding reads this body as
        # valid data, so accepting it is right.
        return None
    kind, category = classify(
        check,
        failure,
        url=request.uri,
        status=status,
        location=location,
        parameter=parameter,
    )
    command = _command(request, target.token)
    message = str(getattr(failure, "message", "") or "").strip()
    answer = _answer(interaction.response)
    if answer:
        message = f"{message}\n{answer}" if message else answer
    if phase == "stateful":
        command = _chain(recorder, case_id, target.token) or command
    return Finding(
        target=target.name,
        document=document_name,
        operation=node.value.operation.label,
        phase=phase,
        check=check,
        kind=kind,
        category=category,
        title=str(getattr(failure, "title", "") or type(failure).__name__),
        message=message,
        curl=command,
    )


def _weakly_valid(case: Any, request: Any, document: dict[str, Any]) -> bool:
    operation = case.operation
    definition = document["paths"][operation.path][operation.method.lower()]
    content = definition.get("requestBody", {}).get("content", {})
    headers = {name.lower(): values[0] for name, values in request.headers.items()}
    media = headers.get("content-type", "application/json").split(";")[0].strip()
    schema = content.get(media, {}).get("schema")
    if schema is None or request.body is None:
        return False
    text = request.body.decode("utf-8", errors="replace")
    body: Any
    if media == "application/x-www-form-urlencoded":
        body = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
    elif not text.strip():
        body = None  # only whitespace: no body, for a Vault server
    else:
        try:
            body = json.loads(text)
        except json.JSONDecodeError:
            return False
    return valid_after_decoding(body, schema, document)


def _answer(response: Any) -> str:
    """What the server answered, shortened: the status and the start of the body."""
    if response is None:
        return ""
    content = getattr(response, "content", b"") or b""
    text = content[:300].decode("utf-8", errors="replace")
    more = "..." if len(content) > 300 else ""
    return f"Answered {response.status_code}: {text or '(no body)'}{more}"


def _command(request: Any, token: str) -> str:
    headers = {name: values[0] for name, values in request.headers.items() if values}
    return curl(request.method, request.uri, headers, request.body, token=token)


def _chain(recorder: Any, case_id: str, token: str) -> str:
    """Every request of a stateful sequence up to the failing one, one per line.

    All of them, not only the failing request's ancestors: a step in between (a
    delete by another path, a merge) may be what the failure depends on.
    """
    lines = []
    number = 0
    for node_id, node in recorder.cases.items():
        interaction = recorder.interactions.get(node_id)
        if interaction is None:
            continue
        number += 1
        answer = (
            "" if interaction.response is None else interaction.response.status_code
        )
        lines.append(f"# step {number}: {node.value.operation.label} -> {answer}")
        lines.append(_command(interaction.request, token))
        if node_id == case_id:
            break
    return "\n".join(lines)
