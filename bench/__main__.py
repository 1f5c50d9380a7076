"""``python -m bench``: the whole benchmark, printed as one table.

Every load loop is bounded by a request count and a time limit; the defaults
keep a run within a few minutes on two cores. ``--quick`` shrinks everything
for a smoke test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# connexion imports starlette's test client at import time, which warns.
warnings.filterwarnings("ignore", category=DeprecationWarning, module="connexion")
warnings.filterwarnings("ignore", message=".*starlette.testclient.*")

from bench import inprocess, loadgen, targets  # noqa: E402
from bench.report import Row, text_table, write  # noqa: E402

HERE = Path(__file__).resolve().parent
MB = 1024 * 1024

COLD_START_TARGET_S = 0.5
RESET_TARGET_MS = 1.0
MEMORY_TARGET_MB = 300
LIST_TARGET_MS = 200


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def environment() -> dict[str, Any]:
    """Where and when the benchmark runs."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=HERE.parent,
            timeout=10,
        ).stdout.strip()
    return {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": f"Python {platform.python_version()}",
        "openbao": targets.bao_version(),
        "commit": commit,
        "load_before": _load_average(),
    }


class Runner:
    """Starts servers, remembers them, and stops every one of them at the end."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.document: Path | None = args.document
        self.running: list[targets.Target] = []
        self.with_real = not args.mock_only

    def start(self, kind: str) -> targets.Target:
        """A fresh server of ``kind`` ("vaultmock" or "openbao")."""
        target = (
            targets.start_mock(self.document)
            if kind == "vaultmock"
            else targets.start_bao()
        )
        self.running.append(target)
        return target

    def stop(self, target: targets.Target) -> None:
        """Stop one server."""
        target.stop()
        if target in self.running:
            self.running.remove(target)

    def stop_all(self) -> None:
        """Stop every server still running."""
        for target in list(self.running):
            self.stop(target)

    @contextlib.contextmanager
    def server(self, kind: str) -> Iterator[targets.Target]:
        """A fresh server for the duration of a ``with`` block."""
        target = self.start(kind)
        try:
            yield target
        finally:
            self.stop(target)

    @property
    def kinds(self) -> list[str]:
        """The servers to compare."""
        return ["vaultmock", "openbao"] if self.with_real else ["vaultmock"]


# -- cold start -----------------------------------------------------------------

_BREAKDOWN = """\
import copy, json, sys, time
clock = time.process_time
began = clock()
import mockserver.server
from mockserver.app import create_app, load_document
from mockserver.config import ServerConfig
imported = clock()
document = None
if len(sys.argv) > 1:
    with open(sys.argv[1], encoding="utf-8") as handle:
        document = json.load(handle)
config = ServerConfig(document=document)
loaded_document = load_document(config)
loaded = clock()
create_app(config)
built = clock()
from connexion.spec import OpenAPISpecification
spare = copy.deepcopy(loaded_document)
checked = clock()
OpenAPISpecification._validate_spec(spare)
validated = clock()
print(json.dumps({"imports_s": imported - began, "document_s": loaded - imported,
                  "create_app_s": built - loaded,
                  "connexion_validation_s": validated - checked}))
