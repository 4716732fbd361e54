"""Files: the media sends (an upload, a URL or a file_id sent earlier), media groups, getFile."""
from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any

from ..errors import ApiError, loads, require
from ..records import Request
from ..state import BotState
from .shapes import new_message

# Methods whose result is a Message carrying some file; value = (param name, file_id prefix).
_MEDIA_METHODS = {
    "senddocument": ("document", "doc"),
    "sendphoto": ("photo", "photo"),
    "sendvideo": ("video", "video"),
    "sendaudio": ("audio", "audio"),
    "sendvoice": ("voice", "voice"),
    "sendanimation": ("animation", "anim"),
    "sendsticker": ("sticker", "sticker"),
    "sendvideonote": ("video_note", "vnote"),
}


def _media(state: BotState, method: str, params: dict[str, str],
           files: dict[str, tuple[str, bytes]]) -> tuple[str, Any]:
    """(the Message's field, the file object) for this media method's file: uploaded, by URL or by file_id."""
    key, prefix = _MEDIA_METHODS[method]
    upload = files.get(key)
    ref = params.get(key)
    if upload is None and ref and ref.startswith("attach://"):
        upload = files.get(ref[len("attach://"):])
    if upload is not None:
        name, content = upload
        meta = state.store_file(state.new_file_id(prefix), name, content, key)
    elif ref:
        if ref.startswith(("http://", "https://")):
            name = ref.rstrip("/").rsplit("/", 1)[-1] or None
            meta = state.store_file(state.new_file_id(prefix), name, None, key)
        else:  # a file_id sent earlier: echo it back
            meta = state.files.get(ref) or {"file_id": ref, "file_unique_id": "u" + ref, "file_name": None,
                                            "content": None}
    else:
        raise ApiError(400, f"Bad Request: there is no {key} in the request")
    obj: dict[str, Any] = {"file_id": meta["file_id"], "file_unique_id": meta["file_unique_id"]}
    if meta.get("content") is not None:
        obj["file_size"] = len(meta["content"])
    if key == "photo":
        size = {**obj, "width": 800, "height": 600}
        return key, [{**obj, "file_id": obj["file_id"] + "-s", "file_unique_id": obj["file_unique_id"] + "-s",
                      "width": 90, "height": 68}, size]
    if key in ("video", "animation", "sticker"):
        obj.update(width=640, height=480)
    if key == "video_note":
        obj["length"] = 240
    if key == "sticker":
        obj.update(type="regular", is_animated=False, is_video=False)
    if key in ("video", "animation", "video_note", "audio", "voice"):
        obj["duration"] = 1
    name = meta.get("file_name")
    if name and key in ("document", "video", "audio", "animation"):
        obj["file_name"] = name
    if key == "document":
        obj["mime_type"] = mimetypes.guess_type(name or "")[0] or "application/octet-stream"
    return key, obj


def _send_media(state: BotState, request: Request) -> dict[str, Any]:
    require(request.params, "chat_id", "Bad Request: chat_id is empty")
    key, obj = _media(state, request.method, request.params, request.files)
    msg = new_message(state, request)
    msg[key] = obj
    if request.params.get("caption"):
        msg["caption"] = request.params["caption"]
    return msg


def _send_media_group(state: BotState, request: Request) -> list[dict[str, Any]]:
    require(request.params, "chat_id", "Bad Request: chat_id is empty")
    media = loads(request.params.get("media")) or []
    group_id = str(10**12 + state.message_id)
    out = []
    for item in media if isinstance(media, list) else []:
        msg = new_message(state, request)
        msg["media_group_id"] = group_id
        kind = item.get("type", "document") if isinstance(item, dict) else "document"
        method = "send" + kind.replace("_", "")
        if method in _MEDIA_METHODS:
            key, obj = _media(state, method, {kind: item.get("media", "")}, request.files)
            msg[key] = obj
        if isinstance(item, dict) and item.get("caption"):
            msg["caption"] = item["caption"]
        out.append(msg)
    return out


def _get_file(state: BotState, request: Request) -> dict[str, Any]:
    file_id = require(request.params, "file_id")
    meta = state.files.get(file_id)
    if meta is None:
        raise ApiError(400, "Bad Request: invalid file_id")
    out = {"file_id": file_id, "file_unique_id": meta["file_unique_id"], "file_path": meta["file_path"]}
    if meta.get("content") is not None:
        out["file_size"] = len(meta["content"])
    return out


HANDLERS: dict[str, Callable[[BotState, Request], Any]] = {
    **{method: _send_media for method in _MEDIA_METHODS},
    "sendmediagroup": _send_media_group,
    "getfile": _get_file,
}
