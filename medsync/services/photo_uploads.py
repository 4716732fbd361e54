"""Catalog photos uploaded by admins: checked by their content, resized to the sizes the Mini App shows, stored in
the database (the web tier keeps no files) and served from this service under UPLOAD_PATH."""
from __future__ import annotations

import hashlib
import io

from flask_babel import gettext as _
from flask_babel import ngettext
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from medsync import formats
from medsync.errors import InvalidRequest
from medsync.extensions import db
from medsync.models import Photo

PHOTO_MAX_BYTES = 5 * 1024 * 1024
# The Mini App shows a picture 56 px wide in lists and 96 px on a profile: each twice over, for sharp screens.
SIZES = (112, 192)
FORMATS = frozenset({"JPEG", "PNG", "WEBP"})  # Pillow's names, read from the content (never the file's name)
# Far more than any portrait needs; a picture claiming more is a decompression bomb, refused before it is decoded.
MAX_PIXELS = 40_000_000
UPLOAD_PATH = "/app/photos/uploads/{digest}-{size}.webp"


def store_photo(content: bytes) -> str:
    """Check an upload (JPEG, PNG or WebP by content, at most PHOTO_MAX_BYTES), store it at every size, and return
    the `photo_url` of its profile size; the same upload twice is stored once."""
    if len(content) > PHOTO_MAX_BYTES:
        limit = ngettext("At most %(size)s byte.", "At most %(size)s bytes.", PHOTO_MAX_BYTES,
                         size=formats.number(PHOTO_MAX_BYTES))
        raise InvalidRequest(_("The file is too large."), errors={"file": [limit]})
    picture = _decoded(content)
    digest = hashlib.sha256(content).hexdigest()
    for size in SIZES:
        square = ImageOps.fit(picture, (size, size), Image.Resampling.LANCZOS)
        output = io.BytesIO()
        square.save(output, "WEBP", quality=85)
        db.session.execute(insert(Photo).values(sha256=digest, size=size, content_type="image/webp",
                                                content=output.getvalue()).on_conflict_do_nothing())
    return UPLOAD_PATH.format(digest=digest, size=SIZES[-1])


def _decoded(content: bytes) -> Image.Image:
    """The picture, upright and in RGB; a 422 naming `file` for anything that is not a JPEG, PNG or WebP picture."""
    not_a_picture = InvalidRequest(_("Upload a photo as JPEG, PNG or WebP."),
                                   errors={"file": [_("Not a JPEG, PNG or WebP picture.")]})
    try:
        with Image.open(io.BytesIO(content)) as picture:
            if picture.format not in FORMATS or picture.width * picture.height > MAX_PIXELS:
                raise not_a_picture
            picture = ImageOps.exif_transpose(picture)
            return picture.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise not_a_picture from None


def uploaded(digest: str, size: int) -> Photo | None:
    """A stored photo at one size, to serve."""
    return db.session.scalar(select(Photo).where(Photo.sha256 == digest, Photo.size == size))
