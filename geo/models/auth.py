"""Who may sign in: users, their scopes, API tokens, sessions and the append-only audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base, in_codes

USER_ROLES: tuple[str, ...] = ("commander", "operator", "analyst", "wall", "worker")  # worker: 0008
USER_SCOPE_TYPES: tuple[str, ...] = ("unit", "grid")
TOKEN_KINDS: tuple[str, ...] = ("bearer", "url-key")  # url-key: 0011


class User(Base):
    """A person or display that signs in; the password is kept only as an argon2 hash."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(in_codes("role", USER_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    disabled: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class UserScope(Base):
    """An admin unit (with everything below it) or a grid a user may see; none = everything."""

    __tablename__ = "user_scopes"
    __table_args__ = (CheckConstraint(in_codes("scope_type", USER_SCOPE_TYPES), name="scope_type"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    scope_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ApiToken(Base):
    """A bearer token of a machine client, or a URL key (``?key=``: read-only, for the ``layers`` it
    covers); only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(in_codes("kind", TOKEN_KINDS), name="kind"),
        CheckConstraint(
            "kind = 'bearer' OR (layers IS NOT NULL AND cardinality(layers) > 0)", name="url_key_layers"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(10), server_default="bearer")
    layers: Mapped[list[str] | None] = mapped_column(ARRAY(String(60)))


class UserSession(Base):
    """A browser sign-in, kept in the database so that signing out, a new password or disabling
    the user ends it in every process; the cookie holds a random id, only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(64))


class AuditEntry(Base):
    """One audited action; a trigger makes the table append-only (UPDATE and DELETE fail)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_target_at", "action", "target", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    user_name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict | None] = mapped_column(JSONB)
