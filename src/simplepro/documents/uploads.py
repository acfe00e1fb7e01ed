"""What an upload may be: at most SIMPLEPRO_MAX_UPLOAD bytes, of a type sniffed from its content
(never the name or the browser's say-so) on the allow-list, and, for a photo, without the place
it was taken.

Django has already spooled the upload to a temporary file (anything past
FILE_UPLOAD_MAX_MEMORY_SIZE is on disk), so nothing here holds a large file in memory: the file
is streamed to the store from there. A photo whose EXIF or XMP names a location is re-encoded
without it (JPEG with its own quantisation tables, so no visible loss); every other file is
stored byte for byte.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass
from typing import IO, Any

import filetype
from django.conf import settings
from PIL import Image, UnidentifiedImageError

from simplepro.core.problems import ProblemError

# Sniffed type → the extension the stored name gets. SVG is refused (a script can hide in it),
# HEIC too (it cannot be stripped of its location here; phones' browsers send JPEG from the
# camera input).
ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
}
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
GPS_IFD = 0x8825
SNIFF_BYTES = 8192


@dataclass
class Inspected:
    content_type: str
    extension: str
    source: IO[bytes]
    location_removed: bool


def _refuse(status: int, code: str, message: str) -> ProblemError:
    return ProblemError(
        status, message, errors=[{"field": "file", "code": code, "message": message}]
    )


def allowed_description() -> str:
    return "PDF, JPEG, PNG or WebP"


def inspect(upload: Any) -> Inspected:
    """The upload's sniffed type and the stream to store; a 413 or 415 naming the problem."""
    limit = settings.MAX_UPLOAD_BYTES
    size = upload.size or 0
    if size > limit:
        raise _refuse(413, "too_large", f"The file is {size} bytes; the limit is {limit} bytes.")
    if size == 0:
        raise _refuse(422, "empty", "The file is empty.")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = filetype.guess(head)
    content_type = kind.mime if kind else ""
    if content_type not in ALLOWED_TYPES:
        seen = f"a {content_type} file" if content_type else "a file of an unknown type"
        raise _refuse(
            415, "type_refused", f"This is {seen}; upload a {allowed_description()} file."
        )
    if content_type == "application/pdf" and not head.startswith(b"%PDF-"):
        raise _refuse(415, "type_refused", "This is not a PDF file.")
    if content_type in IMAGE_FORMATS:
        stripped = _without_location(upload, IMAGE_FORMATS[content_type])
        if stripped is not None:
            return Inspected(content_type, ALLOWED_TYPES[content_type], stripped, True)
    upload.seek(0)
    return Inspected(content_type, ALLOWED_TYPES[content_type], upload, False)


def _without_location(upload: Any, image_format: str) -> IO[bytes] | None:
    """The photo re-encoded without its location, or None when it carries none. A file that
    is not a whole image, or would decode to an absurd size, is refused."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as probe:
                probe.verify()
            upload.seek(0)
            image = Image.open(upload)
            exif = image.getexif()
            has_gps = bool(exif.get_ifd(GPS_IFD)) or GPS_IFD in exif
            has_xmp_location = b"GPS" in (image.info.get("xmp") or b"")
            if not (has_gps or has_xmp_location):
                return None
            exif.pop(GPS_IFD, None)
            # Handed to the caller, who streams it to the store; closed with the request.
            out = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
            options: dict[str, Any] = {"exif": exif.tobytes()}
            if image_format == "JPEG":
                options["quality"] = "keep"
            elif image_format == "WEBP":
                options["lossless"] = image.info.get("lossless", False)
                options["quality"] = 90
            if "icc_profile" in image.info:
                options["icc_profile"] = image.info["icc_profile"]
            image.save(out, image_format, **options)
            out.seek(0)
            return out
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(
            422, "unreadable", "The image cannot be read, or is too large to open."
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise _refuse(422, "unreadable", "The image is damaged or incomplete.") from None
