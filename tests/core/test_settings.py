"""Settings come from the environment: safe defaults for a newcomer, a hardened production mode.

Each case starts a fresh Python process (settings are read once per process); they all start
together, so the file costs about one Django start-up.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Everything the settings module reads, and what the test session itself sets: a case starts
# from none of them.
SETTINGS_VARIABLES = {
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "COGEST_ENV",
    "COGEST_VAR_DIR",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_TASK_ALWAYS_EAGER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "EMAIL_BACKEND",
}

# The settings module alone, without starting Django: a fifth of the start-up time.
PRINT_SETTINGS = """
import json
import cogest.settings as settings
db = settings.DATABASES["default"]
cache = settings.CACHES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "broker": settings.CELERY_BROKER_URL,
    "cache_backend": cache["BACKEND"],
    "cache_location": cache.get("LOCATION", ""),
    "debug": settings.DEBUG,
    "first_hasher": settings.PASSWORD_HASHERS[0],
}))
"""

IMPORT_SETTINGS = "import cogest.settings"

PRODUCTION = {
    "COGEST_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(60)[:60],
    "ALLOWED_HOSTS": "cogest.example.com",
}
DEV_KEY = "django-insecure-cogest-development-key-do-not-use-in-production"

# name: (command line after the interpreter, environment)
CASES = {
    "defaults": (["-c", PRINT_SETTINGS], {}),
    "redis": (["-c", PRINT_SETTINGS], {"REDIS_URL": "redis://127.0.0.1:6379/3"}),
    "postgresql": (
        ["-c", PRINT_SETTINGS],
        {"DATABASE_URL": "postgres://cogest:pw@db.example:5432/cogest"},
    ),
    "production": (["-c", PRINT_SETTINGS], PRODUCTION),
    "deploy-check": (["manage.py", "check", "--deploy"], PRODUCTION),
    "no-secret-key": (
        ["-c", IMPORT_SETTINGS],
        {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"},
    ),
    "short-secret-key": (["-c", IMPORT_SETTINGS], {**PRODUCTION, "SECRET_KEY": "too-short"}),
    "development-key": (["-c", IMPORT_SETTINGS], {**PRODUCTION, "SECRET_KEY": DEV_KEY}),
    "unknown-environment": (["-c", IMPORT_SETTINGS], {"COGEST_ENV": "staging"}),
}


@pytest.fixture(scope="module")
def outcome():
    """Start every case at once; ``outcome[name]`` is its finished process."""
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    base["DJANGO_SETTINGS_MODULE"] = "cogest.settings"
    started = {
        name: subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env={**base, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (args, env) in CASES.items()
    }
    finished = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=120)
        finished[name] = subprocess.CompletedProcess(
            process.args, process.returncode, stdout, stderr
        )
    return finished


def printed_settings(outcome, name) -> dict:
    result = outcome[name]
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.skipif((ROOT / ".env").exists(), reason="a local .env file sets defaults of its own")
def test_with_nothing_set_it_runs_on_sqlite_under_var_and_a_serverless_broker(outcome):
    values = printed_settings(outcome, "defaults")
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(ROOT / "var" / "cogest.sqlite3")
    assert values["broker"] == "filesystem://"
    assert values["cache_backend"].endswith("LocMemCache")
    assert values["debug"] is True
    assert values["first_hasher"].endswith("Argon2PasswordHasher")


def test_redis_url_switches_the_broker_and_the_cache_to_redis(outcome):
    values = printed_settings(outcome, "redis")
    assert values["broker"] == "redis://127.0.0.1:6379/3"
    assert values["cache_backend"] == "django.core.cache.backends.redis.RedisCache"
    # The cache takes the next database, so clearing it never drops queued jobs.
    assert values["cache_location"] == "redis://127.0.0.1:6379/4"


def test_database_url_switches_to_postgresql(outcome):
    values = printed_settings(outcome, "postgresql")
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "cogest"


def test_production_mode_turns_debug_off(outcome):
    assert printed_settings(outcome, "production")["debug"] is False


def test_production_mode_passes_the_deployment_checks(outcome):
    result = outcome["deploy-check"]
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output
    assert "WARNINGS" not in output


@pytest.mark.parametrize("case", ["no-secret-key", "short-secret-key", "development-key"])
def test_production_mode_refuses_to_start_without_a_real_secret_key(outcome, case):
    result = outcome[case]
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_an_unknown_environment_name_is_refused(outcome):
    result = outcome["unknown-environment"]
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "COGEST_ENV" in result.stderr
