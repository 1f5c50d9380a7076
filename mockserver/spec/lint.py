"""Find the defects of the published fragments, and the repair that fixes each.

Every check runs on one fragment document in a :class:`Context` saying which
schemas and security schemes are available and what the real server answered
(``spec/observed/responses.json``). A defect is found in the published fragment;
it counts as *repaired* when the same check no longer finds it once the repairs
are applied. Attribution is layered: if the fragment's own patch file removes the
defect, the patch is named; otherwise the shared repair (a schema under
``spec/repairs/components`` or ``spec/repairs/document.json``) that does.

Checks that run on the repaired fragments may also find problems the published
ones did not have (a repair that breaks something); those are reported as
unrepaired defects of the repaired fragment, so the build fails on them too.

Kinds of defect:

``missing-operation-id``, ``duplicate-operation-id``
    an operation without an operationId, or two with the same one;
``dangling-ref``
    a ``$ref`` to a schema that nothing defines;
``undeclared-path-param``
    a ``{name}`` in the path template that no parameter declares;
``null-response``
    a response that is ``null`` instead of a Response object;
``bad-status-key``
    a key under ``responses`` that is not a status code (nor ``default``);
``default-type-mismatch``
    a schema whose ``default`` does not have the schema's ``type``;
``duration-as-integer``
    a ``format: seconds`` field typed integer only, though the server also takes
    duration strings such as ``"1h"`` for it;
``missing-security-scheme``
    the server wants ``X-Vault-Token`` but the document declares no such scheme;
``security-on-open-operation``
    the server answers without a token but the document demands one;
``undocumented-server-status``
    the server answers a status the fragment does not document;
``documented-never-sent``
    the fragment documents a status the server never answered (500 excepted);
``required-body-accepts-empty``
    the request body is required but the server accepts a request without one;
``closed-request-schema``
    a request schema with ``additionalProperties: false`` (the server ignores
    unknown fields with a warning, it does not reject them);
``response-mismatch``
    a body the server really sent does not validate against the documented schema.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver.spec import pointer
from mockserver.spec.layout import (
    DOCUMENT_REPAIR,
    OBSERVED,
    PATH_PARAM,
    Fragment,
    Operation,
    load_fragments,
    operations,
)
from mockserver.spec.observe import Observation, load_record
from mockserver.spec.repairs import Repairs, load_repairs

logger = logging.getLogger(__name__)

SCHEMA_REF = "#/components/schemas/"
TOKEN_HEADER = "X-Vault-Token"
STATUS_KEY = re.compile(r"^[1-5](?:\d\d|XX)$")
# Any operation can fail inside the server; a documented 500 is never a defect.
ALWAYS_POSSIBLE = frozenset({"500"})

KINDS = (
    "missing-operation-id",
    "duplicate-operation-id",
    "dangling-ref",
    "undeclared-path-param",
    "null-response",
    "bad-status-key",
    "default-type-mismatch",
    "duration-as-integer",
    "missing-security-scheme",
    "security-on-open-operation",
    "undocumented-server-status",
    "documented-never-sent",
    "required-body-accepts-empty",
    "closed-request-schema",
    "response-mismatch",
)


@dataclass(frozen=True)
class Finding:
    """What one check found: a kind, where, what about (``subject``) and why."""

    kind: str
    pointer: str
    subject: str
    message: str

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity of the finding across the published and repaired fragment."""
        return (self.kind, self.pointer, self.subject)


@dataclass(frozen=True)
class Defect:
    """A defect of one fragment file and the repair file that fixes it, if any.

    ``file`` and ``repaired_by`` are relative to the repository root.
    """

    kind: str
    file: Path
    pointer: str
    message: str
    repaired_by: Path | None
    subject: str = ""

    @property
    def repaired(self) -> bool:
        """Whether some repair file fixes the defect."""
        return self.repaired_by is not None

    def line(self) -> str:
        """``file#pointer: kind: message [repaired by FILE | UNREPAIRED]``."""
        fix = f"repaired by {self.repaired_by}" if self.repaired_by else "UNREPAIRED"
        return f"{self.file}#{self.pointer}: {self.kind}: {self.message} [{fix}]"


