"""The locks `make` installs from agree with pyproject.toml and with each other: every
dependency is pinned to one version inside its range, with hashes, and the tests run on the
versions a running desk uses."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?:\s*;\s*(.*?))?\s*\\?$")


def _lock(name: str) -> dict[str, tuple[str, int]]:
    """{package: (version, number of hashes)} of a lock written by `make lock`."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match.group(1))
            assert current not in pins, f"{name}: {current} pinned twice"
            pins[current] = (match.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


def _declared() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return (
        [Requirement(r) for r in project["project"]["dependencies"]],
        [Requirement(r) for r in project["dependency-groups"]["dev"]],
    )


def test_every_dependency_is_pinned_inside_its_range_with_hashes():
    run, dev = _declared()
    run_lock, dev_lock = _lock("requirements.lock"), _lock("requirements-dev.lock")
    for lock, requirements in ((run_lock, run), (dev_lock, run + dev)):
        for requirement in requirements:
            version, _ = lock[canonicalize_name(requirement.name)]
            assert requirement.specifier.contains(version), (requirement, version)
    for pins in (run_lock, dev_lock):
        assert all(hashes for _, hashes in pins.values()), pins


def test_the_dev_lock_runs_the_versions_of_the_run_lock():
    run_lock, dev_lock = _lock("requirements.lock"), _lock("requirements-dev.lock")
    assert {name: dev_lock.get(name, ("missing",))[0] for name in run_lock} == {
        name: version for name, (version, _) in run_lock.items()
    }
    # The dev tools stay out of what a running desk installs.
    _, dev = _declared()
    assert not {canonicalize_name(r.name) for r in dev} & set(run_lock)
