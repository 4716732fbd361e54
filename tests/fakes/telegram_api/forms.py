"""A call's parameters as the Bot API reads them: the query string merged with a JSON body or a form.

Forms are parsed by Werkzeug: urlencoded ones by its `FormDataParser`, multipart ones (RFC 7578) by its
`MultipartDecoder` — the engine under `FormDataParser` — because one thing Telegram accepts needs reading
differently: pyTelegramBotAPI writes an upload's filename bare and raw (`filename=Аналіз крові.pdf`, with
no quotes), Telegram takes it up to the next `;`, and Werkzeug's header parser keeps only its first word
or drops it (then the file would arrive as a text field). Everything else of a part — the framing, quoted
and %22-escaped names and filenames, RFC 2231 parameters, a text part's charset — is Werkzeug's.
"""
from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from .errors import ApiError

Files = dict[str, tuple[str, bytes]]

_BARE_FILENAME = re.compile(r";\s*filename=([^\s\";][^;]*)", re.IGNORECASE)
_TEXT_PARTS = MultiPartParser()  # only asked for a text part's charset


def parameters(query: str, content_type: str, body: bytes) -> tuple[dict[str, str], Files]:
    """(parameters as strings, uploaded files by field name) of one call; raises ApiError(400) for a body
    Telegram could not read."""
    params: dict[str, str] = dict(parse_qsl(query, keep_blank_values=True))
    if not body:
        return params, {}
    mimetype, options = parse_options_header(content_type)
    mimetype = mimetype.lower()
    if mimetype == "multipart/form-data":
        form, files = _multipart(body, options.get("boundary"))
        return {**params, **form}, files
    if mimetype == "application/json":
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON object") from None
        return {**params, **_flatten_json(data)}, {}
    # application/x-www-form-urlencoded, or no Content-Type at all
    _, form, _ = FormDataParser().parse(io.BytesIO(body), "application/x-www-form-urlencoded", len(body), {})
    return {**params, **form.to_dict()}, {}


def _multipart(body: bytes, boundary: str | None) -> tuple[dict[str, str], Files]:
    if not boundary:
        raise ApiError(400, "Bad Request: multipart boundary is missing")
    decoder = MultipartDecoder(boundary.encode("latin-1"))
    decoder.receive_data(body)
    decoder.receive_data(None)
    params: dict[str, str] = {}
    files: Files = {}
    part: Field | File | None = None
    content = bytearray()
    try:
        while not isinstance(event := decoder.next_event(), (Epilogue, NeedData)):
            if isinstance(event, (Field, File)):
                part, content = event, bytearray()
            elif isinstance(event, Data) and part is not None:
                content += event.data
                if not event.more_data:
                    _add_part(part.headers, bytes(content), params, files)
    except ValueError as exc:  # Werkzeug's word for a body that is not multipart/form-data
        raise ApiError(400, f"Bad Request: can't parse multipart/form-data: {exc}") from None
    return params, files


def _add_part(headers: Headers, content: bytes, params: dict[str, str], files: Files) -> None:
    disposition = headers.get("content-disposition", "")
    _, options = parse_options_header(disposition)
    bare = _BARE_FILENAME.search(disposition)
    name, filename = options.get("name"), bare.group(1).rstrip() if bare else options.get("filename")
    if name is None:
        return
    if filename is None:
        params[name] = content.decode(_TEXT_PARTS.get_part_charset(headers), "replace")
    else:
        files[name] = (filename, content)


def _flatten_json(data: Any) -> dict[str, str]:
    if not isinstance(data, dict):
        raise ApiError(400, "Bad Request: JSON body must be an object")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items() if v is not None}
