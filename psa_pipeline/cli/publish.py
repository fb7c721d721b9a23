"""`psa publish` and `psa verify`: the two ends of a published rendition."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from psa_pipeline.channels.config import load_config
from psa_pipeline.cli.common import channels_option, console
from psa_pipeline.core.progress import Progress
from psa_pipeline.publish.publish import describe, publish_all
from psa_pipeline.publish.verify import CatalogueUnreadable, load_catalogs, printable, verdicts
from psa_pipeline.validation.validate import find_manifests


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@channels_option
@click.option("--build", "build_root", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="Where `psa build` put the renditions.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Show what would be uploaded where; write nothing.")
@click.option("--replace", is_flag=True, help="Publish a new version over files published with other content.")
def publish(
    paths: tuple[Path, ...], channels_file: Path | None, build_root: Path, dry_run: bool, replace: bool
) -> None:
    """Publish built, approved PSAs to their channels' destinations.

    Each file is uploaded (S3-compatible storage via boto3, or a folder), read
    back and compared with the SHA-256 in renditions.json; only when all files
    of a PSA are verified are its publication.json and then the channel's
    catalogue (index.json) written. Files already published with the same
    content are skipped, so an interrupted run resumes; different content is
    refused unless --replace. PSAs without an approval block are refused.
    S3 credentials come only from the AWS environment, profile or instance role.

    \b
    Examples:
      psa publish --dry-run projects/
      psa publish --channels channels.yaml projects/
    """
    manifests = list(find_manifests(paths))
    if not manifests:
        raise click.UsageError("no psa.yaml found in the given paths")
    config = load_config(channels_file)
    results = publish_all(manifests, config, build_root, replace, dry_run, Progress(unit="bytes"))
    out = console()
    table = Table(title="psa publish" + (" (dry run: nothing written)" if dry_run else ""))
    for column in ("PSA", "status", "uploaded", "skipped", "refused", "failed"):
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
                out.print(f"{f.action:>13}  {escape(str(f.local))} -> {escape(f.url)}", highlight=False, soft_wrap=True)
    sys.exit(0 if all(r.status.finished or r.dry_run or r.held for r in results) else 1)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--catalog", required=True, help="Catalogue: a path (index.json or a folder), an https URL, or s3://bucket/key."
)
@click.option("--endpoint-url", help="S3 endpoint for an s3:// catalogue (MinIO, Ceph).")
@click.option("--allow-http", is_flag=True, help="Accept a catalogue over plain http:// (a local test server).")
@click.option("--timeout", type=click.FloatRange(1, 600), default=60, show_default=True,
              help="Seconds for fetching every catalogue, in all.")  # fmt: skip
def verify(files: tuple[Path, ...], catalog: str, endpoint_url: str | None, allow_http: bool, timeout: float) -> None:
    """Say whether FILES are official PSA renditions (check before sharing).

    Hashes each file and looks it up in the published catalogue. Exit 0 when
    every file is official, 1 when any is not, 2 when the catalogue cannot be
    read or is not a psa-pipeline catalogue.

    \b
    Example:
      psa verify video-dari-whatsapp.mp4 --catalog publish/
    """
    try:
        catalogs = load_catalogs(catalog, endpoint_url, allow_http, timeout)
    except CatalogueUnreadable as exc:
        click.echo(f"psa: error: {printable(str(exc))}", err=True)
        sys.exit(2)
    lines, all_official = verdicts(list(files), catalogs)
    for line in lines:
        click.echo(line)
    sys.exit(0 if all_official else 1)
