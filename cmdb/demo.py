# ruff: noqa: E501 - one CI, attribute set or relation per line, to read the demo CMDB as a table
"""The demo CMDB of SPEC 6: CI classes with their attribute schemas, about 60 CIs on the Madrid
and Barcelona sites, relations that form real impact chains, and runbooks.

Chains to try (``A → B``: B depends on A): core switch → firewall → VPN service;
ESX host → VM → ERP database → SAP → ERP service; domain controllers → identity → VPN, ERP,
payroll; SAN → every ESX host. Idempotent: classes by slug, CIs by asset tag, relations unique.
"""

from __future__ import annotations

import datetime as dt
import zlib

from django.db import transaction

from cmdb.models import CIClass, CIRelation, ConfigurationItem
from cmdb.schema import check_schema, validate_attributes
from cogest.demo import DemoWorld
from cogest.services import audit_record

IPV4 = r"^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$"
OS_SERVER = ["linux", "windows", "esxi"]


def _s(kind: str, title: str, **rules) -> dict:
    return {"type": kind, "title": title, **rules}


# slug: (name, is a business service, functional area, icon, schema)
CI_CLASSES = {
    "business_service": ("Business service", True, "", "briefcase", {
        "properties": {
            "service_hours": _s("string", "Service hours", enum=["24x7", "office_hours"]),
            "users": _s("integer", "Users", minimum=0, maximum=100000),
            "business_owner": _s("string", "Business owner", maxLength=120),
        },
        "required": ["service_hours"],
    }),
    "application": ("Application", False, "applications", "window-stack", {
        "properties": {
            "vendor": _s("string", "Vendor", maxLength=80),
            "version": _s("string", "Version", maxLength=40),
            "url": _s("string", "URL", pattern=r"^https?://\S+$"),
        },
    }),
    "saas": ("SaaS", False, "applications", "cloud", {
        "properties": {
            "vendor": _s("string", "Vendor", maxLength=80),
            "plan": _s("string", "Plan", maxLength=80),
            "tenant": _s("string", "Tenant", maxLength=120),
        },
        "required": ["vendor"],
    }),
    "server": ("Server", False, "systems", "hdd-rack", {
        "properties": {
            "os": _s("string", "Operating system", enum=OS_SERVER),
            "cpu_cores": _s("integer", "CPU cores", minimum=1, maximum=512),
            "ram_gb": _s("integer", "RAM (GB)", minimum=1, maximum=8192),
            "ip_address": _s("string", "IP address", pattern=IPV4),
            "model": _s("string", "Model", maxLength=80),
        },
        "required": ["os"],
    }),
    "virtual_machine": ("Virtual machine", False, "systems", "boxes", {
        "properties": {
            "os": _s("string", "Operating system", enum=["linux", "windows"]),
            "vcpus": _s("integer", "vCPUs", minimum=1, maximum=128),
            "ram_gb": _s("integer", "RAM (GB)", minimum=1, maximum=2048),
            "ip_address": _s("string", "IP address", pattern=IPV4),
        },
        "required": ["os"],
    }),
    "database": ("Database", False, "systems", "database", {
        "properties": {
            "engine": _s("string", "Engine",
                         enum=["postgresql", "sql_server", "oracle", "sap_hana", "mysql"]),
            "version": _s("string", "Version", maxLength=40),
            "size_gb": _s("number", "Size (GB)", minimum=0),
        },
        "required": ["engine"],
    }),
    "network_device": ("Network device", False, "networks", "router", {
        "properties": {
            "vendor": _s("string", "Vendor", maxLength=80),
            "model": _s("string", "Model", maxLength=80),
            "ip_address": _s("string", "Management IP", pattern=IPV4),
            "firmware": _s("string", "Firmware", maxLength=40),
            "ports": _s("integer", "Ports", minimum=1, maximum=1024),
        },
    }),
    "firewall": ("Firewall", False, "cybersecurity", "shield-lock", {
        "properties": {
            "vendor": _s("string", "Vendor", maxLength=80),
            "model": _s("string", "Model", maxLength=80),
            "ip_address": _s("string", "Management IP", pattern=IPV4),
            "firmware": _s("string", "Firmware", maxLength=40),
            "high_availability": _s("boolean", "High availability"),
        },
    }),
    "workstation": ("Workstation", False, "devices", "laptop", {
        "properties": {
            "os": _s("string", "Operating system", enum=["windows", "macos", "linux"]),
            "model": _s("string", "Model", maxLength=80),
            "assigned_to": _s("string", "Assigned to", maxLength=120),
        },
    }),
    "mobile_device": ("Mobile device", False, "devices", "phone", {
        "properties": {
            "os": _s("string", "Operating system", enum=["ios", "android"]),
            "imei": _s("string", "IMEI", pattern=r"^[0-9]{15}$"),
            "assigned_to": _s("string", "Assigned to", maxLength=120),
        },
    }),
    "backup_job": ("Backup job", False, "backups", "clock-history", {
        "properties": {
            "schedule": _s("string", "Schedule", maxLength=80),
            "retention_days": _s("integer", "Retention (days)", minimum=1, maximum=3650),
            "repository": _s("string", "Repository", maxLength=120),
        },
    }),
    "site": ("Site", False, "", "building", {
        "properties": {
            "address": _s("string", "Address", maxLength=200),
            "city": _s("string", "City", maxLength=80),
            "people": _s("integer", "People", minimum=0),
        },
    }),
}  # fmt: skip

