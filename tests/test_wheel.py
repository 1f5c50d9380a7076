"""The wheel built from the repository is complete: installed in a fresh virtual
environment, it serves the merged document and answers the Vault API.

Slow (it installs the dependencies from the package index), so it runs only when
``VAULTMOCK_WHEEL_TEST=1`` is set: ``make wheel-test``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "wheel-test-token"

pytestmark = pytest.mark.skipif(
    os.environ.get("VAULTMOCK_WHEEL_TEST") != "1",
    reason="slow: builds and installs the wheel; run `make wheel-test` "
    "(or set VAULTMOCK_WHEEL_TEST=1)",
)


def _not_in_build_context(folder: str, names: list[str]) -> set[str]:
    """What ``.dockerignore`` keeps out of the image's build context.

    Building from the same files as the image's first stage checks that the
    context holds everything the wheel needs.
    """
    patterns = [
        line.strip().removeprefix("**/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    relative = Path(folder).relative_to(ROOT)
    return {
        name
        for name in names
        for pattern in patterns
        if fnmatch.fnmatch(name, pattern)
        or fnmatch.fnmatch((relative / name).as_posix(), pattern)
    }


def _run(*command: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _build_wheel(work: Path) -> Path:
    """The wheel, built from a copy of the docker build context (the tree stays
    clean)."""
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_not_in_build_context)
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--wheel-dir",
        work / "dist",
        source,
    )
    (built,) = (work / "dist").glob("vaultmock-*.whl")
    return built


def _install(wheel: Path, work: Path) -> Path:
    """A fresh virtual environment with the wheel and its dependencies."""
    env = work / "venv"
    _run(sys.executable, "-m", "venv", env)
    _run(
        env / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        wheel,
    )
    return env


def _check_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    source = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "mockserver").rglob("*")
        if p.suffix in (".py", ".json", ".typed") and "__pycache__" not in p.parts
    }
    assert source - names == set(), "files of the source tree missing from the wheel"
    assert {
        "mockserver/data/openapi.json",
        "mockserver/admin/openapi.json",
        "mockserver/py.typed",
    } <= names


def _check_document(venv: Path) -> None:
    digest = _run(
        venv / "bin" / "python",
        "-c",
        "import hashlib, json; from mockserver.spec import load_document; "
        "print(hashlib.sha256(json.dumps(load_document(), sort_keys=True)"
        ".encode()).hexdigest())",
        cwd=venv,
    ).strip()
    merged = json.loads((ROOT / "mockserver" / "data" / "openapi.json").read_text())
    expected = hashlib.sha256(json.dumps(merged, sort_keys=True).encode()).hexdigest()
    assert digest == expected, "the installed document differs from the repository's"


@contextmanager
def _serving(venv: Path, home: Path) -> Iterator[str]:
    """The installed ``vaultmock serve``, run outside the source tree."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VAULTMOCK_", "PYTHON"))
    }
    env["VAULTMOCK_ROOT_TOKEN"] = TOKEN
    with subprocess.Popen(
        [venv / "bin" / "vaultmock", "serve", "--host=127.0.0.1", "--port=0"],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        try:
            deadline = time.monotonic() + 60
            url = None
            while url is None and time.monotonic() < deadline:
                line = process.stderr.readline()
                if not line:
                    break
                found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
                url = found.group(1) if found else None
            assert url, f"vaultmock did not start (exit code {process.poll()})"
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def _check_serving(url: str) -> None:
    with httpx.Client(base_url=url, headers={"X-Vault-Token": TOKEN}) as http:
        created = http.post("/v1/identity/entity", json={"name": "from-the-wheel"})
        assert created.status_code == 200, created.text
        entity_id = created.json()["data"]["id"]
        read = http.get(f"/v1/identity/entity/id/{entity_id}")
        assert read.json()["data"]["name"] == "from-the-wheel"
        assert http.get("/v1/sys/health").json()["sealed"] is False
        admin = http.get("/_vaultmock/openapi.json")
        assert admin.status_code == 200
        assert admin.json()["info"]["title"] == "vaultmock admin API"
        assert http.post("/_vaultmock/reset").status_code == 204


def test_the_wheel_installs_and_serves(tmp_path: Path) -> None:
    # One test rather than several: under xdist, tests sharing a module fixture
    # may land on different workers and build the wheel once each.
    wheel = _build_wheel(tmp_path)
    _check_contents(wheel)
    venv = _install(wheel, tmp_path)
    _check_document(venv)
    home = tmp_path / "run"
    home.mkdir()
    with _serving(venv, home) as url:
        _check_serving(url)
