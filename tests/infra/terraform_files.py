"""Reading terraform/ for the infrastructure tests: parse with python-hcl2, list names."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import hcl2
from hcl2.utils import SerializationOptions

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"


def tf_files() -> list[Path]:
    return sorted(TERRAFORM.glob("*.tf"))


# Plain values: no comment keys, no block markers, strings without their quotes.
OPTIONS = SerializationOptions(with_comments=False, explicit_blocks=False,
                               strip_string_quotes=True)


def parse_hcl(text: str) -> dict:
    """Parse HCL2 text; raises on a syntax error (lark's UnexpectedInput and friends)."""
    return hcl2.loads(text, serialization_options=OPTIONS)


@cache
def parsed(path: Path) -> dict:
    return parse_hcl(path.read_text(encoding="utf-8"))


def code_without_comments(text: str) -> str:
    """Drop `#` and `//` comments that are not inside a string (good enough for our files:
    no heredocs, no `#` in strings)."""
    lines = []
    for line in text.splitlines():
        cut = len(line)
        for marker in ("#", "//"):
            for match in re.finditer(re.escape(marker), line):
                if line[: match.start()].count('"') % 2 == 0:
                    cut = min(cut, match.start())
                    break
        lines.append(line[:cut])
    return "\n".join(lines)


def blocks(kind: str) -> list[dict]:
    """Every top-level block of one kind (`variable`, `output`, `resource`…) in all files."""
    found = []
    for path in tf_files():
        found.extend(parsed(path).get(kind, []))
    return found


def declared_resources() -> set[str]:
    """`type.name` of every resource."""
    return {f"{rtype}.{name}" for block in blocks("resource") for rtype, named in block.items()
            for name in named}


def declared_data_sources() -> set[str]:
    return {f"{dtype}.{name}" for block in blocks("data") for dtype, named in block.items()
            for name in named}


def declared_locals() -> set[str]:
    return {name for block in blocks("locals") for name in block}


def declared_variables() -> set[str]:
    return {name for block in blocks("variable") for name in block}
