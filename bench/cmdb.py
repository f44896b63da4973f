"""The CMDB's numbers (SPEC 8, issue #5) in one command: a benchmark, not a test.

    .venv/bin/python bench/cmdb.py [--cis 100000] [--reuse-db] [--write-readme]

1. drops and recreates the PostgreSQL database ``cogest_bench_cmdb``, migrates it, seeds the demo
   world (``seed_demo``: its ~60 CIs and ~200 tickets) and fills the CMDB up to ``--cis`` CIs with
   ``bench/cmdb_graph.py``'s synthetic estate (about three relations per CI: 100k CIs, 300k
   relations), then ``VACUUM ANALYZE``;
2. impact analysis, in this process: the walk alone (``impacted_ids``) and the whole answer
   (``ci_impact``: the walk, the CIs and the reader's visibility rule in one query) as ana
   (internal) and pablo (Acme: a provider's rule), at depth 10, from ``--samples`` random CIs
   and from every core switch (the largest impacts), plus the reverse walk from every business
   service. SPEC 8: under 100 ms;
3. starts gunicorn (``DEBUG=false``, settings ``bench.cmdb_settings``, which mount the bare views
   of ``bench/cmdb_bare.py``) and loads each API endpoint beside its bare counterpart (one raw
   SQL query, no framework), as ``bench/run.py`` does: median, p99, requests per second, ratio,
   and the SQL queries of one request;
4. imports ``--import-rows`` virtual machines from a CSV (each hosted on a server of the estate)
   through ``cmdb.importing``: the preview (every row checked), the run (written in chunks),
   and the same file again (nothing to change): rows per second;
5. prints a Markdown table and, with ``--write-readme``, puts it in bench/README.md.

Only loopback addresses are used; the database and the Redis databases ``--redis-db`` and the
next are the benchmark's own (flushed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import run as runner  # noqa: E402 - gunicorn, load and database helpers
from bench.endpoints import Endpoint  # noqa: E402

README = ROOT / "bench" / "README.md"
RESULTS = ROOT / "bench" / "results"
MARK_START, MARK_END = "<!-- bench:cmdb:start -->", "<!-- bench:cmdb:end -->"
SETTINGS = "bench.cmdb_settings"
DEPTH = 10


def main() -> int:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="cogest-bench-cmdb-"))
    env = runner.bench_env(args, work)
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS
    report: dict = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": runner.machine(),
        "args": vars(args),
        "seed": {},
    }
    runner.flush_redis(args)
    if not args.reuse_db:
        runner.recreate_database(args.database)
        report["seed"]["migrate_s"] = runner.timed(runner.manage(env, "migrate", "--noinput"))
        report["seed"]["demo_s"] = runner.timed(runner.manage(env, "seed_demo"))
    setup_django(env)
    if not args.reuse_db:
        report["seed"]["fill_s"] = runner.timed(lambda: fill(args.cis))
        report["seed"]["vacuum_analyze_s"] = runner.timed(
            lambda: runner.vacuum_analyze(args.database)
        )
    report["rows"] = count_rows()
    runner.log(f"database: {report['rows']}")
    report["impact"] = measure_impact(args.samples)
    endpoints, pairs = plan_endpoints()
    report["probe"] = probe(endpoints)
    report["endpoints"] = load_endpoints(args, env, work, endpoints, report["probe"])
    report["pairs"] = pairs
    report["import"] = measure_import(args.import_rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cmdb-latest.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    table = markdown(report)
    print(table)
    if args.write_readme:
        write_readme(table)
    runner.flush_redis(args)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cis", type=int, default=100_000, help="CIs in the CMDB")
    parser.add_argument("--samples", type=int, default=500, help="random CIs for impact")
    parser.add_argument("--import-rows", type=int, default=10_000, help="rows of the CSV")
    parser.add_argument("--duration", type=float, default=10, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before measuring")
    parser.add_argument("--concurrency", type=int, default=8, help="open connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database", default="cogest_bench_cmdb", help="dropped and recreated!")
    parser.add_argument("--redis-db", type=int, default=12, help="broker db (cache: the next)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--reuse-db", action="store_true", help="skip recreate and seeding")
    parser.add_argument("--write-readme", action="store_true", help="update bench/README.md")
    args = parser.parse_args()
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        parser.error("--database: lower-case letters, digits and underscores")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    return args


def setup_django(env: dict) -> None:
    """This process reads and writes the benchmark database through Django too (no Redis: what
    an import publishes is not consumed here)."""
    for key in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "COGEST_VAR_DIR", "COGEST_ENV"):
        os.environ[key] = env[key]
    os.environ["DEBUG"] = "false"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


# --- 1. The estate ------------------------------------------------------------------------------


def fill(target: int) -> None:
    """Top the CMDB up to ``target`` CIs with the synthetic estate (asset tags ``BENCH-``)."""
    from django.db import connection, transaction

    from bench import cmdb_graph
    from cmdb.models import CIClass, ConfigurationItem
    from cogest.models import Organization

    ConfigurationItem.objects.filter(asset_tag__startswith=cmdb_graph.PREFIX).delete()
    classes = {}
    for slug, (name, is_service, area) in cmdb_graph.CLASSES.items():
        klass, _ = CIClass.objects.get_or_create(
            slug=slug, defaults={"name": name, "is_service": is_service, "functional_area": area}
        )
        classes[slug] = (klass.pk, klass.attribute_schema)
    orgs = {slug: Organization.objects.get(slug=slug).pk for slug in ("internal", "acme")}
    existing = ConfigurationItem.objects.count()
    first = (
        ConfigurationItem.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ) + 1
    graph = cmdb_graph.build(cis=max(0, target - existing), first_id=first, orgs=orgs)
    runner.log(f"  estate: {len(graph.cis):,} CIs, {len(graph.relations):,} relations")
    with transaction.atomic():
        cmdb_graph.insert(connection, graph, classes)


def count_rows() -> dict:
    from cmdb.choices import IMPACT_TYPES
    from cmdb.models import CIRelation, ConfigurationItem
    from tickets.models import Ticket

    return {
        "cis": ConfigurationItem.objects.count(),
        "relations": CIRelation.objects.count(),
        "impact_relations": CIRelation.objects.filter(type__in=IMPACT_TYPES).count(),
        "services": ConfigurationItem.objects.filter(ci_class__is_service=True).count(),
        "tickets": Ticket.objects.count(),
    }


# --- 2. Impact analysis -------------------------------------------------------------------------


def _timed_ms(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000, result


def _summary(times: list[float], sizes: list[int]) -> dict:
    ordered = sorted(times)
    return {
        "n": len(times),
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
        "max_ms": round(ordered[-1], 2),
        "reach_median": statistics.median(sizes),
        "reach_max": max(sizes),
    }


def measure_impact(samples: int) -> dict:
    """Each case twice in a row, the second timed (a warm cache, as a busy server has)."""
    from django.contrib.auth import get_user_model

    from cmdb.impact import ci_impact, dependency_ids, impacted_ids
    from cmdb.models import ConfigurationItem

    users = {name: get_user_model().objects.get(username=name) for name in ("ana", "pablo")}
    ids = list(ConfigurationItem.objects.values_list("id", flat=True))
    chosen = random.Random(5).sample(ids, min(samples, len(ids)))
    cores = list(
        ConfigurationItem.objects.filter(name__contains="-CORE-").values_list("id", flat=True)
    )
    services = list(
        ConfigurationItem.objects.filter(ci_class__is_service=True).values_list("id", flat=True)
    )

    def walk(pk):
        return impacted_ids(pk, depth=DEPTH)

    def answer(user):
        def run(pk):
            result = ci_impact(ci=ConfigurationItem(pk=pk), user=user, depth=DEPTH)
            return result["cis"] + result["services"]

        return run

    cases = {
        "walk, random CIs": (walk, chosen),
        "walk, core switches": (walk, cores),
        "ci_impact as ana, random CIs": (answer(users["ana"]), chosen),
        "ci_impact as ana, core switches": (answer(users["ana"]), cores),
        "ci_impact as pablo, random CIs": (answer(users["pablo"]), chosen),
        "ci_impact as pablo, core switches": (answer(users["pablo"]), cores),
        "dependencies of every service": (lambda pk: dependency_ids(pk, depth=DEPTH), services),
    }
    results = {}
    for label, (action, pks) in cases.items():
        times, sizes = [], []
        for pk in pks:
            action(pk)
            elapsed, reach = _timed_ms(lambda pk=pk, action=action: action(pk))
            times.append(elapsed)
            sizes.append(len(reach))
        results[label] = _summary(times, sizes)
        runner.log(f"  impact {label}: {results[label]}")
    return results


# --- 3. The API beside bare views ----------------------------------------------------------------


def plan_endpoints() -> tuple[dict[str, Endpoint], list[tuple[str, str, str]]]:
    from cmdb.impact import impacted_ids
    from cmdb.models import ConfigurationItem

    cores = ConfigurationItem.objects.filter(name__contains="-CORE-").values_list("id", flat=True)
    core = max(cores, key=lambda pk: len(impacted_ids(pk, depth=DEPTH)))
    site = ConfigurationItem.objects.filter(name__startswith="S007-").values_list("site", flat=True)
    query = f"ci_class=virtual_machine&site={(site.first() or 'Madrid').replace(' ', '%20')}"
    endpoints = {
        "list_api": Endpoint("GET", "/api/v1/cis/?page_size=50", "token"),
        "list_api_pablo": Endpoint("GET", "/api/v1/cis/?page_size=50", "token_pablo"),
        "bare_list": Endpoint("GET", "/bench/bare/cis/?page_size=50", "none"),
        "filtered_api": Endpoint("GET", f"/api/v1/cis/?page_size=50&{query}", "token"),
        "bare_filtered": Endpoint("GET", f"/bench/bare/cis/?page_size=50&{query}", "none"),
        "impact_api": Endpoint("GET", f"/api/v1/cis/{core}/impact/", "token"),
        "bare_impact": Endpoint("GET", f"/bench/bare/cis/{core}/impact/", "none"),
    }
    pairs = [
        ("CI list API `GET /api/v1/cis/?page_size=50` as ana", "list_api", "bare_list"),
        ("the same as pablo (a provider's visibility rule)", "list_api_pablo", "bare_list"),
        (f"CI list API filtered `?{query}`", "filtered_api", "bare_filtered"),
        (f"Impact API `GET /api/v1/cis/{{core switch}}/impact/` ({core})", "impact_api",
         "bare_impact"),
    ]  # fmt: skip
    return endpoints, pairs


def _tokens() -> dict[str, str]:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    users = get_user_model().objects
    return {
        "token": Token.objects.get_or_create(user=users.get(username="ana"))[0].key,
        "token_pablo": Token.objects.get_or_create(user=users.get(username="pablo"))[0].key,
    }


def _headers(endpoint: Endpoint, tokens: dict[str, str]) -> dict:
    return {"Authorization": f"Token {tokens[endpoint.auth]}"} if endpoint.auth in tokens else {}


def probe(endpoints: dict[str, Endpoint]) -> dict:
    """Status, size and SQL queries of one request to each endpoint (the third of three)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    tokens = _tokens()
    result = {"tokens": tokens}
    for name, endpoint in endpoints.items():
        client = Client(**{f"HTTP_{k.upper()}": v for k, v in _headers(endpoint, tokens).items()})
        for _ in range(3):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(endpoint.path)
        result[name] = {
            "status": response.status_code,
            "queries": len(queries.captured_queries),
            "bytes": len(response.content),
        }
        runner.log(f"  probe {name}: {result[name]}")
    return result