# asset tag: (name, class, site, criticality, managed by, owner team, description)
CIS = {
    # Sites
    "SITE-MAD": ("Madrid HQ", "site", "Madrid", 1, "internal", "service-desk", "Calle de Alcalá, 6 floors."),
    "SITE-BCN": ("Barcelona office", "site", "Barcelona", 2, "internal", "service-desk", "Sales office, 40 people."),
    # Network (Acme manages the core; two access switches stay with the internal team)
    "NW-MAD-CORE-01": ("MAD-CORE-01", "network_device", "Madrid", 1, "acme", "acme-networks", "Core switch (Catalyst 9500), Madrid HQ."),
    "NW-MAD-CORE-02": ("MAD-CORE-02", "network_device", "Madrid", 1, "acme", "acme-networks", "Second core switch (stack member), Madrid HQ."),
    "NW-BCN-CORE-01": ("BCN-CORE-01", "network_device", "Barcelona", 2, "acme", "acme-networks", "Core switch, Barcelona office."),
    "NW-MAD-P1-01": ("SW-MAD-P1-01", "network_device", "Madrid", 3, "internal", "internal-systems", "Access switch, floor 1 (reception, meeting rooms)."),
    "NW-MAD-P2-01": ("SW-MAD-P2-01", "network_device", "Madrid", 3, "acme", "acme-networks", "Access switch, floor 2 (Finance)."),
    "NW-MAD-P3-01": ("SW-MAD-P3-01", "network_device", "Madrid", 3, "acme", "acme-networks", "Access switch, floor 3."),
    "NW-BCN-P1-01": ("SW-BCN-P1-01", "network_device", "Barcelona", 3, "internal", "internal-systems", "Access switch, Barcelona office."),
    "NW-MAD-WLC-01": ("WLC-MAD-01", "network_device", "Madrid", 2, "acme", "acme-networks", "Wi-Fi controller for both sites."),
    "NW-MAD-AP-01": ("AP-MAD-P1-01", "network_device", "Madrid", 4, "acme", "acme-networks", "Access point, floor 1."),
    "NW-MAD-AP-02": ("AP-MAD-P2-01", "network_device", "Madrid", 4, "acme", "acme-networks", "Access point, floor 2."),
    "NW-BCN-AP-01": ("AP-BCN-01", "network_device", "Barcelona", 4, "acme", "acme-networks", "Access point, Barcelona office."),
    "NW-MAD-ISP-01": ("ISP router Madrid (fibre 1 Gb)", "network_device", "Madrid", 1, "acme", "acme-networks", "Telco-provided router, primary Internet line."),
    "NW-BCN-ISP-01": ("ISP router Barcelona (fibre 600 Mb)", "network_device", "Barcelona", 2, "acme", "acme-networks", "Telco-provided router, Barcelona."),
    # Security
    "FW-MAD-01": ("FW-MAD-01", "firewall", "Madrid", 1, "acme", "acme-security", "Perimeter firewall and VPN concentrator (FortiGate)."),
    "FW-BCN-01": ("FW-BCN-01", "firewall", "Barcelona", 2, "acme", "acme-security", "Barcelona perimeter firewall, SD-WAN to Madrid."),
    # Compute and storage
    "SAN-MAD-01": ("SAN-MAD-01 (PowerStore)", "server", "Madrid", 1, "internal", "internal-systems", "Shared storage for the ESX cluster."),
    "SRV-ESX-MAD-01": ("ESX-MAD-01", "server", "Madrid", 1, "internal", "internal-systems", "Virtualization host."),
    "SRV-ESX-MAD-02": ("ESX-MAD-02", "server", "Madrid", 1, "internal", "internal-systems", "Virtualization host."),
    "SRV-ESX-MAD-03": ("ESX-MAD-03", "server", "Madrid", 1, "internal", "internal-systems", "Virtualization host."),
    "SRV-FS-MAD-01": ("FS-MAD-01", "server", "Madrid", 2, "internal", "internal-systems", "File server (shared drives S: and P:)."),
    "SRV-BKP-BCN-01": ("BKP-BCN-01 (Veeam repository)", "server", "Barcelona", 2, "internal", "internal-systems", "Backup repository in Barcelona (off-site copy)."),
    "VM-DC-01": ("DC-MAD-01", "virtual_machine", "Madrid", 1, "internal", "internal-systems", "Domain controller, DNS, RADIUS."),
    "VM-DC-02": ("DC-MAD-02", "virtual_machine", "Madrid", 1, "internal", "internal-systems", "Domain controller, DNS."),
    "VM-ERP-DB01": ("VM-ERP-DB01", "virtual_machine", "Madrid", 1, "internal", "internal-systems", "Hosts the ERP database."),
    "VM-ERP-APP01": ("VM-ERP-APP01", "virtual_machine", "Madrid", 1, "internal", "internal-systems", "SAP application server."),
    "VM-SQL-01": ("SQL-MAD-01", "virtual_machine", "Madrid", 2, "internal", "internal-systems", "SQL Server for payroll and the intranet."),
    "VM-A3-01": ("A3-MAD-01", "virtual_machine", "Madrid", 2, "internal", "internal-systems", "Payroll application server."),
    "VM-WEB-01": ("WEB-MAD-01", "virtual_machine", "Madrid", 3, "internal", "internal-systems", "Intranet web server."),
    "VM-PRINT-01": ("PRINT-MAD-01", "virtual_machine", "Madrid", 3, "internal", "internal-systems", "Print server for both sites."),
    "VM-MON-01": ("MON-MAD-01", "virtual_machine", "Madrid", 2, "internal", "internal-systems", "Monitoring (Zabbix) server."),
    "VM-VEEAM-01": ("VEEAM-MAD-01", "virtual_machine", "Madrid", 2, "internal", "internal-systems", "Veeam backup server."),
    # Data
    "DB-ERP-01": ("ERP-DB01 (SAP HANA)", "database", "Madrid", 1, "internal", "internal-systems", "ERP production database."),
    "DB-A3-01": ("A3NOM (SQL Server)", "database", "Madrid", 2, "internal", "internal-systems", "Payroll database."),
    "DB-INTRANET-01": ("INTRANET (SQL Server)", "database", "Madrid", 3, "internal", "internal-systems", "Intranet content database."),
    # Applications and SaaS
    "APP-SAP-PRD": ("SAP S/4HANA PRD", "application", "Madrid", 1, "internal", "internal-systems", "Production ERP instance."),
    "APP-A3": ("a3innuva Nómina", "application", "Madrid", 2, "internal", "internal-systems", "Payroll application."),
    "APP-INTRANET": ("Intranet (SharePoint Server)", "application", "Madrid", 3, "internal", "internal-systems", "Company intranet."),
    "APP-ZABBIX": ("Zabbix", "application", "Madrid", 2, "internal", "internal-systems", "Infrastructure monitoring."),
    "APP-FORTICLIENT-EMS": ("FortiClient EMS", "application", "Madrid", 2, "acme", "acme-security", "VPN client management."),
    "SVC-MAIL": ("Mail and Teams (Microsoft 365)", "saas", "", 1, "internal", "internal-systems", "Exchange Online, Teams, OneDrive."),
    "SAAS-SFDC": ("Salesforce Sales Cloud", "saas", "", 2, "internal", "internal-systems", "CRM for the sales team."),
    "SAAS-ENTRA": ("Microsoft Entra ID", "saas", "", 1, "internal", "internal-systems", "Cloud identity, synchronized from the domain."),
    # Business services
    "SVC-VPN": ("VPN service", "business_service", "Madrid", 1, "internal", "internal-systems", "Remote access for staff and consultants."),
    "SVC-ERP": ("ERP service", "business_service", "Madrid", 1, "internal", "internal-systems", "Finance, purchasing and logistics on SAP."),
    "SVC-IDENTITY": ("Identity and sign-in", "business_service", "Madrid", 1, "internal", "internal-systems", "Accounts, passwords, single sign-on."),
    "SVC-COLLAB": ("Email and collaboration", "business_service", "", 1, "internal", "internal-systems", "Mail, Teams and file sharing for everyone."),
    "SVC-FILES": ("File shares", "business_service", "Madrid", 2, "internal", "internal-systems", "Departmental shared drives."),
    "SVC-PAYROLL": ("Payroll", "business_service", "Madrid", 2, "internal", "internal-systems", "Monthly payroll, run by HR."),
    "SVC-CRM": ("CRM", "business_service", "", 2, "internal", "internal-systems", "Sales pipeline and customer records."),
    "SVC-INTRANET": ("Intranet", "business_service", "Madrid", 3, "internal", "internal-systems", "News, forms and policies."),
    "SVC-PRINT": ("Printing", "business_service", "Madrid", 4, "internal", "service-desk", "Printers on both sites."),
    "SVC-WIFI": ("Office Wi-Fi", "business_service", "Madrid", 2, "internal", "internal-systems", "Staff and guest Wi-Fi on both sites."),
    "SVC-BCN-LINK": ("Barcelona office connectivity", "business_service", "Barcelona", 2, "internal", "internal-systems", "Internet and the SD-WAN link to Madrid."),
    # Backups
    "BKP-ERP-NIGHTLY": ("Veeam: ERP nightly backup", "backup_job", "Madrid", 1, "internal", "internal-systems", "Nightly ERP backup to the Barcelona repository."),
    "BKP-FS-NIGHTLY": ("Veeam: file server nightly backup", "backup_job", "Madrid", 2, "internal", "internal-systems", "Nightly file server backup."),
    # End-user devices
    "WS-MAD-0142": ("LAP-MAD-0142", "workstation", "Madrid", 4, "internal", "service-desk", "Rita Sánchez's laptop."),
    "WS-MAD-0143": ("LAP-MAD-0143", "workstation", "Madrid", 4, "internal", "service-desk", "Finance team laptop."),
    "WS-BCN-0012": ("LAP-BCN-0012", "workstation", "Barcelona", 4, "internal", "service-desk", "Sales laptop, Barcelona."),
    "MOB-MAD-0031": ("MOV-MAD-0031 (iPhone 15)", "mobile_device", "Madrid", 4, "internal", "service-desk", "Company phone, Finance."),
    "MOB-BCN-0007": ("MOV-BCN-0007 (Galaxy S24)", "mobile_device", "Barcelona", 4, "internal", "service-desk", "Company phone, Sales."),
}  # fmt: skip

