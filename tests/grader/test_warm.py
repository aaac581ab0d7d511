"""What the zygote prepares before it forks (grader/zygote.py ``_warm_imports``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import sys
sys.path.insert(0, {root!r})
from grader import zygote
zygote._warm_imports()
from fastapi._compat import shared
from pydantic import BaseModel

class Plain(BaseModel):
    x: int

print("v1 loaded after warming:", "pydantic.v1" in sys.modules)
print("plain:", shared.annotation_is_pydantic_v1(Plain), shared.annotation_is_pydantic_v1(int | None))
from pydantic import v1

class Old(v1.BaseModel):
    x: int

print("old:", shared.annotation_is_pydantic_v1(Old), shared.annotation_is_pydantic_v1(Old | None))
"""


def test_warming_leaves_out_pydantic_v1_and_answers_as_fastapi_does() -> None:
    """Warming serves an endpoint with parameters without importing pydantic.v1 (1.8 MiB in every fork), and
    FastAPI's question "is this a pydantic.v1 model?" still gets the right answer once a submission imports
    it. (In a process of its own: warming changes FastAPI's module for the rest of the process.)"""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(root=str(ROOT))], capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    assert out == ["v1 loaded after warming: False", "plain: False False", "old: True True"]
