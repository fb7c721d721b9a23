"""The public face of the published PSAs: a static site and podcast feeds in the web destination.

Rendered from one record, `site/psas.json` (records/site.py), which publish updates only after a
PSA's files are verified and catalogued. Nothing here needs a server: plain HTML, CSS and a little
JavaScript, written file by file atomically into the destination.
"""
