"""psa-pipeline: validate, render and publish anti-corruption public-service announcements."""

__version__ = "0.1.0"
