"""Small real files for evidence tests, made in memory."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def image_bytes(fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (15, 92, 102)).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(name: str = "statement.pdf", content: bytes = PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf(name="statement.pdf"):
    return upload(name, PDF)


def png(name="receipt.png"):
    return upload(name, image_bytes("PNG"), "image/png")


def jpeg(name="receipt.jpg"):
    return upload(name, image_bytes("JPEG"), "image/jpeg")
