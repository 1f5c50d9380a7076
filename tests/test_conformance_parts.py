"""Tests of the conformance gate's parts that need no server: kinds, weak decoding,
curl commands, the baseline, the reports and body shapes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mockserver.conformance import Baseline, BaselineError, Entry, Finding, RunResult
from mockserver.conformance.classify import (
    CAT_204,
    CAT_404,
    CAT_NEGATIVE,
    CAT_PATH,
    CAT_SCHEMA,
    classify,
    refused_path,
)
from mockserver.conformance.differential import _labels as document_labels
from mockserver.conformance.differential import (
    first_difference,
    operation_of,
    shape,
)
from mockserver.conformance.documents import (
    GROUPS,
    group_names,
    group_of,
    load,
    open_operations,
    operations,
)
from mockserver.conformance.model import KNOWN, NEW
from mockserver.conformance.report import (
    markdown,
    passed,
    terminal_summary,
    write_reports,
)
from mockserver.conformance.reproduce import curl
from mockserver.conformance.weakdecode import valid_after_decoding

URL = "http://127.0.0.1:8200/v1/identity/entity/id/abc"


class UndefinedStatusCode(Exception):
    """Stands in for schemathesis' failure class of the same name."""

    def __init__(self, status_code: int, defined: list[str]) -> None:
        self.status_code = status_code
        self.defined_status_codes = defined


class JsonSchemaError(Exception):
    """Stands in for schemathesis' failure class of the same name."""

    schema_path = ("properties", "data", "required")


class AcceptedNegativeData(Exception):
    """Stands in for schemathesis' failure class of the same name."""


def finding(**changes: object) -> Finding:
    values: dict[str, object] = {
        "target": "real",
        "document": "published",
        "operation": "POST /identity/entity/id/{id}",
        "phase": "fuzzing",
        "check": "status_code_conformance",
        "kind": "undocumented status 204",
        "category": CAT_204,
        "title": "Undocumented status code",
        "message": "Received: 204",
        "curl": "curl -sS -X POST \"$VAULT_ADDR\"'/v1/identity/entity/id/abc'",
    }
    values.update(changes)
    return Finding(**values)  # type: ignore[arg-type]


def result(
    *findings: Finding, target: str = "real", document: str = "published"
) -> RunResult:
    run = RunResult(
        target=target, document=document, group="entities", phases=["fuzzing"]
    )
    run.stats("POST /identity/entity/id/{id}").add("fuzzing", 204)
    run.stats("GET /identity/entity/id/{id}").add("fuzzing", 200)
    for item in findings:
        run.add_finding(item)
    return run


# -- kinds -------------------------------------------------------------------


def test_a_204_where_the_document_has_200_is_its_own_category() -> None:
    kind, category = classify(
        "status_code_conformance",
        UndefinedStatusCode(204, ["200", "400"]),
        url=URL,
        status=204,
    )
    assert (kind, category) == ("undocumented status 204", CAT_204)
    kind, category = classify(
        "status_code_conformance",
        UndefinedStatusCode(404, ["200"]),
        url=URL,
        status=404,
    )
    assert (kind, category) == ("undocumented status 404", CAT_404)


def test_a_schema_failure_names_the_status_and_the_schema_keyword() -> None:
    kind, category = classify(
        "response_schema_conformance", JsonSchemaError(), url=URL, status=200
    )
    assert kind == "body of 200 violates the schema at properties/data/required"
    assert category == CAT_SCHEMA


def test_negative_data_names_the_place_it_was_invalid() -> None:
    failure = AcceptedNegativeData()
    assert classify("negative_data_rejection", failure, url=URL, status=200) == (
        "invalid body accepted",
        CAT_NEGATIVE,
    )
    kind, _ = classify(
        "negative_data_rejection",
        failure,
        url=URL,
        status=200,
        location="query",
        parameter="list",
    )
    assert kind == "invalid query parameter list accepted"


def test_a_path_the_server_refuses_before_routing_is_tagged() -> None:
    assert refused_path("http://h/v1/identity/entity/name/a%01b")
    assert refused_path("http://h/v1/identity/entity/name/a%C2%A0b")
    assert refused_path("http://h/v1/identity/entity/name/..")
    assert not refused_path("http://h/v1/identity/entity/name/%C3%9F")
    kind, category = classify(
        "status_code_conformance",
        UndefinedStatusCode(400, ["200"]),
        url="http://h/v1/identity/entity/name/a%01b",
        status=400,
    )
    assert kind == "undocumented status 400 [unprintable path]"
    assert category == CAT_PATH


# -- weak decoding -----------------------------------------------------------

SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "policies": {"type": "array", "items": {"type": "string"}},
        "ttl": {"type": "integer"},
        "disabled": {"type": "boolean"},
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        "mode": {"type": "string", "enum": ["a", "b"]},
    },
}


