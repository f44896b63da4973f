"""A small CMDB for the API, filter and impact tests (``build_items(demo)`` in a fixture).

SVC-ERP (service) ─depends_on→ APP-ERP ─runs_on→ VM-DB ─hosted_on→ ESX-1 ─depends_on→ CORE
                                 │  ↑ depends_on (cycle)                      (acme, networks)
                      depends_on ↓  APP-CRM ←─depends_on─ SVC-CRM (service)
                               DB-ERP ─hosted_on→ VM-DB
SVC-VPN (service) ─depends_on→ FW (acme, cybersecurity) ─depends_on→ CORE
BKP (backup job) ─backs_up→ DB-ERP          LAPTOP ─connected_to→ CORE
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cmdb.models import CIClass, CIRelation, ConfigurationItem

SERVER_SCHEMA = {
    "type": "object",
    "properties": {
        "os": {"type": "string", "enum": ["linux", "windows"]},
        "ram_gb": {"type": "integer", "minimum": 1, "maximum": 4096},
        "backup": {"type": "boolean"},
        "hostname": {"type": "string", "pattern": "^[a-z0-9-]+$", "maxLength": 30},
        "load": {"type": "number"},
        "notes": {"type": "string"},
    },
    "required": ["os"],
}

# slug: (name, is a service, functional area, schema)
CLASSES = {
    "server": ("Server", False, "systems", SERVER_SCHEMA),
    "virtual_machine": ("Virtual machine", False, "systems", {}),
    "database": ("Database", False, "systems", {}),
    "application": ("Application", False, "applications", {}),
    "business_service": ("Business service", True, "", {}),
    "network_device": ("Network device", False, "networks", {}),
    "firewall": ("Firewall", False, "cybersecurity", {}),
    "backup_job": ("Backup job", False, "backups", {}),
    "workstation": ("Workstation", False, "", {}),
}

# name: (class, managed by, site, criticality, attributes)
ITEMS = {
    "CORE": ("network_device", "acme", "Madrid", 1, {}),
    "FW": ("firewall", "acme", "Madrid", 1, {}),
    "ESX-1": ("server", "internal", "Madrid", 2, {"os": "linux", "ram_gb": 256, "backup": True}),
    "VM-DB": ("virtual_machine", "internal", "Madrid", 2, {}),
    "DB-ERP": ("database", "internal", "Madrid", 1, {}),
    "APP-ERP": ("application", "internal", "Madrid", 1, {}),
    "APP-CRM": ("application", "internal", "Barcelona", 2, {}),
    "SVC-ERP": ("business_service", "internal", "", 1, {}),
    "SVC-CRM": ("business_service", "internal", "", 2, {}),
    "SVC-VPN": ("business_service", "internal", "", 1, {}),
    "BKP": ("backup_job", "internal", "Madrid", 3, {}),
    "LAPTOP": ("workstation", "internal", "Barcelona", 4, {}),
}

RELATIONS = [
    ("SVC-ERP", "depends_on", "APP-ERP"),
    ("APP-ERP", "runs_on", "VM-DB"),
    ("APP-ERP", "depends_on", "DB-ERP"),
    ("DB-ERP", "hosted_on", "VM-DB"),
    ("VM-DB", "hosted_on", "ESX-1"),
    ("ESX-1", "depends_on", "CORE"),
    ("APP-ERP", "depends_on", "APP-CRM"),
    ("APP-CRM", "depends_on", "APP-ERP"),
    ("SVC-CRM", "depends_on", "APP-CRM"),
    ("SVC-VPN", "depends_on", "FW"),
    ("FW", "depends_on", "CORE"),
    ("BKP", "backs_up", "DB-ERP"),
    ("LAPTOP", "connected_to", "CORE"),
]


@dataclass
class ItemsWorld:
    classes: dict[str, CIClass] = field(default_factory=dict)
    cis: dict[str, ConfigurationItem] = field(default_factory=dict)

    def name_of(self, pk: int) -> str:
        return next(name for name, ci in self.cis.items() if ci.pk == pk)


def build_items(demo) -> ItemsWorld:
    world = ItemsWorld()
    for slug, (name, is_service, area, schema) in CLASSES.items():
        world.classes[slug], _ = CIClass.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "is_service": is_service,
                "functional_area": area,
                "attribute_schema": schema,
            },
        )
    for name, (klass, org, site, criticality, attributes) in ITEMS.items():
        world.cis[name] = ConfigurationItem.objects.create(
            name=name,
            ci_class=world.classes[klass],
            managed_by=demo.organizations[org],
            site=site,
            environment="production",
            criticality=criticality,
            attributes=attributes,
            asset_tag=f"TAG-{name}",
        )
    CIRelation.objects.bulk_create(
        CIRelation(source=world.cis[s], type=kind, target=world.cis[t]) for s, kind, t in RELATIONS
    )
    return world