ATTRIBUTES = {
    "SITE-MAD": {"address": "Calle de Alcalá 120, Madrid", "city": "Madrid", "people": 180},
    "SITE-BCN": {"address": "Carrer de Balmes 45, Barcelona", "city": "Barcelona", "people": 40},
    "NW-MAD-CORE-01": {"vendor": "Cisco", "model": "Catalyst 9500-48Y4C", "ip_address": "10.10.0.2", "firmware": "17.9.4a", "ports": 48},
    "NW-MAD-CORE-02": {"vendor": "Cisco", "model": "Catalyst 9500-48Y4C", "ip_address": "10.10.0.3", "firmware": "17.9.4a", "ports": 48},
    "NW-BCN-CORE-01": {"vendor": "Cisco", "model": "Catalyst 9300-24P", "ip_address": "10.20.0.2", "firmware": "17.9.4a", "ports": 24},
    "NW-MAD-P1-01": {"vendor": "Cisco", "model": "Catalyst 9200-48P", "ip_address": "10.10.1.2", "ports": 48},
    "NW-MAD-P2-01": {"vendor": "Cisco", "model": "Catalyst 9200-48P", "ip_address": "10.10.2.2", "ports": 48},
    "NW-MAD-P3-01": {"vendor": "Cisco", "model": "Catalyst 9200-48P", "ip_address": "10.10.3.2", "ports": 48},
    "NW-BCN-P1-01": {"vendor": "Cisco", "model": "Catalyst 9200-24P", "ip_address": "10.20.1.2", "ports": 24},
    "NW-MAD-WLC-01": {"vendor": "Cisco", "model": "Catalyst 9800-40", "ip_address": "10.10.0.10", "firmware": "17.9.5"},
    "NW-MAD-AP-01": {"vendor": "Cisco", "model": "C9120AXI"},
    "NW-MAD-AP-02": {"vendor": "Cisco", "model": "C9120AXI"},
    "NW-BCN-AP-01": {"vendor": "Cisco", "model": "C9120AXI"},
    "NW-MAD-ISP-01": {"vendor": "Telefónica", "model": "Fibra empresas 1 Gb"},
    "NW-BCN-ISP-01": {"vendor": "Telefónica", "model": "Fibra empresas 600 Mb"},
    "FW-MAD-01": {"vendor": "Fortinet", "model": "FortiGate 200F", "ip_address": "10.10.0.1", "firmware": "7.4.4", "high_availability": True},
    "FW-BCN-01": {"vendor": "Fortinet", "model": "FortiGate 60F", "ip_address": "10.20.0.1", "firmware": "7.4.4", "high_availability": False},
    "SAN-MAD-01": {"os": "linux", "model": "Dell PowerStore 1200T", "ip_address": "10.10.5.20"},
    "SRV-ESX-MAD-01": {"os": "esxi", "cpu_cores": 64, "ram_gb": 768, "ip_address": "10.10.5.11", "model": "Dell PowerEdge R760"},
    "SRV-ESX-MAD-02": {"os": "esxi", "cpu_cores": 64, "ram_gb": 768, "ip_address": "10.10.5.12", "model": "Dell PowerEdge R760"},
    "SRV-ESX-MAD-03": {"os": "esxi", "cpu_cores": 64, "ram_gb": 512, "ip_address": "10.10.5.13", "model": "Dell PowerEdge R750"},
    "SRV-FS-MAD-01": {"os": "windows", "cpu_cores": 16, "ram_gb": 64, "ip_address": "10.10.5.30", "model": "Dell PowerEdge R550"},
    "SRV-BKP-BCN-01": {"os": "linux", "cpu_cores": 16, "ram_gb": 128, "ip_address": "10.20.5.40", "model": "HPE Apollo 4200"},
    "VM-DC-01": {"os": "windows", "vcpus": 4, "ram_gb": 16, "ip_address": "10.10.6.10"},
    "VM-DC-02": {"os": "windows", "vcpus": 4, "ram_gb": 16, "ip_address": "10.10.6.11"},
    "VM-ERP-DB01": {"os": "linux", "vcpus": 32, "ram_gb": 512, "ip_address": "10.10.6.20"},
    "VM-ERP-APP01": {"os": "linux", "vcpus": 16, "ram_gb": 128, "ip_address": "10.10.6.21"},
    "VM-SQL-01": {"os": "windows", "vcpus": 8, "ram_gb": 64, "ip_address": "10.10.6.30"},
    "VM-A3-01": {"os": "windows", "vcpus": 4, "ram_gb": 16, "ip_address": "10.10.6.31"},
    "VM-WEB-01": {"os": "windows", "vcpus": 4, "ram_gb": 16, "ip_address": "10.10.6.40"},
    "VM-PRINT-01": {"os": "windows", "vcpus": 2, "ram_gb": 8, "ip_address": "10.10.6.50"},
    "VM-MON-01": {"os": "linux", "vcpus": 4, "ram_gb": 16, "ip_address": "10.10.6.60"},
    "VM-VEEAM-01": {"os": "windows", "vcpus": 8, "ram_gb": 32, "ip_address": "10.10.6.70"},
    "DB-ERP-01": {"engine": "sap_hana", "version": "2.0 SPS07", "size_gb": 1450.0},
    "DB-A3-01": {"engine": "sql_server", "version": "2022", "size_gb": 85.5},
    "DB-INTRANET-01": {"engine": "sql_server", "version": "2022", "size_gb": 120.0},
    "APP-SAP-PRD": {"vendor": "SAP", "version": "S/4HANA 2023", "url": "https://erp.northwind.example"},
    "APP-A3": {"vendor": "Wolters Kluwer", "version": "2026.1"},
    "APP-INTRANET": {"vendor": "Microsoft", "version": "Subscription Edition", "url": "https://intranet.northwind.example"},
    "APP-ZABBIX": {"vendor": "Zabbix", "version": "7.0 LTS", "url": "https://monitor.northwind.example"},
    "APP-FORTICLIENT-EMS": {"vendor": "Fortinet", "version": "7.4"},
    "SVC-MAIL": {"vendor": "Microsoft", "plan": "Microsoft 365 E3", "tenant": "northwind.onmicrosoft.com"},
    "SAAS-SFDC": {"vendor": "Salesforce", "plan": "Sales Cloud Enterprise", "tenant": "northwind.my.salesforce.com"},
    "SAAS-ENTRA": {"vendor": "Microsoft", "plan": "Entra ID P1", "tenant": "northwind.onmicrosoft.com"},
    "SVC-VPN": {"service_hours": "24x7", "users": 150, "business_owner": "Marta Gil (IT)"},
    "SVC-ERP": {"service_hours": "24x7", "users": 120, "business_owner": "CFO"},
    "SVC-IDENTITY": {"service_hours": "24x7", "users": 220, "business_owner": "Marta Gil (IT)"},
    "SVC-COLLAB": {"service_hours": "24x7", "users": 220, "business_owner": "COO"},
    "SVC-FILES": {"service_hours": "office_hours", "users": 180, "business_owner": "COO"},
    "SVC-PAYROLL": {"service_hours": "office_hours", "users": 6, "business_owner": "HR director"},
    "SVC-CRM": {"service_hours": "office_hours", "users": 45, "business_owner": "Sales director"},
    "SVC-INTRANET": {"service_hours": "office_hours", "users": 220, "business_owner": "Communications"},
    "SVC-PRINT": {"service_hours": "office_hours", "users": 220},
    "SVC-WIFI": {"service_hours": "office_hours", "users": 220, "business_owner": "Marta Gil (IT)"},
    "SVC-BCN-LINK": {"service_hours": "office_hours", "users": 40, "business_owner": "Sales director"},
    "BKP-ERP-NIGHTLY": {"schedule": "Daily 01:00", "retention_days": 30, "repository": "BKP-BCN-01"},
    "BKP-FS-NIGHTLY": {"schedule": "Daily 02:30", "retention_days": 30, "repository": "BKP-BCN-01"},
    "WS-MAD-0142": {"os": "windows", "model": "Lenovo ThinkPad T14 Gen 5", "assigned_to": "Rita Sánchez"},
    "WS-MAD-0143": {"os": "windows", "model": "Lenovo ThinkPad T14 Gen 5", "assigned_to": "Finance pool"},
    "WS-BCN-0012": {"os": "macos", "model": "MacBook Air 13 M3", "assigned_to": "Jordi Puig"},
    "MOB-MAD-0031": {"os": "ios", "imei": "356938035643809", "assigned_to": "Finance"},
    "MOB-BCN-0007": {"os": "android", "imei": "352099001761481", "assigned_to": "Jordi Puig"},
}  # fmt: skip

