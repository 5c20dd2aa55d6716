"""Offline schema validation: built-in kinds with kubernetes-validate, custom resources with crd_schemas/."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate.utils import schema_contents
from referencing import Registry, Resource

from deploy_render import Manifest, ref

KUBERNETES_VERSION = "1.37.0"
CRD_SCHEMAS = Path(__file__).resolve().parent / "crd_schemas"
# Base URI of the repo's CRD schemas, so that they can $ref each other by file name (.invalid: not fetched).
CRD_BASE_URI = "https://crd-schemas.scanpay.invalid/"
K8S_DEFINITIONS = f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict/_definitions.json"


def crd_schema_name(api_version: str, kind: str) -> str:
    """crd_schemas/ file of a kind: postgresql.cnpg.io/v1 Cluster -> postgresql.cnpg.io_v1_Cluster.yaml."""
    return f"{api_version.replace('/', '_')}_{kind}.yaml"


@cache
def crd_registry() -> Registry:
    """The repo's CRD schemas plus the Kubernetes definitions that they reference for embedded types."""
    definitions = schema_contents(K8S_DEFINITIONS, KUBERNETES_VERSION)
    registry = Registry().with_resource(definitions["$id"], Resource.from_contents(definitions))
    for path in CRD_SCHEMAS.glob("*.yaml"):
        registry = registry.with_resource(CRD_BASE_URI + path.name, Resource.from_contents(load_crd_schema(path)))
    return registry


def load_crd_schema(path: Path) -> dict[str, object]:
    schema = yaml.safe_load(path.read_text())
    schema["$id"] = CRD_BASE_URI + path.name
    return schema


@cache
def crd_validator(file_name: str) -> jsonschema.protocols.Validator | None:
    path = CRD_SCHEMAS / file_name
    if not path.exists():
        return None
    return jsonschema.Draft202012Validator(load_crd_schema(path), registry=crd_registry())


def schema_violations(obj: Manifest) -> list[str]:
    """Why `obj` does not match its schema; [] when it does. A kind without any schema is a violation."""
    validator = crd_validator(crd_schema_name(obj["apiVersion"], obj["kind"]))
    if validator is not None:
        return [_describe(obj, error.absolute_path, error.message) for error in validator.iter_errors(obj)]
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [_describe(obj, error.path, error.message)]
    except kubernetes_validate.SchemaNotFoundError:
        return [
            f"{ref(obj)}: no schema for {obj['apiVersion']} {obj['kind']}; add "
            f"tests/deploy/crd_schemas/{crd_schema_name(obj['apiVersion'], obj['kind'])}"
        ]
    return []


def _describe(obj: Manifest, path: object, message: str) -> str:
    where = ".".join(str(part) for part in path) or "(root)"  # type: ignore[attr-defined]
    return f"{ref(obj)}: {where}: {message}"
