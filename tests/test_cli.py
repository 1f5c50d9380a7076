"""The ``vaultmock serve`` command: options, variables, and the image's entrypoint."""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import httpx
import pytest
from test_admin import vault_subset

from mockserver.cli import build_parser, main, serve_config
from mockserver.config import ServerConfig
from mockserver.server import MockServer
from mockserver.wire.faults import FaultRule

ROOT = Path(__file__).resolve().parent.parent
VARIABLES = (
    "HOST",
    "PORT",
    "ROOT_TOKEN",
    "SEED",
    "PRELOAD",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "STATE_FILE",
    "FAULTS",
    "SEALED",
    "ADMIN_AUTH",
)


@pytest.fixture(autouse=True)
def _no_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(f"VAULTMOCK_{name}", raising=False)


def _config(*argv: str) -> ServerConfig:
    return serve_config(build_parser().parse_args(["serve", *argv]))


# -- options and variables --------------------------------------------------------


def test_defaults() -> None:
    config = _config()
    assert (config.host, config.port, config.root_token) == ("127.0.0.1", 8200, "root")
    assert config.faults == ()
    assert config.sealed is False
    assert config.state_file is None
    assert config.admin_auth == "auto"
    assert config.log_format == "text"


def test_every_option_from_its_flag(tmp_path: Path) -> None:
    config = _config(
        "--host=0.0.0.0",
        "--port=8300",
        "--root-token=t0ken",
        "--seed=5",
        "--preload=2",
        "--log-level=info",
        "--log-format=json",
        f"--state-file={tmp_path / 's.json'}",
        "--fault=status=503,path=identity/*,times=2",
        "--fault=latency=50",
        "--sealed",
        "--admin-auth=token",
    )
    assert config == ServerConfig(
        host="0.0.0.0",
        port=8300,
        root_token="t0ken",
        seed=5,
        preload=2,
        log_level="info",
        log_format="json",
        state_file=tmp_path / "s.json",
        faults=(
            FaultRule(status=503, path="identity/*", times=2),
            FaultRule(latency_ms=50),
        ),
        sealed=True,
        admin_auth="token",
    )


def test_every_option_from_its_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in {
        "HOST": "0.0.0.0",
        "PORT": "8300",
        "ROOT_TOKEN": "t0ken",
        "SEED": "5",
        "PRELOAD": "2",
        "LOG_LEVEL": "info",
        "LOG_FORMAT": "json",
        "STATE_FILE": str(tmp_path / "s.json"),
        "FAULTS": "status=503,path=identity/*,times=2; latency=50",
        "SEALED": "true",
        "ADMIN_AUTH": "token",
    }.items():
        monkeypatch.setenv(f"VAULTMOCK_{name}", value)
    assert _config() == _config(
        "--host=0.0.0.0",
        "--port=8300",
        "--root-token=t0ken",
        "--seed=5",
        "--preload=2",
        "--log-level=info",
        "--log-format=json",
        f"--state-file={tmp_path / 's.json'}",
        "--fault=status=503,path=identity/*,times=2",
        "--fault=latency=50",
        "--sealed",
        "--admin-auth=token",
    )


def test_flags_win_over_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULTMOCK_FAULTS", "status=500")
    monkeypatch.setenv("VAULTMOCK_SEALED", "1")
    monkeypatch.setenv("VAULTMOCK_LOG_FORMAT", "json")
    config = _config("--fault=status=502", "--no-sealed", "--log-format=text")
    assert config.faults == (FaultRule(status=502),)
    assert config.sealed is False
    assert config.log_format == "text"


def test_a_bad_fault_flag_is_refused_with_its_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        _config("--fault=status=200")
    assert caught.value.code == 2
    assert (
        "argument --fault: fault status must be between 400 and 599, got 200"
        in capsys.readouterr().err
    )


def test_a_bad_fault_variable_is_refused_with_its_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VAULTMOCK_FAULTS", "status=503;colour=red")
    with pytest.raises(SystemExit, match="VAULTMOCK_FAULTS: fault 'colour=red'"):
        _config()


def test_a_bad_sealed_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULTMOCK_SEALED", "maybe")
    with pytest.raises(SystemExit, match="VAULTMOCK_SEALED='maybe' is not true"):
        build_parser()


@pytest.fixture
def _logging_restored() -> Iterator[None]:
    # main() configures logging for the whole process; undo it after the test.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    logging.captureWarnings(False)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("_logging_restored")
def test_a_refused_state_file_stops_serve_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "state.json"
    path.write_text("not json")
    code = main(["serve", "--port=0", f"--state-file={path}"])
    assert code == 2
    err = capsys.readouterr().err
    assert f"vaultmock: state file {path}: is not valid JSON" in err
    assert path.read_text() == "not json"


