"""docker-compose.yml is how a team deploys cogest: it must be a valid Compose file with the
five services, healthchecks and persistent volumes. No engine runs here, so it is validated
against the Compose specification's JSON schema (and by `docker compose config` when present)."""

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_follows_the_compose_specification(compose):
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
    # The vendored schema predates the top-level `name` key and `x-` extension fields.
    document = {k: v for k, v in compose.items() if k != "name" and not k.startswith("x-")}
    jsonschema.validate(document, schema)


def test_compose_runs_postgres_redis_web_worker_and_beat_with_healthchecks(compose):
    services = compose["services"]
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert name in services, name
        assert "test" in services[name]["healthcheck"], name
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "cogest", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "cogest", "beat"]
    assert services["web"]["environment"]["DATABASE_URL"].startswith("postgres://")
    assert services["worker"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert {"pgdata", "redisdata", "media"} <= set(compose["volumes"])


def test_compose_app_services_wait_for_healthy_database_and_broker(compose):
    migrate = compose["services"]["migrate"]["depends_on"]
    assert migrate["postgres"]["condition"] == "service_healthy"
    assert migrate["redis"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = compose["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="the docker compose plugin is not installed here; the schema test above covers it",
)
def test_docker_compose_config_accepts_the_file():
    result = subprocess.run(
        ["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env={"SECRET_KEY": "x" * 60, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr


def test_health_endpoint_answers_without_host_validation(client, db):
    response = client.get("/healthz/", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