def load_endpoints(args, env, work, endpoints: dict[str, Endpoint], probed: dict) -> dict:
    port = runner.free_port()
    server = runner.start_gunicorn(env, port, args.workers, work)
    measured = {}
    try:
        runner.wait_healthy(port)
        for name, endpoint in endpoints.items():
            if probed[name]["status"] != 200:
                runner.log(f"SKIPPED {name}: answers {probed[name]['status']}")
                continue
            runner.log(f"loading {name} {endpoint.path} ...")
            headers = _headers(endpoint, probed["tokens"])
            measured[name] = runner.load(args, port, endpoint, headers, work)
            runner.log(f"  {measured[name]}")
    finally:
        runner.stop(server)
    return measured


# --- 4. Import throughput -----------------------------------------------------------------------


def _csv(rows: int, hosts: list[str]) -> str:
    lines = ["name,asset_tag,site,criticality,managed_by,attr.os,attr.vcpus,attr.ram_gb,relations"]
    rng = random.Random(7)
    for i in range(rows):
        lines.append(
            f"IMPORT-VM-{i:05d},IMP-{i:05d},Madrid,{rng.randint(2, 4)},internal,"
            f"{rng.choice(['linux', 'windows'])},{rng.choice([2, 4, 8])},{rng.choice([8, 16, 32])},"
            f"hosted_on:{rng.choice(hosts)}"
        )
    return "\n".join(lines) + "\n"


