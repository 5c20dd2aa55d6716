"""Structural checks of the Dockerfile and .dockerignore, without a Docker engine."""

from __future__ import annotations

import fnmatch
import re
import shlex
from dataclasses import dataclass, field

# An exact version tag: at least major.minor.patch (python:3.11.14-slim-bookworm, not python:3.11-slim).
EXACT_TAG = re.compile(r"^v?\d+\.\d+\.\d+")
BUILD_TOOLS = re.compile(
    r"\b(gcc|g\+\+|clang|make|cmake|build-essential|build-base|autoconf|automake|libtool|pkg-config|"
    r"git|cargo|rustc|[a-z0-9.+-]+-dev|[a-z0-9.+-]+-devel)\b"
)
PACKAGE_INSTALL = re.compile(r"\b(apt-get|apt|apk|yum|dnf|microdnf)\s+(install|add)\b(?P<packages>[^;&|]*)")
ROOT_USERS = {"root", "0"}
# Paths the build context must never carry (checked against .dockerignore).
PRIVATE_PATHS = (".git", ".venv", ".run", "tests", "deploy")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions with comments dropped and continuation lines joined."""
    logical: list[str] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    parsed = [line.split(maxsplit=1) for line in logical]
    return [Instruction(parts[0].upper(), parts[1] if len(parts) > 1 else "") for parts in parsed]


def stages(text: str) -> list[Stage]:
    """Build stages, with ARG defaults declared before the first FROM substituted into the base image."""
    global_args: dict[str, str] = {}
    found: list[Stage] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            found.append(_stage(instruction.arguments, global_args))
        elif found:
            found[-1].instructions.append(instruction)
        elif instruction.keyword == "ARG":
            name, _, default = instruction.arguments.partition("=")
            global_args[name.strip()] = default.strip().strip('"')
    return found


def _stage(arguments: str, args: dict[str, str]) -> Stage:
    words = [word for word in shlex.split(arguments) if not word.startswith("--platform")]
    image = re.sub(r"\$\{?(\w+)\}?", lambda match: args.get(match[1], match[0]), words[0])
    name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
    return Stage(image, name)


def check_multi_stage(text: str) -> list[str]:
    return (
        [] if len(stages(text)) >= 2 else ["single stage: build in one stage, copy the result into another"]
    )


def check_base_images_pinned(text: str) -> list[str]:
    """Every base image that is not an earlier stage is pinned by digest or by an exact version tag."""
    violations = []
    earlier: set[str] = set()
    for stage in stages(text):
        if stage.image not in earlier and not _pinned(stage.image):
            violations.append(f"base image {stage.image!r} is not pinned (digest or exact version tag)")
        if stage.name:
            earlier.add(stage.name)
    return violations


def _pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    return bool(EXACT_TAG.match(tag))


def check_non_root_user(text: str) -> list[str]:
    """The final stage switches to a user other than root, and does not switch back."""
    users = [i.arguments.split(":")[0] for i in stages(text)[-1].instructions if i.keyword == "USER"]
    if not users:
        return ["final stage has no USER: the container would run as root"]
    if users[-1] in ROOT_USERS:
        return [f"final stage runs as {users[-1]}"]
    return []


def check_no_build_tools_in_final_stage(text: str) -> list[str]:
    """The final stage installs no compiler, build system or -dev package, and builds no Python packages."""
    violations = []
    for instruction in stages(text)[-1].instructions:
        if instruction.keyword != "RUN":
            continue
        for install in PACKAGE_INSTALL.finditer(instruction.arguments):
            tools = sorted(set(BUILD_TOOLS.findall(install["packages"])))
            if tools:
                violations.append(f"final stage installs build tools: {', '.join(tools)}")
        if re.search(r"\bpip\d?(\.\d+)?\s+(install|wheel)\b", instruction.arguments):
            violations.append("final stage runs pip install: install in the build stage and copy the result")
    return violations


def check_service_argument(text: str) -> list[str]:
    """The final stage takes the service as a build argument (ARG SERVICE)."""
    declared = [
        i for i in stages(text)[-1].instructions if i.keyword == "ARG" and i.arguments.startswith("SERVICE")
    ]
    return [] if declared else ["final stage has no ARG SERVICE to choose the service"]


def dockerignore_violations(text: str) -> list[str]:
    """Paths that would reach the build context although they must not (last matching pattern wins)."""
    patterns = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return [
        f".dockerignore lets {path} into the build context"
        for path in PRIVATE_PATHS
        if not _ignored(path, patterns)
    ]


def _ignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern.removeprefix("!").strip("/")
        if fnmatch.fnmatch(path, body) or fnmatch.fnmatch(path, f"{body}/*"):
            ignored = not negated
    return ignored
