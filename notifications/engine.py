"""Pure rules of delivery: which channels, when SMS may go, how long to wait before a retry,
how many SMS segments a text takes. No ORM, no settings: plain values in, plain values out."""

import random
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from .registry import CategorySpec, Channel, EventSpec

# --- channels -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reachability:
    has_email: bool
    has_phone: bool


def channels_to_use(
    *,
    spec: EventSpec,
    category: CategorySpec,
    preferences: Mapping[tuple[str, str], bool],
    reachable: Reachability,
) -> tuple[Channel, ...]:
    """The channels one event goes out on for one recipient.

    The event's own channels, minus those the recipient switched off for its category, minus
    those we have no address for. A legal notice always reaches the inbox, whatever the
    preferences say (unless its category lets legal notices be switched off): the inbox needs
    no address, so at least one channel is guaranteed.
    """
    legal_locked = spec.legal and not category.legal_can_be_switched_off
    chosen = []
    for channel in spec.channels:
        if channel == Channel.SMS and not reachable.has_phone:
            continue
        if channel == Channel.EMAIL and not reachable.has_email:
            continue
        wanted = preferences.get((spec.category, channel), not category.opt_in)
        if wanted or (legal_locked and channel == Channel.INBOX):
            chosen.append(channel)
    return tuple(chosen)


# --- quiet hours --------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    start: time  # local time quiet hours begin (e.g. 21:00)
    end: time  # local time they end (e.g. 08:00)

    @property
    def enabled(self) -> bool:
        return self.start != self.end

    def contains(self, local: time) -> bool:
        if not self.enabled:
            return False
        if self.start < self.end:  # e.g. 13:00-15:00, within one day
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # spans midnight


def parse_clock(value: str) -> time:
    """'21:00' -> time(21, 0); a clear error otherwise."""
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        raise ValueError(f"Expected a time as HH:MM, got {value!r}") from None


def next_allowed_sms_time(*, now: datetime, time_zone: str, quiet: QuietHours) -> datetime:
    """`now` if SMS may go now in the recipient's zone, else the next end of quiet hours.

    Works on wall-clock time in the recipient's zone, so a DST change overnight still gives
    08:00 local the next morning. If the end time does not exist that day (a DST gap), the
    first instant after the gap is used.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = zoneinfo.ZoneInfo(time_zone)
    local = now.astimezone(zone)
    if not quiet.contains(local.timetz().replace(tzinfo=None)):
        return now
    day = local.date()
    if local.time() >= quiet.end and quiet.start > quiet.end:
        day = day + timedelta(days=1)  # evening: wait for tomorrow morning
    # A wall time inside a DST gap (fold=0) maps to the instant just after the gap (PEP 495).
    allowed = datetime.combine(day, quiet.end, tzinfo=zone).astimezone(UTC)
    return max(allowed, now.astimezone(UTC))


# --- retries ------------------------------------------------------------------------------


def retry_delay(
    *, attempt: int, base_seconds: float, max_seconds: float, rng: random.Random | None = None
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    Exponential backoff capped at `max_seconds`, with "equal jitter": half the delay is
    fixed and half random, so retries of many rows spread out without ever being immediate.
    """
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    ceiling = min(max_seconds, base_seconds * (2 ** (attempt - 1)))
    rng = rng or random.SystemRandom()
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


# --- SMS segments -------------------------------------------------------------------------

# GSM 03.38 default alphabet and its extension table (each extension char costs two septets).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsSize:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    single_segment_limit: int


def sms_size(text: str) -> SmsSize:
    """How a carrier will split `text`: 160 GSM-7 septets or 70 UCS-2 units fit one SMS;
    longer texts are sent in 153- / 67-unit parts."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // multi)
    return SmsSize(encoding, units, segments, single)


def links_outside(text: str, *, site_url: str) -> list[str]:
    """Links in a text that do not point at our own site (an SMS may only link to the site)."""
    site = site_url.rstrip("/")
    words: Iterable[str] = text.replace("\n", " ").split(" ")
    found = []
    for word in words:
        lowered = word.lower()
        if ("http://" in lowered or "https://" in lowered or "www." in lowered) and not (
            lowered.startswith(site.lower() + "/") or lowered == site.lower()
        ):
            found.append(word)
    return found
