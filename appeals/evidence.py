"""Checking and storing evidence files. The type is read from the content, never the name."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
# Extensions a name may keep for each type; any other is replaced by the type's own.
NAME_EXTENSIONS = {"application/pdf": {"pdf"}, "image/jpeg": {"jpg", "jpeg"}, "image/png": {"png"}}
# No photo of a document needs more; a header claiming more is refused before decoding.
MAX_IMAGE_PIXELS = 50_000_000
ACCEPT_ATTRIBUTE = ",".join(ALLOWED_TYPES)
_PATH_TRICKS = re.compile(r"[/\\\x00-\x1f\x7f]|^\.|\.\.|^~")


@dataclass(frozen=True)
class CheckedFile:
    original_name: str
    content_type: str
    extension: str
    size: int
    sha256: str
    content: bytes


def private_storage() -> FileSystemStorage:
    """Evidence storage: PRIVATE_MEDIA_ROOT, which no URL maps to (served only by a view)."""
    return FileSystemStorage(location=str(settings.PRIVATE_MEDIA_ROOT), base_url=None)


def max_megabytes() -> int:
    return settings.APPEAL_EVIDENCE_MAX_BYTES // (1024 * 1024)


def clean_name(name: str) -> str:
    """The original name, for display only; refused when it tries to name a path. Invisible
    format characters (bidirectional overrides such as U+202E, zero-width spaces) and C1
    controls are removed, so the name reads as what it is."""
    name = _visible(unicodedata.normalize("NFC", name or "")).strip()
    if not name:
        raise ValidationError(_("The file has no name."), code="name")
    if _PATH_TRICKS.search(name) or len(name) > 200:
        raise ValidationError(
            _(
                "The file name is not allowed. Rename the file (letters, digits, - and _) "
                "and try again."
            ),
            code="name",
        )
    return name


def check_upload(upload) -> CheckedFile:
    """Read and check one uploaded file: name, size, emptiness, and type from its content."""
    name = clean_name(getattr(upload, "name", ""))
    limit = settings.APPEAL_EVIDENCE_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(_too_big(), code="size")
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(_too_big(), code="size")
    if not content:
        raise ValidationError(_("The file is empty."), code="empty")
    kind = filetype.guess(content[:8192])
    mime = kind.mime if kind else None
    if mime not in ALLOWED_TYPES:
        raise ValidationError(_wrong_type(), code="type")
    if mime == "application/pdf":
        if not content.startswith(b"%PDF-"):
            raise ValidationError(_wrong_type(), code="type")
    else:
        try:
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValidationError(_too_many_pixels(), code="pixels")
                image.verify()
                if Image.MIME.get(image.format) != mime:
                    raise ValidationError(_wrong_type(), code="type")
        except Image.DecompressionBombError as exc:
            raise ValidationError(_too_many_pixels(), code="pixels") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ValidationError(
                _("The image could not be opened. It may be damaged; please try another file."),
                code="type",
            ) from exc
    return CheckedFile(
        original_name=name_for_type(name, mime),
        content_type=mime,
        extension=ALLOWED_TYPES[mime],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def _visible(name: str) -> str:
    return "".join(c for c in name if unicodedata.category(c) != "Cf" and not "\x80" <= c <= "\x9f")


def name_for_type(name: str, mime: str) -> str:
    """The name with an extension that matches the sniffed type: `evidence.html` holding a
    PDF is shown and served as `evidence.pdf`, so no browser or desktop treats it as HTML."""
    stem, dot, extension = name.rpartition(".")
    if dot and extension.lower() in NAME_EXTENSIONS[mime]:
        return name
    base = stem if dot and stem else name
    return f"{base[:195]}.{ALLOWED_TYPES[mime]}"


def store(checked: CheckedFile, *, appeal_id: int) -> str:
    """Write the file under a random name; returns the stored name (relative path)."""
    stored = f"evidence/{appeal_id}/{uuid.uuid4().hex}.{checked.extension}"
    return private_storage().save(stored, ContentFile(checked.content))


def remove(stored_name: str) -> None:
    private_storage().delete(stored_name)


def _too_big() -> str:
    return _("The file is larger than %(mb)s MB.") % {"mb": max_megabytes()}


def _too_many_pixels() -> str:
    return _(
        "The image is too large in pixels (at most %(mp)s million). Please send a smaller photo "
        "or a PDF."
    ) % {"mp": MAX_IMAGE_PIXELS // 1_000_000}


def _wrong_type() -> str:
    return _("Only PDF, JPEG and PNG files can be uploaded.")


def evidence_response(item, *, inline: bool = False) -> FileResponse:
    """A stored document with its real type, never sniffed nor cached: a download for the
    borrower's page and the API, shown inline only in the desk's preview."""
    response = FileResponse(
        private_storage().open(item.stored_name, "rb"),
        as_attachment=not inline,
        # Rows stored before names were cleaned are served cleaned too.
        filename=name_for_type(_visible(item.original_name), item.content_type),
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
