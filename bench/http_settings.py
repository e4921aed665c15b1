"""Settings for the HTTP benchmark's server: production's, with one more URL (`bench.http_urls`).
Used only by `bench.http` (DJANGO_SETTINGS_MODULE=bench.http_settings), never by the product."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
