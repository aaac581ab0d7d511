"""The tool and the LMS running together for the LTI tests: tracedojo under uvicorn, the test platform
under uvicorn, and the platform registered in tracedojo's database, as an administrator would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
from factories import make_settings
from live_server import running_server
from lti_platform import LtiTestPlatform
from sqlalchemy import Engine
from sqlmodel import Session

from tracedojo.db import make_engine
from tracedojo.lti.registry import register_platform
from tracedojo.settings import Settings


@dataclass
class LtiSetup:
    lms: LtiTestPlatform
    tool_url: str
    settings: Settings
    engine: Engine

    def browser(self) -> httpx.Client:
        """A fresh browser: its own cookies, redirects followed only when asked."""
        return httpx.Client(timeout=30, follow_redirects=False)


@contextmanager
def lti_tool(tmp: Path, **overrides: object) -> Iterator[LtiSetup]:
    settings = make_settings(tmp, lti_poll_seconds=0.1, **overrides)
    lms = LtiTestPlatform()
    with running_server(settings) as tool_url, lms.serve():
        lms.tool_url = tool_url
        engine = make_engine(settings.database_url)
        with Session(engine) as session:
            register_platform(session, title="Test LMS", **lms.registration())
        try:
            yield LtiSetup(lms=lms, tool_url=tool_url, settings=settings, engine=engine)
        finally:
            engine.dispose()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, page[:500]
    return found[1]
