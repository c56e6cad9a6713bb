"""Throughput with one app node and with two, through HAProxy (issue 19.3).

The same topology as ``tests/deploy/test_topology.py`` (its own PostgreSQL cluster, pgbouncer
in transaction mode, its own Redis, ``cityloop serve`` nodes, ``deploy/haproxy.cfg``), built by
that test's :class:`Topology`. With node b held in maintenance, then with both: ``--clients``
threads report cases (``POST /api/v1/cases``, an ``Idempotency-Key`` each) for ``--seconds``,
then list cases (``GET /api/v1/cases?limit=50``) for as long. The ratio of the two runs says
which is the limit: near 2 the app nodes, near 1 the database (or the machine's cores, when
everything shares one machine as here).

    .venv/bin/python bench/bench_nodes.py [--seconds 15] [--clients 8] [--no-write]

Writes its section of docs/benchmarks.md between its markers. Every process it started is
stopped and its temporary directory removed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
BEGIN, END = "<!-- bench:nodes -->", "<!-- /bench:nodes -->"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityloop.settings")
    os.environ.setdefault("CITYLOOP_DATA_DIR", tempfile.mkdtemp(prefix="cityloop-bench-nodes-"))
    import django

    django.setup()


def _run(front, seconds: float, clients: int, what: str) -> tuple[int, list[float], int]:
    done: list[float] = []
    failed = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        n = 0
        while time.monotonic() < stop:
            n += 1
            t = time.perf_counter()
            if what == "report":
                key = f"{what}-{i}-{n}-{time.monotonic_ns()}"
                body = {
                    "source": "resident",
                    "description": f"压测 {key}：路灯不亮",
                    "address": "上街区",
                }
                answer = front.post("/api/v1/cases", body, key=key)
                ok = answer.status == 201
            else:
                ok = front.get("/api/v1/cases?limit=50", signed_in=True).status == 200
            with lock:
                if ok:
                    done.append(time.perf_counter() - t)
                else:
                    failed[0] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(done), sorted(done), failed[0]


def _p95(times: list[float]) -> float:
    return times[int(0.95 * (len(times) - 1))] * 1000 if times else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    _setup_django()
    from tests.deploy.test_topology import Topology, Url, _missing, _pg_bindir, _warm
    from tests.faults.server import Server

    if missing := _missing():
        print("not installed:", ", ".join(missing), "(sh scripts/system-deps.sh deploy)")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="cityloop-nodes-"))
    tmp.chmod(0o755)
    topo = Topology(tmp, _pg_bindir())
    rows = []
    try:
        topo.primary()
        topo.pgbouncer()
        queue = topo.redis()
        data_dir = tmp / "data"
        admin = Server(Url(topo.url("primary")), data_dir, queue)
        admin.prepare(role="superuser")
        pooled = {"CITYLOOP_DATABASE_POOLED": "true"}
        nodes = [
            Server(Url(topo.url("pgbouncer")), data_dir, queue, token=admin.token, extra_env=pooled)
            for _ in range(2)
        ]
        nodes[0].start()
        topo.processes.append(nodes[0].process)
        _warm(nodes[0])
        topo.haproxy(nodes[0].port, nodes[1].port)
        topo.lb("set server app/b state maint")
        topo.wait_node("a", "UP")
        front = Server(Url(""), data_dir, queue, port=topo.ports["haproxy"], token=admin.token)
        for count in (1, 2):
            if count == 2:
                nodes[1].start()
                topo.processes.append(nodes[1].process)
                _warm(nodes[1])
                topo.lb("set server app/b state ready")
                topo.wait_node("b", "UP")
            reported, _, report_failed = _run(front, args.seconds, args.clients, "report")
            listed, times, list_failed = _run(front, args.seconds, args.clients, "list")
            rows.append((count, reported / args.seconds, listed / args.seconds, _p95(times)))
            print(
                f"{count} node(s): {reported / args.seconds:.1f} cases/s, "
                f"{listed / args.seconds:.1f} lists/s, list p95 {_p95(times):.0f} ms "
                f"(failed {report_failed + list_failed})"
            )
            if report_failed or list_failed:
                return 1
    finally:
        topo.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = rows[1][1] / rows[0][1] if rows[0][1] else float("nan")
    print(f"2 nodes / 1 node: {ratio:.2f}× cases/s")
    if not args.no_write:
        from bench.sections import write_section

        lines = [
            BEGIN,
            "## 单节点与双节点 / One app node and two, through HAProxy",
            "",
            f"`bench/bench_nodes.py --seconds {args.seconds:g} --clients {args.clients}` on "
            f"{platform.machine()}, {os.cpu_count()} cores (every process on this one machine): "
            "PostgreSQL primary behind pgbouncer (transaction mode), Redis, `cityloop serve` "
            "nodes (2 gunicorn workers × 4 threads each) behind `deploy/haproxy.cfg`.",
            "",
            "| nodes | cases/s (POST /api/v1/cases) | case lists/s | case list p95 (ms) |",
            "|---|---|---|---|",
            *[f"| {n} | {c:.1f} | {lst:.1f} | {p:.0f} |" for n, c, lst, p in rows],
            "",
            f"Two nodes give {ratio:.2f}× the cases/s of one. On one machine the nodes share its "
            "cores with the database, so a ratio near 1 means the machine (or the database) is "
            "the limit, not the app node; on separate machines the nodes add their own cores.",
            END,
        ]
        write_section("\n".join(lines), BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