# (source, type, target): ``A depends_on B`` — A needs B.
RELATIONS = [
    # Network: access layer and Wi-Fi hang from the core; the core needs the ISP and firewall.
    ("NW-MAD-CORE-02", "connected_to", "NW-MAD-CORE-01"),
    ("NW-MAD-P1-01", "depends_on", "NW-MAD-CORE-01"),
    ("NW-MAD-P2-01", "depends_on", "NW-MAD-CORE-01"),
    ("NW-MAD-P3-01", "depends_on", "NW-MAD-CORE-02"),
    ("NW-MAD-WLC-01", "depends_on", "NW-MAD-CORE-01"),
    ("NW-MAD-AP-01", "depends_on", "NW-MAD-WLC-01"),
    ("NW-MAD-AP-02", "depends_on", "NW-MAD-WLC-01"),
    ("NW-BCN-AP-01", "depends_on", "NW-MAD-WLC-01"),
    ("NW-MAD-AP-01", "connected_to", "NW-MAD-P1-01"),
    ("NW-MAD-AP-02", "connected_to", "NW-MAD-P2-01"),
    ("NW-BCN-AP-01", "connected_to", "NW-BCN-P1-01"),
    ("NW-BCN-P1-01", "depends_on", "NW-BCN-CORE-01"),
    ("FW-MAD-01", "depends_on", "NW-MAD-CORE-01"),
    ("FW-MAD-01", "depends_on", "NW-MAD-ISP-01"),
    ("FW-BCN-01", "depends_on", "NW-BCN-CORE-01"),
    ("FW-BCN-01", "depends_on", "NW-BCN-ISP-01"),
    ("FW-BCN-01", "connected_to", "FW-MAD-01"),
    # Compute: hosts need the core and the SAN; VMs run on hosts.
    ("SRV-ESX-MAD-01", "depends_on", "NW-MAD-CORE-01"),
    ("SRV-ESX-MAD-02", "depends_on", "NW-MAD-CORE-01"),
    ("SRV-ESX-MAD-03", "depends_on", "NW-MAD-CORE-02"),
    ("SRV-ESX-MAD-01", "depends_on", "SAN-MAD-01"),
    ("SRV-ESX-MAD-02", "depends_on", "SAN-MAD-01"),
    ("SRV-ESX-MAD-03", "depends_on", "SAN-MAD-01"),
    ("SAN-MAD-01", "depends_on", "NW-MAD-CORE-02"),
    ("SRV-FS-MAD-01", "depends_on", "NW-MAD-CORE-01"),
    ("SRV-BKP-BCN-01", "depends_on", "NW-BCN-CORE-01"),
    ("VM-DC-01", "hosted_on", "SRV-ESX-MAD-01"),
    ("VM-DC-02", "hosted_on", "SRV-ESX-MAD-02"),
    ("VM-ERP-DB01", "hosted_on", "SRV-ESX-MAD-01"),
    ("VM-ERP-APP01", "hosted_on", "SRV-ESX-MAD-02"),
    ("VM-SQL-01", "hosted_on", "SRV-ESX-MAD-03"),
    ("VM-A3-01", "hosted_on", "SRV-ESX-MAD-03"),
    ("VM-WEB-01", "hosted_on", "SRV-ESX-MAD-02"),
    ("VM-PRINT-01", "hosted_on", "SRV-ESX-MAD-03"),
    ("VM-MON-01", "hosted_on", "SRV-ESX-MAD-01"),
    ("VM-VEEAM-01", "hosted_on", "SRV-ESX-MAD-03"),
    # Data and applications.
    ("DB-ERP-01", "runs_on", "VM-ERP-DB01"),
    ("DB-A3-01", "runs_on", "VM-SQL-01"),
    ("DB-INTRANET-01", "runs_on", "VM-SQL-01"),
    ("APP-SAP-PRD", "runs_on", "VM-ERP-APP01"),
    ("APP-SAP-PRD", "depends_on", "DB-ERP-01"),
    ("APP-A3", "runs_on", "VM-A3-01"),
    ("APP-A3", "depends_on", "DB-A3-01"),
    ("APP-INTRANET", "runs_on", "VM-WEB-01"),
    ("APP-INTRANET", "depends_on", "DB-INTRANET-01"),
    ("APP-ZABBIX", "runs_on", "VM-MON-01"),
    ("APP-FORTICLIENT-EMS", "depends_on", "FW-MAD-01"),
    ("SAAS-ENTRA", "depends_on", "VM-DC-01"),
    # Business services.
    ("SVC-IDENTITY", "depends_on", "VM-DC-01"),
    ("SVC-IDENTITY", "depends_on", "VM-DC-02"),
    ("SVC-IDENTITY", "depends_on", "SAAS-ENTRA"),
    ("SVC-VPN", "depends_on", "FW-MAD-01"),
    ("SVC-VPN", "depends_on", "APP-FORTICLIENT-EMS"),
    ("SVC-VPN", "depends_on", "SVC-IDENTITY"),
    ("SVC-ERP", "depends_on", "APP-SAP-PRD"),
    ("SVC-ERP", "depends_on", "SVC-IDENTITY"),
    ("SVC-PAYROLL", "depends_on", "APP-A3"),
    ("SVC-INTRANET", "depends_on", "APP-INTRANET"),
    ("SVC-FILES", "depends_on", "SRV-FS-MAD-01"),
    ("SVC-PRINT", "depends_on", "VM-PRINT-01"),
    ("SVC-WIFI", "depends_on", "NW-MAD-WLC-01"),
    ("SVC-COLLAB", "depends_on", "SVC-MAIL"),
    ("SVC-COLLAB", "depends_on", "SAAS-ENTRA"),
    ("SVC-COLLAB", "depends_on", "FW-MAD-01"),
    ("SVC-CRM", "depends_on", "SAAS-SFDC"),
    ("SVC-CRM", "depends_on", "FW-MAD-01"),
    ("SVC-BCN-LINK", "depends_on", "FW-BCN-01"),
    ("SVC-BCN-LINK", "depends_on", "NW-BCN-CORE-01"),
    # Backups protect, they are not needed to run (no impact).
    ("BKP-ERP-NIGHTLY", "backs_up", "DB-ERP-01"),
    ("BKP-FS-NIGHTLY", "backs_up", "SRV-FS-MAD-01"),
    ("BKP-ERP-NIGHTLY", "runs_on", "VM-VEEAM-01"),
    ("BKP-FS-NIGHTLY", "runs_on", "VM-VEEAM-01"),
    ("VM-VEEAM-01", "depends_on", "SRV-BKP-BCN-01"),
    # Sites and devices.
    ("NW-MAD-CORE-01", "member_of", "SITE-MAD"),
    ("NW-MAD-CORE-02", "member_of", "SITE-MAD"),
    ("SRV-ESX-MAD-01", "member_of", "SITE-MAD"),
    ("SRV-ESX-MAD-02", "member_of", "SITE-MAD"),
    ("SRV-ESX-MAD-03", "member_of", "SITE-MAD"),
    ("NW-BCN-CORE-01", "member_of", "SITE-BCN"),
    ("SRV-BKP-BCN-01", "member_of", "SITE-BCN"),
    ("WS-MAD-0142", "connected_to", "NW-MAD-P2-01"),
    ("WS-MAD-0143", "connected_to", "NW-MAD-P2-01"),
    ("WS-BCN-0012", "connected_to", "NW-BCN-P1-01"),
]


