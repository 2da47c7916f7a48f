"""Settings read once from the environment (ORGGRAPH_*), failing fast with a Chinese message on a bad
value."""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

from pydantic import Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "DEV_PID_KEY", "SettingsError"]

# Used only when ORGGRAPH_PID_KEY is unset; every command that touches the store or computes pids warns
# about it (api.md), once, on stderr.
DEV_PID_KEY = "orggraph-development-key-not-for-production"


class SettingsError(Exception):
    """A bad ORGGRAPH_* value; the message is for the user."""


def _half_the_cpus() -> int:
    """Default of the ad-hoc and heavy slots: half the CPUs (at least 1), the other half kept for everyone
    else."""
    return max(1, (os.cpu_count() or 2) // 2)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORGGRAPH_", extra="ignore")

    uri: str | None = Field(
        default=None, description="unset: embedded store; bolt://, neo4j://, neo4j+s://, falkordb://"
    )
    data_dir: Path = Field(default=Path(".orggraph"), description="embedded store, tokens, audit log")
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    graph_name: str = Field(default="orggraph", description="graph (FalkorDB key) holding the data")
    pid_key: str | None = None
    audit_log: Path | None = None
    query_timeout: float = Field(default=30.0, gt=0, description="seconds allowed to a read query")
    max_rows: int = Field(default=10_000, gt=0, description="row cap of ad-hoc and named queries")
    batch_size: int = Field(default=10_000, gt=0, le=1_000_000)
    cypher_slots: int = Field(
        default_factory=lambda: _half_the_cpus(),
        ge=1,
        le=64,
        description="ad-hoc Cypher queries running at once, all users",
    )
    heavy_slots: int = Field(
        default_factory=lambda: _half_the_cpus(),
        ge=1,
        le=64,
        description="heavy requests (analytics) running at once, all users",
    )
    slots_per_token: int = Field(default=1, ge=1, le=64, description="of each of those, per token")
    _warned_dev_key: bool = PrivateAttr(default=False)

    @field_validator("uri")
    @classmethod
    def _known_scheme(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        schemes = (
            "bolt://",
            "bolt+s://",
            "bolt+ssc://",
            "neo4j://",
            "neo4j+s://",
            "neo4j+ssc://",
            "falkordb://",
        )
        if not v.startswith(schemes):
            raise ValueError(f"ORGGRAPH_URI 应以 {', '.join(schemes)} 之一开头，或不设置（使用内置存储）")
        return v

    @property
    def backend(self) -> str:
        if self.uri is None:
            return "falkordb-embedded"
        return "falkordb" if self.uri.startswith("falkordb://") else "neo4j"

    @property
    def pid_key_bytes(self) -> bytes:
        return (self.pid_key or DEV_PID_KEY).encode("utf-8")

    @property
    def audit_path(self) -> Path:
        return self.audit_log or (self.data_dir / "audit.jsonl")

    def warn_dev_key(self) -> None:
        """Warn (on stderr, once for these settings) when pids are computed with the development key."""
        if not self.pid_key and not self._warned_dev_key:
            self._warned_dev_key = True
            print(
                "警告：未设置 ORGGRAPH_PID_KEY，正在使用开发用的固定密钥计算人员标识(pid)。"
                "生产环境请设置一个保密的随机密钥，且之后不要更改。",
                file=sys.stderr,
            )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as e:
        lines = [
            f"ORGGRAPH_{'_'.join(str(p) for p in err['loc']).upper()}：{err['msg']}" for err in e.errors()
        ]
        raise SettingsError("环境变量设置有误：\n" + "\n".join(lines)) from None
