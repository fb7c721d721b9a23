"""Pictures for README.id.md: the real `psa` output, run here, recorded as terminal screenshots (SVG).

Each picture is one real command run in a scratch copy of a sample project, in Bahasa Indonesia,
its coloured output rendered by rich the way a terminal shows it. Run: .venv/bin/python tools/screenshots.py
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
SAMPLE = "diskominfo-kaltim-lapor-masuk-desa"


def shot(name: str, title: str, commands: list[list[str]], cwd: Path) -> None:
    console = Console(record=True, width=110, force_terminal=True, color_system="truecolor", file=io.StringIO())
    env = {**os.environ, "PSA_LANG": "id", "FORCE_COLOR": "1", "COLUMNS": "110", "TERM": "xterm-256color"}
    for command in commands:
        console.print(Text("$ " + " ".join(command), style="bold"))
        done = subprocess.run(
            [sys.executable, "-m", "psa_pipeline", *command[1:]],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        console.print(Text.from_ansi((done.stdout + done.stderr).rstrip()))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.svg").write_text(console.export_svg(title=title), encoding="utf-8")
    print(f"wrote {OUT / name}.svg")


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        shutil.copytree(ROOT / "assets", work / "assets")
        shutil.copytree(ROOT / "projects" / SAMPLE, work / "projects" / SAMPLE)
        shot("psa-init", "psa init", [["psa", "init", "projects/ilm-tolak-pungli", "--kind", "video"]], work)
        shot("psa-validate-ok", "psa validate", [["psa", "validate", f"projects/{SAMPLE}"]], work)
        manifest = work / "projects" / SAMPLE / "psa.yaml"
        text = manifest.read_text(encoding="utf-8")
        broken = (
            text.replace("language: ind", "language: Banjar", 1)
            .replace("themes: [", "tema: [", 1)
            .replace("date: 2025-07-02", "date: 02/07/2025", 1)
        )
        manifest.write_text(broken, encoding="utf-8")
        (work / "projects" / SAMPLE / "media" / "spot.wav").write_text(
            "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64 + "\nsize 1234\n", encoding="utf-8"
        )
        shot(
            "psa-validate-errors",
            "psa validate: kesalahan dan perbaikannya",
            [["psa", "validate", f"projects/{SAMPLE}"]],
            work,
        )


if __name__ == "__main__":
    main()
