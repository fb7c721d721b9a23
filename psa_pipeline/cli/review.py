"""`psa review`: the review web app over a batch, and `psa review add-reviewer` for its accounts file."""

from __future__ import annotations

from pathlib import Path

import click

from psa_pipeline.approval.store import default_dir
from psa_pipeline.cli.common import approvals_option, build_option, console
from psa_pipeline.cli.translated import Group, PromptOption, group
from psa_pipeline.core.i18n import N_, _
from psa_pipeline.core.problems import PsaError

LOOPBACK = "127.0.0.1"


class _ServeByDefault(Group):
    """`psa review FOLDER` serves; `psa review add-reviewer FILE` manages accounts."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["serve", *args]
        return super().parse_args(ctx, args)


@group(cls=_ServeByDefault)
def review() -> None:
    """Review a batch in the browser: play every rendition, read the QC, approve or request changes.

    \b
    Examples:
      psa review submissions/                     on this computer only (prints the address)
      psa review add-reviewer reviewers.json --login siti
      psa review submissions/ --host 0.0.0.0 --accounts reviewers.json
    """


@review.command("serve")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@build_option
@approvals_option
@click.option("--host", default=LOOPBACK, show_default=True,
              help=N_("Address to listen on; any other than 127.0.0.1 needs --accounts."))  # fmt: skip
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option("--accounts", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Reviewer accounts (psa review add-reviewer); required with --host."))  # fmt: skip
def serve(folder: Path, build_root: Path, approvals: Path | None, host: str, port: int, accounts: Path | None) -> None:
    """Serve the review pages of the batch in FOLDER (built into --build) until Ctrl-C."""
    import uvicorn

    from psa_pipeline.review.accounts import load_accounts
    from psa_pipeline.review.app import ReviewConfig, create_app

    if host != LOOPBACK and accounts is None:
        raise click.UsageError(
            _("--host {host} lets other computers in: give --accounts FILE (create it with psa review add-reviewer)")
            .format(host=host)
        )  # fmt: skip
    if not (build_root / "batch-journal.json").is_file():
        raise click.UsageError(_("{build} holds no batch: run psa batch run {folder} --build {build} first").format(
            build=build_root, folder=folder))  # fmt: skip
    config = ReviewConfig(folder, build_root, approvals or default_dir(build_root),
                          accounts=load_accounts(accounts) if accounts else None)  # fmt: skip
    shown = "localhost" if host == LOOPBACK else host
    console().print(
        _("review at http://{host}:{port}/{token}/ (Ctrl-C to stop); the address is the key: share it only "
          "with reviewers").format(host=shown, port=port, token=config.token),
        highlight=False, soft_wrap=True,
    )  # fmt: skip
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


@review.command("add-reviewer")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--login", required=True, help=N_("The name to sign in with."))
@click.option("--name", required=True, help=N_("Full name, as approvals will show it."))
@click.option("--role", required=True, help=N_("Position, as approvals will show it."))
@click.password_option(prompt=N_("Password"), confirmation_prompt=N_("Repeat the password"), cls=PromptOption,
                       help=N_("At least 10 characters (asked for when not given)."))  # fmt: skip
def add_reviewer_command(file: Path, login: str, name: str, role: str, password: str) -> None:
    """Add (or reset) a reviewer in the accounts FILE (created 0600; passwords stored as scrypt hashes)."""
    from psa_pipeline.review.accounts import add_reviewer

    try:
        add_reviewer(file, login, name, role, password)
    except PsaError as exc:
        raise click.UsageError(exc.message) from None
    console().print(_("{login} can now sign in to psa review ({file})").format(login=login, file=file), highlight=False)
