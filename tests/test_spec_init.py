"""Tests of mockserver.spec (the package's public API) and load_document."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mockserver.spec as spec

ROOT = Path(__file__).resolve().parent.parent


def test_lint_is_the_function_even_after_the_submodule_is_imported() -> None:
    import mockserver.spec.lint  # noqa: F401
    from mockserver.spec.lint import Defect

    assert callable(spec.lint)
    assert not isinstance(spec.lint, type(spec))
    assert Defect.__module__ == "mockserver.spec.lint"


def test_public_api() -> None:
    assert sorted(spec.__all__) == [
        "build_document",
        "import_fragments",
        "lint",
        "load_document",
        "write_document",
    ]


def test_load_document_returns_the_packaged_document() -> None:
    doc = spec.load_document()
    assert doc["openapi"] == "3.0.2"
    assert doc["paths"]["/identity/entity"]["post"]["operationId"] == "entity-create"
    assert doc["components"]["securitySchemes"]["VaultToken"]["name"] == "X-Vault-Token"


def test_loading_the_document_needs_no_build_tools() -> None:
    code = (
        "import sys; import mockserver.spec as s; s.load_document();"
        "bad = [m for m in ('prance', 'openapi_spec_validator', 'openapi_schema_validator',"
        " 'httpx', 'mockserver.spec.merge') if m in sys.modules];"
        "print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert result.stdout.strip() == "[]"


def test_public_functions_delegate(tmp_path: Path) -> None:
    written = spec.import_fragments(ROOT / "spec/source/identity-api.md", tmp_path)
    assert len(written) == 103
    assert len(spec.lint(ROOT)) == 493
    out = spec.write_document(ROOT, tmp_path / "openapi.json")
    assert out.read_text(encoding="utf-8") == (
        ROOT / "mockserver/data/openapi.json"
    ).read_text(encoding="utf-8")
