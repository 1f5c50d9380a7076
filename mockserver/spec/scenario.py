"""The scripted scenario that :mod:`mockserver.spec.observe` plays on a real server.

It touches every published and project operation at least once with a request
that succeeds, and adds the requests that show the server's other answers: a
missing item, an empty body, a bad value, no token, malformed JSON, a plain read
of a list-only path. Steps run in order on a fresh dev server; later steps use the
ids earlier steps saved (``$eid``).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

from mockserver.spec.layout import PATH_PARAM, Fragment, operations
from mockserver.spec.observe import Step

logger = logging.getLogger(__name__)

# A well-formed method id that names no method: the MFA paths only match UUIDs.
MISSING_UUID = "00000000-0000-0000-0000-000000000000"
MISSING = "probe-missing"
CALLBACK = "http://127.0.0.1:8251/callback"

_PROBE_POLICY = "\n".join(
    [
        'path "identity/oidc/token/*" { capabilities = ["read"] }',
        'path "identity/oidc/provider/+/authorize" { capabilities = ["read", "update"] }',
        'path "identity/mfa/method/totp/generate" { capabilities = ["update"] }',
    ]
)
_PINGID_SETTINGS = base64.b64encode(
    "\n".join(
        [
            "use_base64_key=cHJvYmU=",
            "use_signature=true",
            "token=probe-token",
            "idp_url=https://idp.example.invalid/pingid",
            "org_alias=probe-org",
            "admin_url=https://idp.example.invalid/pingid",
            "authenticator_url=https://authenticator.example.invalid/pingid/ppm",
        ]
    ).encode()
).decode()

LIST = {"list": "true"}

# The operations of spec/project this scenario knows. Project operations outside it
# are left out of the record (a partial record would read as "never answers 200"),
# so the build checks them only structurally until they are added here.
PROJECT_OPERATIONS = frozenset(
    {
        "sys-auth-list",
        "sys-auth-enable",
        "sys-auth-disable",
        "sys-health-read",
        "sys-seal-status-read",
        "mfa-create-totp-method",
        "mfa-create-okta-method",
        "mfa-create-duo-method",
        "mfa-create-pingid-method",
        "mfa-configure-duo-method",
        "mfa-read-duo-method-configuration",
    }
)


def _fill_missing(path: str) -> str:
    return PATH_PARAM.sub(
        lambda m: MISSING_UUID if m.group(1) == "method_id" else MISSING, path
    )


def generic_steps(fragments: list[Fragment]) -> Iterator[Step]:
    """For every operation: a request without a token, and malformed JSON for writes."""
    for fragment in fragments:
        for op in operations(fragment.doc):
            if op.operation_id is None:
                continue
            path = _fill_missing(op.path)
            method = op.method.upper()
            body: dict[str, str] | None = {} if method == "POST" else None
            params = LIST if _is_list(fragment, op.path, op.method) else None
            yield Step(
                op.operation_id,
                method,
                path,
                "no token",
                body=body,
                params=params,
                token=None,
            )
            if method == "POST":
                yield Step(
                    op.operation_id, method, path, "malformed JSON body", raw=b"{"
                )


def _is_list(fragment: Fragment, path: str, method: str) -> bool:
    op = fragment.doc["paths"][path][method]
    return any(
        isinstance(p, dict) and p.get("name") == "list" and p.get("in") == "query"
        for p in op.get("parameters", [])
    )


def _list_pair(op: str, path: str, plain_status_note: str) -> list[Step]:
    return [
        Step(op, "GET", path, "list of an empty collection", params=LIST),
        Step(op, "GET", path, plain_status_note),
        Step(op, "GET", path, "list=garbage", params={"list": "garbage"}),
    ]


def sys_steps() -> Iterator[Step]:
    """Auth mounts, health and seal status, and the setup the identity steps need."""
    yield Step("sys-health-read", "GET", "/sys/health", "read, no token", token=None)
    yield Step("sys-health-read", "GET", "/sys/health", "read with a token")
    yield Step("sys-seal-status-read", "GET", "/sys/seal-status", "read", token=None)
    yield Step("sys-auth-list", "GET", "/sys/auth", "list with only the token mount")
    yield Step(
        "sys-auth-enable",
        "POST",
        "/sys/auth/userpass",
        "enable userpass",
        body={"type": "userpass", "description": "people"},
    )
    yield Step(
        "sys-auth-enable",
        "POST",
        "/sys/auth/userpass",
        "path already in use",
        body={"type": "userpass"},
    )
    yield Step(
        "sys-auth-enable",
        "POST",
        "/sys/auth/second",
        "enable with config and an unknown field",
        body={"type": "userpass", "config": {"default_lease_ttl": "1h"}, "bogus": 1},
    )
    yield Step("sys-auth-enable", "POST", "/sys/auth/no-type", "no type", body={})
    yield Step("sys-auth-enable", "POST", "/sys/auth/no-type", "no body")
    yield Step(
        "sys-auth-list",
        "GET",
        "/sys/auth",
        "list with userpass mounts",
        save={
            "acc": ("data", "userpass/", "accessor"),
            "acc2": ("data", "second/", "accessor"),
        },
    )
    yield Step(
        None, "POST", "/sys/auth/scratch", "setup", body={"type": "approle"}, expect=204
    )
    yield Step("sys-auth-disable", "DELETE", "/sys/auth/scratch", "disable a mount")
    yield Step(
        "sys-auth-disable", "DELETE", f"/sys/auth/{MISSING}", "disable a missing mount"
    )


def empty_list_steps() -> Iterator[Step]:
    """Every list of a collection that is still empty, and a plain read of each."""
    for op, path in (
        ("entity-list-by-id", "/identity/entity/id"),
        ("entity-list-by-name", "/identity/entity/name"),
        ("entity-list-aliases-by-id", "/identity/entity-alias/id"),
        ("alias-list-by-id", "/identity/alias/id"),
        ("persona-list-by-id", "/identity/persona/id"),
        ("group-list-by-id", "/identity/group/id"),
        ("group-list-by-name", "/identity/group/name"),
        ("group-list-aliases-by-id", "/identity/group-alias/id"),
        ("mfa-list-methods", "/identity/mfa/method"),
        ("mfa-list-totp-methods", "/identity/mfa/method/totp"),
        ("mfa-list-okta-methods", "/identity/mfa/method/okta"),
        ("mfa-list-duo-methods", "/identity/mfa/method/duo"),
        ("mfa-list-ping-id-methods", "/identity/mfa/method/pingid"),
        ("mfa-list-login-enforcements", "/identity/mfa/login-enforcement"),
        ("oidc-list-roles", "/identity/oidc/role"),
        ("oidc-list-scopes", "/identity/oidc/scope"),
        ("oidc-list-clients", "/identity/oidc/client"),
    ):
        yield from _list_pair(op, path, "list with no list=true (a plain read)")


def login_steps() -> Iterator[Step]:
    """A user whose token is tied to an entity.

    OIDC tokens, the authorization flow and TOTP self-enrolment need such a token;
    the root token has no entity.
    """
    yield Step(
        None,
        "POST",
        "/sys/policy/probe",
        "setup",
        body={"policy": _PROBE_POLICY},
        expect=204,
    )
    yield Step(
        None,
        "POST",
        "/auth/userpass/users/probe-user",
        "setup",
        body={"password": "probe-password", "token_policies": ["probe"]},
        expect=204,
    )
    yield Step(
        None,
        "POST",
        "/auth/userpass/login/probe-user",
        "setup",
        body={"password": "probe-password"},
        token=None,
        expect=200,
        save={"etok": ("auth", "client_token"), "uent": ("auth", "entity_id")},
    )


def entity_steps() -> Iterator[Step]:
    """Entities, entity aliases, and the older alias and persona surfaces."""
    e = "entity-create"
    yield Step(
        e,
        "POST",
        "/identity/entity",
        "create",
        body={"name": "alice", "metadata": {"team": "a"}, "policies": ["default"]},
        save={"eid": ("data", "id")},
    )
    yield Step(
        e, "POST", "/identity/entity", "existing name updates", body={"name": "alice"}
    )
    yield Step(e, "POST", "/identity/entity", "no body creates a generated name")
    yield Step(
        e,
        "POST",
        "/identity/entity",
        "unknown field is ignored with a warning",
        body={"name": "carol", "unknown_field": 1},
        save={"eid_carol": ("data", "id")},
    )
    yield Step(e, "POST", "/identity/entity", "wrong type", body={"disabled": "maybe"})
    yield Step("entity-read-by-id", "GET", "/identity/entity/id/$eid", "read")
    yield Step("entity-read-by-id", "GET", f"/identity/entity/id/{MISSING}", "missing")
    yield Step("entity-read-by-name", "GET", "/identity/entity/name/alice", "read")
    yield Step(
        "entity-read-by-name", "GET", f"/identity/entity/name/{MISSING}", "missing"
    )
    u = "entity-update-by-id"
    yield Step(
        u, "POST", "/identity/entity/id/$eid", "update", body={"policies": ["p1"]}
    )
    yield Step(u, "POST", "/identity/entity/id/$eid", "no body")
    yield Step(
        u, "POST", f"/identity/entity/id/{MISSING}", "missing", body={"policies": ["p"]}
    )
    u = "entity-update-by-name"
    yield Step(
        u,
        "POST",
        "/identity/entity/name/bob",
        "unknown name creates",
        body={"policies": ["p"]},
        save={"eid_bob": ("data", "id")},
    )
    yield Step(
        u,
        "POST",
        "/identity/entity/name/bob",
        "existing name updates",
        body={"policies": ["q"]},
    )
    yield Step(u, "POST", "/identity/entity/name/bob", "no body")
    yield Step("entity-list-by-id", "GET", "/identity/entity/id", "list", params=LIST)
    yield Step(
        "entity-list-by-name", "GET", "/identity/entity/name", "list", params=LIST
    )

    a = "entity-create-alias"
    yield Step(
        a,
        "POST",
        "/identity/entity-alias",
        "create",
        body={"name": "alice-up", "mount_accessor": "$acc", "canonical_id": "$eid"},
        save={"ea": ("data", "id")},
    )
    yield Step(
        a,
        "POST",
        "/identity/entity-alias",
        "same mount and name, another entity",
        body={
            "name": "alice-up",
            "mount_accessor": "$acc",
            "canonical_id": "$eid_carol",
        },
    )
    yield Step(
        a,
        "POST",
        "/identity/entity-alias",
        "bad mount accessor",
        body={
            "name": "x",
            "mount_accessor": "auth_userpass_00000000",
            "canonical_id": "$eid",
        },
    )
    yield Step(a, "POST", "/identity/entity-alias", "no body")
    yield Step(
        a,
        "POST",
        "/identity/entity-alias",
        "no canonical_id creates an entity",
        body={"name": "dave", "mount_accessor": "$acc"},
        save={"eid_dave": ("data", "canonical_id")},
    )
    yield Step(
        "entity-read-alias-by-id", "GET", "/identity/entity-alias/id/$ea", "read"
    )
    yield Step(
        "entity-read-alias-by-id",
        "GET",
        f"/identity/entity-alias/id/{MISSING}",
        "missing",
    )
    u = "entity-update-alias-by-id"
    yield Step(
        u,
        "POST",
        "/identity/entity-alias/id/$ea",
        "update",
        body={"custom_metadata": {"k": "v"}, "canonical_id": "$eid"},
    )
    yield Step(u, "POST", "/identity/entity-alias/id/$ea", "no body")
    yield Step(
        u,
        "POST",
        f"/identity/entity-alias/id/{MISSING}",
        "missing",
        body={"custom_metadata": {"k": "v"}},
    )
    yield Step(
        "entity-list-aliases-by-id",
        "GET",
        "/identity/entity-alias/id",
        "list",
        params=LIST,
    )

    yield Step(
        "alias-create",
        "POST",
        "/identity/alias",
        "create",
        body={
            "name": "alice-second",
            "mount_accessor": "$acc2",
            "canonical_id": "$eid",
        },
        save={"al": ("data", "id")},
    )
    yield Step(
        "alias-create",
        "POST",
        "/identity/alias",
        "existing mount and name updates",
        body={
            "name": "alice-second",
            "mount_accessor": "$acc2",
            "canonical_id": "$eid",
        },
    )
    yield Step("alias-create", "POST", "/identity/alias", "no body")
    yield Step("alias-read-by-id", "GET", "/identity/alias/id/$al", "read")
    yield Step("alias-read-by-id", "GET", f"/identity/alias/id/{MISSING}", "missing")
    u = "alias-update-by-id"
    yield Step(
        u,
        "POST",
        "/identity/alias/id/$al",
        "update",
        body={"name": "alice-second", "mount_accessor": "$acc2"},
    )
    yield Step(u, "POST", "/identity/alias/id/$al", "no body")
    yield Step(
        u, "POST", f"/identity/alias/id/{MISSING}", "missing", body={"name": "x"}
    )
    yield Step("alias-list-by-id", "GET", "/identity/alias/id", "list", params=LIST)

    p = "persona-create"
    yield Step(
        p,
        "POST",
        "/identity/persona",
        "create",
        body={"name": "erin", "mount_accessor": "$acc"},
        save={"eid_erin": ("data", "id")},
    )
    yield Step(
        p,
        "POST",
        "/identity/persona",
        "existing name updates",
        body={"name": "erin", "mount_accessor": "$acc"},
    )
    yield Step(p, "POST", "/identity/persona", "no body")
    yield Step("persona-list-by-id", "GET", "/identity/persona/id", "list", params=LIST)
    yield Step(
        "persona-read-by-id",
        "GET",
        "/identity/persona/id/$ea",
        "read (an entity alias)",
    )
    yield Step(
        "persona-read-by-id", "GET", f"/identity/persona/id/{MISSING}", "missing"
    )
    u = "persona-update-by-id"
    yield Step(
        u,
        "POST",
        "/identity/persona/id/$eid_erin",
        "update (an entity)",
        body={"metadata": {"a": "b"}},
    )
    yield Step(u, "POST", "/identity/persona/id/$eid_erin", "no body")
    yield Step(
        u,
        "POST",
        f"/identity/persona/id/{MISSING}",
        "missing",
        body={"metadata": {"a": "b"}},
    )
    yield Step(
        "persona-delete-by-id", "DELETE", f"/identity/persona/id/{MISSING}", "missing"
    )

    m = "entity-merge"
    yield Step(
        m,
        "POST",
        "/identity/entity/merge",
        "merge",
        body={"to_entity_id": "$eid", "from_entity_ids": ["$eid_carol"]},
    )
    yield Step(
        m,
        "POST",
        "/identity/entity/merge",
        "unknown source",
        body={"to_entity_id": "$eid", "from_entity_ids": [MISSING]},
    )
    yield Step(m, "POST", "/identity/entity/merge", "no body")
    b = "entity-batch-delete"
    yield Step(
        b,
        "POST",
        "/identity/entity/batch-delete",
        "delete",
        body={"entity_ids": ["$eid_bob", MISSING]},
    )
    yield Step(b, "POST", "/identity/entity/batch-delete", "no body")


def entity_cleanup_steps() -> Iterator[Step]:
    """Deletes of entities and aliases, once the other families are done with them."""
    yield Step(
        "persona-delete-by-id",
        "DELETE",
        "/identity/persona/id/$ea",
        "delete (an entity alias)",
    )
    yield Step(
        "entity-delete-alias-by-id", "DELETE", "/identity/entity-alias/id/$ea", "delete"
    )
    yield Step(
        "entity-delete-alias-by-id",
        "DELETE",
        f"/identity/entity-alias/id/{MISSING}",
        "missing",
    )
    yield Step("alias-delete-by-id", "DELETE", "/identity/alias/id/$al", "delete")
    yield Step(
        "alias-delete-by-id", "DELETE", f"/identity/alias/id/{MISSING}", "missing"
    )
    yield Step(
        None, "POST", "/identity/entity", "setup", body={"name": "frank"}, expect=200
    )
    yield Step(
        "entity-delete-by-name", "DELETE", "/identity/entity/name/frank", "delete"
    )
    yield Step(
        "entity-delete-by-name", "DELETE", f"/identity/entity/name/{MISSING}", "missing"
    )
    yield Step(
        "entity-delete-by-id", "DELETE", "/identity/entity/id/$eid_dave", "delete"
    )
    yield Step(
        "entity-delete-by-id", "DELETE", f"/identity/entity/id/{MISSING}", "missing"
    )


def group_steps() -> Iterator[Step]:
    """Groups and group aliases."""
    g = "group-create"
    yield Step(
        g,
        "POST",
        "/identity/group",
        "create",
        body={
            "name": "devs",
            "member_entity_ids": ["$eid"],
            "policies": ["default"],
            "metadata": {"team": "a"},
        },
        save={"gid": ("data", "id")},
    )
    yield Step(
        g,
        "POST",
        "/identity/group",
        "existing name updates",
        body={"name": "devs", "policies": ["p"]},
    )
    yield Step(g, "POST", "/identity/group", "no body creates a generated name")
    yield Step(
        g,
        "POST",
        "/identity/group",
        "external",
        body={"name": "ext", "type": "external"},
        save={"xgid": ("data", "id")},
    )
    yield Step(
        g,
        "POST",
        "/identity/group",
        "nested",
        body={"name": "parent", "member_group_ids": ["$gid"]},
        save={"pgid": ("data", "id")},
    )
    yield Step(
        g,
        "POST",
        "/identity/group",
        "unknown member",
        body={"name": "bad", "member_group_ids": [MISSING]},
    )
    yield Step("group-read-by-id", "GET", "/identity/group/id/$gid", "read internal")
    yield Step("group-read-by-id", "GET", f"/identity/group/id/{MISSING}", "missing")
    yield Step("group-read-by-name", "GET", "/identity/group/name/devs", "read")
    yield Step(
        "group-read-by-name", "GET", f"/identity/group/name/{MISSING}", "missing"
    )
    u = "group-update-by-id"
    yield Step(
        u, "POST", "/identity/group/id/$gid", "update", body={"policies": ["p2"]}
    )
    yield Step(u, "POST", "/identity/group/id/$gid", "no body")
    yield Step(
        u, "POST", "/identity/group/id/$gid", "type change", body={"type": "external"}
    )
    yield Step(
        u, "POST", f"/identity/group/id/{MISSING}", "missing", body={"policies": ["p"]}
    )
    u = "group-update-by-name"
    yield Step(
        u, "POST", "/identity/group/name/devs", "update", body={"policies": ["p3"]}
    )
    yield Step(
        u,
        "POST",
        "/identity/group/name/ops",
        "unknown name creates",
        body={"policies": ["p"]},
    )
    yield Step(u, "POST", "/identity/group/name/ops", "no body")
    a = "group-create-alias"
    yield Step(
        a,
        "POST",
        "/identity/group-alias",
        "create",
        body={"name": "ext-alias", "mount_accessor": "$acc", "canonical_id": "$xgid"},
        save={"ga": ("data", "id")},
    )
    yield Step(
        a,
        "POST",
        "/identity/group-alias",
        "on an internal group",
        body={"name": "x", "mount_accessor": "$acc", "canonical_id": "$gid"},
    )
    yield Step(a, "POST", "/identity/group-alias", "no body")
    yield Step(
        a,
        "POST",
        "/identity/group-alias",
        "no canonical_id creates a group",
        body={"name": "ext-2", "mount_accessor": "$acc"},
    )
    yield Step("group-read-alias-by-id", "GET", "/identity/group-alias/id/$ga", "read")
    yield Step(
        "group-read-alias-by-id",
        "GET",
        f"/identity/group-alias/id/{MISSING}",
        "missing",
    )
    u = "group-update-alias-by-id"
    yield Step(
        u,
        "POST",
        "/identity/group-alias/id/$ga",
        "update",
        body={"name": "ext-alias-b", "mount_accessor": "$acc", "canonical_id": "$xgid"},
    )
    yield Step(u, "POST", "/identity/group-alias/id/$ga", "no body")
    yield Step(
        u,
        "POST",
        f"/identity/group-alias/id/{MISSING}",
        "missing",
        body={"name": "x", "mount_accessor": "$acc"},
    )
    yield Step(
        "group-read-by-id",
        "GET",
        "/identity/group/id/$xgid",
        "read external with its alias",
    )
    for op, path in (
        ("group-list-by-id", "/identity/group/id"),
        ("group-list-by-name", "/identity/group/name"),
        ("group-list-aliases-by-id", "/identity/group-alias/id"),
    ):
        yield Step(op, "GET", path, "list", params=LIST)


def lookup_steps() -> Iterator[Step]:
    """Entity and group lookups."""
    e, g = "entity-look-up", "group-look-up"
    yield Step(e, "POST", "/identity/lookup/entity", "by name", body={"name": "alice"})
    yield Step(e, "POST", "/identity/lookup/entity", "by id", body={"id": "$eid"})
    yield Step(
        e, "POST", "/identity/lookup/entity", "by alias id", body={"alias_id": "$ea"}
    )
    yield Step(
        e,
        "POST",
        "/identity/lookup/entity",
        "by alias name and mount",
        body={"alias_name": "alice-up", "alias_mount_accessor": "$acc"},
    )
    yield Step(e, "POST", "/identity/lookup/entity", "miss", body={"name": MISSING})
    yield Step(e, "POST", "/identity/lookup/entity", "no body")
    yield Step(
        e,
        "POST",
        "/identity/lookup/entity",
        "two criteria",
        body={"name": "alice", "id": "$eid"},
    )
    yield Step(g, "POST", "/identity/lookup/group", "by name", body={"name": "devs"})
    yield Step(g, "POST", "/identity/lookup/group", "by id", body={"id": "$gid"})
    yield Step(
        g,
        "POST",
        "/identity/lookup/group",
        "by alias name and mount",
        body={"alias_name": "ext-alias-b", "alias_mount_accessor": "$acc"},
    )
    yield Step(g, "POST", "/identity/lookup/group", "miss", body={"name": MISSING})
    yield Step(g, "POST", "/identity/lookup/group", "no body")


def group_cleanup_steps() -> Iterator[Step]:
    """Deletes of groups and group aliases."""
    yield Step(
        "group-delete-alias-by-id", "DELETE", "/identity/group-alias/id/$ga", "delete"
    )
    yield Step(
        "group-delete-alias-by-id",
        "DELETE",
        f"/identity/group-alias/id/{MISSING}",
        "missing",
    )
    yield Step("group-delete-by-name", "DELETE", "/identity/group/name/ops", "delete")
    yield Step(
        "group-delete-by-name", "DELETE", f"/identity/group/name/{MISSING}", "missing"
    )
    yield Step("group-delete-by-id", "DELETE", "/identity/group/id/$pgid", "delete")
    yield Step(
        "group-delete-by-id", "DELETE", f"/identity/group/id/{MISSING}", "missing"
    )


# For reading a method through another type's path: the saved method each
# type's read is given instead of its own.
_OTHER_TYPE = {"duo": "totp", "totp": "okta", "okta": "ping", "ping": "duo"}


def mfa_steps() -> Iterator[Step]:
    """MFA methods of every type, TOTP secrets and login enforcements."""
    yield Step(
        "mfa-create-totp-method",
        "POST",
        "/identity/mfa/method/totp",
        "create",
        body={"issuer": "vaultmock", "period": 30, "algorithm": "SHA256", "digits": 6},
        save={"totp": ("data", "method_id")},
    )
    yield Step(
        "mfa-create-okta-method",
        "POST",
        "/identity/mfa/method/okta",
        "create",
        body={"org_name": "example", "api_token": "probe", "base_url": "okta.com"},
        save={"okta": ("data", "method_id")},
    )
    yield Step(
        "mfa-create-duo-method",
        "POST",
        "/identity/mfa/method/duo",
        "create",
        body={
            "secret_key": "probe",
            "integration_key": "probe",
            "api_hostname": "api.example.invalid",
        },
        save={"duo": ("data", "method_id")},
    )
    yield Step(
        "mfa-create-pingid-method",
        "POST",
        "/identity/mfa/method/pingid",
        "create",
        body={"settings_file_base64": _PINGID_SETTINGS},
        save={"ping": ("data", "method_id")},
    )
    yield Step(
        "mfa-create-totp-method",
        "POST",
        "/identity/mfa/method/totp",
        "no issuer",
        body={"period": 30},
    )
    yield Step(
        "mfa-create-okta-method",
        "POST",
        "/identity/mfa/method/okta",
        "no org_name",
        body={"api_token": "probe"},
    )
    yield Step(
        "mfa-create-duo-method",
        "POST",
        "/identity/mfa/method/duo",
        "no keys",
        body={"api_hostname": "x"},
    )
    yield Step(
        "mfa-create-pingid-method",
        "POST",
        "/identity/mfa/method/pingid",
        "settings file is not base64",
        body={"settings_file_base64": "%%%"},
    )
    for op, kind, var in (
        ("mfa-read-duo-method-configuration", "duo", "duo"),
        ("mfa-read-totp-method-configuration", "totp", "totp"),
        ("mfa-read-okta-method-configuration", "okta", "okta"),
        ("mfa-read-pingid-method-configuration", "pingid", "ping"),
    ):
        yield Step(op, "GET", f"/identity/mfa/method/{kind}/${var}", "read")
        yield Step(op, "GET", f"/identity/mfa/method/{kind}/{MISSING_UUID}", "missing")
        yield Step(
            op,
            "GET",
            f"/identity/mfa/method/{kind}/not-a-uuid",
            "id that is not a UUID",
        )
        yield Step(
            op,
            "GET",
            f"/identity/mfa/method/{kind}/${_OTHER_TYPE[var]}",
            "method of another type",
        )
    r = "mfa-read-method-configuration"
    yield Step(r, "GET", "/identity/mfa/method/$totp", "read a TOTP method")
    yield Step(r, "GET", "/identity/mfa/method/$duo", "read a Duo method")
    yield Step(r, "GET", f"/identity/mfa/method/{MISSING_UUID}", "missing")
    c = "mfa-configure-totp-method"
    yield Step(
        c,
        "POST",
        "/identity/mfa/method/totp/$totp",
        "update",
        body={"issuer": "vaultmock", "period": 60},
    )
    yield Step(c, "POST", "/identity/mfa/method/totp/$totp", "no issuer", body={})
    yield Step(c, "POST", "/identity/mfa/method/totp/$totp", "no body")
    yield Step(
        c,
        "POST",
        f"/identity/mfa/method/totp/{MISSING_UUID}",
        "missing",
        body={"issuer": "x"},
    )
    c = "mfa-configure-duo-method"
    yield Step(
        c,
        "POST",
        "/identity/mfa/method/duo/$duo",
        "update",
        body={
            "secret_key": "probe",
            "integration_key": "probe",
            "api_hostname": "api2.example.invalid",
        },
    )
    yield Step(c, "POST", "/identity/mfa/method/duo/$duo", "no body")
    c = "mfa-configure-okta-method"
    yield Step(
        c,
        "POST",
        "/identity/mfa/method/okta/$okta",
        "update",
        body={"org_name": "example2", "api_token": "probe"},
    )
    yield Step(c, "POST", "/identity/mfa/method/okta/$okta", "no body")
    c = "mfa-configure-pingid-method"
    yield Step(
        c,
        "POST",
        "/identity/mfa/method/pingid/$ping",
        "update",
        body={"settings_file_base64": _PINGID_SETTINGS},
    )
    yield Step(c, "POST", "/identity/mfa/method/pingid/$ping", "no body")
    for op, kind, body in (
        ("mfa-configure-totp-method", "totp", {"issuer": "x"}),
        ("mfa-configure-okta-method", "okta", {"org_name": "x", "api_token": "x"}),
        (
            "mfa-configure-duo-method",
            "duo",
            {"secret_key": "x", "integration_key": "x", "api_hostname": "x"},
        ),
        (
            "mfa-configure-pingid-method",
            "pingid",
            {"settings_file_base64": _PINGID_SETTINGS},
        ),
    ):
        yield Step(
            op,
            "POST",
            f"/identity/mfa/method/{kind}/not-a-uuid",
            "id that is not a UUID",
            body=body,
        )
    for op, path in (
        ("mfa-list-methods", "/identity/mfa/method"),
        ("mfa-list-totp-methods", "/identity/mfa/method/totp"),
        ("mfa-list-okta-methods", "/identity/mfa/method/okta"),
        ("mfa-list-duo-methods", "/identity/mfa/method/duo"),
        ("mfa-list-ping-id-methods", "/identity/mfa/method/pingid"),
    ):
        yield Step(op, "GET", path, "list", params=LIST)

    g = "mfa-admin-generate-totp-secret"
    secret = {"method_id": "$totp", "entity_id": "$eid"}
    yield Step(
        g, "POST", "/identity/mfa/method/totp/admin-generate", "generate", body=secret
    )
    yield Step(
        g,
        "POST",
        "/identity/mfa/method/totp/admin-generate",
        "entity already has a secret",
        body=secret,
    )
    yield Step(
        g,
        "POST",
        "/identity/mfa/method/totp/admin-generate",
        "unknown entity",
        body={"method_id": "$totp", "entity_id": MISSING},
    )
    yield Step(
        g,
        "POST",
        "/identity/mfa/method/totp/admin-generate",
        "unknown method",
        body={"method_id": MISSING_UUID, "entity_id": "$eid"},
    )
    yield Step(g, "POST", "/identity/mfa/method/totp/admin-generate", "no body")
    d = "mfa-admin-destroy-totp-secret"
    yield Step(
        d, "POST", "/identity/mfa/method/totp/admin-destroy", "destroy", body=secret
    )
    yield Step(
        d,
        "POST",
        "/identity/mfa/method/totp/admin-destroy",
        "unknown method",
        body={"method_id": MISSING_UUID, "entity_id": "$eid"},
    )
    yield Step(d, "POST", "/identity/mfa/method/totp/admin-destroy", "no body")
    s = "mfa-generate-totp-secret"
    yield Step(
        s,
        "POST",
        "/identity/mfa/method/totp/generate",
        "token with an entity",
        body={"method_id": "$totp"},
        token="$etok",
    )
    yield Step(
        s,
        "POST",
        "/identity/mfa/method/totp/generate",
        "repeat",
        body={"method_id": "$totp"},
        token="$etok",
    )
    yield Step(
        s,
        "POST",
        "/identity/mfa/method/totp/generate",
        "root token has no entity",
        body={"method_id": "$totp"},
    )
    yield Step(s, "POST", "/identity/mfa/method/totp/generate", "no body")

    w = "mfa-write-login-enforcement"
    enforcement = {"mfa_method_ids": ["$totp"], "auth_method_accessors": ["$acc2"]}
    yield Step(
        w,
        "POST",
        "/identity/mfa/login-enforcement/probe-le",
        "create",
        body=enforcement,
    )
    yield Step(
        w,
        "POST",
        "/identity/mfa/login-enforcement/probe-le",
        "update",
        body=enforcement,
    )
    yield Step(
        w,
        "POST",
        "/identity/mfa/login-enforcement/no-target",
        "no target",
        body={"mfa_method_ids": ["$totp"]},
    )
    yield Step(w, "POST", "/identity/mfa/login-enforcement/no-target", "no body")
    yield Step(
        "mfa-read-login-enforcement",
        "GET",
        "/identity/mfa/login-enforcement/probe-le",
        "read",
    )
    yield Step(
        "mfa-read-login-enforcement",
        "GET",
        f"/identity/mfa/login-enforcement/{MISSING}",
        "missing",
    )
    yield Step(
        "mfa-list-login-enforcements",
        "GET",
        "/identity/mfa/login-enforcement",
        "list",
        params=LIST,
    )
    yield Step(
        "mfa-delete-totp-method",
        "DELETE",
        "/identity/mfa/method/totp/$totp",
        "method used by an enforcement",
    )
    yield Step(
        "mfa-delete-login-enforcement",
        "DELETE",
        "/identity/mfa/login-enforcement/probe-le",
        "delete",
    )
    yield Step(
        "mfa-delete-login-enforcement",
        "DELETE",
        f"/identity/mfa/login-enforcement/{MISSING}",
        "missing",
    )
    for op, kind, var in (
        ("mfa-delete-totp-method", "totp", "totp"),
        ("mfa-delete-okta-method", "okta", "okta"),
        ("mfa-delete-duo-method", "duo", "duo"),
        ("mfa-delete-pingid-method", "pingid", "ping"),
    ):
        yield Step(op, "DELETE", f"/identity/mfa/method/{kind}/${var}", "delete")
        yield Step(
            op, "DELETE", f"/identity/mfa/method/{kind}/{MISSING_UUID}", "missing"
        )
        yield Step(
            op,
            "DELETE",
            f"/identity/mfa/method/{kind}/not-a-uuid",
            "id that is not a UUID",
        )


def oidc_steps() -> Iterator[Step]:
    """OIDC identity tokens, and the OIDC provider with its full code flow."""
    yield Step(
        "oidc-read-public-keys",
        "GET",
        "/identity/oidc/.well-known/keys",
        "read, no token",
        token=None,
    )
    yield Step(
        "oidc-read-public-keys",
        "GET",
        "/identity/oidc/.well-known/keys",
        "read with a bad token",
        token="bad",
    )
    yield Step(
        "oidc-read-open-id-configuration",
        "GET",
        "/identity/oidc/.well-known/openid-configuration",
        "read, no token",
        token=None,
    )
    yield Step("oidc-read-configuration", "GET", "/identity/oidc/config", "read")
    c = "oidc-configure"
    yield Step(
        c,
        "POST",
        "/identity/oidc/config",
        "set issuer",
        body={"issuer": "http://127.0.0.1:8210"},
    )
    yield Step(c, "POST", "/identity/oidc/config", "reset issuer", body={"issuer": ""})
    yield Step(c, "POST", "/identity/oidc/config", "no body")

    yield Step(
        "oidc-list-keys",
        "GET",
        "/identity/oidc/key",
        "list (the default key)",
        params=LIST,
    )
    yield Step(
        "oidc-list-keys",
        "GET",
        "/identity/oidc/key",
        "list with no list=true (a plain read)",
    )
    yield Step(
        "oidc-list-keys",
        "GET",
        "/identity/oidc/key",
        "list=garbage",
        params={"list": "garbage"},
    )
    yield Step("oidc-read-key", "GET", "/identity/oidc/key/default", "read")
    yield Step("oidc-read-key", "GET", f"/identity/oidc/key/{MISSING}", "missing")
    k = "oidc-write-key"
    yield Step(
        k,
        "POST",
        "/identity/oidc/key/probe-key",
        "create",
        body={
            "rotation_period": "24h",
            "verification_ttl": 3600,
            "allowed_client_ids": ["*"],
        },
    )
    yield Step(k, "POST", "/identity/oidc/key/spare-key", "no body")
    yield Step(
        k,
        "POST",
        "/identity/oidc/key/bad-key",
        "bad duration",
        body={"rotation_period": "soon"},
    )
    r = "oidc-rotate-key"
    yield Step(
        r,
        "POST",
        "/identity/oidc/key/probe-key/rotate",
        "rotate",
        body={"verification_ttl": 60},
    )
    yield Step(r, "POST", "/identity/oidc/key/probe-key/rotate", "no body")
    yield Step(r, "POST", f"/identity/oidc/key/{MISSING}/rotate", "missing")

    w = "oidc-write-role"
    yield Step(
        w,
        "POST",
        "/identity/oidc/role/probe-role",
        "create",
        body={
            "key": "probe-key",
            "template": '{"name": {{identity.entity.name}}}',
            "ttl": "1h",
        },
    )
    yield Step(
        w,
        "POST",
        "/identity/oidc/role/probe-role",
        "update",
        body={"key": "probe-key", "ttl": 3600},
    )
    yield Step(w, "POST", "/identity/oidc/role/no-key", "no key", body={})
    yield Step(w, "POST", "/identity/oidc/role/no-key", "no body")
    yield Step(
        w, "POST", "/identity/oidc/role/bad-key", "unknown key", body={"key": MISSING}
    )
    yield Step("oidc-read-role", "GET", "/identity/oidc/role/probe-role", "read")
    yield Step("oidc-read-role", "GET", f"/identity/oidc/role/{MISSING}", "missing")
    yield Step("oidc-list-roles", "GET", "/identity/oidc/role", "list", params=LIST)
    yield Step(
        "oidc-read-public-keys",
        "GET",
        "/identity/oidc/.well-known/keys",
        "read once a role uses a key",
        token=None,
    )
    t = "oidc-generate-token"
    yield Step(
        t,
        "GET",
        "/identity/oidc/token/probe-role",
        "token with an entity",
        token="$etok",
        save={"jwt": ("data", "token")},
    )
    yield Step(t, "GET", "/identity/oidc/token/probe-role", "root token has no entity")
    yield Step(
        t, "GET", f"/identity/oidc/token/{MISSING}", "missing role", token="$etok"
    )
    i = "oidc-introspect"
    yield Step(
        i, "POST", "/identity/oidc/introspect", "valid token", body={"token": "$jwt"}
    )
    yield Step(
        i,
        "POST",
        "/identity/oidc/introspect",
        "garbage token",
        body={"token": "garbage"},
    )
    yield Step(i, "POST", "/identity/oidc/introspect", "no body")
    yield Step(
        "oidc-delete-key",
        "DELETE",
        "/identity/oidc/key/probe-key",
        "key used by a role",
    )
    yield Step(
        "oidc-delete-key", "DELETE", "/identity/oidc/key/default", "the default key"
    )
    yield Step("oidc-delete-key", "DELETE", "/identity/oidc/key/spare-key", "delete")
    yield Step("oidc-delete-key", "DELETE", f"/identity/oidc/key/{MISSING}", "missing")

    yield Step(
        "oidc-list-assignments",
        "GET",
        "/identity/oidc/assignment",
        "list (allow_all)",
        params=LIST,
    )
    yield Step(
        "oidc-list-assignments",
        "GET",
        "/identity/oidc/assignment",
        "list with no list=true (a plain read)",
    )
    yield Step(
        "oidc-list-assignments",
        "GET",
        "/identity/oidc/assignment",
        "list=garbage",
        params={"list": "garbage"},
    )
    yield Step(
        "oidc-read-assignment",
        "GET",
        "/identity/oidc/assignment/allow_all",
        "read allow_all",
    )
    yield Step(
        "oidc-read-assignment", "GET", f"/identity/oidc/assignment/{MISSING}", "missing"
    )
    a = "oidc-write-assignment"
    yield Step(
        a,
        "POST",
        "/identity/oidc/assignment/probe-assign",
        "create",
        body={"entity_ids": ["$uent"], "group_ids": []},
    )
    yield Step(a, "POST", "/identity/oidc/assignment/spare-assign", "no body")
    yield Step(
        a,
        "POST",
        "/identity/oidc/assignment/allow_all",
        "allow_all is read-only",
        body={},
    )
    yield Step(
        "oidc-read-assignment", "GET", "/identity/oidc/assignment/probe-assign", "read"
    )

    s = "oidc-write-scope"
    yield Step(
        s,
        "POST",
        "/identity/oidc/scope/probe-scope",
        "create",
        body={
            "template": '{"groups": {{identity.entity.groups.names}}}',
            "description": "groups",
        },
    )
    yield Step(s, "POST", "/identity/oidc/scope/spare-scope", "no body")
    yield Step(s, "POST", "/identity/oidc/scope/openid", "reserved name", body={})
    yield Step(
        s,
        "POST",
        "/identity/oidc/scope/bad-scope",
        "template is not JSON",
        body={"template": "nope"},
    )
    yield Step("oidc-read-scope", "GET", "/identity/oidc/scope/probe-scope", "read")
    yield Step("oidc-read-scope", "GET", f"/identity/oidc/scope/{MISSING}", "missing")
    yield Step("oidc-list-scopes", "GET", "/identity/oidc/scope", "list", params=LIST)

    w = "oidc-write-client"
    yield Step(
        w,
        "POST",
        "/identity/oidc/client/probe-client",
        "create",
        body={
            "redirect_uris": [CALLBACK],
            "assignments": ["probe-assign"],
            "key": "default",
            "id_token_ttl": "30m",
            "access_token_ttl": "1h",
        },
    )
    yield Step(w, "POST", "/identity/oidc/client/spare-client", "no body")
    yield Step(
        w,
        "POST",
        "/identity/oidc/client/public-client",
        "public client",
        body={"client_type": "public", "redirect_uris": [CALLBACK]},
    )
    yield Step(
        w,
        "POST",
        "/identity/oidc/client/bad-client",
        "unknown assignment",
        body={"assignments": [MISSING]},
    )
    yield Step(
        "oidc-read-client",
        "GET",
        "/identity/oidc/client/probe-client",
        "read a confidential client",
        save={
            "client_id": ("data", "client_id"),
            "client_secret": ("data", "client_secret"),
        },
    )
    yield Step(
        "oidc-read-client",
        "GET",
        "/identity/oidc/client/public-client",
        "read a public client",
    )
    yield Step("oidc-read-client", "GET", f"/identity/oidc/client/{MISSING}", "missing")
    yield Step("oidc-list-clients", "GET", "/identity/oidc/client", "list", params=LIST)

    yield Step(
        "oidc-list-providers",
        "GET",
        "/identity/oidc/provider",
        "list (the default provider)",
        params=LIST,
    )
    yield Step(
        "oidc-list-providers",
        "GET",
        "/identity/oidc/provider",
        "list with no list=true (a plain read)",
    )
    yield Step(
        "oidc-list-providers",
        "GET",
        "/identity/oidc/provider",
        "list=garbage",
        params={"list": "garbage"},
    )
    p = "oidc-write-provider"
    yield Step(
        p,
        "POST",
        "/identity/oidc/provider/probe-provider",
        "create",
        body={
            "allowed_client_ids": ["$client_id"],
            "scopes_supported": ["probe-scope"],
        },
    )
    yield Step(
        p,
        "POST",
        "/identity/oidc/provider/issuer-provider",
        "explicit issuer",
        body={"issuer": "http://127.0.0.1:8210"},
    )
    yield Step(p, "POST", "/identity/oidc/provider/spare-provider", "no body")
    yield Step(
        p,
        "POST",
        "/identity/oidc/provider/bad-provider",
        "unknown scope",
        body={"scopes_supported": [MISSING]},
    )
    yield Step(
        "oidc-read-provider", "GET", "/identity/oidc/provider/probe-provider", "read"
    )
    yield Step(
        "oidc-read-provider", "GET", f"/identity/oidc/provider/{MISSING}", "missing"
    )
    yield Step(
        "oidc-list-providers",
        "GET",
        "/identity/oidc/provider",
        "list by allowed client",
        params={"list": "true", "allowed_client_id": "$client_id"},
    )
    o = "oidc-read-provider-open-id-configuration"
    yield Step(
        o,
        "GET",
        "/identity/oidc/provider/probe-provider/.well-known/openid-configuration",
        "read, no token",
        token=None,
    )
    yield Step(
        o,
        "GET",
        f"/identity/oidc/provider/{MISSING}/.well-known/openid-configuration",
        "missing",
        token=None,
    )
    o = "oidc-read-provider-public-keys"
    yield Step(
        o,
        "GET",
        "/identity/oidc/provider/probe-provider/.well-known/keys",
        "read, no token",
        token=None,
    )
    yield Step(
        o,
        "GET",
        f"/identity/oidc/provider/{MISSING}/.well-known/keys",
        "missing",
        token=None,
    )

    auth = {
        "response_type": "code",
        "client_id": "$client_id",
        "redirect_uri": CALLBACK,
        "scope": "openid probe-scope",
        "state": "probe-state",
        "nonce": "probe-nonce",
    }
    z = "oidc-provider-authorize"
    base = "/identity/oidc/provider/probe-provider"
    yield Step(
        z,
        "GET",
        f"{base}/authorize",
        "authorize",
        params=auth,
        token="$etok",
        save={"code": ("code",)},
    )
    yield Step(z, "GET", f"{base}/authorize", "root token has no entity", params=auth)
    yield Step(z, "GET", f"{base}/authorize", "no parameters", token="$etok")
    yield Step(
        z,
        "GET",
        f"/identity/oidc/provider/{MISSING}/authorize",
        "missing provider",
        params=auth,
        token="$etok",
    )
    z = "oidc-provider-authorize-with-parameters"
    yield Step(
        z,
        "POST",
        f"{base}/authorize",
        "authorize",
        body=auth,
        token="$etok",
        save={"code2": ("code",)},
    )
    yield Step(z, "POST", f"{base}/authorize", "no body", token="$etok")
    tk = "oidc-provider-token"
    grant = {
        "grant_type": "authorization_code",
        "code": "$code",
        "redirect_uri": CALLBACK,
    }
    yield Step(
        tk,
        "POST",
        f"{base}/token",
        "exchange a code (form, client_secret_basic)",
        form=grant,
        basic=("$client_id", "$client_secret"),
        token=None,
        save={"access": ("access_token",)},
    )
    yield Step(
        tk,
        "POST",
        f"{base}/token",
        "code used twice",
        form=grant,
        basic=("$client_id", "$client_secret"),
        token=None,
    )
    yield Step(
        tk,
        "POST",
        f"{base}/token",
        "exchange a code (JSON, client_secret_post)",
        body={
            **grant,
            "code": "$code2",
            "client_id": "$client_id",
            "client_secret": "$client_secret",
        },
        token=None,
    )
    yield Step(tk, "POST", f"{base}/token", "no client", form={}, token=None)
    yield Step(
        tk,
        "POST",
        f"{base}/token",
        "wrong client secret",
        form=grant,
        basic=("$client_id", "wrong"),
        token=None,
    )
    yield Step(
        tk,
        "POST",
        f"/identity/oidc/provider/{MISSING}/token",
        "missing provider",
        form=grant,
        token=None,
    )
    for op, method in (
        ("oidc-provider-user-info", "GET"),
        ("oidc-provider-user-info2", "POST"),
    ):
        yield Step(
            op,
            method,
            f"{base}/userinfo",
            "bearer access token",
            bearer="$access",
            token=None,
        )
        yield Step(
            op, method, f"{base}/userinfo", "bad bearer token", bearer="bad", token=None
        )

    yield Step("oidc-delete-provider", "DELETE", f"{base}", "delete")
    yield Step(
        "oidc-delete-provider",
        "DELETE",
        f"/identity/oidc/provider/{MISSING}",
        "missing",
    )
    yield Step(
        "oidc-delete-client", "DELETE", "/identity/oidc/client/probe-client", "delete"
    )
    yield Step(
        "oidc-delete-client", "DELETE", f"/identity/oidc/client/{MISSING}", "missing"
    )
    yield Step(
        "oidc-delete-assignment",
        "DELETE",
        "/identity/oidc/assignment/probe-assign",
        "delete",
    )
    yield Step(
        "oidc-delete-assignment",
        "DELETE",
        f"/identity/oidc/assignment/{MISSING}",
        "missing",
    )
    yield Step(
        "oidc-delete-scope", "DELETE", "/identity/oidc/scope/probe-scope", "delete"
    )
    yield Step(
        "oidc-delete-scope", "DELETE", f"/identity/oidc/scope/{MISSING}", "missing"
    )
    yield Step("oidc-delete-role", "DELETE", "/identity/oidc/role/probe-role", "delete")
    yield Step(
        "oidc-delete-role", "DELETE", f"/identity/oidc/role/{MISSING}", "missing"
    )


def sealed_steps() -> Iterator[Step]:
    """Seal the server and read its health: the last steps, the server stays sealed."""
    yield Step(None, "POST", "/sys/seal", "setup", expect=204)
    yield Step(
        "sys-health-read", "GET", "/sys/health", "read a sealed server", token=None
    )
    yield Step(
        "sys-seal-status-read",
        "GET",
        "/sys/seal-status",
        "read a sealed server",
        token=None,
    )


def scenario(fragments: list[Fragment]) -> list[Step]:
    """The whole scenario, in the order it must run."""
    steps = [
        *generic_steps(fragments),
        *sys_steps(),
        *empty_list_steps(),
        *login_steps(),
        *entity_steps(),
        *group_steps(),
        *lookup_steps(),
        *mfa_steps(),
        *oidc_steps(),
        *group_cleanup_steps(),
        *entity_cleanup_steps(),
        *sealed_steps(),
    ]
    logger.debug("scenario of %d steps", len(steps))
    return steps