def measure_import(rows: int) -> dict:
    from django.contrib.auth import get_user_model

    from cmdb.importing import import_preview, import_run
    from cmdb.models import ConfigurationItem

    ivan = get_user_model().objects.get(username="ivan")
    ConfigurationItem.objects.filter(asset_tag__startswith="IMP-").delete()
    hosts = list(
        ConfigurationItem.objects.filter(name__contains="-ESX-").values_list("asset_tag", flat=True)
    )
    content = _csv(rows, hosts)
    result = {"rows": rows}
    for label in ("first", "again"):
        preview_s, job = _timed_ms(
            lambda: import_preview(
                ci_class="virtual_machine", filename="vms.csv", content=content, by=ivan
            )
        )
        if job.skipped_count:
            raise RuntimeError(f"the bench file has bad rows: {job.errors[:3]}")
        run_s, job = _timed_ms(lambda job=job: import_run(job))
        result[label] = {
            "preview_s": round(preview_s / 1000, 2),
            "run_s": round(run_s / 1000, 2),
            "status": job.status,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
        }
        runner.log(f"  import {label}: {result[label]}")
    # The estate stays as it was: a run with --reuse-db measures the same database.
    ConfigurationItem.objects.filter(asset_tag__startswith="IMP-").delete()
    return result


