"""Learner-controlled text, cleaned once where it enters the platform, so that no renderer can break on it.

Entering are the grader's results (their messages, output and rows quote whatever a submission printed or
reported about itself) and the bodies of comments, rules and stepper answers. Cleaning makes them plain
Unicode text: a lone surrogate (which JSON's ``"\\ud800"`` allows but UTF-8 cannot encode) becomes U+FFFD,
and control characters other than newline and tab (NUL, ESC and the terminal sequences it starts, C1
controls, DEL) are removed; a carriage return becomes a newline. Submitted code is not rewritten: a NUL or
a lone surrogate in it is refused by name (``models.SubmissionCreate``), since the grader runs what is stored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` as plain, encodable Unicode: see the module's docstring."""
    if _SURROGATE.search(text):
        # Pairs become their character; a lone half becomes U+FFFD.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def clean_json(value: Any) -> Any:
    """Every string in a JSON-like value (dict keys too) through ``clean_text``."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_json(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(item) for item in value]
    return value


def _clean_if_text(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


# A request field of learner text: cleaned before its length and other rules are checked.
CleanText = Annotated[str, BeforeValidator(_clean_if_text)]
