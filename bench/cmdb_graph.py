"""A synthetic enterprise CMDB for ``bench/cmdb.py``: sites of about 2,000 CIs each, wired the
way a real estate is (SPEC 8: 100k CIs and 300k relations).

Per site: two core switches; access switches and firewalls that depend on both (diamonds);
hypervisors on two access switches; VMs hosted on a hypervisor; databases hosted on VMs;
applications that run on two to four VMs, use one or two databases and sometimes another
application anywhere, some in pairs and rings that call each other (cycles); business services
that depend on four to six applications (some of another site) and a firewall; backup jobs,
workstations and phones. Every CI is also ``member_of`` its site and VMs are ``connected_to`` two
switches: relations that impact analysis must skip. The same seed builds the same graph.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from cmdb.choices import IMPACT_TYPES

# slug: (name, is a business service, functional area)
CLASSES = {
    "site": ("Site", False, ""),
    "network_device": ("Network device", False, "networks"),
    "firewall": ("Firewall", False, "cybersecurity"),
    "server": ("Server", False, "systems"),
    "virtual_machine": ("Virtual machine", False, "systems"),
    "database": ("Database", False, "systems"),
    "application": ("Application", False, "applications"),
    "saas": ("SaaS", False, "applications"),
    "business_service": ("Business service", True, ""),
    "backup_job": ("Backup job", False, "backups"),
    "workstation": ("Workstation", False, "devices"),
    "mobile_device": ("Mobile device", False, "devices"),
}
SITE_SIZE = 2_000  # CIs per site, roughly
PREFIX = "BENCH-"  # asset tags of the filler (a second run removes them first)


@dataclass
class Graph:
    cis: list[tuple] = field(default_factory=list)  # (id, name, class slug, site, criticality, org)
    relations: set[tuple[int, str, int]] = field(default_factory=set)
    by_role: dict[str, list[int]] = field(default_factory=dict)

    def add(self, role: str, pk: int, row: tuple) -> int:
        self.cis.append((pk, *row))
        self.by_role.setdefault(role, []).append(pk)
        return pk

    def relate(self, source: int, kind: str, target: int) -> None:
        if source != target:
            self.relations.add((source, kind, target))

    @property
    def impact_relations(self) -> int:
        return sum(1 for _s, kind, _t in self.relations if kind in IMPACT_TYPES)


def build(*, cis: int, first_id: int, orgs: dict[str, int], seed: int = 8) -> Graph:
    """Plan ``cis`` CIs (ids from ``first_id``) on ``cis // 2000`` sites and their relations."""
    rng = random.Random(seed)
    graph = Graph()
    next_id = [first_id]
    sites = max(1, cis // SITE_SIZE)
    all_apps: list[int] = []
    site_apps: list[list[int]] = []
    site_firewalls: list[list[int]] = []

    def new(role: str, klass: str, name: str, site: str, criticality: int, org: str) -> int:
        pk = next_id[0]
        next_id[0] += 1
        return graph.add(role, pk, (name, klass, site, criticality, orgs[org]))

    for s in range(sites):
        site = f"Site {s:03d}"
        site_ci = new("site", "site", site, site, 2, "internal")
        cores = [
            new("core", "network_device", f"S{s:03d}-CORE-{i}", site, 1, "acme") for i in (1, 2)
        ]
        access = []
        for i in range(36):
            switch = new("access", "network_device", f"S{s:03d}-SW-{i:02d}", site, 2, "acme")
            for core in cores:
                graph.relate(switch, "depends_on", core)
            access.append(switch)
        firewalls = []
        for i in range(4):
            fw = new("firewall", "firewall", f"S{s:03d}-FW-{i}", site, 1, "acme")
            for core in cores:
                graph.relate(fw, "depends_on", core)
            firewalls.append(fw)
        hosts = []
        for i in range(80):
            host = new("host", "server", f"S{s:03d}-ESX-{i:02d}", site, 2, "internal")
            for switch in rng.sample(access, 2):
                graph.relate(host, "depends_on", switch)
            hosts.append(host)
        vms = []
        for i in range(800):
            vm = new("vm", "virtual_machine", f"S{s:03d}-VM-{i:03d}", site, 3, "internal")
            graph.relate(vm, "hosted_on", rng.choice(hosts))
            for switch in rng.sample(access, 2):
                graph.relate(vm, "connected_to", switch)
            vms.append(vm)
        databases = []
        for i in range(160):
            db = new("database", "database", f"S{s:03d}-DB-{i:03d}", site, 2, "internal")
            graph.relate(db, "hosted_on", rng.choice(vms))
            databases.append(db)
        saas = [new("saas", "saas", f"S{s:03d}-SaaS-{i}", "", 2, "internal") for i in range(6)]
        apps = []
        for i in range(200):
            app = new("app", "application", f"S{s:03d}-APP-{i:03d}", site, 2, "internal")
            for vm in rng.sample(vms, rng.randint(2, 4)):
                graph.relate(app, "runs_on", vm)
            for db in rng.sample(databases, rng.randint(1, 2)):
                graph.relate(app, "depends_on", db)
            if rng.random() < 0.1:
                graph.relate(app, "depends_on", rng.choice(saas))
            apps.append(app)
        # Applications that call each other: five pairs and a ring of three per site (cycles).
        for first, second in zip(apps[0:10:2], apps[1:10:2], strict=True):
            graph.relate(first, "depends_on", second)
            graph.relate(second, "depends_on", first)
        ring = apps[10:13]
        for source, target in zip(ring, ring[1:] + ring[:1], strict=True):
            graph.relate(source, "depends_on", target)
        site_apps.append(apps)
        site_firewalls.append(firewalls)
        all_apps.extend(apps)
        for i in range(100):
            job = new("backup", "backup_job", f"S{s:03d}-BKP-{i:03d}", site, 3, "internal")
            graph.relate(job, "backs_up", rng.choice(vms + databases))
            graph.relate(job, "runs_on", rng.choice(vms))
        for i in range(500):
            ws = new("workstation", "workstation", f"S{s:03d}-LAP-{i:03d}", site, 4, "internal")
            graph.relate(ws, "depends_on", rng.choice(access))
            graph.relate(ws, "member_of", site_ci)
        for i in range(80):
            phone = new("phone", "mobile_device", f"S{s:03d}-MOB-{i:02d}", site, 4, "internal")
            graph.relate(phone, "member_of", site_ci)
        for pk in cores + access + firewalls + hosts + vms:
            graph.relate(pk, "member_of", site_ci)
    # Applications use one another across the estate (30%), which closes a few cycles.
    for app in all_apps:
        if rng.random() < 0.3:
            graph.relate(app, "depends_on", rng.choice(all_apps))
    for s, apps in enumerate(site_apps):
        for i in range(30):
            service = new("service", "business_service", f"S{s:03d}-SVC-{i:02d}", "", 1, "internal")
            for app in rng.sample(apps, rng.randint(3, 5)):
                graph.relate(service, "depends_on", app)
            if rng.random() < 0.2:
                graph.relate(service, "depends_on", rng.choice(all_apps))
            graph.relate(service, "depends_on", rng.choice(site_firewalls[s]))
    return graph


def sample_attributes(schema: dict, rng: random.Random, pk: int) -> dict:
    """Plausible attribute values for a class schema (enums, numbers within bounds, IPv4
    addresses, short texts), valid against it: the list API returns real-looking rows."""
    values = {}
    for name, spec in (schema or {}).get("properties", {}).items():
        kind = spec.get("type")
        if "enum" in spec:
            values[name] = rng.choice(spec["enum"])
        elif kind in ("integer", "number"):
            low = int(spec.get("minimum", 1))
            values[name] = rng.randint(low, max(low, min(int(spec.get("maximum", 64)), 64)))
        elif kind == "boolean":
            values[name] = rng.random() < 0.5
        elif kind == "string" and "ip" in name:
            values[name] = f"10.{pk >> 16 & 255}.{pk >> 8 & 255}.{pk & 255}"
        elif kind == "string" and "pattern" not in spec:
            values[name] = f"{name}-{pk}"[: spec.get("maxLength", 40)]
    return values


def insert(connection, graph: Graph, classes: dict[str, tuple[int, dict]]) -> None:
    """Write the graph with PostgreSQL ``COPY`` (or ``executemany`` elsewhere), ids included,
    then move the id sequences past them. ``classes``: slug → (id, attribute schema)."""
    from cmdb.models import CIRelation, ConfigurationItem
    from cmdb.schema import attribute_errors

    ci_table, rel_table = ConfigurationItem._meta.db_table, CIRelation._meta.db_table
    ci_columns = (
        "id, name, ci_class_id, status, environment, site, criticality, managed_by_id, "
        "asset_tag, serial, attributes, description, version, created_at, updated_at"
    )
    rel_columns = "source_id, type, target_id, created_at"
    rng = random.Random(len(graph.cis))
    checked: set[str] = set()
    ci_rows = []
    for pk, name, klass, site, crit, org in graph.cis:
        class_id, schema = classes[klass]
        attributes = sample_attributes(schema, rng, pk)
        if klass not in checked:  # the first of each class: the values fit its schema
            errors = attribute_errors(schema, attributes)
            if errors:
                raise ValueError(f"bench attributes of {klass} do not fit its schema: {errors}")
            checked.add(klass)
        ci_rows.append(
            (pk, name, class_id, "active", "production", site, crit, org,
             f"{PREFIX}{pk}", "", json.dumps(attributes), "", 1)
        )  # fmt: skip
    relations = sorted(graph.relations)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(
                f"COPY {ci_table} ({ci_columns}) FROM STDIN"  # noqa: S608
            ) as copy:
                for row in ci_rows:
                    copy.write_row((*row, "now", "now"))
            with raw.copy(f"COPY {rel_table} ({rel_columns}) FROM STDIN") as copy:  # noqa: S608
                for source, kind, target in relations:
                    copy.write_row((source, kind, target, "now"))
            for table in (ci_table, rel_table):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM {table}))"
                )
        else:
            cursor.executemany(
                f"INSERT INTO {ci_table} ({ci_columns}) VALUES "  # noqa: S608
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                ci_rows,
            )
            cursor.executemany(
                f"INSERT INTO {rel_table} ({rel_columns}) VALUES "  # noqa: S608
                "(%s, %s, %s, CURRENT_TIMESTAMP)",
                relations,
            )
