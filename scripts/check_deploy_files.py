"""Checks the deployment files against the binary's real settings and commands.

- every variable the Dockerfile and docker-compose.yml set is one the service reads
  (documented in env/.env.example, which a unit test keeps equal to the code's list);
- every command they run is a real subcommand of the binary;
- the compose app services build this Dockerfile and the health check hits /health.

Usage: python3 scripts/check_deploy_files.py  (exit 1 with the findings)
"""

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SUBCOMMANDS = {"serve", "worker", "migrate", "check-config", "rotate-keys", "import-original"}


def known_variables():
    text = (ROOT / "env" / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def main():
    known = known_variables()
    problems = []
    dockerfile = (ROOT / "Dockerfile").read_text()
    env_block = re.search(r"^ENV (.+?)(?:\n(?!\s)|\Z)", dockerfile, re.MULTILINE | re.DOTALL)
    for name in re.findall(r"([A-Z][A-Z0-9_]*)=", env_block.group(1) if env_block else ""):
        if name not in known:
            problems.append(f"Dockerfile sets {name}, which the service does not read")
    if "/health" not in dockerfile.split("HEALTHCHECK", 1)[-1]:
        problems.append("Dockerfile HEALTHCHECK does not call /health")
    cmd = re.search(r'^CMD \["([a-z-]+)"', dockerfile, re.MULTILINE)
    if not cmd or cmd.group(1) not in SUBCOMMANDS:
        problems.append("Dockerfile CMD is not a subcommand of the binary")

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        if service.get("build") not in (None, "."):
            problems.append(f"{name}: builds something other than this Dockerfile")
        if service.get("build") == ".":
            for variable in service.get("environment", {}):
                if variable not in known:
                    problems.append(f"{name}: sets {variable}, which the service does not read")
            command = service.get("command", ["serve"])
            if command[0] not in SUBCOMMANDS:
                problems.append(f"{name}: {command[0]} is not a subcommand of the binary")
    for problem in problems:
        print(problem)
    if problems:
        sys.exit(1)
    print("deployment files agree with the binary's settings and commands")


if __name__ == "__main__":
    main()
