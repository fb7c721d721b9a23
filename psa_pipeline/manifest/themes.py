"""Themes a PSA is filed under (`themes:`), the words the catalogue and the agencies' search use.

The list follows the topics of KPK's and Ombudsman RI's public campaigns that agencies' PSAs
take up; a new theme is added here (and in the README), not invented in one manifest, so
that a search for "pungli" finds every PSA about it.
"""

from __future__ import annotations

THEMES: dict[str, str] = {
    "suap": "bribery",
    "pungli": "illegal levies (pungutan liar)",
    "gratifikasi": "gifts to officials",
    "pajak": "paying taxes honestly",
    "lapor": "reporting through SP4N-LAPOR!, SMS 1708 and the like",
    "integritas": "integrity of officials and citizens",
    "pelayanan": "public service standards",
    "hoaks": "hoaxes and misinformation",
}
