import factory

from notifications.catalogue import CATALOGUE
from tests.factories import BorrowerFactory

SITE_URL = "http://testserver"


def sample_context(event: str) -> dict:
    return CATALOGUE[event].sample_context


class NotifiedBorrowerFactory(BorrowerFactory):
    """A borrower with an email and a phone, in Shanghai, reading Chinese."""

    full_name = factory.Sequence(lambda n: f"王芳{n}")
