"""Checks of the merged document; any failure stops the build.

* it is a valid OpenAPI 3.0 document (openapi-spec-validator);
* it holds every expected operation (each published fragment's and each project
  fragment's operationId), and each operationId once;
* every path parameter is declared and no ``$ref`` dangles;
* it agrees with the recorded answers of the real server: every status the
  server sent is documented and every documented one was sent (500, and the
  statuses of ``spec/repairs/every-operation.json``, excepted),
  the token is required exactly where the server wants one, and every recorded
  body validates against its response schema;
* every schema under ``spec/repairs/components`` is used.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from mockserver.spec import pointer
from mockserver.spec.errors import BuildError
from mockserver.spec.layout import operations
from mockserver.spec.lint import Context, check_path_params, check_refs, run_checks
from mockserver.spec.observe import Observation
from mockserver.spec.repairs import Component

logger = logging.getLogger(__name__)


def validate_openapi(
    doc: dict[str, Any], *, source: str = "the merged document"
) -> None:
    """Validate ``doc`` as OpenAPI 3.0; :class:`BuildError` with the first error."""
    from openapi_spec_validator import OpenAPIV30SpecValidator

    errors = sorted(
        OpenAPIV30SpecValidator(doc).iter_errors(),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    if errors:
        first = errors[0]
        where = pointer.join(*[str(p) for p in first.absolute_path])
        raise BuildError(
            f"{source} is not valid OpenAPI 3.0 ({len(errors)} error(s)); first at "
            f"#{where}: {first.message.splitlines()[0]}; fix the fragment or repair "
            "that produced it"
        )


def check_operation_ids(doc: dict[str, Any], expected: Iterable[str]) -> list[str]:
    """Problems with the operationIds of ``doc``: missing, unexpected, repeated."""
    ids = [op.operation_id for op in operations(doc)]
    problems = [
        f"{op.method.upper()} {op.path} has no operationId"
        for op in operations(doc)
        if op.operation_id is None
    ]
    counts = Counter(i for i in ids if i is not None)
    problems += [
        f"operationId {i!r} is used {n} times"
        for i, n in sorted(counts.items())
        if n > 1
    ]
    wanted = set(expected)
    problems += [f"operation {i!r} is missing" for i in sorted(wanted - set(counts))]
    problems += [
        f"operation {i!r} comes from no fragment" for i in sorted(set(counts) - wanted)
    ]
    return problems


def unused_components(
    doc: dict[str, Any], components: Mapping[str, Component]
) -> list[str]:
    """Component repair files whose schema nothing in ``doc`` references."""
    used = {
        node["$ref"].rsplit("/", 1)[1]
        for _where, node in pointer.walk(doc)
        if isinstance(node, dict) and isinstance(node.get("$ref"), str)
    }
    return [str(c.file) for name, c in sorted(components.items()) if name not in used]


def validate_document(
    doc: dict[str, Any],
    *,
    expected_ids: Iterable[str],
    observed: Mapping[str, list[Observation]],
    components: Mapping[str, Component] | None = None,
    always_possible: frozenset[str] = frozenset(),
) -> None:
    """Run every check on the merged document; :class:`BuildError` lists failures.

    ``always_possible`` are the statuses the every-operation repair documents,
    which no scenario needs to have provoked on each operation.
    """
    validate_openapi(doc)
    problems = check_operation_ids(doc, expected_ids)
    structural = Context()
    problems += [
        f"#{f.pointer}: {f.kind}: {f.message}"
        for check in (check_path_params, check_refs)
        for f in check(doc, structural)
    ]
    problems += [
        f"#{f.pointer}: {f.kind}: {f.message}"
        for f in run_checks(
            doc, Context(observed=observed, always_possible=always_possible)
        )
    ]
    problems += [
        f"{file}: schema referenced by nothing; delete it"
        for file in unused_components(doc, components or {})
    ]
    unobserved = sorted(
        op.operation_id
        for op in operations(doc)
        if op.operation_id and op.operation_id not in observed
    )
    if unobserved:
        logger.warning(
            "%d operation(s) have no recorded answer of a real server, so their "
            "statuses and bodies are not checked: %s; add them to "
            "mockserver/spec/scenario.py and run 'vaultmock spec observe'",
            len(unobserved),
            ", ".join(unobserved),
        )
    if problems:
        raise BuildError(
            f"the merged document fails {len(problems)} check(s):\n  "
            + "\n  ".join(problems)
            + "\nfix the repair or project fragment concerned and build again"
        )
    logger.debug("the merged document passed every check")
