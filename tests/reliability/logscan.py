"""Scan the services' log files for what must never be logged: card numbers (the test cards used, and any
Luhn-valid 13-19 digit run that starts like a card), passwords, API secrets and access or refresh tokens."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

# A digit run standing alone (not inside a hex id or a longer number), optionally grouped by spaces or dashes.
DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
# OpenTelemetry ids are random hex; a 16-hex span id is all digits and Luhn-valid in about one line in 30,000,
# which a run's ten thousand log lines hit often enough to make the card check flaky.
TRACE_IDS = re.compile(r'"(?:trace_id|span_id)": "[0-9a-f]{16,32}"')
SECRET_SHAPES = (re.compile(r"rt_[A-Za-z0-9_-]{40,}"),          # refresh tokens
                 re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}"),  # JWT access tokens
                 re.compile(r"\$argon2id\$"))                  # password hashes


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_like(run: str) -> bool:
    """13-19 digits, Luhn-valid, with a card network's first digit (2-6: Mastercard, Amex, Visa, UnionPay...)."""
    digits = re.sub(r"[ -]", "", run)
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits)


def _files(log_dir: Path) -> list[Path]:
    return sorted(p for p in log_dir.glob("*.log") if p.is_file())


def lines_scanned(log_dir: Path) -> int:
    return sum(p.read_text(errors="replace").count("\n") for p in _files(log_dir))


def scan(log_dir: Path, known_secrets: Iterable[str]) -> list[str]:
    """Every leak found, as 'file:line: what'."""
    secrets = [s for s in set(known_secrets) if s and len(s) >= 8]
    out: list[str] = []
    for path in _files(log_dir):
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            where = f"{path.name}:{number}"
            runs = DIGIT_RUN.finditer(TRACE_IDS.sub("", line))
            out += [f"{where}: card-like number {m.group()}" for m in runs if card_like(m.group())]
            out += [f"{where}: a secret or token handed out ({s[:6]}...)" for s in secrets if s in line]
            out += [f"{where}: {shape.pattern}" for shape in SECRET_SHAPES if shape.search(line)]
    return out
