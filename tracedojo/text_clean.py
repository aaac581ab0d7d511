"""Learner-controlled text, cleaned once where it enters the platform, so that no renderer can break on it.

The rule is the grader's (``grader.results.clean_text``): a lone surrogate (which JSON's ``"\\ud800"``
allows but UTF-8 cannot encode), NUL and the other control characters but newline and tab, ESC and the
terminal sequences it starts, C1 controls and bidirectional overrides become visible escapes (``\\udc80``,
``\\x1b``). The grader applies it to every result it makes; the platform applies it to the request fields of
learner text (``CleanText``: comments, feedback rules, stepper answers) and to the result columns it reads
back (``models.GradedResult``), so that a row stored before this rule existed cannot fail a page either.

Submitted code is not rewritten: the grader runs what is stored, so a NUL or a lone surrogate in it is
refused by name instead (``models.SubmissionCreate``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

from grader.results import clean_text

__all__ = ["CleanText", "clean_text"]


def _clean_if_text(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


# A field of learner text: cleaned before its length and other rules are checked.
CleanText = Annotated[str, BeforeValidator(_clean_if_text)]
