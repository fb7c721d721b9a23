"""Typed, versioned records that stages hand each other on disk (renditions.json, publication.json, ...).

Each record file has one model here, one reader and one writer. A record carries its kind
and `schema` version; a reader refuses a kind or version it does not know, with a message
that names the file, instead of guessing at a dict written by another version of psa.
"""
