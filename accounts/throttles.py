"""Throttles beyond the per-account lock, counted per client address (config.ratelimits):
sign-in attempts (the page and the token endpoint share one count) and password-reset
requests, which are also counted per email address so one person cannot be flooded."""

from django.conf import settings
from django.http import HttpRequest

from config.ratelimits import client_address_key, limited


def sign_in_throttled(request: HttpRequest) -> bool:
    return limited(
        request,
        group="accounts.sign-in.address",
        key=client_address_key,
        rate=settings.SIGN_IN_RATE_PER_ADDRESS,
    )


def reset_address_throttled(request: HttpRequest) -> bool:
    return limited(
        request,
        group="accounts.password-reset.address",
        key=client_address_key,
        rate=settings.PASSWORD_RESET_RATE_PER_ADDRESS,
    )


def reset_email_throttled(request: HttpRequest, email: str) -> bool:
    return limited(
        request,
        group="accounts.password-reset.email",
        key=lambda group, request: email.strip().lower(),
        rate=settings.PASSWORD_RESET_RATE_PER_EMAIL,
    )
