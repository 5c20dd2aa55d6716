"""The Dockerfile and .dockerignore, checked structurally: each check passes here and catches a broken file."""

from __future__ import annotations

from collections.abc import Callable

import deploy_dockerfile as dockerfile
import pytest
from deploy_render import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text()
CHECKS: dict[str, Callable[[str], list[str]]] = {
    "multi-stage": dockerfile.check_multi_stage,
    "base pinned": dockerfile.check_base_images_pinned,
    "non-root user": dockerfile.check_non_root_user,
    "no build tools in final stage": dockerfile.check_no_build_tools_in_final_stage,
    "service argument": dockerfile.check_service_argument,
}
FINAL_STAGE = "FROM ${PYTHON_IMAGE} AS runtime\n"


def edited(old: str, new: str) -> str:
    assert old in DOCKERFILE, old
    return DOCKERFILE.replace(old, new)


def in_final_stage(line: str) -> str:
    """The Dockerfile with `line` appended: the last stage is the final one."""
    return f"{DOCKERFILE}{line}\n"


@pytest.mark.parametrize("check", CHECKS.values(), ids=CHECKS.keys())
def test_dockerfile_passes(check: Callable[[str], list[str]]) -> None:
    assert check(DOCKERFILE) == []


def test_stages_are_parsed() -> None:
    assert [(stage.image, stage.name) for stage in dockerfile.stages(DOCKERFILE)] == [
        ("python:3.11.14-slim-bookworm", "build"),
        ("python:3.11.14-slim-bookworm", "runtime"),
    ]


@pytest.mark.parametrize(
    ("check", "text", "expected"),
    [
        pytest.param(
            dockerfile.check_multi_stage,
            "FROM python:3.11.14-slim-bookworm\nRUN pip install .\nUSER 10001\n",
            "single stage: build in one stage, copy the result into another",
            id="single stage",
        ),
        pytest.param(
            dockerfile.check_base_images_pinned,
            edited("ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm", "ARG PYTHON_IMAGE=python:latest"),
            "base image 'python:latest' is not pinned (digest or exact version tag)",
            id="latest base",
        ),
        pytest.param(
            dockerfile.check_base_images_pinned,
            edited(FINAL_STAGE, "FROM python:3.11-slim AS runtime\n"),
            "base image 'python:3.11-slim' is not pinned (digest or exact version tag)",
            id="floating minor tag",
        ),
        pytest.param(
            dockerfile.check_base_images_pinned,
            edited(FINAL_STAGE, "FROM gcr.io/distroless/python3 AS runtime\n"),
            "base image 'gcr.io/distroless/python3' is not pinned (digest or exact version tag)",
            id="untagged base",
        ),
        pytest.param(
            dockerfile.check_non_root_user,
            edited("USER 10001:10001\n", ""),
            "final stage has no USER: the container would run as root",
            id="no USER",
        ),
        pytest.param(
            dockerfile.check_non_root_user,
            in_final_stage("USER root"),
            "final stage runs as root",
            id="switches back to root",
        ),
        pytest.param(
            dockerfile.check_no_build_tools_in_final_stage,
            in_final_stage(
                "RUN apt-get update \\\n && apt-get install -y --no-install-recommends build-essential libpq-dev"
            ),
            "final stage installs build tools: build-essential, libpq-dev",
            id="compiler in the final stage",
        ),
        pytest.param(
            dockerfile.check_no_build_tools_in_final_stage,
            in_final_stage("RUN pip install --no-cache-dir ."),
            "final stage runs pip install: install in the build stage and copy the result",
            id="building in the final stage",
        ),
        pytest.param(
            dockerfile.check_service_argument,
            edited("ARG SERVICE=gateway\n", ""),
            "final stage has no ARG SERVICE to choose the service",
            id="service not selectable",
        ),
    ],
)
def test_check_catches_a_broken_dockerfile(
    check: Callable[[str], list[str]], text: str, expected: str
) -> None:
    assert expected in check(text)


def test_a_digest_pin_is_accepted() -> None:
    pinned = edited(
        "ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm", "ARG PYTHON_IMAGE=python@sha256:" + "0" * 64
    )
    assert dockerfile.check_base_images_pinned(pinned) == []


def test_dockerignore_keeps_private_paths_out() -> None:
    assert dockerfile.dockerignore_violations((REPO / ".dockerignore").read_text()) == []


def test_dockerignore_check_catches_a_leaky_file() -> None:
    assert dockerfile.dockerignore_violations(".git\n*.pyc\n!.venv\n") == [
        ".dockerignore lets .venv into the build context",
        ".dockerignore lets .run into the build context",
        ".dockerignore lets tests into the build context",
        ".dockerignore lets deploy into the build context",
    ]
