"""What every backend shares: the seeded source of ids and time, and the contract
of ``reset``, ``snapshot`` and ``restore``."""

from __future__ import annotations

import dataclasses
import math
import operator
import random
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from types import UnionType
from typing import (
    Any,
    Literal,
    Protocol,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from mockserver.errors import InvalidRequest

_T = TypeVar("_T")


class Randomness:
    """One seeded random source for ids, names and timestamps.

    With a seed, every generated value repeats from one run to the next: the
    clock starts at a fixed instant and moves forward a millisecond-scale step
    each time it is read. Without a seed, ids are random and the clock is real.
    """

    _EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._rng = random.Random(seed)
        self._ticks = 0

    def rewind(self) -> None:
        """Start the sequence again from the seed."""
        self._rng = random.Random(self.seed)
        self._ticks = 0

    def uuid(self) -> str:
        """A version-4 style UUID drawn from the seeded source."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def hex(self, length: int) -> str:
        """``length`` lowercase hexadecimal characters."""
        return f"{self._rng.getrandbits(length * 4):0{length}x}"

    def now(self) -> datetime:
        """The current time: real, or a repeatable sequence under a seed."""
        if self.seed is None:
            return datetime.now(UTC)
        self._ticks += self._rng.randint(1, 1000)
        return self._EPOCH + timedelta(microseconds=self._ticks * 1000)

    def timestamp(self) -> str:
        """The current time in the real server's RFC 3339 form."""
        return self.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def choice_seed(self) -> int:
        """A derived integer seed, for seeding another generator (faker)."""
        return self._rng.getrandbits(32)

    def state(self) -> dict[str, Any]:
        """The generator's position, so a snapshot can resume the same sequence."""
        version, internal, gauss = self._rng.getstate()
        return {
            "seed": self.seed,
            "ticks": self._ticks,
            "rng": [version, list(internal), gauss],
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Resume from :meth:`state`."""
        self.seed = state["seed"]
        self._ticks = state["ticks"]
        version, internal, gauss = state["rng"]
        self._rng.setstate((version, tuple(internal), gauss))


def check_policy_names(policies: list[str] | None) -> None:
    """Refuse ``root`` among the policies of an entity or group, as the server does."""
    if policies and any(p.strip().lower() == "root" for p in policies):
        raise InvalidRequest("policies cannot contain root")


class Backend(Protocol):
    """The contract every backend of the :class:`~mockserver.backends.Store` keeps."""

    def reset(self) -> None:
        """Forget everything, back to the state right after construction."""

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-compatible data."""

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with one taken by :meth:`snapshot`.

        Raises :class:`ValueError` when a record has a field of the wrong type.
        """

    def check(self) -> None:
        """Raise :class:`ValueError` when the state breaks an invariant.

        Called on a freshly restored store, before it replaces the current one,
        for what holds across records (unique names, references that resolve).
        """


# -- loading snapshots --------------------------------------------------------
#
# A snapshot is data from outside (a state file, an admin request), so every
# record is checked against its dataclass's annotations before it is built: a
# value of the wrong type would otherwise be accepted and break a later request.


class _Refused(Exception):
    """A value refused while loading; ``path`` says where below the record."""

    def __init__(self, problem: str, path: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.path = path


_Loader = Callable[[Any], Any]
"""Checks one value and returns what to store; raises :class:`_Refused`."""

_JSON_NAMES = {
    type(None): "null",
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    list: "list",
    dict: "dict",
}


def _kind(value: Any) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _expected(expected: str, value: Any) -> _Refused:
    return _Refused(f"must be {expected}, not {_kind(value)}")


# Values checked by their exact type alone (``type(v) in``, so a bool is not an
# integer), with what is expected in words.
_EXACT: dict[Any, tuple[frozenset[type], str]] = {
    str: (frozenset({str}), "a string"),
    int: (frozenset({int}), "an integer"),
    bool: (frozenset({bool}), "a boolean"),
}


def _exact(hint: Any) -> tuple[frozenset[type], str] | None:
    if hint in _EXACT:
        return _EXACT[hint]
    if get_origin(hint) in (Union, UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        if len(options) == 1 and options[0] in _EXACT:
            accepted, expected = _EXACT[options[0]]
            return accepted | {type(None)}, f"{expected} or null"
    return None


def _load_float(value: Any) -> Any:
    if type(value) is float:
        if not math.isfinite(value):
            raise _Refused(f"must be a finite number, not {value!r}")
        return value
    if type(value) is int:
        return float(value)
    raise _expected("a number", value)


def _load_any(value: Any) -> Any:
    return value


def _plural(expected: str) -> str:
    return expected.removeprefix("a ").removeprefix("an ") + "s"


def _loader(hint: Any) -> tuple[_Loader, str]:
    """The loader of values annotated ``hint``, and what it expects in words."""
    exact = _exact(hint)
    if exact is not None:
        accepted, expected = exact

        def load_exact(value: Any) -> Any:
            if type(value) not in accepted:
                raise _expected(expected, value)
            return value

        return load_exact, expected
    if hint is float:
        return _load_float, "a number"
    if hint is Any:
        return _load_any, "any value"
    origin = get_origin(hint)
    args = get_args(hint)
    if origin in (Union, UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) != 1 or len(args) != 2:
            raise TypeError(f"snapshot fields cannot be annotated {hint!r}")
        inner, expected = _loader(options[0])

        def load_optional(value: Any) -> Any:
            return None if value is None else inner(value)

        return load_optional, f"{expected} or null"
    if origin is list:
        item, item_expected = _loader(args[0])
        expected = f"a list of {_plural(item_expected)}"

        def load_list(value: Any) -> Any:
            if type(value) is not list:
                raise _expected(expected, value)
            out = []
            for i, v in enumerate(value):
                try:
                    out.append(item(v))
                except _Refused as exc:
                    raise _Refused(exc.problem, f"[{i}]{exc.path}") from None
            return out

        return load_list, expected
    if origin is dict and args[0] is str:
        member, member_expected = _loader(args[1])
        expected = (
            "an object"
            if args[1] is Any
            else f"an object of {_plural(member_expected)}"
        )

        def load_dict(value: Any) -> Any:
            if type(value) is not dict:
                raise _expected(expected, value)
            out = {}
            for key, v in value.items():
                if type(key) is not str:
                    raise _Refused(f"has a key that is not a string: {key!r}")
                try:
                    out[key] = member(v)
                except _Refused as exc:
                    raise _Refused(exc.problem, f"[{key!r}]{exc.path}") from None
            return out

        return load_dict, expected
    if origin is Literal:
        choices = ", ".join(repr(a) for a in args)

        def load_literal(value: Any) -> Any:
            if not any(value == a and type(value) is type(a) for a in args):
                raise _Refused(f"must be one of {choices}, not {value!r}")
            return value

        return load_literal, f"one of {choices}"
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        cls = hint

        def load_nested(value: Any) -> Any:
            return _build(cls, value)

        return load_nested, "an object"
    raise TypeError(f"snapshot fields cannot be annotated {hint!r}")


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    exact: dict[str, tuple[frozenset[type], str]]
    """Fields checked by type alone, stored as they are."""
    loaders: dict[str, _Loader]
    """The other fields, whose loader may build a new value (a copied list)."""
    required: frozenset[str]
    count: int


_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    # Resolving annotations is slow; it happens once per class.
    hints = get_type_hints(cls)
    exact: dict[str, tuple[frozenset[type], str]] = {}
    loaders: dict[str, _Loader] = {}
    required = set()
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        simple = _exact(hints[f.name])
        if simple is not None:
            exact[f.name] = simple
        else:
            loaders[f.name] = _loader(hints[f.name])[0]
        if (
            f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ):
            required.add(f.name)
    plan = _PLANS[cls] = _Plan(
        exact, loaders, frozenset(required), len(exact) + len(loaders)
    )
    return plan


def _build(cls: type[_T], raw: Any) -> _T:
    if type(raw) is not dict:
        raise _expected("an object", raw)
    plan = _PLANS.get(cls) or _plan(cls)
    exact = plan.exact
    loaders = plan.loaders
    values: dict[str, Any] | None = None
    for name, value in raw.items():
        simple = exact.get(name)
        if simple is not None:
            if type(value) not in simple[0]:
                raise _Refused(
                    f"must be {simple[1]}, not {_kind(value)}", f": field {name!r}"
                )
            continue
        load = loaders.get(name)
        if load is None:
            raise _Refused("is not a field of this record", f": field {name!r}")
        try:
            loaded = load(value)
        except _Refused as exc:
            raise _Refused(exc.problem, f": field {name!r}{exc.path}") from None
        if loaded is not value:
            if values is None:
                values = dict(raw)
            values[name] = loaded
    if len(raw) < plan.count:
        missing = plan.required - raw.keys()
        if missing:
            fields = ", ".join(repr(m) for m in sorted(missing))
            raise _Refused(f"lacks required field(s) {fields}")
    return cls(**(raw if values is None else values))


# The fast path. Restoring runs before every test that asks for a snapshot, so
# a record of the usual shape is checked by one generated expression per class
# (no call per field); anything it does not accept takes the slow path above,
# which converts what may be converted and words the refusal.


def _fast_check(hint: Any, value: str) -> str | None:
    """A Python expression true when ``value`` holds a valid ``hint`` as is.

    Lists and objects of strings are checked with ``"".join``, which raises
    :class:`TypeError` on anything but strings without a call per item.
    """
    if hint in _EXACT:
        return f"type({value}) is {hint.__name__}"
    if hint is float:
        return f"(type({value}) is float and _isfinite({value}))"
    if hint is Any:
        return "True"
    origin = get_origin(hint)
    args = get_args(hint)
    if origin in (Union, UnionType):
        options = [a for a in args if a is not type(None)]
        inner = _fast_check(options[0], value) if len(options) == 1 else None
        return None if inner is None else f"({value} is None or {inner})"
    if origin is list and args[0] is str:
        return f"(type({value}) is list and _join({value}) is not None)"
    if origin is dict and args[0] is str:
        keys = f"type({value}) is dict and _join({value}) is not None"
        if args[1] is Any:
            return f"({keys})"
        if args[1] is str:
            return f"({keys} and _join({value}.values()) is not None)"
    return None


_FAST: dict[type, Callable[[dict[str, Any]], bool] | None] = {}


def _fast(cls: type) -> Callable[[dict[str, Any]], bool] | None:
    if cls in _FAST:
        return _FAST[cls]
    hints = get_type_hints(cls)
    names: dict[str, Any] = {"_join": "".join, "_isfinite": math.isfinite}
    # Written for the usual record, which has every field: a missing one (a
    # KeyError) or an unknown one (a TypeError from the constructor) sends the
    # record down the slow path.
    terms = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        term = _fast_check(hints[f.name], f"raw[{f.name!r}]")
        if term is None:
            _FAST[cls] = None
            return None
        terms.append(term)
    body = " and ".join(terms) or "True"
    # eval of text made above from annotations alone, as dataclasses does.
    predicate: Callable[[dict[str, Any]], bool] = eval(f"lambda raw: {body}", names)
    _FAST[cls] = predicate
    return predicate


def _wrong(where: str, expected: str, value: Any) -> ValueError:
    return ValueError(f"{where} must be {expected}, not {_kind(value)}")


def load_record(cls: type[_T], raw: Any, where: str) -> _T:
    """Build the dataclass ``cls`` from snapshot data, every field checked.

    Each field must hold what ``cls`` annotates it with (``str``, ``int``,
    ``float``, ``bool``, ``X | None``, ``list[...]``, ``dict[str, ...]``,
    ``Literal``, another dataclass); unknown keys and missing required ones are
    refused. Raises :class:`ValueError` whose message starts with ``where``
    (``entities: entity 0``) and names the field.
    """
    fast = _FAST[cls] if cls in _FAST else _fast(cls)
    if fast is not None and type(raw) is dict:
        try:
            if fast(raw):
                return cls(**raw)
        except (KeyError, TypeError):
            pass  # a missing field or a value not a string: the slow path words it
    try:
        return _build(cls, raw)
    except _Refused as exc:
        raise ValueError(f"{where}{exc.path} {exc.problem}") from None


def load_records(cls: type[_T], data: Any, key: str, where: str) -> list[_T]:
    """The records listed under ``data[key]``, each checked by :func:`load_record`.

    ``where`` names one record, with ``{}`` for its position (``entities: entity
    {}``).
    """
    if type(data) is not dict:
        raise _wrong(where.split(":")[0], "an object", data)
    records = data.get(key)
    if type(records) is not list:
        raise _wrong(f"{where.split(':')[0]}: {key!r}", "a list", records)
    fast = _FAST[cls] if cls in _FAST else _fast(cls)
    loaded = []
    for i, raw in enumerate(records):
        try:
            if fast is not None and type(raw) is dict and fast(raw):
                loaded.append(cls(**raw))
                continue
        except (KeyError, TypeError):
            pass  # a missing field or a value not a string: the slow path words it
        loaded.append(load_record(cls, raw, where.format(i)))
    return loaded


def by_mount(data: Any, key: str, backend: str) -> list[tuple[str, Any]]:
    """The (mount, records) pairs of ``data[key]``, an object keyed by mount path."""
    if type(data) is not dict:
        raise _wrong(backend, "an object", data)
    table = data.get(key)
    if type(table) is not dict:
        raise _wrong(f"{backend}: {key!r}", "an object keyed by mount", table)
    return list(table.items())


def check_timestamps(values: list[str], where: Callable[[int], str]) -> None:
    """Refuse the first of ``values`` that is not an RFC 3339 timestamp with a
    time zone (``2026-01-01T00:00:00.000000Z``); ``where(i)`` names value i."""
    # Parsed by map() so that the usual case costs no Python call per value.
    try:
        zones = set(map(_tzinfo, map(datetime.fromisoformat, values)))
    except ValueError:
        zones = {None}
    if None not in zones:
        return
    for i, value in enumerate(values):
        try:
            ok = datetime.fromisoformat(value).tzinfo is not None
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{where(i)} must be an RFC 3339 timestamp, not {value!r}")


_tzinfo = operator.attrgetter("tzinfo")


def check_record_times(records: list[Any], what: str) -> None:
    """The ``creation_time`` and ``last_update_time`` of every record (each with
    an ``id``) are RFC 3339; ``what`` names the kind (``entities: entity``)."""
    for attr in ("creation_time", "last_update_time"):
        check_timestamps(
            list(map(operator.attrgetter(attr), records)),
            lambda i: f"{what} {records[i].id!r}: {attr}",  # noqa: B023 - used at once
        )


def unique(values: Iterable[str], where: str, what: str) -> None:
    """Refuse the first value of ``values`` seen twice."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{where}: two {what} {value!r}")
        seen.add(value)
