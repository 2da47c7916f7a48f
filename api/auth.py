"""API tokens (kept hashed in a file), roles and what each may do, jurisdictions, and one-time login codes.

A token is `og_` + 32 random bytes (URL-safe base64). Only its SHA-256 is stored, in
`ORGGRAPH_DATA_DIR/tokens.json` (JSON, written atomically, mode 0600), so the file cannot be used to
log in. The server re-reads the file when it changes: a token made or revoked with the CLI takes effect
on the next request, without a restart.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orggraph.graph.store import Store
from orggraph.loaders.phones import PhoneSeal
from orggraph.queries.policy import CAPABILITY_ZH, ROLE_CAPABILITIES, ROLE_ZH, Access, Capability, Role
from orggraph.queries.scope import resolve_scope

from orggraph.atomicfile import write_atomic

__all__ = [
    "Role",
    "Capability",
    "ROLE_CAPABILITIES",
    "ROLE_SCOPE_LABELS",
    "User",
    "TokenRecord",
    "TokenRegistry",
    "TokenError",
    "LoginCodes",
    "hash_token",
    "new_token",
    "tokens_path",
    "check_token_scope",
    "describe",
]

TOKEN_PREFIX = "og_"


# Which scope a role takes: required and of this label; None = must be unscoped; "any" = optional region.
ROLE_SCOPE_LABELS: dict[Role, tuple[str, ...] | None] = {
    Role.admin: None,  # an admin manages tokens for everyone: a jurisdiction would not mean anything
    Role.analyst: None,  # ad-hoc Cypher reads the whole graph: a scope could not be enforced
    Role.street: ("Street",),
    Role.community: ("Community",),
    Role.viewer: ("District", "Street", "Community"),  # optional
}

_ROLE_ZH = ROLE_ZH
_CAP_ZH = CAPABILITY_ZH


class TokenError(ValueError):
    """A token request that cannot be honoured; the message is Chinese, `status` the HTTP answer."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class User:
    """Who is asking: the token's name, role and jurisdiction (None = the whole graph). What they may see is
    decided by `orggraph.queries.policy` from `access`; `seal` (set by the API for a role that may see full
    phone numbers) opens the sealed ones."""

    name: str
    role: Role
    scope: str | None = None
    seal: PhoneSeal | None = field(default=None, compare=False, repr=False)

    def can(self, capability: Capability) -> bool:
        return capability in ROLE_CAPABILITIES[self.role]

    @property
    def access(self) -> Access:
        return Access.of(self.role, self.scope, self.seal)

    @property
    def sees_phones(self) -> bool:
        return self.can(Capability.phones)

    @property
    def role_zh(self) -> str:
        return _ROLE_ZH[self.role.value]

    @staticmethod
    def capability_zh(capability: Capability) -> str:
        return _CAP_ZH[capability.value]


@dataclass(frozen=True)
class TokenRecord:
    name: str
    role: str
    scope: str | None
    hash: str  # sha256 hex of the token
    created: str  # ISO timestamp, UTC

    def user(self) -> User:
        return User(self.name, Role(self.role), self.scope)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def tokens_path(data_dir: Path) -> Path:
    return Path(data_dir) / "tokens.json"


def check_token_scope(store: Store | None, role: Role, scope: str | None) -> str | None:
    """The scope a token of `role` gets, checked against the graph; TokenError with a Chinese message."""
    scope = (scope or "").strip() or None
    labels = ROLE_SCOPE_LABELS[role]
    if labels is None:
        if scope is not None:
            raise TokenError(f"{_ROLE_ZH[role.value]}（{role.value}）令牌面向全部数据，不能指定 --scope")
        return None
    required = role in (Role.street, Role.community)
    if scope is None:
        if required:
            level = "街道" if role is Role.street else "社区"
            raise TokenError(f"{role.value} 令牌必须用 --scope 指定一个{level}编码")
        return None
    if store is None:
        raise TokenError("检查范围编码需要图数据库", 503)
    ref = resolve_scope(store, scope)  # ScopeError 404 / 422
    assert ref is not None
    if ref.label not in labels:
        want = {"Street": "街道", "Community": "社区", "District": "区县"}
        names = "、".join(want[x] for x in labels)
        raise TokenError(f"「{scope}」是{ref.label}（{ref.name}），{role.value} 令牌的范围应为{names}编码")
    return scope