def seed_classes() -> dict[str, CIClass]:
    """The CI classes of SPEC 2.3 with their attribute schemas (idempotent, by slug)."""
    classes = {}
    for slug, (name, is_service, area, icon, schema) in CI_CLASSES.items():
        classes[slug], _created = CIClass.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "is_service": is_service,
                "functional_area": area,
                "icon": icon,
                "attribute_schema": check_schema(schema),
            },
        )
    return classes


def seed_items(world: DemoWorld, classes: dict[str, CIClass]) -> dict[str, ConfigurationItem]:
    """The demo CIs by asset tag (idempotent: created once, refreshed to the demo values)."""
    items = {}
    for tag, (name, klass, site, criticality, org, team, description) in CIS.items():
        attributes = validate_attributes(classes[klass].attribute_schema, ATTRIBUTES.get(tag, {}))
        item, created = ConfigurationItem.objects.update_or_create(
            asset_tag=tag,
            defaults={
                "name": name,
                "ci_class": classes[klass],
                "site": site,
                "environment": "production",
                "criticality": criticality,
                "managed_by": world.organizations[org],
                "owner_team": world.teams[team],
                "internal_owner": world.users["ivan"],
                "provider_owner": world.users["pablo"] if org == "acme" else None,
                "description": description,
                "attributes": attributes,
                "serial": f"SN{zlib.crc32(tag.encode()):010d}" if klass in SERIALS else "",
            },
        )
        if created:
            audit_record(
                actor=None,
                actor_label="system:seed_demo",
                action="ci.created",
                obj=item,
                after={"name": name, "class": klass, "managed_by": org},
            )
        items[tag] = item
    return items