"""


def cold_start(runner: Runner) -> dict[str, Any]:
    """Process start to first answer, several times each, alternating servers."""
    times: dict[str, list[float]] = {kind: [] for kind in runner.kinds}
    cpu: dict[str, list[float]] = {kind: [] for kind in runner.kinds}
    for _ in range(runner.args.cold_runs):
        for kind in runner.kinds:
            target = runner.start(kind)
            times[kind].append(target.started_in)
            cpu[kind].append(target.started_cpu)
            runner.stop(target)
    breakdowns = []
    for _ in range(3):
        before = os.times()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        after = os.times()
        interpreter = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        command = [sys.executable, "-W", "ignore", "-c", _BREAKDOWN]
        if runner.document is not None:
            command.append(str(runner.document))
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        parts = json.loads(out.stdout)
        parts["interpreter_s"] = interpreter
        breakdowns.append(parts)
    breakdown = {
        key: round(statistics.median(b[key] for b in breakdowns), 3)
        for key in breakdowns[0]
    }
    return {
        kind: {
            "median_s": round(statistics.median(values), 3),
            "min_s": round(min(values), 3),
            "runs": [round(v, 3) for v in values],
            "cpu_median_s": round(statistics.median(cpu[kind]), 3),
        }
        for kind, values in times.items()
    } | {"vaultmock_breakdown": breakdown}


# -- HTTP load ----------------------------------------------------------------


def _workload(name: str, data: loadgen.Dataset, prefix: str) -> loadgen.Workload:
    if name == "read":
        return loadgen.ReadMix(data)
    if name == "write":
        return loadgen.WriteMix(data, prefix)
    return loadgen.MixedMix(data, prefix)


class ById:
    """Entity reads by id only: the single-client latency probe."""

    name = "latency"

    def __init__(self, data: loadgen.Dataset) -> None:
        self.data = data

    def next_call(self, rng: Any) -> loadgen.Call:
        """A read of one seeded entity."""
        entity_id = rng.choice(self.data.ids)
        return loadgen.Call("GET", f"/v1/identity/entity/id/{entity_id}", op="by-id")


async def _measured(
    target: targets.Target, workload: loadgen.Workload, *, concurrency: int, args: Any
) -> dict[str, Any]:
    cpu_before = _cpu_seconds(target.process.pid)
    client_before = time.process_time()
    result = await loadgen.run_load(
        target.host,
        target.port,
        workload,
        concurrency=concurrency,
        max_requests=args.max_requests,
        max_seconds=args.seconds,
    )
    server_cpu = _cpu_seconds(target.process.pid) - cpu_before
    client_cpu = time.process_time() - client_before
    summary = result.summary()
    served = max(1, result.requests)
    summary["server_cpu_us_per_request"] = round(server_cpu / served * 1e6, 1)
    summary["client_cpu_us_per_request"] = round(client_cpu / served * 1e6, 1)
    summary["client_cpu_share"] = round(client_cpu / max(result.seconds, 1e-9), 2)
    return summary


async def _load_run(
    target: targets.Target, name: str, args: argparse.Namespace
) -> dict[str, Any]:
    prefix = f"{name}{os.getpid()}"
    data = await loadgen.seed_dataset(
        target.host, target.port, entities=args.entities, prefix=prefix
    )
    summary = await _measured(
        target,
        _workload(name, data, prefix),
        concurrency=args.concurrency,
        args=args,
    )
    if name == "read":
        summary["single_client"] = await _measured(
            target, ById(data), concurrency=1, args=args
        )
    return summary


def http_load(runner: Runner) -> dict[str, Any]:
    """Each workload against a fresh server of each kind."""
    results: dict[str, Any] = {}
    for name in ("read", "write", "mixed"):
        for kind in runner.kinds:
            with runner.server(kind) as target:
                summary = asyncio.run(_load_run(target, name, runner.args))
            results[f"{name}/{kind}"] = summary
            _progress(f"load {name} {kind}: {summary['throughput_rps']} req/s")
    return results


# -- scale -----------------------------------------------------------------------


def scale_in_process(runner: Runner) -> dict[str, Any]:
    """The mock with ``--scale`` entities, in a fresh process."""
    command = [
        sys.executable,
        "-W",
        "ignore",
        "-m",
        "bench.scale",
        str(runner.args.scale),
    ]
    if runner.document is not None:
        command.append(str(runner.document))
    out = subprocess.run(
        command, capture_output=True, text=True, check=True, cwd=HERE.parent
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


async def _scale_run(
    target: targets.Target, args: argparse.Namespace
) -> dict[str, Any]:
    rss_before = target.rss_bytes()
    began = time.perf_counter()
    data = await loadgen.seed_dataset(
        target.host,
        target.port,
        entities=args.http_scale,
        prefix="scale",
        concurrency=args.concurrency,
    )
    filled = time.perf_counter() - began
    rss_after = target.rss_bytes()
    connection = await loadgen.Connection.open(target.host, target.port)
    figures: dict[str, Any] = {}
    for label, path in (
        ("list_by_id", "/v1/identity/entity/id"),
        ("list_by_name", "/v1/identity/entity/name"),
    ):
        spent = []
        for _ in range(3):
            began = time.perf_counter()
            answer = await connection.call(loadgen.Call("LIST", path))
            spent.append(time.perf_counter() - began)
            if answer.status != 200:
                raise RuntimeError(f"{target.name} {path}: {answer.status}")
            figures[f"{label}_bytes"] = len(answer.body)
        figures[f"{label}_ms"] = round(min(spent) * 1e3, 1)
    await connection.close()
    probe = await loadgen.run_load(
        target.host,
        target.port,
        ById(data),
        concurrency=1,
        max_requests=1000,
        max_seconds=min(args.seconds, 3.0),
    )
    return {
        "entities": args.http_scale,
        "fill_seconds": round(filled, 2),
        "memory_bytes": rss_after - rss_before,
        "process_rss_bytes": rss_after,
        **figures,
        "lookup_by_id_p50_us": round(probe.percentile_ms(0.5) * 1e3, 1),
    }


def scale_over_http(runner: Runner) -> dict[str, Any]:
    """Both servers filled with ``--http-scale`` entities through the API."""
    results: dict[str, Any] = {}
    for kind in runner.kinds:
        with runner.server(kind) as target:
            results[kind] = asyncio.run(_scale_run(target, runner.args))
        _progress(f"scale over HTTP {kind}: {results[kind]}")
    return results


# -- the table -------------------------------------------------------------------


def _get(data: dict[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def build_rows(results: dict[str, Any], args: argparse.Namespace) -> list[Row]:
    """The table's rows from the raw results."""
    rows: list[Row] = []
    load = results.get("load", {})
    for name in ("read", "write", "mixed"):
        mock = load.get(f"{name}/vaultmock", {})
        real = load.get(f"{name}/openbao", {})
        section = f"HTTP {name} (c={args.concurrency})"
        mock_rps = mock.get("throughput_rps")
        real_rps = real.get("throughput_rps")
        met = None
        target = ""
        if name == "read":
            target = ">= real"
            met = None if real_rps is None else mock_rps >= real_rps
        rows.append(
            Row(section, "throughput", "req/s", mock_rps, real_rps, target, met)
        )
        rows.append(
            Row(section, "p50 latency", "ms", mock.get("p50_ms"), real.get("p50_ms"))
        )
        rows.append(
            Row(section, "p99 latency", "ms", mock.get("p99_ms"), real.get("p99_ms"))
        )
        mock_cpu = mock.get("server_cpu_us_per_request")
        real_cpu = real.get("server_cpu_us_per_request")
        rows.append(
            Row(
                section,
                "server CPU per request",
                "us",
                mock_cpu,
                real_cpu,
                note="CPU time the server process spent per answered request: "
                "what each request costs, whatever else runs on the machine",
            )
        )
        rows.append(
            Row(
                section,
                "requests per server CPU-second",
                "req/s",
                1e6 / mock_cpu if mock_cpu else None,
                1e6 / real_cpu if real_cpu else None,
                note="the throughput each server would reach on one dedicated core "
                "(the mock uses one core; the real server can use several)",
            )
        )
        rows.append(
            Row(
                section,
                "load generator CPU per request",
                "us",
                mock.get("client_cpu_us_per_request"),
                real.get("client_cpu_us_per_request"),
            )
        )
    single_mock = _get(load, "read/vaultmock", "single_client") or {}
    single_real = _get(load, "read/openbao", "single_client") or {}
    rows.append(
        Row(
            "single client",
            "entity read p50 over loopback",
            "ms",
            single_mock.get("p50_ms"),
            single_real.get("p50_ms"),
        )
    )
    latency = results.get("inprocess", {})
    real_single_us = None if not single_real else single_real.get("p50_ms", 0) * 1e3
    for op in ("read-by-id", "read-by-name", "create", "alias-create"):
        rows.append(
            Row(
                "in-process (no socket)",
                f"{op} p50",
                "us",
                _get(latency, op, "p50_us"),
                real_single_us if op == "read-by-id" else None,
                note="compared with the real server's single-client loopback read"
                if op == "read-by-id"
                else "",
            )
        )
    rows.append(
        Row(
            "in-process (no socket)",
            "read-by-id p50 through the plugin's httpx transport",
            "us",
            _get(latency, "through_plugin_transport", "p50_us"),
            real_single_us,
        )
    )
    cold = results.get("cold_start", {})
    mock_cold = _get(cold, "vaultmock", "median_s")
    rows.append(
        Row(
            "cold start",
            "process start to first answer (median)",
            "s",
            mock_cold,
            _get(cold, "openbao", "median_s"),
            f"< {COLD_START_TARGET_S} s",
            None if mock_cold is None else mock_cold < COLD_START_TARGET_S,
        )
    )
    mock_cpu_start = _get(cold, "vaultmock", "cpu_median_s")
    rows.append(
        Row(
            "cold start",
            "CPU time used until the first answer (median)",
            "s",
            mock_cpu_start,
            _get(cold, "openbao", "cpu_median_s"),
            f"< {COLD_START_TARGET_S} s",
            None if mock_cpu_start is None else mock_cpu_start < COLD_START_TARGET_S,
            note="what the start costs without the waits a busy machine adds; "
            "on an idle machine the mock's wall time is close to it (one thread), "
            "the real server's can be lower (several threads)",
        )
    )
    breakdown = cold.get("vaultmock_breakdown") or {}
    for key, label in (
        ("interpreter_s", "mock part, CPU: interpreter start"),
        ("imports_s", "mock part, CPU: imports"),
        ("document_s", "mock part, CPU: document load"),
        ("create_app_s", "mock part, CPU: create_app"),
        ("connexion_validation_s", "  of which connexion re-validating the document"),
    ):
        if key in breakdown:
            rows.append(Row("cold start", label, "s", breakdown[key]))
    state = results.get("state", {})
    reset = state.get("reset_ms")
    rows.append(
        Row(
            "state",
            f"reset with {state.get('objects', '?')} objects",
            "ms",
            reset,
            None
            if mock_cold is None
            else _get(cold, "openbao", "median_s") * 1e3
            if _get(cold, "openbao", "median_s") is not None
            else None,
            f"< {RESET_TARGET_MS} ms",
            None if reset is None else reset < RESET_TARGET_MS,
            note="the real server has no reset; its figure is a restart (cold start)",
        )
    )
    reset_cpu = state.get("reset_cpu_ms")
    rows.append(
        Row(
            "state",
            f"reset with {state.get('objects', '?')} objects, CPU time",
            "ms",
            reset_cpu,
            target=f"< {RESET_TARGET_MS} ms",
            met=None if reset_cpu is None else reset_cpu < RESET_TARGET_MS,
        )
    )
    for key, label in (
        ("snapshot_ms", "snapshot"),
        ("restore_ms", "restore"),
        ("restore_from_json_ms", "restore from JSON text (what the plugin does)"),
    ):
        rows.append(
            Row(
                "state",
                f"{label}, {state.get('objects', '?')} objects",
                "ms",
                state.get(key),
            )
        )
    scale = results.get("scale", {})
    mock_scale = scale.get("in_process", {})
    entities = mock_scale.get("entities", args.scale)
    memory = mock_scale.get("memory_bytes")
    memory_mb = None if memory is None else memory / MB
    rows.append(
        Row(
            f"scale {entities:,} entities + aliases (in process)",
            "memory of the state",
            "MB",
            memory_mb,
            target=f"<= {MEMORY_TARGET_MB} MB",
            met=None if memory_mb is None else memory_mb <= MEMORY_TARGET_MB,
        )
    )
    for key, label in (
        ("list_by_id_ms", "LIST entity/id (with key_info)"),
        ("list_by_name_ms", "LIST entity/name"),
    ):
        value = mock_scale.get(key)
        rows.append(
            Row(
                f"scale {entities:,} entities + aliases (in process)",
                label,
                "ms",
                value,
                target=f"< {LIST_TARGET_MS} ms",
                met=None if value is None else value < LIST_TARGET_MS,
            )
        )
    rows.append(
        Row(
            f"scale {entities:,} entities + aliases (in process)",
            "read by id p50",
            "us",
            mock_scale.get("lookup_by_id_p50_us"),
        )
    )
    http_scale = scale.get("http", {})
    mock_http = http_scale.get("vaultmock", {})
    real_http = http_scale.get("openbao", {})
    section = f"scale {args.http_scale:,} entities + aliases (over HTTP)"
    rows.append(
        Row(
            section,
            "time to create through the API",
            "s",
            mock_http.get("fill_seconds"),
            real_http.get("fill_seconds"),
        )
    )
    rows.append(
        Row(
            section,
            "memory growth of the server process",
            "MB",
            None if "memory_bytes" not in mock_http else mock_http["memory_bytes"] / MB,
            None if "memory_bytes" not in real_http else real_http["memory_bytes"] / MB,
        )
    )
    rows.append(
        Row(
            section,
            "LIST entity/id",
            "ms",
            mock_http.get("list_by_id_ms"),
            real_http.get("list_by_id_ms"),
        )
    )
    rows.append(
        Row(
            section,
            "LIST entity/name",
            "ms",
            mock_http.get("list_by_name_ms"),
            real_http.get("list_by_name_ms"),
        )
    )
    rows.append(
        Row(
            section,
            "read by id p50",
            "us",
            mock_http.get("lookup_by_id_p50_us"),
            real_http.get("lookup_by_id_p50_us"),
        )
    )
    return rows


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line of ``python -m bench``."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="time limit of each load run"
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=100_000,
        help="request limit of each load run",
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="clients of each load run"
    )
    parser.add_argument(
        "--entities", type=int, default=300, help="entities seeded before each load run"
    )
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument(
        "--requests",
        type=int,
        default=2000,
        help="requests per in-process latency figure",
    )
    parser.add_argument("--state-objects", type=int, default=10_000)
    parser.add_argument(
        "--scale",
        type=int,
        default=100_000,
        help="entities for the in-process scale test",
    )
    parser.add_argument(
        "--http-scale",
        type=int,
        default=10_000,
        help="entities for the scale test over HTTP",
    )
    parser.add_argument(
        "--document",
        type=Path,
        default=None,
        help="serve this OpenAPI document instead of the packaged one",
    )
    parser.add_argument(
        "--mock-only", action="store_true", help="do not start the real server"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small everything: a smoke test"
    )
    parser.add_argument(
        "--output", type=Path, default=HERE, help="where results.json and RESULTS.md go"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 1.0)
        args.entities = min(args.entities, 50)
        args.cold_runs = min(args.cold_runs, 1)
        args.requests = min(args.requests, 200)
        args.state_objects = min(args.state_objects, 1000)
        args.scale = min(args.scale, 2000)
        args.http_scale = min(args.http_scale, 200)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run everything, print the table, write the results."""
    args = parse(sys.argv[1:] if argv is None else argv)
    runner = Runner(args)
    results: dict[str, Any] = {
        "environment": environment(),
        "parameters": _plain(vars(args)),
    }
    document = None
    if args.document is not None:
        document = json.loads(args.document.read_text(encoding="utf-8"))
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("cold_start", lambda: cold_start(runner)),
        ("load", lambda: http_load(runner)),
        (
            "inprocess",
            lambda: inprocess.request_latency(
                entities=args.entities, requests=args.requests, document=document
            ),
        ),
        (
            "state",
            lambda: inprocess.state_costs(objects=args.state_objects, repeats=15),
        ),
        ("scale_in_process", lambda: scale_in_process(runner)),
        ("scale_http", lambda: scale_over_http(runner)),
    ]
    try:
        for name, step in steps:
            _progress(f"{name} ...")
            results[name] = step()
    finally:
        runner.stop_all()
    results["scale"] = {
        "in_process": results.pop("scale_in_process"),
        "http": results.pop("scale_http"),
    }
    results["environment"]["load_after"] = _load_average()
    rows = build_rows(results, args)
    env = results["environment"]
    print(
        f"vaultmock benchmark, {env['started']}, {env['cpus']} CPUs, load average "
        f"{env['load_before']} -> {env['load_after']}, {env['openbao']}"
    )
    print(text_table(rows))
    reproduce = "make bench" if not argv else "python -m bench " + " ".join(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    json_path, md_path = write(rows, results, args.output, reproduce)
    print(f"\nwritten: {json_path} and {md_path}")
    return 0


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in values.items()}


if __name__ == "__main__":
    sys.exit(main())
