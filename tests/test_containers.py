"""The container set-up (deployments/compose.yaml and Containerfile) says what the README
says: PostgreSQL for the store and Prefect, a Prefect server, a worker, the web page. It is
built when a container engine answers on this machine."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENTS = ROOT / "deployments"


def _compose() -> dict:
    return yaml.safe_load((DEPLOYMENTS / "compose.yaml").read_text(encoding="utf-8"))


def test_the_services_are_wired_to_each_other() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"db", "prefect", "worker", "web"}
    for name in ("prefect", "worker", "web"):
        service = services[name]
        environment = service["environment"]
        assert environment["VIGIL_DATABASE_URL"].startswith("postgresql://vigil:vigil@db:5432/")
        assert environment["PREFECT_API_URL"] == "http://prefect:4200/api"
        assert service["build"]["dockerfile"] == "deployments/Containerfile"
        assert "db" in service["depends_on"]
    assert services["prefect"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"].endswith(
        "@db:5432/prefect"
    )
    assert "prefect" in services["worker"]["depends_on"]
    assert "deployments/prefect.yaml" in " ".join(services["worker"]["command"])
    # The page listens beyond loopback in its container: vigil refuses that without a token.
    assert services["web"]["environment"]["VIGIL_WEB_TOKEN"].startswith("${VIGIL_WEB_TOKEN:?")
    assert all(
        port.startswith("127.0.0.1:") for s in services.values() for port in s.get("ports", [])
    )
    init = (DEPLOYMENTS / "compose-initdb.sql").read_text(encoding="utf-8")
    assert "CREATE DATABASE prefect" in init


def test_the_image_installs_the_locked_dependencies_and_the_checkout() -> None:
    containerfile = (DEPLOYMENTS / "Containerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\S+)", containerfile, re.MULTILINE))
    assert {"requirements.lock", "vigil", "flows", "rules", "templates", "deployments"} <= copied
    assert all((ROOT / path).exists() for path in copied if not path.endswith(".toml"))
    assert "pip install -r requirements.lock" in containerfile
    assert "USER vigil" in containerfile  # not root


def _engine() -> str | None:
    for name in ("docker", "podman"):
        found = shutil.which(name)
        if found and subprocess.run([found, "info"], capture_output=True).returncode == 0:
            return found
    return None


@pytest.mark.slow
@pytest.mark.skipif(_engine() is None, reason="no container engine answers on this machine")
def test_the_image_builds_and_runs_vigil() -> None:
    engine = _engine()
    assert engine is not None
    subprocess.run(
        [engine, "build", "-f", "deployments/Containerfile", "-t", "vigil-test", "."],
        cwd=ROOT, check=True, timeout=1800,
    )  # fmt: skip
    shown = subprocess.run(
        [engine, "run", "--rm", "vigil-test", "vigil", "--version"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shown.stdout.startswith("vigil ")
