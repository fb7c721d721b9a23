"""`psa publish` and `psa verify`: the two ends of a published rendition."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from psa_pipeline.channels.config import load_config
from psa_pipeline.cli.common import approvals_option, channels_option, console
from psa_pipeline.cli.translated import command
from psa_pipeline.core.i18n import N_, _
from psa_pipeline.core.problems import PsaError
from psa_pipeline.core.progress import Progress
from psa_pipeline.publish.publish import describe, publish_all
from psa_pipeline.publish.verify import for_recognition, load_catalogs, printable
from psa_pipeline.recognise.verdict import verify_files
from psa_pipeline.validation.validate import find_manifests

# The file actions of a dry run (publish.py's FileAction), as the table under it says them.
ACTION_WORDS = {
    "would upload": N_("would upload"),
    "would replace": N_("would replace"),
    "would repair": N_("would repair"),
    "skipped": N_("skipped"),
}


@command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@channels_option
@click.option("--build", "build_root", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help=N_("Where `psa build` put the renditions."))  # fmt: skip
@approvals_option
@click.option("--dry-run", is_flag=True, help=N_("Show what would be uploaded where; write nothing."))
@click.option("--replace", is_flag=True, help=N_("Publish a new version over files published with other content."))
def publish(
    paths: tuple[Path, ...],
    channels_file: Path | None,
    build_root: Path,
    approvals: Path | None,
    dry_run: bool,
    replace: bool,
) -> None:
    """Publish built, approved PSAs to their channels' destinations.

    Each file is uploaded (S3-compatible storage via boto3, or a folder), read
    back and compared with the SHA-256 in renditions.json; only when all files
    of a PSA are verified are its publication.json and then the channel's
    catalogue (index.json) written. Files already published with the same
    content are skipped, so an interrupted run resumes; different content is
    refused unless --replace. A PSA is published only when a reviewer's
    approval (psa approve or psa review) covers exactly its current build, and
    its manifest has the agency's `approval:` block.
    S3 credentials come only from the AWS environment, profile or instance role.

    \b
    Examples:
      psa publish --dry-run projects/
      psa publish --channels channels.yaml projects/
    """
    manifests = list(find_manifests(paths))
    if not manifests:
        raise click.UsageError(_("no psa.yaml found in the given paths"))
    config = load_config(channels_file)
    results = publish_all(manifests, config, build_root, replace, dry_run, Progress(unit="bytes"), approvals)
    out = console()
    table = Table(title="psa publish" + (_(" (dry run: nothing written)") if dry_run else ""))
    for column in (_("PSA"), _("status"), _("uploaded"), _("skipped"), _("refused"), _("failed")):
        table.add_column(column, overflow="fold")
    for result in results:
        counts = {
            a: sum(1 for f in result.files if f.action == a) for a in ("uploaded", "skipped", "refused", "failed")
        }
        if dry_run:
            counts["uploaded"] = sum(1 for f in result.files if f.action.startswith("would"))
        table.add_row(result.psa_id or str(result.manifest), describe(result), *(str(counts[a]) for a in counts))
    out.print(table)
    for result in results:
        if result.error:
            name = escape(result.psa_id or str(result.manifest))
            out.print(f"[red]{describe(result)}[/red] {name}: {escape(result.error)}", soft_wrap=True)
    if dry_run:
        for result in results:
            for f in result.files:
                action = _(ACTION_WORDS.get(f.action, f.action))
                out.print(f"{action:>13}  {escape(str(f.local))} -> {escape(f.url)}", highlight=False, soft_wrap=True)
    sys.exit(0 if all(r.status.finished or r.dry_run or r.held for r in results) else 1)


@command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--catalog", required=True, help=N_("Catalogue: a path (index.json or a folder), an https URL, or s3://bucket/key.")
)
@click.option("--endpoint-url", help=N_("S3 endpoint for an s3:// catalogue (MinIO, Ceph)."))
@click.option("--allow-http", is_flag=True, help=N_("Accept a catalogue over plain http:// (a local test server)."))
@click.option("--timeout", type=click.FloatRange(1, 600), default=60, show_default=True,
              help=N_("Seconds for fetching every catalogue, in all."))  # fmt: skip
@click.option(
    "--json", "as_json", is_flag=True, help=N_("One JSON object per file (verdict, PSA, segments, credential).")
)
def verify(
    files: tuple[Path, ...], catalog: str, endpoint_url: str | None, allow_http: bool, timeout: float, as_json: bool
) -> None:
    """Say whether FILES are official PSAs, copies of one, altered copies, or unknown (check before sharing).

    Recognises re-encoded, resized, cropped and trimmed copies by their sound and
    picture, and names the stretches that differ in an altered one. Exit 0 when
    every file is official or an official copy, 1 when any is altered or unknown,
    2 when a file or the catalogue cannot be read (or is not a psa-pipeline catalogue).

    \b
    Example:
      psa verify video-dari-whatsapp.mp4 --catalog publish/
    """
    try:
        catalogs = load_catalogs(catalog, endpoint_url, allow_http, timeout)
        verdicts = verify_files(list(files), for_recognition(catalogs), endpoint_url)
    except PsaError as exc:  # CatalogueUnreadable, and fingerprint files that cannot be read or do not match
        message = printable(str(exc))
        shown = json.dumps({"error": message}) if as_json else _("psa: error: {message}").format(message=message)
        click.echo(shown, err=not as_json)
        sys.exit(2)
    for verdict in verdicts:
        click.echo(json.dumps(verdict.to_json(), ensure_ascii=False) if as_json else printable(verdict.sentence()))
    sys.exit(max(v.exit_code for v in verdicts))
