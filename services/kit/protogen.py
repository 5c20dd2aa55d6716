"""Generate the Python gRPC code for protos/ into services/gen/ (`make protos`).

Generated modules import each other as `from scanpay.x.v1 import y_pb2`; we rewrite those to
package-relative imports so the code works from the checkout and when installed, without a
top-level `scanpay` package on sys.path. (protoletariat does the same but pins protobuf < 6.)
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = ROOT / "protos"
GEN_ROOT = ROOT / "services" / "gen"
_ABSOLUTE_IMPORT = re.compile(r"^from scanpay((?:\.\w+)*) import (\w+)", re.MULTILINE)


def proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


def rewrite_imports(path: Path, text: str) -> str:
    depth = len(path.relative_to(GEN_ROOT).parts) - 1

    def repl(match: re.Match[str]) -> str:
        return f"from {'.' * depth}{match.group(1).lstrip('.')} import {match.group(2)}"

    return _ABSOLUTE_IMPORT.sub(repl, text)


def render() -> dict[Path, str]:
    """Run protoc for every proto; returns generated files (relative to the gen root) with relative imports."""
    with tempfile.TemporaryDirectory() as tmp:
        include = Path(protoc.__file__).parent / "_proto"
        args = [
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{include}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            *[str(p) for p in proto_files()],
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        root = Path(tmp)
        files = {p.relative_to(root): p.read_text() for p in root.rglob("*.py*") if p.is_file()}
    packages = {rel.parent for rel in files} | {Path(".")}
    for package in list(packages):
        packages.update(package.parents)
    files.update({package / "__init__.py": "" for package in packages if package != Path("..")})
    return {rel: rewrite_imports(GEN_ROOT / rel, text) for rel, text in files.items()}


def write(out: Path, files: dict[Path, str]) -> None:
    """Write changed files only and remove stale ones, so concurrent runs never see an empty tree."""
    for rel, text in files.items():
        target = out / rel
        if not target.exists() or target.read_text() != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    for existing in out.rglob("*.py*"):
        if existing.is_file() and existing.relative_to(out) not in files:
            existing.unlink()


def main() -> None:
    write(GEN_ROOT, render())
    print(f"generated {len(proto_files())} proto files into {GEN_ROOT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
