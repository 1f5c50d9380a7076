"""Tests of mockserver.spec.commands: the ``vaultmock spec`` subcommands."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from mockserver.spec.commands import register

ROOT = Path(__file__).resolve().parent.parent


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="vaultmock")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    code: int = args.func(args)
    return code


def _copy(tmp_path: Path, *, with_data: bool = True) -> Path:
    shutil.copytree(ROOT / "spec", tmp_path / "spec")
    if with_data:
        shutil.copytree(ROOT / "mockserver/data", tmp_path / "mockserver/data")
    return tmp_path


def test_root_defaults_to_the_current_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    assert parser.parse_args(["spec", "lint"]).root == tmp_path
    assert parser.parse_args(["spec", "build", "--root", "x"]).root == Path("x")
    with pytest.raises(SystemExit):
        parser.parse_args(["spec"])


def test_lint_prints_one_line_per_defect(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("spec", "lint", "--root", str(ROOT)) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 493
    assert all(
        "#/" in line and line.endswith("]") and "[repaired by spec/repairs/" in line
        for line in lines
    )
    assert "493 defects (dangling-ref 81, undeclared-path-param 60," in err
    assert err.rstrip().endswith("0 unrepaired")


def test_lint_exits_1_on_an_unrepaired_defect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path, with_data=False)
    (root / "spec/repairs/document.json").unlink()
    assert _run("spec", "lint", "--root", str(root)) == 1
    out, _err = capsys.readouterr()
    assert "missing-security-scheme" in out
    assert "[UNREPAIRED]" in out


def test_build_check_passes_on_the_repository() -> None:
    assert _run("spec", "build", "--check", "--root", str(ROOT)) == 0


def test_build_writes_and_check_notices_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path)
    out = root / "mockserver/data/openapi.json"
    out.write_text("{}\n", encoding="utf-8")
    assert _run("spec", "build", "--check", "--root", str(root)) == 1
    assert "out of date with a fresh build" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "{}\n"
    assert _run("spec", "build", "--root", str(root)) == 0
    assert out.read_text(encoding="utf-8") == (
        ROOT / "mockserver/data/openapi.json"
    ).read_text(encoding="utf-8")
    assert _run("spec", "build", "--check", "--root", str(root)) == 0


def test_build_reports_unrepaired_defects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path)
    (root / "spec/repairs/oidc/oidc-read-key.json").unlink()
    assert _run("spec", "build", "--root", str(root)) == 1
    err = capsys.readouterr().err
    assert err.startswith("vaultmock spec: ")
    assert (
        "spec/fragments/oidc/oidc-read-key.json#/paths/~1identity~1oidc~1key~1{name}/get/parameters"
        in err
    )


def test_import_into_a_fresh_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "spec/source/identity-api.md"
    source.parent.mkdir(parents=True)
    shutil.copy(ROOT / "spec/source/identity-api.md", source)
    assert _run("spec", "import", "--root", str(tmp_path)) == 0
    assert "103 fragments" in capsys.readouterr().out
    assert (tmp_path / "spec/fragments/oidc/oidc-read-key.json").exists()


def test_import_reports_a_bad_edition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("```json\n{nope\n```\n", encoding="utf-8")
    assert _run("spec", "import", "--root", str(tmp_path), "--source", str(bad)) == 1
    assert "bad.md:1: the block is not valid JSON" in capsys.readouterr().err


def test_observe_refuses_a_remote_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _copy(tmp_path, with_data=False)
    assert (
        _run(
            "spec", "observe", "--root", str(root), "--address", "http://192.0.2.1:8200"
        )
        == 1
    )
    assert "refusing to observe" in capsys.readouterr().err
