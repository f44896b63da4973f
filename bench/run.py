"""SPEC 8's ticket numbers in one command (a benchmark, not a test).

    .venv/bin/python bench/run.py [--tickets 100000] [--duration 10] [--concurrency 8]

1. drops and recreates the PostgreSQL database ``cogest_bench``, migrates it, seeds the demo world
   and N bulk tickets (``seed_demo --tickets N``), timing each step, then ``VACUUM ANALYZE``;
2. counts the SQL queries of one request to each endpoint (``bench/probe.py``);
3. starts gunicorn (2 workers) with ``DEBUG=false`` and ``COGEST_BENCH=1`` (which mounts the bare
   views of ``bench/bare.py``) on a free loopback port;
4. loads each endpoint, then its bare counterpart, for ``--duration`` seconds with
   ``--concurrency`` connections (``wrk`` when installed, else Python threads) after a short
   warm-up, and reports median, p99, requests per second and the ratio cogest / bare;
5. prints a Markdown table, saves ``bench/results/latest.json`` and, with ``--write-readme``,
   replaces the results block of ``bench/README.md``.

Only loopback addresses are used. An endpoint that does not answer 2xx yet (a page still being
built) is skipped with a message; the rest is measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.endpoints import ENDPOINTS, PAIRS, Endpoint  # noqa: E402

HOST = "127.0.0.1"
PG = "postgresql://postgres@127.0.0.1:5432"
README = ROOT / "bench" / "README.md"
RESULTS = ROOT / "bench" / "results"
MARK_START, MARK_END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


def main() -> int:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="cogest-bench-"))
    env = bench_env(args, work)
    report: dict = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "args": vars(args),
        "seed": {},
        "endpoints": {},
        "skipped": {},
    }
    flush_redis(args)
    if not args.reuse_db:
        recreate_database(args.database)
        report["seed"]["migrate_s"] = timed(manage(env, "migrate", "--noinput"))
        report["seed"]["demo_s"] = timed(manage(env, "seed_demo"))
        report["seed"]["bulk_s"] = timed(manage(env, "seed_demo", "--tickets", str(args.tickets)))
        report["seed"]["bulk_tickets"] = args.tickets
        report["seed"]["vacuum_analyze_s"] = timed(lambda: vacuum_analyze(args.database))
    report["rows"] = count_rows(args.database)
    log(f"database: {report['rows']}")
    probe = run_probe(env)
    report["probe"] = probe["endpoints"]
    port = free_port()
    server = start_gunicorn(env, port, args.workers, work)
    try:
        wait_healthy(port)
        for _label, cogest_name, bare_name, _budget in PAIRS:
            if args.only and cogest_name not in args.only.split(","):
                continue
            for name in (cogest_name, bare_name):
                endpoint = ENDPOINTS[name]
                status = probe["endpoints"][name].get("status")
                if status is None or not 200 <= status < 300:
                    reason = probe["endpoints"][name].get("error") or f"answers {status}"
                    report["skipped"][name] = reason
                    log(f"SKIPPED {name} {endpoint.path}: {reason} (not built yet?)")
                    continue
                headers = auth_headers(endpoint, probe)
                log(f"loading {name} {endpoint.method} {endpoint.path} ...")
                report["endpoints"][name] = load(args, port, endpoint, headers, work)
                log(f"  {report['endpoints'][name]}")
    finally:
        stop(server)
        flush_redis(args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    print(table)
    if args.write_readme:
        write_readme(table)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="bulk tickets to seed")
    parser.add_argument("--duration", type=float, default=10, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before measuring")
    parser.add_argument("--concurrency", type=int, default=8, help="open connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database", default="cogest_bench", help="dropped and recreated!")
    parser.add_argument("--redis-db", type=int, default=10, help="broker db (cache: the next)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--reuse-db", action="store_true", help="skip recreate and seeding")
    parser.add_argument("--write-readme", action="store_true", help="update bench/README.md")
    parser.add_argument(
        "--only", default="", help="comma-separated endpoints: list_api, list_page, create_api"
    )
    args = parser.parse_args()
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        parser.error("--database: lower-case letters, digits and underscores")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    return args


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Environment, database, server ----------------------------------------------------------


def bench_env(args, work: Path) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{args.database}",
        "COGEST_ENV": "development",
        "DEBUG": "false",
        "COGEST_BENCH": "1",
        "REDIS_URL": f"redis://{HOST}:6379/{args.redis_db}",
        "COGEST_VAR_DIR": str(work / "var"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CACHE_URL", None)
    return env


def manage(env: dict, *command: str):
    def run() -> None:
        log("manage.py " + " ".join(command))
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *command], env=env, cwd=ROOT, check=True
        )

    return run


def timed(action) -> float:
    started = time.perf_counter()
    action()
    elapsed = round(time.perf_counter() - started, 1)
    log(f"  took {elapsed} s")
    return elapsed


def _pg(database: str = "postgres"):
    import psycopg

    return psycopg.connect(f"{PG}/{database}", autocommit=True)


def recreate_database(name: str) -> None:
    log(f"recreating database {name}")
    with _pg() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def vacuum_analyze(name: str) -> None:
    # What one does after a bulk load: fresh statistics and visibility map for every plan.
    with _pg(name) as conn:
        conn.execute("VACUUM ANALYZE")


def count_rows(name: str) -> dict:
    tables = ["tickets_ticket", "tickets_ticketholding", "tickets_comment", "cogest_auditevent"]
    with _pg(name) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def flush_redis(args) -> None:
    """The broker and cache databases are the benchmark's own (jobs queued by the load)."""
    try:
        import redis

        for db in (args.redis_db, args.redis_db + 1):
            redis.Redis(host=HOST, port=6379, db=db).flushdb()
    except Exception as exc:  # noqa: BLE001 - Redis is optional for the numbers
        log(f"redis not flushed: {exc}")