# Classes whose items carry a serial number (hardware).
SERIALS = {"server", "network_device", "firewall", "workstation", "mobile_device"}


def seed_relations(items: dict[str, ConfigurationItem]) -> int:
    existing = set(CIRelation.objects.values_list("source_id", "type", "target_id"))
    new = [
        CIRelation(source=items[s], type=t, target=items[d])
        for s, t, d in RELATIONS
        if (items[s].pk, t, items[d].pk) not in existing
    ]
    CIRelation.objects.bulk_create(new)
    return len(new)


def seed(world: DemoWorld | None = None) -> DemoWorld:
    """Classes, CIs and relations of the demo CMDB (idempotent)."""
    if world is None or not world.users:
        from cogest.demo import seed as seed_core

        world = seed_core(world)
    with transaction.atomic():
        classes = seed_classes()
        world.cis = seed_items(world, classes)
        seed_relations(world.cis)
        seed_runbooks(world)
        seed_proposals(world)
    return world


# --- Runbooks -------------------------------------------------------------------------------------

# (title, kind, areas, CI tags, class slugs, provider owner, review in days (negative: passed),
#  body, a second version's body or None)
RUNBOOKS = [
    (
        "Core switch failure in Madrid (MAD-CORE-01/02)", "contingency", ["networks"],
        ["NW-MAD-CORE-01", "NW-MAD-CORE-02"], [], "pablo", -3,
        "## When\nMAD-CORE-01 stops answering (Zabbix: *ICMP unreachable* for 2 minutes).\n\n"
        "## Steps\n1. Acme NOC checks the stack from the console: `show switch`, `show redundancy`.\n"
        "2. If the active member is down, force the switchover to MAD-CORE-02.\n"
        "3. Call Cisco TAC (contract 98231455) and open a P1 with Acme.\n"
        "4. Northwind's Service Desk posts the status on the intranet every 30 minutes.\n\n"
        "## Who\nAcme Networks runs steps 1–3; Internal Systems checks the ESX hosts and the SAN.",
        "## When\nMAD-CORE-01 stops answering (Zabbix: *ICMP unreachable* for 2 minutes).\n\n"
        "## Steps\n1. Acme NOC checks the stack from the console: `show switch`, `show redundancy`.\n"
        "2. If the active member is down, force the switchover to MAD-CORE-02.\n"
        "3. Call Cisco TAC (contract 98231455) and open a P1 with Acme.\n"
        "4. Check that the ESX hosts see both uplinks (vSphere: *Network redundancy lost*).\n"
        "5. Northwind's Service Desk posts the status on the intranet every 30 minutes.\n\n"
        "## Who\nAcme Networks runs steps 1–3; Internal Systems step 4 and the SAN.",
    ),
    (
        "VPN: users cannot connect (FortiGate certificate expired)", "known_error",
        ["cybersecurity", "networks"], ["FW-MAD-01", "SVC-VPN"], [], "pablo", 60,
        "## Symptom\nFortiClient stops at 98 % with *Credential or SSLVPN configuration is wrong (-7200)*.\n\n"
        "## Cause\nThe SSL VPN server certificate expired (renewed yearly in March).\n\n"
        "## Workaround\nAcme Security installs the renewed certificate (`config vpn ssl settings`, "
        "`set servercert`) and restarts the SSL VPN daemon; sessions reconnect within 2 minutes.\n\n"
        "## Fix\nRenewal reminder in the Acme change calendar 30 days before expiry.",
        None,
    ),
    (
        "Restaurar la base de datos del ERP desde Veeam", "contingency", ["systems", "backups"],
        ["DB-ERP-01", "BKP-ERP-NIGHTLY"], [], None, 120,
        "## Cuándo\nCorrupción de datos o pérdida del volumen de HANA en ERP-DB01.\n\n"
        "## Pasos\n1. Parar SAP S/4HANA PRD (`stopsap r3`) y avisar a Finanzas.\n"
        "2. En Veeam, *Restore → SAP HANA → ERP-DB01*, punto de restauración de la noche anterior.\n"
        "3. Aplicar los logs hasta la hora del incidente.\n4. Arrancar SAP y validar con Finanzas.\n\n"
        "RTO: 4 horas · RPO: 15 minutos.",
        None,
    ),
    (
        "Monthly patching of the ESX hosts", "manual", ["systems"], [], ["server"], None, 25,
        "Second Tuesday of each month, 20:00–23:00.\n\n1. Put the host in maintenance mode "
        "(DRS moves its VMs).\n2. Apply the vLCM baseline.\n3. Reboot, exit maintenance mode, "
        "check alarms.\n4. Next host. Never two hosts at once.",
        None,
    ),
    (
        "New laptop for an employee (Windows)", "manual", ["devices"], [], ["workstation"],
        None, 90,
        "1. Register the laptop in Intune (Autopilot hash).\n2. Assign it to the user in the "
        "CMDB (attribute *Assigned to*).\n3. The user signs in with their account: "
        "BitLocker, Defender and Office install themselves.\n4. Check VPN and printing.",
        None,
    ),
    (
        "Wi-Fi guest password rotation", "manual", ["networks"], ["NW-MAD-WLC-01"], [],
        "pablo", 14,
        "Every Monday at 08:00 Acme rotates the *NW-Guest* pre-shared key on WLC-MAD-01 and "
        "sends it to reception (Madrid and Barcelona) by email.",
        None,
    ),
    (
        "Cola de impresión atascada en PRINT-MAD-01", "known_error", ["devices"],
        ["VM-PRINT-01"], [], None, 45,
        "## Síntoma\nLos trabajos se quedan *En cola* y nadie imprime.\n\n"
        "## Solución temporal\nReiniciar el servicio *Cola de impresión* en PRINT-MAD-01 "
        "y borrar `C:\\Windows\\System32\\spool\\PRINTERS\\*`.",
        None,
    ),
]  # fmt: skip