@dataclass
class Context:
    """What a fragment is checked against.

    ``schemas`` are the component schemas a ``$ref`` may name besides the
    fragment's own; ``security_schemes`` and ``security`` are the document-wide
    ones (the fragment's own are read from the fragment).
    """

    schemas: Mapping[str, Any] = field(default_factory=dict)
    security_schemes: Mapping[str, Any] = field(default_factory=dict)
    security: list[Any] | None = None
    observed: Mapping[str, list[Observation]] = field(default_factory=dict)
    # Statuses the every-operation repair documents: the server answers them
    # whatever the operation, so a scenario that never provoked one is no defect.
    always_possible: frozenset[str] = frozenset()


Check = Callable[[dict[str, Any], Context], Iterator[Finding]]


def _ops(doc: dict[str, Any]) -> Iterator[tuple[Operation, dict[str, Any]]]:
    for op in operations(doc):
        node = doc["paths"][op.path][op.method]
        if isinstance(node, dict):
            yield op, node


def _schemas(doc: dict[str, Any], ctx: Context) -> dict[str, Any]:
    own = doc.get("components", {}).get("schemas", {})
    return {**ctx.schemas, **(own if isinstance(own, dict) else {})}


# --- structural checks ------------------------------------------------------------


def check_operation_id(doc: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    """Every operation needs an operationId: it names the handler and the file."""
    for op, _node in _ops(doc):
        if op.operation_id is None:
            yield Finding(
                "missing-operation-id",
                op.pointer,
                "operationId",
                f"{op.method.upper()} {op.path} has no operationId",
            )


def check_refs(doc: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    """Every ``$ref`` must name something the document (or the context) defines."""
    schemas = _schemas(doc, ctx)
    for where, node in pointer.walk(doc):
        if not isinstance(node, dict) or not isinstance(node.get("$ref"), str):
            continue
        ref = node["$ref"]
        if ref.startswith(SCHEMA_REF):
            name = ref[len(SCHEMA_REF) :]
            if name in schemas:
                continue
        elif ref.startswith("#") and pointer.exists(doc, ref[1:]):
            continue
        yield Finding(
            "dangling-ref",
            where + "/$ref",
            ref,
            f"$ref {ref} names a schema no fragment defines",
        )


def check_path_params(doc: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    """Each ``{name}`` of a path template must be declared as a path parameter."""
    for op, node in _ops(doc):
        item = doc["paths"][op.path]
        declared = {
            p.get("name")
            for params in (item.get("parameters", []), node.get("parameters", []))
            if isinstance(params, list)
            for p in params
            if isinstance(p, dict) and p.get("in") == "path"
        }
        for name in PATH_PARAM.findall(op.path):
            if name not in declared:
                yield Finding(
                    "undeclared-path-param",
                    op.pointer + "/parameters",
                    name,
                    f"path parameter {{{name}}} of {op.path} is not declared",
                )


def check_responses(doc: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    """Responses must be Response objects keyed by status codes."""
    for op, node in _ops(doc):
        responses = node.get("responses")
        if not isinstance(responses, dict):
            continue
        for key, value in responses.items():
            where = op.pointer + "/responses/" + pointer.escape(key)
            if key != "default" and not STATUS_KEY.match(key):
                yield Finding(
                    "bad-status-key",
                    where,
                    key,
                    f"responses holds {key!r}, which is not a status code; it reads "
                    "like a field of the response above it",
                )
            elif value is None:
                yield Finding(
                    "null-response",
                    where,
                    key,
                    f"response {key} is null, not a Response object with a description",
                )


_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def check_defaults(doc: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    """A schema's ``default`` must be a value of the schema's own ``type``."""
    for where, node in pointer.walk(doc):
        if not isinstance(node, dict) or "default" not in node:
            continue
        kind = node.get("type")
        test = _JSON_TYPES.get(kind) if isinstance(kind, str) else None
        if test is None or (node["default"] is None and node.get("nullable")):
            continue
        if not test(node["default"]):
            yield Finding(
                "default-type-mismatch",
                where + "/default",
                str(node["default"]),
                f"default {node['default']!r} is not of type {kind}",
            )


def check_durations(doc: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    """Duration fields take integer seconds and Go duration strings alike."""
    for where, node in pointer.walk(doc):
        if (
            isinstance(node, dict)
            and node.get("format") == "seconds"
            and node.get("type") == "integer"
        ):
            yield Finding(
                "duration-as-integer",
                where,
                "seconds",
                "typed integer only, but the server also accepts duration strings "
                'such as "1h" here (and reads them back as integer seconds)',
            )


def check_request_schemas(doc: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    """Request schemas stay open: the server ignores unknown fields with a warning."""
    schemas = _schemas(doc, ctx)
    for op, node in _ops(doc):
        body = node.get("requestBody")
        if not isinstance(body, dict):
            continue
        for media, content in body.get("content", {}).items():
            schema = content.get("schema") if isinstance(content, dict) else None
            where = (
                op.pointer + "/requestBody/content/" + pointer.escape(media) + "/schema"
            )
            try:
                target = _deref(schema, schemas)
            except _Unresolvable:
                continue
            if isinstance(target, dict) and target.get("additionalProperties") is False:
                yield Finding(
                    "closed-request-schema",
                    where,
                    media,
                    "the request schema forbids unknown fields, but the server accepts "
                    "them (it answers with a warning)",
                )


# --- checks against the real server ------------------------------------------------


def _observed(op: Operation, ctx: Context) -> list[Observation]:
    if op.operation_id is None:
        return []
    return [
        o
        for o in ctx.observed.get(op.operation_id, [])
        if o.method.lower() == op.method
    ]


def _needs_token(observed: list[Observation]) -> bool | None:
    # Operations that authenticate otherwise (a bearer access token, client
    # credentials) answer 400 or 401 without a Vault token, never 403.
    answers = [o.status for o in observed if o.no_token]
    if not answers:
        return None
    return 403 in answers


def _token_schemes(doc: dict[str, Any], ctx: Context) -> set[str]:
    own = doc.get("components", {}).get("securitySchemes", {})
    schemes = {**ctx.security_schemes, **(own if isinstance(own, dict) else {})}
    return {
        name
        for name, s in schemes.items()
        if isinstance(s, dict)
        and s.get("type") == "apiKey"
        and s.get("in") == "header"
        and str(s.get("name", "")).lower() == TOKEN_HEADER.lower()
    }


def _effective_security(doc: dict[str, Any], node: dict[str, Any], ctx: Context) -> Any:
    if "security" in node:
        return node["security"]
    if "security" in doc:
        return doc["security"]
    return ctx.security


def check_security(doc: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    """The document must ask for ``X-Vault-Token`` exactly where the server does."""
    schemes = _token_schemes(doc, ctx)
    for op, node in _ops(doc):
        needs = _needs_token(_observed(op, ctx))
        if needs is None:
            continue
        security = _effective_security(doc, node, ctx)
        requirements = security if isinstance(security, list) else []
        open_ = not requirements or any(r == {} for r in requirements)
        asks_token = any(
            isinstance(r, dict) and any(name in schemes for name in r)
            for r in requirements
        )
        if needs and not (asks_token and not open_):
            yield Finding(
                "missing-security-scheme",
                "/components/securitySchemes",
                op.operation_id or op.path,
                f"the server answers 403 without an {TOKEN_HEADER} header, but the "
                "document declares no security scheme for it",
            )
        elif not needs and not open_:
            yield Finding(
                "security-on-open-operation",
                op.pointer + "/security",
                op.operation_id or op.path,
                "the server answers this operation without a token, but the document "
                "requires one (it needs 'security: []')",
            )


def _describe(status: int, observed: list[Observation]) -> str:
    cases = sorted({o.case for o in observed if o.status == status})
    return ", ".join(cases)


def check_statuses(doc: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    """Documented statuses must be the ones the server answers."""
    for op, node in _ops(doc):
        observed = _observed(op, ctx)
        responses = node.get("responses")
        if not observed or not isinstance(responses, dict):
            continue
        sent = {str(o.status) for o in observed}
        documented = {k for k, v in responses.items() if STATUS_KEY.match(k)}
        for status in sorted(sent - documented):
            if "default" in responses:
                break
            yield Finding(
                "undocumented-server-status",
                op.pointer + "/responses",
                status,
                f"the server answers {status} ({_describe(int(status), observed)}) "
                "but the fragment does not document it",
            )
        possible = ALWAYS_POSSIBLE | ctx.always_possible
        for status in sorted(documented - sent - possible):
            yield Finding(
                "documented-never-sent",
                op.pointer + "/responses/" + status,
                status,
                f"documents {status}, which the server never answered "
                f"(it answered {', '.join(sorted(sent))})",
            )


def check_request_body(doc: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    """A body the server can do without must not be marked required."""
    for op, node in _ops(doc):
        body = node.get("requestBody")
        if not isinstance(body, dict) or not body.get("required"):
            continue
        accepted = [
            o for o in _observed(op, ctx) if o.empty_body and 200 <= o.status < 300
        ]
        if accepted:
            yield Finding(
                "required-body-accepts-empty",
                op.pointer + "/requestBody/required",
                "requestBody",
                f"the request body is required, but the server answers "
                f"{accepted[0].status} to a request without one ({accepted[0].case})",
            )


def check_response_bodies(doc: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    """What the server really sent must validate against the documented response."""
    schemas = _schemas(doc, ctx)
    for op, node in _ops(doc):
        responses = node.get("responses")
        if not isinstance(responses, dict):
            continue
        for obs in _observed(op, ctx):
            response = responses.get(str(obs.status))
            if not isinstance(response, dict):
                continue
            where = op.pointer + "/responses/" + str(obs.status)
            content = response.get("content")
            if obs.body is None:
                continue
            if not isinstance(content, dict) or not content:
                yield Finding(
                    "response-mismatch",
                    where,
                    obs.case,
                    f"the server sends a body with {obs.status} ({obs.case}) but the "
                    "fragment documents none",
                )
                continue
            media = content.get("application/json")
            schema = media.get("schema") if isinstance(media, dict) else None
            if schema is None:
                continue
            error = validation_error(schema, schemas, obs.body)
            if error is not None:
                yield Finding(
                    "response-mismatch",
                    where + "/content/application~1json/schema",
                    obs.case,
                    f"what the server sent for {obs.case!r} does not match: {error}",
                )


# --- schema helpers ---------------------------------------------------------------


class _Unresolvable(Exception):
    pass


def _deref(
    schema: Any, schemas: Mapping[str, Any], seen: frozenset[str] = frozenset()
) -> Any:
    """Inline ``#/components/schemas`` refs; raise :class:`_Unresolvable` on a miss."""
    if isinstance(schema, list):
        return [_deref(v, schemas, seen) for v in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref[len(SCHEMA_REF) :] if ref.startswith(SCHEMA_REF) else None
        if name is None or name not in schemas or name in seen:
            raise _Unresolvable(ref)
        return _deref(schemas[name], schemas, seen | {name})
    return {k: _deref(v, schemas, seen) for k, v in schema.items()}


def validation_error(schema: Any, schemas: Mapping[str, Any], value: Any) -> str | None:
    """Validate ``value`` against an OpenAPI 3.0 schema; ``None`` when it is valid.

    A schema with a ``$ref`` that cannot be resolved is not judged (the
    ``dangling-ref`` check reports it).
    """
    from openapi_schema_validator import OAS30Validator

    try:
        resolved = _deref(schema, schemas)
    except _Unresolvable:
        return None
    errors = sorted(
        OAS30Validator(resolved).iter_errors(value), key=lambda e: list(e.absolute_path)
    )
    if not errors:
        return None
    first = errors[0]
    where = "/".join(str(p) for p in first.absolute_path) or "(body)"
    return f"at {where}: {first.message}"


CHECKS: tuple[Check, ...] = (
    check_operation_id,
    check_refs,
    check_path_params,
    check_responses,
    check_defaults,
    check_durations,
    check_request_schemas,
    check_security,
    check_statuses,
    check_request_body,
    check_response_bodies,
)


def run_checks(doc: dict[str, Any], ctx: Context) -> list[Finding]:
    """Every finding of every check on one fragment document."""
    return [finding for check in CHECKS for finding in check(doc, ctx)]


# --- linting the repository ---------------------------------------------------------


def _shared_repair_for(finding: Finding, repairs: Repairs) -> Path | None:
    if finding.kind == "dangling-ref" and finding.subject.startswith(SCHEMA_REF):
        name = finding.subject[len(SCHEMA_REF) :]
        component = repairs.components.get(name)
        return component.file if component else None
    if finding.kind in ("missing-security-scheme", "security-on-open-operation"):
        return DOCUMENT_REPAIR if repairs.document else None
    return None


def duplicate_ids(fragments: Iterable[Fragment]) -> list[Defect]:
    """One defect per fragment whose operationId another fragment already uses."""
    seen: dict[str, Path] = {}
    defects = []
    for fragment in fragments:
        for op in operations(fragment.doc):
            if op.operation_id is None:
                continue
            if op.operation_id in seen:
                defects.append(
                    Defect(
                        "duplicate-operation-id",
                        fragment.file,
                        op.pointer + "/operationId",
                        f"operationId {op.operation_id!r} is also used by "
                        f"{seen[op.operation_id]}",
                        None,
                        op.operation_id,
                    )
                )
            else:
                seen[op.operation_id] = fragment.file
    return defects


def lint_fragments(
    fragments: list[Fragment],
    repairs: Repairs,
    observed: Mapping[str, list[Observation]],
    extra_schemas: Mapping[str, Any] | None = None,
) -> list[Defect]:
    """Lint ``fragments`` against ``repairs`` and the ``observed`` server answers.

    ``extra_schemas`` are schemas the merged document holds besides the fragments'
    and the repairs' (those of the project fragments).
    """
    patched = {f.file: repairs.patch(f) for f in fragments}
    merged_schemas: dict[str, Any] = dict(extra_schemas or {})
    for doc in patched.values():
        merged_schemas.update(doc.get("components", {}).get("schemas", {}))
    merged_schemas.update({name: c.schema for name, c in repairs.components.items()})
    # The document repair acts on the merged document; give it the merged schemas.
    document = repairs.document_settings(
        {
            "openapi": "3.0.2",
            "info": {},
            "paths": {},
            "components": {"schemas": merged_schemas},
        }
    )
    published_ctx = Context(observed=observed)
    full_ctx = Context(
        schemas=document["components"]["schemas"],
        security_schemes=document.get("components", {}).get("securitySchemes", {}),
        security=document.get("security"),
        observed=observed,
    )
    defects: list[Defect] = []
    for fragment in fragments:
        patch_file = (
            fragment.repair_file if fragment.repair_file in repairs.patches else None
        )
        published = run_checks(fragment.doc, published_ctx)
        own = {f.key for f in run_checks(patched[fragment.file], published_ctx)}
        full = run_checks(patched[fragment.file], full_ctx)
        remaining = {f.key for f in full}
        for finding in published:
            fixed_by: Path | None = None
            if finding.key not in own:
                fixed_by = patch_file
            elif finding.key not in remaining:
                fixed_by = _shared_repair_for(finding, repairs) or patch_file
            defects.append(
                Defect(
                    finding.kind,
                    fragment.file,
                    finding.pointer,
                    finding.message,
                    fixed_by,
                    finding.subject,
                )
            )
        published_keys = {f.key for f in published}
        for finding in full:
            if finding.key not in published_keys:
                defects.append(
                    Defect(
                        finding.kind,
                        fragment.file,
                        finding.pointer,
                        f"{finding.message} (after repairs)",
                        None,
                        finding.subject,
                    )
                )
    defects.extend(duplicate_ids(fragments))
    defects.sort(key=lambda d: (d.file.as_posix(), d.pointer, d.kind, d.subject))
    logger.debug("linted %d fragments: %d defects", len(fragments), len(defects))
    return defects


def lint(root: Path) -> list[Defect]:
    """Lint the published fragments of the repository at ``root``."""
    from mockserver.spec.layout import load_project

    fragments = load_fragments(root)
    repairs = load_repairs(root)
    observed = load_record(root / OBSERVED)
    project_schemas: dict[str, Any] = {}
    for fragment in load_project(root):
        project_schemas.update(fragment.doc.get("components", {}).get("schemas", {}))
    return lint_fragments(fragments, repairs, observed, project_schemas)


def counts(defects: Iterable[Defect]) -> dict[str, int]:
    """Number of defects per kind, in the order of :data:`KINDS`."""
    result = dict.fromkeys(KINDS, 0)
    for defect in defects:
        result[defect.kind] = result.get(defect.kind, 0) + 1
    return {k: v for k, v in result.items() if v}
