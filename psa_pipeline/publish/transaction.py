"""`--replace` as a recoverable transaction: an intent record in the destination before the first overwrite.

A run killed while replacing leaves the intent behind. The next run reads it: if its build is the
one the intent names, it finishes the replace (uploads what is still old, then publication.json
and the catalogue) even without `--replace`, and deletes the intent. Old bytes are not kept, so
"rolled back" is not offered; a different build needs `--replace` again, which writes a new intent.
"""

from __future__ import annotations

from psa_pipeline.core.i18n import _
from psa_pipeline.publish.destinations import Backend, PublishError
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.publication import PlannedFile, ReplaceIntent

INTENT_NAME = ".replace-intent.json"


def read_intent(store: Backend, folder: str) -> ReplaceIntent | None:
    found = store.read(folder + INTENT_NAME)
    if found is None:
        return None
    try:
        return ReplaceIntent.from_text(found.data, store.url(folder + INTENT_NAME))
    except RecordError as exc:
        raise PublishError(_("{error}; remove it and publish with --replace").format(error=exc)) from None


def matches(intent: ReplaceIntent, planned: dict[str, str]) -> bool:
    """The intent was written for exactly these files (stored key -> SHA-256)."""
    return {f.key: f.new_sha256 for f in intent.files} == planned


def write_intent(store: Backend, folder: str, intent: ReplaceIntent) -> None:
    store.write(folder + INTENT_NAME, intent.to_json().encode())


def clear_intent(store: Backend, folder: str) -> None:
    store.delete(folder + INTENT_NAME)


__all__ = ["INTENT_NAME", "PlannedFile", "ReplaceIntent", "clear_intent", "matches", "read_intent", "write_intent"]
