"""Settings, health, API schema, deployment files: the platform around the apps."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "desk.example.go.id",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://desk:secret@smtp.example.go.id:587",
}


def manage(*args, **env):
    # Not the test process's own switches (the browser tests allow async-unsafe).
    dropped = set(PRODUCTION_ENV) | {"DJANGO_ALLOW_ASYNC_UNSAFE"}
    full_env = {k: v for k, v in os.environ.items() if k not in dropped}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True
    )


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "Flase"),
        ("SECRET_KEY", "short"),
        ("DATABASE_URL", "nosuchdb://x"),
        ("AXES_FAILURE_LIMIT", "five"),
        ("NEUTRALITY_INITIAL_STUDY_DAYS", "two"),
        ("NEUTRALITY_INITIAL_STUDY_DAYS", "-1"),
    ],
)
def test_a_bad_setting_fails_at_start_up_naming_the_variable(name, value):
    result = manage("check", **{**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_production_without_secret_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", **env)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, settings):
    response = client.get("/healthz?probe=web")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert client.get("/healthz").json()["broker"] == "ok"
    # The heartbeats' Redis unreachable: beat and workers cannot be vouched for.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["beat"] == response.json()["workers"] == "unknown"


@pytest.mark.django_db
def test_openapi_schema_generates_without_warnings(tmp_path):
    result = manage(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    assert result.returncode == 0, result.stderr
    schema = yaml.safe_load((tmp_path / "schema.yml").read_text())
    assert "/api/v1/regions/" in schema["paths"]


@pytest.mark.django_db
def test_api_docs_are_served_without_a_cdn(client, kaltim_desk):
    client.force_login(kaltim_desk)
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html


def test_docker_compose_declares_the_full_topology():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"migrate", "web", "worker", "beat", "postgres", "redis"}
    assert services["web"]["command"].startswith("gunicorn desk.wsgi")
    assert services["worker"]["command"].startswith("celery -A desk worker")
    assert services["beat"]["command"].startswith("celery -A desk beat")
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in ("web", "worker", "beat", "postgres", "redis"):
        assert "healthcheck" in services[name], name
    # Each Django process's check tests its own container (not `inspect ping`,
    # which any worker answers).
    for name in ("web", "worker", "beat"):
        test = services[name]["healthcheck"]["test"]
        assert test[:5] == ["CMD", "python", "manage.py", "healthcheck", name], name
    # Migrations run once, by the one-shot service; nobody else migrates, and
    # the Django processes wait for it.
    assert services["migrate"]["command"] == "python manage.py migrate --noinput"
    assert services["migrate"]["restart"] == "no"
    for name, service in services.items():
        if name != "migrate":
            assert "migrate" not in str(service.get("command", "")), name
    for name in ("migrate", "web", "worker", "beat"):
        assert services[name]["image"] == "desk-pilkada:latest"  # one image
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name
    assert (ROOT / "Dockerfile").exists()
    assert {"postgres-data", "redis-data", "private-media"} <= set(compose["volumes"])


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()
