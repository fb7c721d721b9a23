"""The review app's accounts file: who may review when `psa review` listens beyond this machine.

Passwords are kept only as salted scrypt hashes (review/accounts.py); the file must be readable by
its owner alone (0600), which the app checks before it starts.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from psa_pipeline.records.base import Record


class Reviewer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200, description="Full name, as written in approvals.")
    role: str = Field(min_length=1, max_length=200, description="Position, as written in approvals.")
    salt: str = Field(pattern=r"^[0-9a-f]{32,}$")
    scrypt: str = Field(pattern=r"^[0-9a-f]{64}$", description="scrypt(password, salt, n=2**14, r=8, p=1), hex.")


class ReviewerAccounts(Record):
    KIND = "reviewer-accounts"
    VERSION = 1

    accounts: dict[str, Reviewer] = Field(default_factory=dict, description="Login name -> reviewer.")