# -- the image's entrypoint, run outside docker -----------------------------------


def _dockerfile() -> dict[str, list[str] | dict[str, str]]:
    """ENTRYPOINT, CMD, HEALTHCHECK's command and the runtime stage's ENV."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stages = re.split(r"^FROM .*$", text, flags=re.M)
    found: dict[str, list[str] | dict[str, str]] = {"ENV": {}}
    for line in stages[-1].splitlines():
        instruction, _, rest = line.strip().partition(" ")
        if instruction in ("ENTRYPOINT", "CMD"):
            found[instruction] = json.loads(rest)
        elif instruction == "HEALTHCHECK":
            found["HEALTHCHECK"] = json.loads(rest.split(" CMD ", 1)[1])
        elif instruction == "ENV":
            env = found["ENV"]
            assert isinstance(env, dict)
            env.update(dict(item.split("=", 1) for item in shlex.split(rest)))
    return found


def test_the_image_runs_the_serve_command_as_a_non_root_user() -> None:
    text = (ROOT / "Dockerfile").read_text()
    image = _dockerfile()
    assert [*image["ENTRYPOINT"], *image["CMD"]] == ["vaultmock", "serve"]
    assert image["ENV"] == {
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "VAULTMOCK_HOST": "0.0.0.0",
        "VAULTMOCK_PORT": "8200",
    }
    assert re.search(r"^USER vaultmock$", text, flags=re.M)
    assert "pip install" in text
    assert "/wheels/*.whl" in text
    assert "EXPOSE 8200" in text


def _packaged_document() -> bool:
    return resources.files("mockserver").joinpath("data/openapi.json").is_file()


def _vaultmock_command() -> list[str]:
    script = Path(sys.executable).with_name("vaultmock")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mockserver"]


@pytest.fixture
def container(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """The image's command as a process, with the image's environment on loopback."""
    image = _dockerfile()
    env = dict(os.environ)
    assert isinstance(image["ENV"], dict)
    env.update(image["ENV"])
    env.update(
        VAULTMOCK_HOST="127.0.0.1",
        VAULTMOCK_PORT="0",
        VAULTMOCK_ROOT_TOKEN="tok-9f3c2e71b4d8",
        VAULTMOCK_STATE_FILE=str(tmp_path / "state.json"),
        VAULTMOCK_LOG_LEVEL="info",
        VAULTMOCK_LOG_FORMAT="json",
    )
    assert isinstance(image["CMD"], list)
    command = [*_vaultmock_command(), *image["CMD"]]
    with subprocess.Popen(
        command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    ) as process:
        try:
            yield process, env
        finally:
            if process.poll() is None:
                process.kill()


def _listening_port(process: subprocess.Popen[str]) -> int:
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if found:
            return int(found.group(1))
    raise AssertionError(f"the server did not start (exit code {process.poll()})")


@pytest.mark.skipif(
    not _packaged_document(),
    reason="the packaged API document (mockserver/data/openapi.json) is not built "
    "yet; run `vaultmock spec build`",
)
def test_the_image_command_serves_checks_health_and_saves_state_on_sigterm(
    container: tuple[subprocess.Popen[str], dict[str, str]], tmp_path: Path
) -> None:
    process, env = container
    port = _listening_port(process)
    token = env["VAULTMOCK_ROOT_TOKEN"]
    image = _dockerfile()
    assert isinstance(image["HEALTHCHECK"], list)
    check = subprocess.run(
        image["HEALTHCHECK"],
        env=dict(env, VAULTMOCK_PORT=str(port)),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert check.returncode == 0, check.stderr

    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"X-Vault-Token": token}
    ) as http:
        created = http.post("/v1/identity/entity", json={"name": "kept"})
        assert created.status_code == 200
        http.post(
            "/v1/auth/userpass/users/kept",
            json={"password": "pw-51d0a7c3e2"},
        )

    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode in (0, -signal.SIGTERM)
    state = json.loads(Path(env["VAULTMOCK_STATE_FILE"]).read_text())
    assert created.json()["data"]["id"] in json.dumps(state["entities"])

    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "access"]
    assert {(a["method"], a["path"], a["status"]) for a in access} >= {
        ("POST", "/v1/identity/entity", 200),
        ("GET", "/_vaultmock/health", 200),
    }
    assert token not in err
    assert "pw-51d0a7c3e2" not in err


def test_the_compose_example_service_talks_to_the_mock() -> None:
    config = ServerConfig(port=0, document=vault_subset(), root_token="example")
    with MockServer(config) as mock:
        done = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "compose" / "service.py")],
            env=dict(os.environ, VAULT_ADDR=mock.url, VAULT_TOKEN="example"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"entity service-user has id [0-9a-f-]{36}\n", done.stdout)
