"""The deployment files agree with each other and with pyproject.toml.

No Docker engine runs in the tests, so these read the files: the lock covers every declared
dependency at an allowed version with hashes, the image installs from it, and compose.yaml
keeps the port on loopback with the image's own health check.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# The lock is made for Python 3.11 and later on Linux; judge its markers as the image does.
IMAGE = {"python_version": "3.11", "python_full_version": "3.11.9", "sys_platform": "linux"}


def _locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of the lock's entries that apply to the image."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entries: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=\S)", text):
        first = block.split("\\", 1)[0].strip()
        if not first or first.startswith("#"):
            continue
        spec, _, marker = first.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate(IMAGE):
            continue
        name, _, version = spec.strip().partition("==")
        assert version, f"not pinned with ==: {first}"
        entries[canonicalize_name(name)] = (version, re.findall(r"--hash=sha256:(\w{64})", block))
    return entries


def test_lock_pins_every_dependency_at_an_allowed_version_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    locked = _locked()
    for dep in project["dependencies"]:
        req = Requirement(dep)
        if req.marker is not None and not req.marker.evaluate(IMAGE):
            continue
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is missing from requirements.lock: update the lock"
        version, _ = locked[name]
        assert req.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {req.name}=={version}, outside {req.specifier}: update it"
        )
    assert all(hashes for _, hashes in locked.values()), "every entry carries its hashes"


def test_image_installs_from_the_lock_only():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --require-hashes -r requirements.lock" in dockerfile
    installs = re.findall(r"pip install [^\n]*", dockerfile)
    assert installs == [
        "pip install --require-hashes -r requirements.lock",
        "pip install --no-deps .",
    ]


def test_compose_publishes_on_loopback_with_the_image_health_check():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    bot = compose["services"]["bot"]
    assert all(str(p).startswith("127.0.0.1:") for p in bot["ports"])
    assert bot["stop_grace_period"] == "15s" and bot["restart"] == "unless-stopped"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    probe = bot["healthcheck"]["test"][-1]
    assert f'CMD python -c "{probe}"' in dockerfile, "the same probe in both"
    assert "/healthz" in probe and "timeout=3" in probe
