"""Benchmarks of vaultmock against a real OpenBao dev server on the same machine.

``python -m bench`` (or ``make bench``) starts both servers on free loopback
ports, drives them with the same load generator, measures what only the mock
has (in-process requests, reset, snapshot and restore, scale), prints one table
with the ratios and the targets, and writes ``bench/results.json`` and
``bench/RESULTS.md``.

Modules:

* :mod:`bench.loadgen`: the HTTP/1.1 keep-alive load generator (asyncio, raw
  sockets) and the workloads;
* :mod:`bench.targets`: starting and stopping the two servers, cold start;
* :mod:`bench.inprocess`: socket-free latency, reset, snapshot, restore;
* :mod:`bench.scale`: 100 000 entities with aliases, run in its own process;
* :mod:`bench.report`: targets, ratios, the table and the written results.
"""
