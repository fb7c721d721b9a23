"""Reviewer accounts: salted scrypt hashes in a 0600 file, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from psa_pipeline.approval.fingerprint import ApprovalError
from psa_pipeline.approval.store import check_person
from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import PsaError
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.reviewers import Reviewer, ReviewerAccounts

MIN_PASSWORD = 10


def _hash(password: str, salt: str) -> str:
    return hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1, dklen=32).hex()


def load_accounts(path: Path) -> ReviewerAccounts:
    try:
        mode = path.stat().st_mode
    except OSError:
        raise PsaError(
            _("{path}: not found; create it with psa review add-reviewer {path}").format(path=path)
        ) from None
    if stat.S_IMODE(mode) & 0o077:
        raise PsaError(
            _("{path}: readable by others (mode {mode:o}); it holds password hashes: run chmod 600 {path}").format(
                path=path, mode=stat.S_IMODE(mode))
        )  # fmt: skip
    try:
        accounts = ReviewerAccounts.read(path)
    except RecordError as exc:
        raise PsaError(str(exc)) from None
    if not accounts.accounts:
        raise PsaError(_("{path}: has no reviewers; add one with psa review add-reviewer {path}").format(path=path))
    return accounts


def add_reviewer(path: Path, login: str, name: str, role: str, password: str) -> None:
    try:
        check_person(name, role)
    except ApprovalError as exc:
        raise PsaError(exc.message) from None
    if len(password) < MIN_PASSWORD:
        raise PsaError(_("the password needs at least {n} characters").format(n=MIN_PASSWORD))
    existing = load_accounts(path).accounts if path.exists() else {}
    salt = secrets.token_hex(16)
    reviewer = Reviewer(name=name, role=role, salt=salt, scrypt=_hash(password, salt))
    accounts = ReviewerAccounts(accounts={**existing, login: reviewer})
    path.parent.mkdir(parents=True, exist_ok=True)
    # The atomic write's temporary file is created under this umask: the hashes are never readable by others.
    previous = os.umask(0o077)
    try:
        accounts.write(path)
    finally:
        os.umask(previous)
    os.chmod(path, 0o600)


def check_login(accounts: ReviewerAccounts, login: str, password: str) -> Reviewer | None:
    reviewer = accounts.accounts.get(login)
    # An unknown login costs the same scrypt as a known one, so timing does not tell which logins exist.
    salt = reviewer.salt if reviewer else "00" * 16
    digest = _hash(password, salt)
    if reviewer is None:
        return None
    return reviewer if hmac.compare_digest(digest, reviewer.scrypt) else None
