"""Tags on a call: up to five short labels, normalised so "Premier League" and "premier-league" match."""

from __future__ import annotations

import re
import unicodedata

MAX_TAGS = 5
MAX_TAG_CHARS = 32
_SEPARATORS = re.compile(r"[\s_/]+")
_ALLOWED = re.compile(r"^[\w][\w-]*$")


def normalise_tag(raw: str) -> str:
    """Lower case, NFKC, spaces and underscores to hyphens, no leading '#'; raises ValueError if empty
    or holding characters other than letters, digits and hyphens."""
    tag = unicodedata.normalize("NFKC", raw).strip().lstrip("#").casefold()
    tag = _SEPARATORS.sub("-", tag).strip("-")
    tag = re.sub(r"-{2,}", "-", tag)
    if not tag:
        raise ValueError("a tag cannot be empty")
    if len(tag) > MAX_TAG_CHARS:
        raise ValueError(f"a tag has at most {MAX_TAG_CHARS} characters")
    if not _ALLOWED.match(tag):
        raise ValueError(f"tag {raw!r}: use letters, digits and hyphens")
    return tag


def normalise_tags(raw: list[str]) -> list[str]:
    """Normalised, de-duplicated (first spelling wins), in the given order; at most ``MAX_TAGS``."""
    tags: list[str] = []
    for item in raw:
        tag = normalise_tag(item)
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags per call")
    return tags