# --- 5. Report ----------------------------------------------------------------------------------


def markdown(report: dict) -> str:
    m, rows, seed = report["machine"], report["rows"], report["seed"]
    args = report["args"]
    lines = [
        f"Run {report['date']} — {m['cpus']} CPUs ({m['cpu']}), PostgreSQL {m['postgres']}, "
        f"Python {m['python']}; load average at start "
        f"{', '.join(f'{x:.2f}' for x in m['load_average'])}.",
        "",
        f"Database: {rows['cis']:,} CIs ({rows['services']:,} business services), "
        f"{rows['relations']:,} relations ({rows['impact_relations']:,} of the impact types "
        f"depends_on, runs_on, hosted_on), {rows['tickets']:,} tickets.",
    ]
    if seed:
        lines.append(
            f"Seeding: migrate {seed['migrate_s']} s, `seed_demo` {seed['demo_s']} s, the estate "
            f"{seed['fill_s']} s, VACUUM ANALYZE {seed['vacuum_analyze_s']} s."
        )
    lines += [
        "",
        f"**Impact analysis**, depth {DEPTH}, in-process (each case run twice, the second timed; "
        "SPEC 8: under 100 ms):",
        "",
        "| case | CIs | median | p95 | max | impacted CIs (median / max) |",
        "|---|---|---|---|---|---|",
    ]
    for label, s in report["impact"].items():
        lines.append(
            f"| {label} | {s['n']:,} | {s['median_ms']} ms | {s['p95_ms']} ms | {s['max_ms']} ms "
            f"| {s['reach_median']:g} / {s['reach_max']:,} |"
        )
    probed, measured = report["probe"], report["endpoints"]
    lines += [
        "",
        f"**API beside bare views** (gunicorn {args['workers']} workers, "
        f"{args['concurrency']} connections, {args['duration']:g} s per endpoint, "
        f"{args['client']}):",
        "",
        "| endpoint | median | p99 | req/s | bare median | bare p99 | bare req/s | ratio (median) "
        "| queries/request |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, name, bare in report["pairs"]:
        got, base = measured.get(name), measured.get(bare)
        if not got or not base:
            lines.append(f"| {label} | not measured | | | | | | | |")
            continue
        ratio = got["median_ms"] / base["median_ms"] if base["median_ms"] else float("nan")
        lines.append(
            f"| {label} | {got['median_ms']} ms | {got['p99_ms']} ms | {got['rps']} "
            f"| {base['median_ms']} ms | {base['p99_ms']} ms | {base['rps']} | {ratio:.2f}× "
            f"| {probed[name]['queries']}; bare {probed[bare]['queries']} |"
        )
    errors = {n: r["errors"] for n, r in measured.items() if r.get("errors")}
    if errors:
        lines += ["", f"Non-2xx or failed requests during the load: {errors}."]
    imp = report["import"]
    n = imp["rows"]
    first, again = imp["first"], imp["again"]
    lines += [
        "",
        f"**Import** of {n:,} virtual machines from CSV (attributes and a `hosted_on` relation "
        "each), in-process through `cmdb.importing` (what the Celery job runs):",
        "",
        "| step | time | rows/s | result |",
        "|---|---|---|---|",
        f"| preview (every row checked, nothing written) | {first['preview_s']} s "
        f"| {n / first['preview_s']:,.0f} | — |",
        f"| run | {first['run_s']} s | {n / first['run_s']:,.0f} | {first['status']}: "
        f"{first['created']:,} created |",
        f"| the same file again: preview | {again['preview_s']} s "
        f"| {n / again['preview_s']:,.0f} | — |",
        f"| the same file again: run | {again['run_s']} s | {n / again['run_s']:,.0f} "
        f"| {again['status']}: {again['created']} created, {again['updated']} updated, "
        f"{again['unchanged']:,} unchanged |",
    ]
    return "\n".join(lines)


def write_readme(table: str) -> None:
    text = README.read_text()
    if MARK_START not in text:
        text += f"\n{MARK_START}\n{MARK_END}\n"
    head, rest = text.split(MARK_START, 1)
    _old, tail = rest.split(MARK_END, 1)
    README.write_text(f"{head}{MARK_START}\n{table}\n{MARK_END}{tail}")
    runner.log(f"wrote {README.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
