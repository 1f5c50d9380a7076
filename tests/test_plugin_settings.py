"""Where the plugin's settings come from (``vaultmock_pytest.settings``)."""

from __future__ import annotations

import faker
import httpcore
import hvac
import pytest
import requests
from vaultmock_pytest import factory, handle, plugin

pytest_plugins = ["pytester"]

# Loaded once here, as the inner runs would load them: pytester unloads the
# modules a test imported when it ends, and reloading them in every test is slow
# and splits their exception classes in two.
plugin.load_server_code()
_PRELOADED = (faker, hvac, httpcore, requests, factory, handle)

SHOW_SETTINGS = """
def test_show(vaultmock_settings, request):
    (request.config.rootpath / "settings.txt").write_text(repr(vaultmock_settings))
"""


def settings_seen(pytester: pytest.Pytester, *args: str) -> str:
    """Run the project with ``args`` and return the settings the session saw."""
    pytester.makepyfile(SHOW_SETTINGS)
    pytester.runpytest("-p", "no:cacheprovider", *args).assert_outcomes(passed=1)
    return (pytester.path / "settings.txt").read_text()


def test_defaults(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MODE", "SEED", "PRELOAD", "ROOT_TOKEN", "TARGET", "TOKEN"):
        monkeypatch.delenv(f"VAULTMOCK_{name}", raising=False)
    assert settings_seen(pytester) == (
        "Settings(mode='http', seed=None, preload=0, root_token='root', "
        "target=None, token=None)"
    )


def test_flag_wins_over_ini_which_wins_over_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAULTMOCK_SEED", "1")
    monkeypatch.setenv("VAULTMOCK_PRELOAD", "1")
    monkeypatch.setenv("VAULTMOCK_ROOT_TOKEN", "from-env")
    monkeypatch.setenv("VAULTMOCK_MODE", "inprocess")
    pytester.makeini(
        """
[pytest]
vaultmock_seed = 2
vaultmock_preload = 2
"""
    )
    seen = settings_seen(pytester, "--vaultmock-seed", "3")
    assert seen == (
        "Settings(mode='inprocess', seed=3, preload=2, root_token='from-env', "
        "target=None, token=None)"
    )


def test_pyproject_values(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        """
[tool.pytest.ini_options]
vaultmock_mode = "inprocess"
vaultmock_seed = 11
"""
    )
    assert "mode='inprocess', seed=11" in settings_seen(pytester)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--vaultmock-seed", "abc"],
            "vaultmock: --vaultmock-seed='abc' is not a whole number; give an integer such as 42",
        ),
        (
            ["--vaultmock-mode", "socket"],
            "vaultmock: --vaultmock-mode='socket' is not a mode; choose one of http, inprocess",
        ),
        (
            ["--vaultmock-preload", "-3"],
            "vaultmock: --vaultmock-preload='-3' must be 0 or more",
        ),
        (
            ["--vaultmock-target", "127.0.0.1:8200", "--vaultmock-token", "t"],
            "vaultmock: --vaultmock-target='127.0.0.1:8200' is not a URL; give the server's address, such as http://127.0.0.1:8200",
        ),
        (
            ["--vaultmock-target", "http://127.0.0.1:8200"],
            "vaultmock: a target server is set (http://127.0.0.1:8200) but no token to use against it: set VAULTMOCK_TOKEN (or --vaultmock-token, or the ini option vaultmock_token)",
        ),
    ],
)
def test_a_bad_setting_stops_the_run(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.delenv("VAULTMOCK_TOKEN", raising=False)
    pytester.makepyfile(SHOW_SETTINGS)
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_a_bad_environment_value_names_the_variable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAULTMOCK_PRELOAD", "many")
    pytester.makepyfile(SHOW_SETTINGS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: vaultmock: environment variable VAULTMOCK_PRELOAD='many' is not a whole number*"
        ]
    )


def test_header_never_shows_the_token(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAULTMOCK_TOKEN", "hvs.very-secret")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--vaultmock-target", "http://127.0.0.1:1"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["vaultmock: against the real server at http://127.0.0.1:1"]
    )
    assert "very-secret" not in result.stdout.str()


def test_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "vaultmock: mock Vault identity API:",
            "*--vaultmock-mode=MODE*",
            "*--vaultmock-seed=N*",
            "*--vaultmock-preload=N*",
            "*--vaultmock-root-token=TOKEN*",
            "*--vaultmock-target=URL*",
            "*--vaultmock-token=TOKEN*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*vaultmock_mode (string):*", "*vaultmock_target (string):*"]
    )
