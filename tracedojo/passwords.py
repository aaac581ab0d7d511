"""Which passwords are refused: the username itself, and those easy to guess (zxcvbn's estimate).

zxcvbn (Dropbox's estimator, maintained as ``zxcvbn`` on PyPI) knows the common-password lists,
dictionary words, names, keyboard walks, repeats, sequences and dates; a score under ``MIN_SCORE``
means a guessing attack finds the password within about a million tries.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

ZXCVBN_MAX = 72
MIN_SCORE = 2  # zxcvbn's 0-4: 0 and 1 are "too guessable" and "very guessable"


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why this password is refused, in words for its owner; None when it is acceptable."""
    if username and password.strip().lower() == username.strip().lower():
        return "must not be the same as the username"
    # zxcvbn refuses more than 72 characters; so long a password is judged by its start.
    estimate = zxcvbn(password[:ZXCVBN_MAX], user_inputs=[username] if username else [])
    if estimate["score"] >= MIN_SCORE:
        return None
    warning = str(estimate["feedback"].get("warning") or "").rstrip(".")
    suggestions = " ".join(str(s) for s in estimate["feedback"].get("suggestions") or [])
    reason = f" ({warning.lower()})" if warning else ""
    return f"is too easy to guess{reason}; {suggestions or 'use a few uncommon words together'}".rstrip()