class TokenRegistry:
    """The tokens file: create, list, revoke, and look a presented token up (re-reading the file on
    change)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._by_hash: dict[str, TokenRecord] = {}
        self._stamp: tuple[int, int, int] | None = None  # (inode, mtime_ns, size) of the file last read

    # -- reading
    def _load_file(self) -> list[TokenRecord]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, json.JSONDecodeError) as e:
            raise TokenError(
                f"令牌文件 {self.path} 无法读取：{e}。请检查或删除后重新创建令牌。", 503
            ) from None
        return [
            TokenRecord(**{k: t.get(k) for k in TokenRecord.__dataclass_fields__})
            for t in data.get("tokens", [])
        ]

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
            # os.replace gives the file a new inode: a rewrite is seen even within one mtime tick.
            stamp: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp or stamp is None:
            self._by_hash = {r.hash: r for r in self._load_file()}
            self._stamp = stamp

    def records(self) -> list[TokenRecord]:
        with self._lock:
            return self._load_file()

    def lookup(self, token: str) -> User | None:
        """The user a presented token stands for, or None."""
        if not token:
            return None
        h = hash_token(token)
        with self._lock:
            self._refresh()
            rec = self._by_hash.get(h)
        return rec.user() if rec else None

    # -- writing
    def _write(self, records: list[TokenRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"tokens": [asdict(r) for r in records]}, ensure_ascii=False, indent=1)
        write_atomic(
            self.path, payload
        )  # 0600: hashes only, but nobody else needs to read who has which role
        self._stamp = None  # re-read on the next lookup

    def create(
        self, role: Role | str, scope: str | None = None, name: str | None = None
    ) -> tuple[str, TokenRecord]:
        """Make a token (the scope must already be checked: `check_token_scope`); returns (token, record)."""
        role = Role(role)
        token = new_token()
        with self._lock:
            records = self._load_file()
            taken = {r.name for r in records}
            if name is None:
                base = f"{role.value}-{scope}" if scope else role.value
                name = base
                n = 2
                while name in taken:
                    name, n = f"{base}-{n}", n + 1
            name = name.strip()
            if not name or len(name) > 64 or any(c.isspace() for c in name):
                raise TokenError("令牌名称应为 1–64 个字符，不含空格")
            if name in taken:
                raise TokenError(
                    f"已有名为「{name}」的令牌：请换一个 --name，或先 orggraph token revoke {name}", 409
                )
            now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
            rec = TokenRecord(name, role.value, scope, hash_token(token), now)
            self._write([*records, rec])
        return token, rec

    def revoke(self, name: str) -> bool:
        with self._lock:
            records = self._load_file()
            kept = [r for r in records if r.name != name]
            if len(kept) == len(records):
                return False
            self._write(kept)
            return True


@dataclass
class _Code:
    token: str
    expires: float


class LoginCodes:
    """One-time codes that a login link exchanges for the cookie (the link never carries the token itself)."""

    def __init__(self, ttl_seconds: float = 3600.0) -> None:
        self.ttl = ttl_seconds
        self._codes: dict[str, _Code] = {}
        self._lock = threading.Lock()

    def issue(self, token: str) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[hash_token(code)] = _Code(token, time.monotonic() + self.ttl)
        return code

    def redeem(self, code: str) -> str | None:
        """The token behind a code, once; None when unknown, used or expired."""
        with self._lock:
            entry = self._codes.pop(hash_token(code or ""), None)
        if entry is None or entry.expires < time.monotonic():
            return None
        return entry.token


def describe(rec: TokenRecord) -> dict[str, Any]:
    """A token's public description (never its hash)."""
    return {"name": rec.name, "role": rec.role, "scope": rec.scope, "created": rec.created}
