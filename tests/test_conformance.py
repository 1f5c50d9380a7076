"""The conformance gate on real servers: the mock as it is, the mock with a broken
handler, the command, and a real ``bao server -dev`` against the published document."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import Response

from mockserver.cli import main
from mockserver.conformance import Settings, mock_target, passed, run_group
from mockserver.conformance.classify import CAT_401, CAT_SCHEMA, CAT_STATUS
from mockserver.conformance.differential import compare
from mockserver.conformance.model import NEW
from mockserver.conformance.report import terminal_summary
from mockserver.handlers import _envelope, entities, oidc

ROOT = Path(__file__).resolve().parent.parent
CONFIG = "GET /identity/oidc/config"
CREATE = "POST /identity/entity"
QUICK = Settings(phases=("examples", "fuzzing"), max_examples=3)


@pytest.fixture
def _logging_restored() -> Iterator[None]:
    # main() configures logging for the whole process; undo it after the test.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    logging.captureWarnings(False)
    root.handlers[:] = handlers
    root.setLevel(level)


async def _config_without_issuer() -> Response:
    """A broken ``GET /identity/oidc/config``: ``issuer`` became a number."""
    return _envelope.envelope({"issuer": 42})


async def _create_answering_201(body: Any = None) -> Response:
    """A broken ``POST /identity/entity``: it answers 201 instead of 200."""
    return _envelope.envelope({"id": "x", "name": "x", "aliases": None}, status=201)


def test_the_mock_conforms_to_the_repaired_document() -> None:
    with mock_target() as target:
        result = run_group(
            target,
            "repaired",
            "oidc",
            QUICK.with_phases(("examples", "auth")),
            only={CONFIG},
        )
    assert (result.target, result.document) == ("mock", "repaired")
    assert result.errors == []
    assert result.findings == []
    assert result.operations[CONFIG].requests == {"examples": 1, "auth": 2}
    assert passed([result])


def test_a_broken_handler_fails_the_gate_with_a_readable_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(oidc, "oidc_read_configuration", _config_without_issuer)
    with mock_target() as target:
        result = run_group(target, "repaired", "oidc", QUICK, only={CONFIG})
    assert not passed([result])
    [finding] = result.findings
    assert finding.status == NEW
    assert finding.operation == CONFIG
    assert finding.category == CAT_SCHEMA
    assert (
        finding.kind
        == "body of 200 violates the schema at properties/data/properties/issuer/type"
    )
    assert "42 is not of type" in finding.message
    assert finding.curl == (
        "curl -sS -X GET \"$VAULT_ADDR\"'/v1/identity/oidc/config' "
        '-H "X-Vault-Token: $VAULT_TOKEN"'
    )
    summary = terminal_summary([result])
    assert summary.startswith("conformance FAILED: 1 new")
    assert f"NEW mock/repaired {CONFIG}: {finding.kind}" in summary


def test_an_undocumented_status_is_caught_in_every_phase_it_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(entities, "entity_create", _create_answering_201)
    with mock_target() as target:
        result = run_group(target, "repaired", "entities", QUICK, only={CREATE})
    kinds = {(f.operation, f.kind, f.category) for f in result.findings}
    assert (CREATE, "undocumented status 201", CAT_STATUS) in kinds


@pytest.mark.usefixtures("_logging_restored")
def test_the_command_passes_on_the_mock_and_fails_on_a_broken_handler(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = [
        "conformance",
        "--operation",
        CONFIG,
        "--phases",
        "examples,auth",
        "--max-examples",
        "1",
        "--baseline",
        str(tmp_path / "baseline.json"),
        "--report-dir",
        str(tmp_path / "reports"),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("conformance passed: 0 new, 0 known, 0 run errors")
    summary = (tmp_path / "reports/summary.md").read_text()
    assert f"| `{CONFIG}` | ok | ok |" in summary

    monkeypatch.setattr(oidc, "oidc_read_configuration", _config_without_issuer)
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "conformance FAILED" in out
    assert f"NEW mock/repaired {CONFIG}: body of 200 violates the schema" in out
    assert "curl -sS -X GET \"$VAULT_ADDR\"'/v1/identity/oidc/config'" in out
    assert (tmp_path / "reports/junit.xml").read_text().count("<failure") == 1

    assert main([*argv, "--update-baseline"]) == 0
    assert main(argv) == 0
    assert "0 new, 1 known" in capsys.readouterr().out


@pytest.mark.usefixtures("_logging_restored")
def test_the_command_says_when_no_server_answers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(
        [
            "conformance",
            "--target",
            "http://127.0.0.1:9",
            "--token",
            "t",
            "--baseline",
            str(tmp_path / "b.json"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot reach http://127.0.0.1:9" in err
    assert "Is the server running" in err


def test_the_published_documents_drift_on_a_real_server(real_server: Any) -> None:
    """401 versus 403: the client list documents 401 where the server sends 403."""
    result = run_group(
        real_server,
        "published",
        "oidc",
        Settings(phases=("auth",)),
        only={"GET /identity/oidc/client"},
    )
    kinds = {(f.kind, f.category) for f in result.findings}
    assert kinds == {
        ("no token: 403 undocumented (documents 401)", CAT_401),
        ("unknown token: 403 undocumented (documents 401)", CAT_401),
    }


def test_the_differential_scenario_finds_no_difference_between_two_mocks() -> None:
    with mock_target() as reference, mock_target(name="candidate") as candidate:
        result = compare(reference, candidate)
    assert result.errors == []
    assert result.findings == []
    assert len(result.operations) > 80


@pytest.fixture
def real_server() -> Iterator[Any]:
    """A fresh ``bao server -dev`` on 127.0.0.1."""
    from mockserver.conformance import DevServer

    with DevServer() as dev:
        yield dev.target()


BREAKER = """
from mockserver.handlers import _envelope, oidc


async def broken():
    return _envelope.envelope({"issuer": 42})


def pytest_configure(config):
    oidc.oidc_read_configuration = broken
"""


def test_the_pytest_gate_fails_on_a_broken_handler_and_says_why(tmp_path: Path) -> None:
    """`make conformance`'s suite, with one handler broken by a plugin."""
    (tmp_path / "breaker.py").write_text(BREAKER)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    reports = tmp_path / "reports"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(ROOT / "contract_tests"),
            "-p",
            "breaker",
            "-p",
            "no:cacheprovider",
            "--conformance-targets=mock",
            "--conformance-documents=repaired",
            "--conformance-groups=oidc",
            "--conformance-phases=examples",
            "--conformance-max-examples=1",
            f"--conformance-report-dir={reports}",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    out = run.stdout
    assert "mock / repaired / oidc (examples): 1 new findings, 0 run errors" in out
    assert (
        "GET /identity/oidc/config: body of 200 violates the schema at "
        "properties/data/properties/issuer/type (examples, response_schema_conformance"
    ) in out
    assert '42 is not of type "string"' in out
    assert 'Answered 200: {"request_id"' in out
    assert "curl -sS -X GET \"$VAULT_ADDR\"'/v1/identity/oidc/config'" in out
    assert "make conformance-baseline" in out
    assert "conformance FAILED: 1 new" in out
    assert "**1 new**" in (reports / "summary.md").read_text()
