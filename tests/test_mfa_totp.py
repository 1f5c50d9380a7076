"""TOTP secrets: real secrets whose codes match a standard TOTP library's."""

from __future__ import annotations

import base64
import io
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from mockserver.backends import Store
from mockserver.backends.mfa import ServerError
from mockserver.errors import InvalidRequest


@pytest.fixture
def store() -> Store:
    return Store(seed=5)


def test_admin_generate_gives_a_working_secret(store: Store) -> None:
    entity, _ = store.entities.entity_create(name="alice")
    method = store.mfa.mfa_create_method(
        "totp",
        {"issuer": "Acme", "period": 60, "digits": 8, "algorithm": "SHA256"},
    )
    issued = store.mfa.mfa_admin_generate_totp_secret(method.id, entity.id)
    assert issued is not None
    url = urlparse(issued.url)
    assert (url.scheme, url.netloc) == ("otpauth", "totp")
    assert url.path == f"/Acme:{entity.id}"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query == {
        "algorithm": "SHA256",
        "digits": "8",
        "issuer": "Acme",
        "period": "60",
        "secret": issued.secret,
    }
    padding = "=" * (-len(issued.secret) % 8)
    assert len(base64.b32decode(issued.secret + padding)) == 20
    client = pyotp.parse_uri(issued.url)
    reference = pyotp.TOTP(issued.secret, digits=8, digest="sha256", interval=60)
    at = 1_800_000_000
    assert client.at(at) == reference.at(at)
    assert len(reference.at(at)) == 8
    png = base64.b64decode(store.mfa.barcode(issued))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    assert 150 <= width <= 200


def test_barcode_encodes_the_url(store: Store) -> None:
    segno = pytest.importorskip("segno")
    entity, _ = store.entities.entity_create(name="bob")
    method = store.mfa.mfa_create_method("totp", {"issuer": "Acme"})
    issued = store.mfa.mfa_admin_generate_totp_secret(method.id, entity.id)
    assert issued is not None
    code = segno.make(issued.url, error="m")
    modules = code.symbol_size(scale=1, border=4)[0]
    expected = io.BytesIO()
    code.save(expected, kind="png", scale=200 // modules, border=4)
    assert base64.b64decode(store.mfa.barcode(issued)) == expected.getvalue()


def test_repeats_and_destroy(store: Store) -> None:
    entity, _ = store.entities.entity_create(name="alice")
    method = store.mfa.mfa_create_method("totp", {"issuer": "A", "method_name": "t"})
    first = store.mfa.mfa_generate_totp_secret(method.id, entity.id)
    assert first is not None
    assert store.mfa.mfa_admin_generate_totp_secret(method.id, entity.id) is None
    assert store.mfa.repeat_warning(method.id) == (
        'Entity already has a secret for MFA method "t"'
    )
    store.mfa.mfa_admin_destroy_totp_secret(method.id, entity.id)
    store.mfa.mfa_admin_destroy_totp_secret(method.id, entity.id)
    second = store.mfa.mfa_admin_generate_totp_secret(method.id, entity.id)
    assert second is not None
    assert second.secret != first.secret


def test_refusals(store: Store) -> None:
    entity, _ = store.entities.entity_create(name="alice")
    totp = store.mfa.mfa_create_method("totp", {"issuer": "A"})
    okta = store.mfa.mfa_create_method("okta", {"org_name": "o", "api_token": "t"})
    generate = store.mfa.mfa_admin_generate_totp_secret
    with pytest.raises(InvalidRequest, match="missing entityID"):
        store.mfa.mfa_generate_totp_secret(totp.id, "")
    with pytest.raises(InvalidRequest, match="missing method ID"):
        generate(None, entity.id)
    with pytest.raises(InvalidRequest, match='method ID "nope" does not exist'):
        generate("nope", entity.id)
    with pytest.raises(InvalidRequest, match="invalid entity ID"):
        generate(totp.id, "nope")
    with pytest.raises(
        InvalidRequest, match='generate not available for MFA type "okta"'
    ):
        generate(okta.id, entity.id)
    destroy = store.mfa.mfa_admin_destroy_totp_secret
    # Destroy checks the entity before the method, unlike generate.
    with pytest.raises(InvalidRequest, match="missing entity ID"):
        destroy(totp.id, "")
    with pytest.raises(InvalidRequest, match="invalid entity ID"):
        destroy("nope", "nope")
    with pytest.raises(InvalidRequest, match='method ID "nope" does not exist'):
        destroy("nope", entity.id)
    with pytest.raises(ServerError, match="does not match TOTP type"):
        destroy(okta.id, entity.id)
