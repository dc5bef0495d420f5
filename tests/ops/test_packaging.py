"""The production image installs the runtime lock only: no test or lint tool
(pytest, ruff, Playwright, aiosmtpd, ...) ends up in it."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lock_entries(name: str) -> dict[str, list[str]]:
    """package -> the packages it is there for (uv's ``# via`` lines)."""
    entries: dict[str, list[str]] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9_.\-]+)==", line):
            current = match.group(1).lower()
            entries[current] = []
        elif current and (via := re.match(r"^\s+# (?:via)?\s*(\S.*)$", line)):
            entries[current].append(via.group(1).strip())
    return entries


def normalise(requirement: str) -> str:
    return re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_runtime_lock_holds_no_dev_tool():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = lock_entries("requirements.lock")
    dev = lock_entries("requirements-dev.lock")
    # Every dev extra is in the dev lock...
    dev_extra = {normalise(r) for r in project["optional-dependencies"]["dev"]}
    assert dev_extra <= set(dev)
    # ...and in the runtime lock only when a runtime package needs it (PyYAML,
    # which drf-spectacular uses), never for the project's own dev extra.
    for name in dev_extra & set(runtime):
        assert "desk-pilkada (pyproject.toml)" not in runtime[name], name
    assert not {"pytest", "pytest-django", "ruff", "playwright", "aiosmtpd"} & set(runtime)
    # Every runtime dependency is pinned in both locks, at the same version.
    for requirement in project["dependencies"]:
        assert normalise(requirement) in runtime, requirement
    runtime_pins = {
        line for line in (ROOT / "requirements.lock").read_text().splitlines() if "==" in line
    }
    dev_pins = {
        line for line in (ROOT / "requirements-dev.lock").read_text().splitlines() if "==" in line
    }
    assert runtime_pins <= dev_pins, runtime_pins - dev_pins


def test_the_image_installs_the_runtime_lock_and_make_the_dev_one():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    assert "requirements-dev.lock" not in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "-r requirements-dev.lock" in makefile
    assert "-r requirements.lock" not in makefile
