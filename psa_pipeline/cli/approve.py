"""`psa approve`: a reviewer's decision on the PSAs' current builds, recorded in the approvals folder."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape

from psa_pipeline.approval.fingerprint import ApprovalError
from psa_pipeline.approval.gate import decide
from psa_pipeline.approval.store import default_dir
from psa_pipeline.cli.common import approvals_option, build_option, console
from psa_pipeline.cli.translated import command
from psa_pipeline.core.i18n import N_, _


@command()
@click.argument("psa_ids", nargs=-1, required=True)
@click.option("--reviewer", required=True, help=N_("Your full name, as it should stand in the approval record."))
@click.option("--role", required=True, help=N_("Your position, e.g. 'Kepala Bidang IKP Diskominfo'."))
@click.option("--request-changes", is_flag=True, help=N_("Record 'request changes' instead of an approval."))
@click.option("--comment", default="", help=N_("What you checked, or what must change."))
@build_option
@approvals_option
def approve(
    psa_ids: tuple[str, ...],
    reviewer: str,
    role: str,
    request_changes: bool,
    comment: str,
    build_root: Path,
    approvals: Path | None,
) -> None:
    """Approve (or request changes on) the current build of each PSA_ID.

    The approval covers exactly the renditions now in BUILD/<id>/: a rebuild
    with different output needs a new approval before psa publish will
    publish it. Decisions are added to APPROVALS/<id>.json, never replaced.

    \b
    Example:
      psa approve sample-radio-pungli --reviewer 'Siti Rahmawati' --role 'Kepala Bidang IKP'
    """
    folder = approvals or default_dir(build_root)
    if request_changes and not comment.strip():
        raise click.UsageError(_("--request-changes needs a --comment saying what must change"))
    out = console()
    failed = False
    for psa_id in psa_ids:
        try:
            event = decide(folder, build_root, psa_id, reviewer, role,
                           "request-changes" if request_changes else "approve", comment)  # fmt: skip
        except ApprovalError as exc:
            failed = True
            word = _("refused")
            out.print(f"[red]{escape(word)}[/red] {escape(psa_id)}: {escape(str(exc))}", soft_wrap=True)
            continue
        word = _("approved") if event.decision == "approve" else _("changes requested")
        out.print(
            _("{word}: {id} ({files} files, fingerprint {fingerprint}) by {reviewer}, {role}").format(
                word=word, id=escape(psa_id), files=event.files, fingerprint=event.fingerprint[:16],
                reviewer=escape(event.reviewer), role=escape(event.role)),
            highlight=False, soft_wrap=True,
        )  # fmt: skip
    sys.exit(1 if failed else 0)
