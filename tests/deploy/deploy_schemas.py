"""Offline schema validation: built-in kinds against kubernetes-validate's schemas, CRDs against crd_schemas/.

kubernetes_validate.validate() parses its 5.6 MB definitions file on every call; here each kind's validator
is built once from the same bundled strict schemas, the same way (test_deploy_schemas checks that both
agree), and reports every error rather than the first.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from deploy_render import Manifest, ref
from kubernetes_validate.utils import schema_contents
from referencing import Registry, Resource

KUBERNETES_VERSION = "1.37.0"
SCHEMA_DIR = f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict"
CRD_SCHEMAS = Path(__file__).resolve().parent / "crd_schemas"
# Base URI of the repo's CRD schemas, so that they can $ref each other by file name (.invalid: not fetched).
CRD_BASE_URI = "https://crd-schemas.scanpay.invalid/"

Validator = jsonschema.protocols.Validator


def crd_schema_name(api_version: str, kind: str) -> str:
    """crd_schemas/ file of a kind: postgresql.cnpg.io/v1 Cluster -> postgresql.cnpg.io_v1_Cluster.yaml."""
    return f"{api_version.replace('/', '_')}_{kind}.yaml"


def builtin_schema_name(api_version: str, kind: str) -> str:
    """kubernetes-validate's file of a kind: apps/v1 Deployment -> deployment-apps-v1.json."""
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


@cache
def kubernetes_definitions() -> Resource[Any]:
    return Resource.from_contents(schema_contents(f"{SCHEMA_DIR}/_definitions.json", KUBERNETES_VERSION))


@cache
def builtin_validator(api_version: str, kind: str) -> Validator | None:
    try:
        schema = schema_contents(f"{SCHEMA_DIR}/{builtin_schema_name(api_version, kind)}", KUBERNETES_VERSION)
    except FileNotFoundError:
        return None
    registry = kubernetes_definitions() @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def load_crd_schema(path: Path) -> dict[str, Any]:
    schema = yaml.safe_load(path.read_text())
    schema["$id"] = CRD_BASE_URI + path.name
    return schema


@cache
def crd_registry() -> Registry:
    """The repo's CRD schemas plus the Kubernetes definitions that they reference for embedded types."""
    resources = [
        (CRD_BASE_URI + path.name, Resource.from_contents(load_crd_schema(path)))
        for path in CRD_SCHEMAS.glob("*.yaml")
    ]
    return (kubernetes_definitions() @ Registry()).with_resources(resources)


@cache
def crd_validator(api_version: str, kind: str) -> Validator | None:
    path = CRD_SCHEMAS / crd_schema_name(api_version, kind)
    if not path.exists():
        return None
    return jsonschema.Draft202012Validator(load_crd_schema(path), registry=crd_registry())


def schema_violations(obj: Manifest) -> list[str]:
    """Why `obj` does not match its schema; [] when it does. A kind without any schema is a violation."""
    api_version, kind = obj["apiVersion"], obj["kind"]
    validator = crd_validator(api_version, kind) or builtin_validator(api_version, kind)
    if validator is None:
        missing = crd_schema_name(api_version, kind)
        return [f"{ref(obj)}: no schema for {api_version} {kind}; add tests/deploy/crd_schemas/{missing}"]
    return [_describe(obj, error) for error in validator.iter_errors(obj)]


def _describe(obj: Manifest, error: jsonschema.ValidationError) -> str:
    where = ".".join(str(part) for part in error.absolute_path) or "(root)"
    return f"{ref(obj)}: {where}: {error.message}"
