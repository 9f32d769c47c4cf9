"""The lock files (requirements/*.txt, `make lock`) agree with pyproject.toml: every
dependency it names is pinned there, with hashes, at a version its range admits, and the
image's lock and everyone else's pin the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)\s*\\?$")


def pins(path: Path) -> dict[str, str]:
    """{canonical name: version} of a pip-compile output; every pin carries a hash."""
    found, lines = {}, path.read_text().splitlines()
    for index, line in enumerate(lines):
        match = PIN.match(line)
        if match:
            assert lines[index + 1].strip().startswith("--hash=sha256:"), (path.name, line)
            found[canonicalize_name(match["name"])] = match["version"]
    return found


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = list(project["dependencies"])
    for extra in extras:
        names += project["optional-dependencies"][extra]
    return [Requirement(name) for name in names]


@pytest.mark.parametrize(("lock", "extras"), [
    ("base.txt", ("release",)),
    ("dev.txt", ("release", "local", "dev")),
])
def test_every_declared_dependency_is_pinned_within_its_range(lock, extras):
    pinned = pins(ROOT / "requirements" / lock)
    for requirement in declared(*extras):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not in requirements/{lock}: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={pinned[name]}, outside {requirement}: "
            "run `make lock`")


def test_the_image_and_the_developers_run_the_same_versions():
    base, dev = pins(ROOT / "requirements" / "base.txt"), pins(ROOT / "requirements" / "dev.txt")
    assert {name: dev.get(name) for name in base} == base


def test_every_install_path_installs_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes" in makefile
    assert "-r requirements/dev.txt" in makefile
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text()
    assert "--require-hashes --no-deps -r requirements/base.txt" in dockerfile
    assert "pip install ." not in dockerfile
