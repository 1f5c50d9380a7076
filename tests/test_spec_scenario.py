"""Tests of mockserver.spec.scenario: the script played on a real server."""

from __future__ import annotations

import re
from pathlib import Path

from mockserver.spec.layout import load_fragments, load_project
from mockserver.spec.observe import Step
from mockserver.spec.scenario import (
    MISSING_UUID,
    PROJECT_OPERATIONS,
    generic_steps,
    scenario,
)

ROOT = Path(__file__).resolve().parent.parent
FRAGMENTS = load_fragments(ROOT) + [
    f for f in load_project(ROOT) if f.operation_id in PROJECT_OPERATIONS
]
STEPS = scenario(FRAGMENTS)
VARIABLE = re.compile(r"\$(\w+)")


def _uses(step: Step) -> set[str]:
    texts = [
        step.path,
        step.token or "",
        step.bearer or "",
        repr(step.body),
        repr(step.params),
        repr(step.form),
        repr(step.basic),
    ]
    return {name for text in texts for name in VARIABLE.findall(text)}


def test_every_operation_has_a_request_with_a_token_or_without_need_of_one() -> None:
    covered = {
        s.op
        for s in STEPS
        if s.op is not None and s.case != "no token" and s.case != "malformed JSON body"
    }
    assert {f.operation_id for f in FRAGMENTS} <= covered


def test_every_known_project_operation_exists() -> None:
    assert {f.operation_id for f in load_project(ROOT)} >= PROJECT_OPERATIONS


def test_variables_are_saved_before_they_are_used() -> None:
    saved: set[str] = set()
    for step in STEPS:
        assert _uses(step) <= saved, f"{step.method} {step.path} ({step.case})"
        saved |= set(step.save)


def test_generic_steps_send_no_token_to_every_operation() -> None:
    generic = list(generic_steps(FRAGMENTS))
    no_token = {s.op for s in generic if s.case == "no token"}
    assert no_token == {f.operation_id for f in FRAGMENTS}
    assert all(s.token is None for s in generic if s.case == "no token")
    malformed = [s for s in generic if s.case == "malformed JSON body"]
    assert malformed
    assert all(s.method == "POST" and s.raw == b"{" for s in malformed)


def test_generic_paths_fill_parameters_with_values_that_match_the_server_routes() -> (
    None
):
    paths = {s.path for s in generic_steps(FRAGMENTS)}
    assert f"/identity/mfa/method/totp/{MISSING_UUID}" in paths
    assert "/identity/entity/id/probe-missing" in paths
    assert not any("{" in p for p in paths)


def test_lists_are_read_empty_before_anything_is_created() -> None:
    first_create = next(
        i for i, s in enumerate(STEPS) if s.op == "entity-create" and s.case == "create"
    )
    empty = [
        i
        for i, s in enumerate(STEPS)
        if s.op == "entity-list-by-id" and s.case == "list of an empty collection"
    ]
    assert empty
    assert empty[0] < first_create


def test_the_server_is_sealed_last() -> None:
    seal = next(i for i, s in enumerate(STEPS) if s.path == "/sys/seal")
    assert all(s.token is None for s in STEPS[seal + 1 :])
    assert len(STEPS) - seal <= 3
