"""Generated code is committed and must match the .proto files."""

from __future__ import annotations

from services.kit import protogen


def test_generated_code_matches_protos() -> None:
    expected = protogen.render()
    stale = sorted(
        str(rel) for rel, text in expected.items()
        if not (protogen.GEN_ROOT / rel).exists() or (protogen.GEN_ROOT / rel).read_text() != text
    )
    extra = sorted(
        str(p.relative_to(protogen.GEN_ROOT)) for p in protogen.GEN_ROOT.rglob("*.py*")
        if p.is_file() and p.suffix in (".py", ".pyi") and p.relative_to(protogen.GEN_ROOT) not in expected
    )
    assert not stale and not extra, f"run `make protos`: stale {stale}, not from any proto {extra}"


def test_generated_imports_are_relative() -> None:
    for module in protogen.GEN_ROOT.rglob("*_pb2*.py"):
        assert "from scanpay." not in module.read_text(), module


def test_every_service_has_a_proto_package() -> None:
    packages = {p.parent.parent.name for p in protogen.proto_files()}
    assert {"common", "events", "gateway", "merchant", "wallet", "promotions", "settlement"} <= packages
