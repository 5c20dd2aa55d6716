"""Fixtures for the deployment checks: each overlay rendered once per session."""

from __future__ import annotations

import pytest
from deploy_render import OVERLAYS, Manifest, render_overlay


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Manifest]]:
    return {name: render_overlay(name) for name in OVERLAYS}


@pytest.fixture(scope="session")
def prod(rendered: dict[str, list[Manifest]]) -> list[Manifest]:
    return rendered["prod"]