def run_probe(env: dict) -> dict:
    log("probing endpoints (status, SQL queries per request)")
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "probe.py")],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, port: int, workers: int, work: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "cogest.wsgi", "-w", str(workers), "--bind", f"{HOST}:{port}"]
    log(" ".join(command))
    logfile = (work / "gunicorn.log").open("w")
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=logfile, stderr=logfile)


def wait_healthy(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not become healthy")


def stop(server: subprocess.Popen) -> None:
    server.terminate()  # the process this script started, by its id
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def machine() -> dict:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else ""
    try:
        with _pg() as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001
        postgres = "?"
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "postgres": postgres,
        "load_average": os.getloadavg(),
    }


# --- Load -----------------------------------------------------------------------------------


def auth_headers(endpoint: Endpoint, probe: dict) -> dict:
    headers = {}
    if endpoint.auth == "token":
        headers["Authorization"] = f"Token {probe['token']}"
    elif endpoint.auth == "session":
        headers["Cookie"] = f"sessionid={probe['sessionid']}"
    if endpoint.method == "POST":
        headers["Content-Type"] = "application/json"
    return headers


def load(args, port: int, endpoint: Endpoint, headers: dict, work: Path) -> dict:
    runner = wrk if args.client == "wrk" else python_load
    runner(port, endpoint, headers, args.warmup, args.concurrency, work)  # warm-up, discarded
    return runner(port, endpoint, headers, args.duration, args.concurrency, work)


