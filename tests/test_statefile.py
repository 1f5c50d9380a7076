"""State files: loaded at start, written atomically, refused when damaged."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import httpx
import pytest
from damaged import damaged, populated_store
from test_admin import TOKEN, vault_subset

from mockserver.app import create_app
from mockserver.backends import Store
from mockserver.config import ServerConfig
from mockserver.errors import StartupError
from mockserver.server import MockServer
from mockserver.statefile import StateFile, StateFileError


def _store_with_entity(name: str = "alice") -> Store:
    store = Store(seed=11)
    store.entities.entity_create(name=name)
    return store


def _config(path: Path, **overrides: object) -> ServerConfig:
    return ServerConfig(
        port=0,
        seed=11,
        document=vault_subset(),
        state_file=path,
        **overrides,  # type: ignore[arg-type]
    )


# -- the file itself ----------------------------------------------------------------


def test_a_missing_file_starts_empty_and_is_created_on_save(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = StateFile(path)
    store = _store_with_entity()
    assert state.load(Store(seed=11)) is False
    size = state.save(store)
    assert size == path.stat().st_size
    assert json.loads(path.read_text()) == store.snapshot()


def test_save_then_load_gives_back_the_same_state(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    original = _store_with_entity()
    writer = StateFile(path)
    writer.load(Store())
    writer.save(original)

    restored = Store(seed=11)
    assert StateFile(path).load(restored) is True
    assert restored.snapshot() == original.snapshot()


def test_save_is_atomic_and_private(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = StateFile(path)
    state.load(Store())
    state.save(_store_with_entity("alice"))
    state.save(_store_with_entity("bob"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "bob" in path.read_text()


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    state = StateFile(path)
    state.load(Store())
    state.save(_store_with_entity("alice"))
    before = path.read_bytes()

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        state.save(_store_with_entity("bob"))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not valid JSON"),
        (b"", "is not valid JSON"),
        (b'{"name": "someone else\'s"}', "is not a vaultmock state file (format None"),
        (b"[1, 2]", "is not a vaultmock state file"),
        (
            b'{"format": "vaultmock-state/0"}',
            "is not a vaultmock state file (format 'vaultmock-state/0'",
        ),
        (b'{"format": "vaultmock-state/1"}', "holds a damaged snapshot"),
    ],
)
def test_a_corrupt_or_foreign_file_is_refused_and_left_untouched(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    state = StateFile(path)
    store = _store_with_entity()
    before = store.snapshot()

    with pytest.raises(StateFileError) as caught:
        state.load(store)

    assert str(caught.value).startswith(f"state file {path}: {message}")
    assert "The file was left untouched" in str(caught.value)
    assert store.snapshot() == before
    with pytest.raises(StateFileError, match="is not overwritten"):
        state.save(store)
    assert path.read_bytes() == content


def test_a_missing_folder_is_refused_at_start(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "nowhere" / "state.json")
    with pytest.raises(StateFileError, match="does not exist; create it"):
        state.load(Store())


def test_a_folder_given_as_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="is a folder"):
        StateFile(tmp_path).load(Store())


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_an_unwritable_folder_is_refused_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StateFileError, match="is not writable"):
            StateFile(folder / "state.json").load(Store())
    finally:
        folder.chmod(0o700)


# -- in the server --------------------------------------------------------------------


def test_a_corrupt_file_stops_the_app_from_starting(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{half a snapshot")
    with pytest.raises(StartupError, match=f"state file {path}"):
        create_app(_config(path))
    assert path.read_text() == "{half a snapshot"


def test_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with (
        MockServer(_config(path)) as first,
        httpx.Client(base_url=first.url, headers=TOKEN) as http,
    ):
        http.post("/v1/sys/auth/userpass", json={"type": "userpass"})
        accessor = http.get("/v1/sys/auth").json()["data"]["userpass/"]["accessor"]
        entity = http.post("/v1/identity/entity", json={"name": "alice"}).json()
        http.post(
            "/v1/identity/entity-alias",
            json={
                "name": "alice",
                "mount_accessor": accessor,
                "canonical_id": entity["data"]["id"],
            },
        )
        before = http.get("/_vaultmock/snapshot").json()
    assert path.exists()

    with (
        MockServer(_config(path)) as second,
        httpx.Client(base_url=second.url, headers=TOKEN) as http,
    ):
        after = http.get("/_vaultmock/snapshot").json()
        read = http.get(f"/v1/identity/entity/id/{entity['data']['id']}").json()
    assert after == before
    assert read["data"]["aliases"][0]["mount_accessor"] == accessor


def test_a_loaded_state_is_not_preloaded_again(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with MockServer(_config(path, preload=3)) as first:
        count = len(first.store.entities.entity_list_by_id())
    assert count == 3
    with MockServer(_config(path, preload=3)) as second:
        assert len(second.store.entities.entity_list_by_id()) == 3


def test_state_save_endpoint_writes_the_file_now(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with (
        MockServer(_config(path)) as mock,
        httpx.Client(base_url=mock.url, headers=TOKEN) as http,
    ):
        http.post("/v1/identity/entity", json={"name": "saved-early"})
        answer = http.post("/_vaultmock/state/save")
        assert answer.status_code == 200
        assert answer.json() == {"path": str(path), "bytes": path.stat().st_size}
        assert "saved-early" in path.read_text()


def test_a_file_with_a_wrong_typed_token_stops_the_app_from_starting(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    bad = damaged(populated_store(seed=11).snapshot(), "token policies null")
    path.write_text(json.dumps(bad))
    text = path.read_text()
    with pytest.raises(StartupError, match=f"state file {path}.*'policies'"):
        create_app(_config(path))
    assert path.read_text() == text


def test_the_saved_root_token_gives_way_to_the_configured_one(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    saved = populated_store(seed=11)
    child = next(t for t in saved.tokens.tokens if t != "root")
    path.write_text(json.dumps(saved.snapshot()))
    store = Store(seed=11, root_token="s3cret")
    assert StateFile(path).load(store)
    assert store.tokens.authenticate("root") is None
    root = store.tokens.authenticate("s3cret")
    assert root is not None
    assert root.policies == ["root"]
    assert store.tokens.authenticate(child) is not None
