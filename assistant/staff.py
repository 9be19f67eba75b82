"""Who a staff member is: named tokens (ASSISTANT_STAFF_TOKENS=name:token,...), and the
single unnamed ASSISTANT_STAFF_TOKEN of earlier versions, which is the name "staff"."""

from __future__ import annotations

import hmac
import re

_NAME = re.compile(r"^[\w.@-]{1,40}$")


class StaffTokens:
    def __init__(self, tokens: dict[str, str]) -> None:
        self._tokens = dict(tokens)          # name -> token

    @classmethod
    def parse(cls, named: str | None, single: str | None = None) -> StaffTokens:
        """Raises ValueError with the faulty entry's position (never the token)."""
        tokens: dict[str, str] = {}
        if single:
            tokens["staff"] = single
        for n, entry in enumerate(filter(None, (e.strip() for e in (named or "").split(","))), start=1):
            name, sep, token = entry.partition(":")
            name, token = name.strip(), token.strip()
            if not sep or not _NAME.match(name) or len(token) < 8:
                raise ValueError(f"ASSISTANT_STAFF_TOKENS: entry {n} must be name:token "
                                 f"(name a-z0-9._@-, token of 8 characters or more)")
            if token in tokens.values():
                raise ValueError(f"ASSISTANT_STAFF_TOKENS: entry {n} repeats another staff member's token")
            tokens[name] = token
        return cls(tokens)

    @property
    def enabled(self) -> bool:
        return bool(self._tokens)

    def who(self, given: str | None) -> str | None:
        """The name whose token this is, None for any other. Every token is compared, in
        constant time, so the answer's timing does not tell which one was close."""
        if not given:
            return None
        found = None
        for name, token in self._tokens.items():
            if hmac.compare_digest(token.encode("utf-8"), given.encode("utf-8")):
                found = name
        return found
