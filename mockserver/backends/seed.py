"""Realistic starting data, drawn from faker with the store's seeded source."""

from __future__ import annotations

import logging

from faker import Faker

from mockserver.backends import Store

logger = logging.getLogger(__name__)

MAX_PRELOAD = 100_000
"""The most entities a preload makes: at about 0.7 ms each, a bigger one would hold
the server for minutes before it answers anything."""

_TEAMS = ("platform", "payments", "identity", "data", "mobile", "security")


def preload(store: Store, count: int) -> None:
    """Add ``count`` entities, each with a userpass alias, to ``store``.

    Enables ``userpass/`` (and ``approle/``) if they are not mounted yet. With a
    seeded store the same call adds the same names, ids and timestamps.
    """
    if not 0 <= count <= MAX_PRELOAD:
        raise ValueError(
            f"a preload makes 0 to {MAX_PRELOAD:,} entities, not {count:,}; "
            "for a bigger store, restore a snapshot"
        )
    fake = Faker()
    fake.seed_instance(store.random.choice_seed())
    mounts = {m.path: m for m in store.mounts.sys_auth_list()}
    userpass = mounts.get("userpass/") or store.mounts.sys_auth_enable(
        "userpass", "userpass"
    )
    if "approle/" not in mounts:
        store.mounts.sys_auth_enable("approle", "approle")
    made = 0
    while made < count:
        username = fake.unique.user_name()
        if store.entities.alias_by_mount_and_name(userpass.accessor, username):
            continue
        team = fake.random_element(_TEAMS)
        entity, created = store.entities.entity_create(
            name=f"{fake.first_name().lower()}.{username}",
            metadata={"email": fake.email(), "team": team, "title": fake.job()},
            policies=["default", f"team-{team}"],
        )
        if not created:
            continue
        store.entities.entity_create_alias(
            name=username, mount_accessor=userpass.accessor, canonical_id=entity.id
        )
        made += 1
    logger.debug("preloaded %d entities", count)