@pytest.mark.parametrize(
    "body",
    [
        {"name": 42},
        {"name": True},
        {"name": "n", "policies": "a,b"},
        {"name": "n", "policies": {}},
        {"name": "n", "ttl": "30"},
        {"name": "n", "ttl": "1h"},
        {"name": "n", "disabled": "true"},
        {"name": "n", "disabled": 1},
        {"name": "n", "disabled": "", "ttl": ""},
        {"name": "n", "metadata": None},
        {"name": "n", "metadata": []},
    ],
)
def test_what_a_vault_server_decodes_into_valid_data(body: object) -> None:
    assert valid_after_decoding(body, SCHEMA, {})


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": None},
        {"name": {"nested": 1}},
        {"name": "n", "ttl": "soon"},
        {"name": "n", "mode": "c"},
        {"name": "n", "disabled": "maybe"},
        [1, 2],
        "text",
    ],
)
def test_what_stays_invalid_for_a_vault_server(body: object) -> None:
    assert not valid_after_decoding(body, SCHEMA, {})


def test_a_null_body_is_no_body_and_references_are_followed() -> None:
    document = {
        "components": {"schemas": {"Body": {"type": "object", "properties": {}}}}
    }
    assert valid_after_decoding(None, {"$ref": "#/components/schemas/Body"}, document)
    assert not valid_after_decoding(None, SCHEMA, {})


# -- curl ----------------------------------------------------------------------


def test_curl_leaves_address_and_token_to_the_environment() -> None:
    command = curl(
        "POST",
        "http://127.0.0.1:5555/v1/identity/entity?x=1",
        {
            "X-Vault-Token": "s3cret",
            "Content-Type": "application/json",
            "User-Agent": "x",
        },
        b'{"name": "it\'s"}',
        token="s3cret",
    )
    assert "s3cret" not in command
    assert "127.0.0.1" not in command
    assert command == (
        "curl -sS -X POST \"$VAULT_ADDR\"'/v1/identity/entity?x=1' "
        "-H \"X-Vault-Token: $VAULT_TOKEN\" -H 'Content-Type: application/json' "
        "--data-binary '{\"name\": \"it'\\''s\"}'"
    )


def test_curl_keeps_a_token_that_is_not_the_runs() -> None:
    command = curl("GET", URL, {"X-Vault-Token": "bad"}, None, token="root")
    assert "-H 'X-Vault-Token: bad'" in command


# -- documents -------------------------------------------------------------------


def test_every_operation_of_both_documents_falls_in_a_named_group() -> None:
    for name in ("repaired", "published"):
        document = load(name)
        assert set(group_names(document)) <= set(GROUPS)
        assert all(group_of(op.path) in GROUPS for op in operations(document))


def test_open_operations_come_from_the_documents_security() -> None:
    assert "GET /sys/health" in open_operations(load("repaired"))
    assert "POST /identity/entity" not in open_operations(load("repaired"))
    assert open_operations(load("published")) == set()


# -- baseline --------------------------------------------------------------------


def test_a_missing_baseline_is_empty_and_a_broken_one_names_the_file(
    tmp_path: Path,
) -> None:
    assert Baseline.load(tmp_path / "none.json").entries == []
    broken = tmp_path / "baseline.json"
    broken.write_text('{"entries": [{"document": "published"}]}')
    with pytest.raises(BaselineError, match=r"baseline.json: entry #0 needs"):
        Baseline.load(broken)
    broken.write_text("[")
    with pytest.raises(BaselineError, match="cannot read the baseline"):
        Baseline.load(broken)


def test_the_baseline_marks_findings_known_with_their_reason() -> None:
    known = finding()
    new = finding(kind="undocumented status 418", category="undocumented status")
    other_target = finding(target="mock")
    baseline = Baseline(
        [
            Entry(
                "published",
                "real",
                "POST /identity/entity/id/{id}",
                "status_code_conformance",
                "undocumented status 204",
                "The server answers 204 to an update.",
            )
        ]
    )
    baseline.apply([result(known, new), result(other_target, target="mock")])
    assert (known.status, known.reason) == (
        KNOWN,
        "The server answers 204 to an update.",
    )
    assert new.status == NEW
    assert other_target.status == NEW


def test_wildcards_cover_any_target_and_operation() -> None:
    entry = Entry(
        "published",
        "*",
        "*",
        "status_code_conformance",
        "undocumented status 204",
        "why",
    )
    assert entry.covers(finding(target="mock", operation="GET /x"))
    assert not entry.covers(finding(document="repaired"))


