"""`psa validate` results as text for people, JSON for programs, JUnit XML and GitHub annotations for CI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from psa_pipeline.core.i18n import _, ngettext
from psa_pipeline.core.problems import ManifestReport, Problem

FORMATS = ("human", "json", "junit", "github")


def render(reports: list[ManifestReport], fmt: str, strict: bool, console: Console) -> None:
    if fmt == "human":
        human(reports, strict, console)
        return
    if fmt == "json":
        text = to_json(reports, strict)
    elif fmt == "junit":
        text = to_junit(reports, strict)
    else:
        text = "\n".join(to_github(reports))
    # Machine formats bypass rich so no markup, wrapping or colour can touch them.
    console.file.write(text + "\n")


def human(reports: list[ManifestReport], strict: bool, console: Console) -> None:
    for report in reports:
        for problem in report.problems:
            colour = "red" if problem.severity == "error" else "yellow"
            label = _severity(problem.severity)
            console.print(
                f"{escape(str(problem.location))}: [{colour}]{label}[/{colour}]: {escape(problem.message)}",
                soft_wrap=True,
                highlight=False,
            )
    ok = [r for r in reports if r.ok(strict)]
    for report in reports:
        mark = "[green]" + _("ok") + "[/green]  " if report.ok(strict) else "[red]" + _("FAIL") + "[/red]"
        tail = []
        if report.errors:
            tail.append(_count_errors(len(report.errors)))
        if report.warnings:
            tail.append(_count_warnings(len(report.warnings)))
        console.print(
            f"{mark} {escape(str(report.manifest))}  [dim]{report.psa_id or ''} {', '.join(tail)}[/dim]",
            soft_wrap=True,
            highlight=False,
        )
    errors = sum(len(r.errors) for r in reports)
    warnings = sum(len(r.warnings) for r in reports)
    seconds = sum(r.seconds for r in reports)
    summary = _("{valid} of {total} manifest(s) valid; {errors}, {warnings}").format(
        valid=len(ok), total=len(reports), errors=_count_errors(errors), warnings=_count_warnings(warnings)
    )
    if strict and warnings:
        summary += _(" (warnings count as errors: --strict)")
    summary += _("; checked in {seconds:.2f} s of work").format(seconds=seconds)
    console.print(summary, highlight=False)


def _severity(severity: str) -> str:
    return _("error") if severity == "error" else _("warning")


def _count_errors(n: int) -> str:
    return ngettext("{n} error", "{n} errors", n).format(n=n)


def _count_warnings(n: int) -> str:
    return ngettext("{n} warning", "{n} warnings", n).format(n=n)


def _problem_json(problem: Problem) -> dict[str, object]:
    return {
        "severity": problem.severity,
        "check": problem.check,
        "message": problem.message,
        "file": str(problem.location.file),
        "line": problem.location.line,
        "column": problem.location.column,
    }


def to_json(reports: list[ManifestReport], strict: bool) -> str:
    data = {
        "valid": all(r.ok(strict) for r in reports),
        "manifests": [
            {
                "manifest": str(r.manifest),
                "id": r.psa_id,
                "valid": r.ok(strict),
                "checks": r.checks,
                "problems": [_problem_json(p) for p in r.problems],
            }
            for r in reports
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def to_junit(reports: list[ManifestReport], strict: bool) -> str:
    """One test suite per manifest, one test case per check, so any CI lists them."""
    root = ET.Element("testsuites", name="psa validate")
    total = failures = 0
    for report in reports:
        suite = ET.SubElement(root, "testsuite", name=str(report.manifest), time=f"{report.seconds:.3f}")
        checks = report.checks or ["schema"]
        suite_failures = 0
        for check in checks:
            case = ET.SubElement(suite, "testcase", classname=report.psa_id or str(report.manifest), name=check)
            mine = [p for p in report.problems if p.check == check or (check == "schema" and p.check == "yaml")]
            failing = [p for p in mine if p.severity == "error" or strict]
            if failing:
                failure = ET.SubElement(case, "failure", message=failing[0].message, type=failing[0].severity)
                failure.text = "\n".join(str(p) for p in failing)
                suite_failures += 1
            others = [p for p in mine if p not in failing]
            if others:
                ET.SubElement(case, "system-out").text = "\n".join(str(p) for p in others)
        suite.set("tests", str(len(checks)))
        suite.set("failures", str(suite_failures))
        total += len(checks)
        failures += suite_failures
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _gh_escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def to_github(reports: list[ManifestReport]) -> list[str]:
    lines = []
    for report in reports:
        for problem in report.problems:
            command = "error" if problem.severity == "error" else "warning"
            props = [f"file={_gh_escape(_relative(problem.location.file), True)}"]
            if problem.location.line is not None:
                props.append(f"line={problem.location.line}")
            if problem.location.column is not None:
                props.append(f"col={problem.location.column}")
            props.append(f"title={_gh_escape('psa validate: ' + problem.check, True)}")
            lines.append(f"::{command} {','.join(props)}::{_gh_escape(problem.message)}")
    return lines


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
