"""Copies of rendered manifests with one deliberate change, to show that a check catches it."""

from __future__ import annotations

import copy
from collections.abc import Callable

from deploy_render import Manifest, find


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
