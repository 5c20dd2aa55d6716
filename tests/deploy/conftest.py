"""Fixtures for the deployment checks: each overlay rendered once per session."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from deploy_render import OVERLAYS, Manifest, find, render_overlay


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Manifest]]:
    return {name: render_overlay(name) for name in OVERLAYS}


@pytest.fixture(scope="session")
def prod(rendered: dict[str, list[Manifest]]) -> list[Manifest]:
    return rendered["prod"]


def changed(
    objects: list[Manifest], kind: str, name: str, change: Callable[[Manifest], object]
) -> list[Manifest]:
    """A deep copy of `objects` in which `change` has been applied to Kind/name."""
    copied = copy.deepcopy(objects)
    change(find(copied, kind, name))
    return copied


def without(objects: list[Manifest], kind: str, name: str) -> list[Manifest]:
    """A deep copy of `objects` without Kind/name."""
    find(objects, kind, name)
    return [copy.deepcopy(o) for o in objects if (o["kind"], o["metadata"]["name"]) != (kind, name)]
