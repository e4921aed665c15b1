import factory

from notifications.registry import registry
from tests.factories import BorrowerFactory

SITE_URL = "http://testserver"


def sample_context(event: str) -> dict:
    return registry.event(event).sample_context


class NotifiedBorrowerFactory(BorrowerFactory):
    """A borrower with an email and a phone, in Shanghai, reading Chinese."""

    full_name = factory.Sequence(lambda n: f"王芳{n}")
