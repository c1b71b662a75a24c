"""Passwords out of anything printed: one function, :func:`redact`, for every message that
may hold a database URL or connection string (diagnostics, run summaries, JSON output).

Forms recognised anywhere in a text (docs/security.md):

* URL userinfo: ``postgresql://user:PASSWORD@host/db``; the password runs to the *last*
  ``@`` of the URL, so ``user:pa@ss@host`` hides ``pa@ss``;
* URL query parameters: ``?password=PASSWORD`` / ``&sslpassword=...``;
* libpq keyword strings: ``host=h password=PASSWORD dbname=d`` (also ``'quoted values'``).

Each becomes ``***``. :func:`secrets_of` lists the secrets of one target, so that a
driver's message that quotes a password by itself can be scrubbed too (:func:`scrub`).
"""

from __future__ import annotations

import re
import urllib.parse

__all__ = ["MASK", "redact", "scrub", "secrets_of"]

MASK = "***"

_KEYS = r"(?:password|passwd|pwd|sslpassword|token)"
# A URL: scheme://, then everything up to whitespace or a closing quote/bracket.
_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]*")
# key=value in a URL query or a keyword string; a value is quoted ('...' with \' escapes) or bare.
_KEYWORD_RE = re.compile(rf"(?i)(?<![A-Za-z0-9_])({_KEYS}\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&;]*)")


def _userinfo_secret(url: str) -> tuple[int, int] | None:
    """(start, end) of the password in a URL's userinfo, if it has one."""
    start = url.index("://") + 3
    at = url.rfind("@")
    if at < start:
        return None
    colon = url.find(":", start, at)
    if colon < 0 or "/" in url[start:colon] or "?" in url[start:colon]:
        return None
    return colon + 1, at


def _redact_url(url: str) -> str:
    span = _userinfo_secret(url)
    if span is not None and span[1] > span[0]:
        url = url[:span[0]] + MASK + url[span[1]:]
    return url


def redact(text: str) -> str:
    """``text`` with every password of a URL or connection string replaced by ``***``."""
    if not text:
        return text
    text = _URL_RE.sub(lambda m: _redact_url(m.group(0)), text)
    return _KEYWORD_RE.sub(lambda m: m.group(1) + MASK, text)


def secrets_of(target: str) -> list[str]:
    """The passwords written in one database target (URL or keyword string), raw and
    URL-decoded, longest first, with their ``@``/``:`` separated pieces (a driver may
    split a password holding ``@`` and quote a piece as a host name)."""
    found: list[str] = []
    for m in _URL_RE.finditer(target):
        span = _userinfo_secret(m.group(0))
        if span is not None:
            found.append(m.group(0)[span[0]:span[1]])
    for m in _KEYWORD_RE.finditer(target):
        value = m.group(2)
        if value.startswith("'"):
            value = value.strip("'")
        found.append(value)
    out: set[str] = set()
    for s in found:
        for v in (s, urllib.parse.unquote(s)):
            out.add(v)
            out.update(p for p in re.split(r"[@:]", v) if len(p) >= 3)
    return sorted((s for s in out if s), key=lambda s: (-len(s), s))


def scrub(message: str, target: str) -> str:
    """A driver's ``message`` about ``target`` with no password of ``target`` left in it."""
    message = redact(message)
    for secret in secrets_of(target):
        message = message.replace(secret, MASK)
    return message