WRK_SCRIPT = """
wrk.method = %(method)s
wrk.body = %(body)s
%(headers)s
done = function(summary, latency, requests)
  io.write(string.format(
    "WRK_JSON {\\"requests\\": %%d, \\"duration_us\\": %%d, " ..
    "\\"p50_us\\": %%d, \\"p99_us\\": %%d, " ..
    "\\"status_errors\\": %%d, \\"socket_errors\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def _lua(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for this content


def wrk(port, endpoint: Endpoint, headers: dict, duration, concurrency, work: Path) -> dict:
    script = work / "wrk.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "method": _lua(endpoint.method),
            "body": _lua(endpoint.body) if endpoint.body else "nil",
            "headers": "\n".join(f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in headers.items()),
        }
    )
    command = [
        "wrk",
        "-t", str(min(2, concurrency)),
        "-c", str(concurrency),
        "-d", f"{max(1, round(duration))}s",
        "--timeout", "10s",
        "-s", str(script),
        f"http://{HOST}:{port}{endpoint.path}",
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"WRK_JSON (\{.*\})", out)
    if not found:
        raise RuntimeError(f"wrk said: {out}")
    raw = json.loads(found.group(1))
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "median_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "rps": round(raw["requests"] / seconds, 1),
        "errors": raw["status_errors"] + raw["socket_errors"],
        "client": "wrk",
    }


def python_load(port, endpoint: Endpoint, headers: dict, duration, concurrency, work) -> dict:
    """Threads with their own loopback connections (reconnecting when the server closes)."""
    deadline = time.monotonic() + duration
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    body = endpoint.body.encode() if endpoint.body else None

    def worker() -> None:
        mine, failed = [], 0
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request(endpoint.method, endpoint.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if not 200 <= response.status < 300:
                    failed += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0
    return {
        "requests": len(latencies),
        "median_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p99_ms": round(p99 * 1000, 2),
        "rps": round(len(latencies) / elapsed, 1),
        "errors": errors[0],
        "client": "python",
    }


# --- Report ---------------------------------------------------------------------------------


def markdown(report: dict) -> str:
    seed = report["seed"]
    m = report["machine"]
    lines = [
        f"Run {report['date']} — {m['cpus']} CPUs ({m['cpu']}), PostgreSQL {m['postgres']}, "
        f"Python {m['python']}; gunicorn {report['args']['workers']} workers, "
        f"{report['args']['concurrency']} connections, {report['args']['duration']:g} s per "
        f"endpoint ({report['args']['client']}); load average at start "
        f"{', '.join(f'{x:.2f}' for x in m['load_average'])}.",
        "",
        f"Database: {report['rows']['tickets_ticket']:,} tickets, "
        f"{report['rows']['tickets_ticketholding']:,} holdings, "
        f"{report['rows']['tickets_comment']:,} comments, "
        f"{report['rows']['cogest_auditevent']:,} audit events.",
    ]
    if seed:
        lines += [
            "",
            f"Seeding: migrate {seed['migrate_s']} s; demo world (~200 tickets through the "
            f"services) {seed['demo_s']} s; `seed_demo --tickets {seed['bulk_tickets']:,}` "
            f"{seed['bulk_s']} s; VACUUM ANALYZE {seed['vacuum_analyze_s']} s.",
        ]
    lines += [
        "",
        "| endpoint | median | p99 | req/s | bare median | bare p99 | bare req/s "
        "| ratio (median) | queries/request (budget) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    probe = report["probe"]
    for label, name, bare, budget in PAIRS:
        got, base = report["endpoints"].get(name), report["endpoints"].get(bare)
        queries = probe.get(name, {}).get("queries", "—")
        bare_queries = probe.get(bare, {}).get("queries", "—")
        budget_text = f" (≤ {budget})" if budget else ""
        if got is None:
            reason = report["skipped"].get(name, "not measured")
            lines.append(f"| {label} | skipped: {reason} | | | | | | | |")
            continue
        ratio = (
            f"{got['median_ms'] / base['median_ms']:.2f}×" if base and base["median_ms"] else "—"
        )
        lines.append(
            f"| {label} | {got['median_ms']} ms | {got['p99_ms']} ms | {got['rps']} "
            f"| {base['median_ms'] if base else '—'} ms | {base['p99_ms'] if base else '—'} ms "
            f"| {base['rps'] if base else '—'} | {ratio} "
            f"| {queries}{budget_text}; bare {bare_queries} |"
        )
    errors = {n: r["errors"] for n, r in report["endpoints"].items() if r["errors"]}
    if errors:
        lines += ["", f"Non-2xx or failed requests during the load: {errors}."]
    return "\n".join(lines)


def write_readme(table: str) -> None:
    text = README.read_text()
    if MARK_START not in text:
        text += f"\n{MARK_START}\n{MARK_END}\n"
    head, rest = text.split(MARK_START, 1)
    _old, tail = rest.split(MARK_END, 1)
    README.write_text(f"{head}{MARK_START}\n{table}\n{MARK_END}{tail}")
    log(f"wrote {README.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
