"""What the fake Telegram remembers between calls: message ids, uploaded files, the webhook, command lists."""
from __future__ import annotations

import collections
from typing import Any


class BotState:
    """The bot's world as the methods see it; guarded by the fake's lock."""

    def __init__(self, max_files: int | None) -> None:
        self.max_files = max_files
        self.message_id = 0
        self.file_counters: collections.Counter[str] = collections.Counter()
        self.files: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        self.webhook: dict[str, Any] = {"url": ""}
        # (scope as canonical JSON, language_code) -> the command list set for it
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}

    def forget(self) -> None:
        """Forget files, the webhook and command lists (message and file ids keep counting)."""
        self.files.clear()
        self.webhook = {"url": ""}
        self.commands.clear()

    def next_message_id(self) -> int:
        self.message_id += 1
        return self.message_id

    def new_file_id(self, prefix: str) -> str:
        self.file_counters[prefix] += 1
        return f"{prefix}-{self.file_counters[prefix]}"

    def store_file(self, file_id: str, name: str | None, content: bytes | None, kind: str) -> dict[str, Any]:
        meta = {
            "file_id": file_id,
            "file_unique_id": "u" + file_id,
            "file_name": name,
            "content": content,
            "file_path": f"{kind}s/{file_id}" + (f"_{name}" if name else ""),
        }
        self.files[file_id] = meta
        if self.max_files is not None:
            while len(self.files) > self.max_files:
                self.files.popitem(last=False)
        return meta

    def download(self, path: str) -> bytes | None:
        """The bytes of the file at this file_path (as getFile gave it), None if unknown or not uploaded."""
        for meta in self.files.values():
            if meta.get("file_path") == path:
                return meta.get("content")
        return None
