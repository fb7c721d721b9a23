"""Checks across the manifests of one `psa validate` run: an id used twice, an agency code typed two ways.

Each manifest can be valid alone and the set still wrong: two PSAs with one id would overwrite each
other's outputs and catalogue entry, and `BAPENDA-KALTNG` beside `BAPENDA-KALTENG` splits one
agency's PSAs in storage and in the catalogue's ownership check.
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict

from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import Location, ManifestReport, Problem

CHECK = "across"
CLOSE = 0.85  # difflib ratio above which two different agency codes look like one typed twice


def check(reports: list[ManifestReport]) -> None:
    """Add the problems found across `reports` to each report they concern."""
    _duplicate_ids(reports)
    _near_agency_codes(reports)


def _duplicate_ids(reports: list[ManifestReport]) -> None:
    by_id: dict[str, list[tuple[ManifestReport, Location]]] = defaultdict(list)
    for report in reports:
        if "id" in report.keys:
            value, where = report.keys["id"]
            by_id[value].append((report, where))
    for psa_id, holders in by_id.items():
        if len(holders) < 2:
            continue
        for report, where in holders:
            others = ", ".join(_at(other) for other_report, other in holders if other_report is not report)
            message = _("id '{id}' is also used by {others}: every PSA needs its own id; rename one of them").format(
                id=psa_id, others=others
            )
            _add(report, Problem("error", CHECK, message, where))


def _near_agency_codes(reports: list[ManifestReport]) -> None:
    uses = Counter(report.keys["agency.code"][0] for report in reports if "agency.code" in report.keys)
    for report in reports:
        if "agency.code" not in report.keys:
            continue
        code, where = report.keys["agency.code"]
        # The spelling more manifests use is taken as the right one; a tie names both ways.
        rivals = [
            other
            for other, count in uses.items()
            if other != code
            and (
                other.upper() == code.upper()
                or difflib.SequenceMatcher(None, other.upper(), code.upper()).ratio() >= CLOSE
            )
            and (count > uses[code] or (count == uses[code] and other < code))
        ]
        if rivals:
            best = max(rivals, key=lambda other: uses[other])
            message = _(
                "agency code '{code}' differs from '{other}' used by {count} other manifest(s); "
                "if it is the same agency, write '{other}'"
            ).format(code=code, other=best, count=uses[best])
            _add(report, Problem("warning", CHECK, message, where))


def _add(report: ManifestReport, problem: Problem) -> None:
    if CHECK not in report.checks:
        report.checks.append(CHECK)
    report.problems.append(problem)


def _at(location: Location) -> str:
    return f"{location.file}:{location.line}" if location.line is not None else str(location.file)