def seed_runbooks(world: DemoWorld) -> int:
    """The demo runbooks, through the services (idempotent, by title): one waiting for the
    provider's acknowledgement of its second version, one past its review date."""
    from django.utils import timezone

    from cmdb.models import Runbook
    from cmdb.runbooks import (
        runbook_acknowledge,
        runbook_create,
        runbook_publish,
        runbook_review_tasks_due,
    )

    today = timezone.localdate()
    ivan, marta = world.users["ivan"], world.users["marta"]
    created = 0
    for title, kind, areas, tags, classes, provider, review, body, second in RUNBOOKS:
        if Runbook.objects.filter(title=title).exists():
            continue
        runbook = runbook_create(
            by=ivan,
            title=title,
            kind=kind,
            body=body,
            areas=areas,
            cis=[world.cis[tag] for tag in tags],
            ci_classes=list(CIClass.objects.filter(slug__in=classes)),
            internal_owner=ivan,
            provider_owner=world.users[provider] if provider else None,
            review_on=today + dt.timedelta(days=review),
            note="First version.",
        )
        runbook_acknowledge(runbook=runbook, by=ivan)
        if provider:
            runbook_acknowledge(runbook=runbook, by=world.users[provider])
        if second:
            runbook_publish(
                runbook=runbook, by=marta, body=second, note="Step 4: check the ESX uplinks."
            )
            runbook_acknowledge(runbook=runbook, by=ivan)
        created += 1
    runbook_review_tasks_due(today=today)
    return created


def seed_proposals(world: DemoWorld) -> None:
    """Pablo (Acme) proposes a firmware change on the access switch the internal team manages:
    it waits for Iván's review (idempotent: once)."""
    from cmdb.models import CIChangeProposal
    from cmdb.services import ci_update

    switch = world.cis["NW-BCN-P1-01"]
    if CIChangeProposal.objects.filter(ci=switch).exists():
        return
    ci_update(
        ci=switch,
        by=world.users["pablo"],
        reason="Upgraded to 17.9.5 during last night's window (change CHG-000031); the CMDB "
        "still shows no firmware.",
        attributes={**switch.attributes, "firmware": "17.9.5"},
    )