def test_updating_adds_new_findings_and_keeps_explanations(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    old = Entry(
        "published", "real", "GET /gone", "status_code_conformance", "k", "kept"
    )
    runs = [
        result(
            finding(),
            finding(
                operation="GET /identity/entity/name/{name}",
                kind="undocumented status 400 [unprintable path]",
                category=CAT_PATH,
            ),
        )
    ]
    updated = Baseline([old], path=path).updated(runs)
    updated.save()
    saved = json.loads(path.read_text())["entries"]
    assert [e["why"] for e in saved if e["operation"] == "GET /gone"] == ["kept"]
    path_entry = next(e for e in saved if "[unprintable path]" in e["kind"])
    assert (path_entry["target"], path_entry["operation"]) == ("*", "*")
    assert any(e["why"].startswith("NEW: explain") for e in saved)
    reloaded = Baseline.load(path)
    assert reloaded.not_seen(runs) == [old]
    assert Baseline([old]).updated(runs, prune=True).entries[0] != old


# -- reports -------------------------------------------------------------------


def test_reports_show_the_table_the_categories_and_the_first_failing_case(
    tmp_path: Path,
) -> None:
    new = finding(kind="undocumented status 418", category="undocumented status")
    known = finding()
    known.status, known.reason = KNOWN, "Answers 204."
    runs = [result(new, known), result(target="mock", document="repaired")]
    runs[0].errors.append("the run stopped early")
    runs[0].notes.append("not sent: POST /auth/token/revoke-self")
    paths = write_reports(tmp_path, runs, [], {"max_examples": 3})
    text = paths["summary"].read_text()
    assert text.startswith("# Conformance: FAILED")
    assert "| operation | mock / repaired | real / published |" in text
    assert "| `POST /identity/entity/id/{id}` | ok | **1 new** · 1 known |" in text
    assert "| `GET /identity/entity/id/{id}` | ok | ok |" in text
    assert "## Left out" in text
    assert "the run stopped early" in text
    assert "**real / published** — NEW: undocumented status 418 (+1 more)" in text
    assert "```sh\ncurl -sS -X POST" in text

    data = json.loads(paths["json"].read_text())
    assert data["passed"] is False
    assert data["totals"]["new"] == 1
    assert data["totals"]["known"] == 1
    assert data["categories"]["real / published"] == {
        CAT_204: 1,
        "undocumented status": 1,
    }

    suites = ET.parse(paths["junit"]).getroot()
    real = next(s for s in suites if s.get("name") == "conformance.real.published")
    assert real.get("failures") == "1"
    assert real.get("errors") == "1"
    failing = [c for c in real if c.find("failure") is not None]
    assert [c.get("name") for c in failing] == ["POST /identity/entity/id/{id}"]
    failure = failing[0].find("failure")
    assert failure is not None
    assert "undocumented status 418" in failure.get("message", "")
    assert "curl -sS" in (failure.text or "")


def test_the_gate_passes_with_known_drift_only() -> None:
    known = finding()
    known.status = KNOWN
    runs = [result(known)]
    assert passed(runs)
    assert "conformance passed: 0 new, 1 known" in terminal_summary(runs)
    assert markdown(runs, [], {}).startswith("# Conformance: PASSED")


# -- differential shapes ---------------------------------------------------------


def test_shapes_ignore_values_ids_and_request_ids() -> None:
    a = {"request_id": "1", "data": {"key_info": {"x": {"name": "a"}}, "keys": ["x"]}}
    b = {
        "request_id": "2",
        "data": {"key_info": {"y": {"name": "b"}}, "keys": ["y", "z"]},
    }
    assert shape(a) == shape(b)
    assert first_difference(shape(a), shape(b)) is None
    c: dict[str, dict[str, object]] = {"data": {"custom_metadata": None}}
    d: dict[str, dict[str, object]] = {"data": {"custom_metadata": {}}}
    assert first_difference(shape(c), shape(d)) == "/data/custom_metadata"


def test_items_of_a_collection_merge_into_one_shape() -> None:
    listing = {"key_info": {"1": {"name": "a"}, "2": {"name": "b", "aliases": []}}}
    assert shape(listing) == {"key_info": {"<id>": {"aliases": [], "name": "str"}}}


def test_steps_are_reported_on_the_operation_they_call() -> None:
    labels = document_labels()
    assert (
        operation_of("LIST", "/identity/entity/id", labels) == "GET /identity/entity/id"
    )
    assert (
        operation_of("GET", "/identity/mfa/method/totp", labels)
        == "GET /identity/mfa/method/totp"
    )
    assert (
        operation_of("GET", "/identity/mfa/method/abc", labels)
        == "GET /identity/mfa/method/{method_id}"
    )


def test_results_survive_json() -> None:
    run = result(finding(), finding())
    assert run.findings[0].count == 2
    again = RunResult.from_dict(json.loads(json.dumps(run.to_dict())))
    assert again.to_dict() == run.to_dict()
    assert again.operations["POST /identity/entity/id/{id}"].total == 1
