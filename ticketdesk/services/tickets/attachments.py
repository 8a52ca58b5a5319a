"""Attachment storage: validated, written under the instance folder with generated names."""

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flask import current_app
from flask_babel import gettext as _

from ticketdesk.core.errors import DomainError
from ticketdesk.extensions import db
from ticketdesk.models import Attachment, Ticket, TicketEvent, User

# Accepted extensions and the content type we serve them with.
ALLOWED_TYPES: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
    ".eml": "message/rfc822",
    ".msg": "application/vnd.ms-outlook",
}
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}

# Leading bytes the file must start with, for types that have a signature.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "application/vnd.ms-outlook": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
}


class Upload(Protocol):
    """What a service needs of an uploaded file (werkzeug's FileStorage fits)."""

    filename: str | None

    def read(self, size: int = -1) -> bytes: ...


@dataclass
class _Checked:
    original_name: str
    content_type: str
    data: bytes


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(size)s MB", size=f"{size / (1024 * 1024):.1f}".removesuffix(".0"))
    if size >= 1024:
        return _("%(size)s KB", size=f"{size / 1024:.0f}")
    return _("%(size)s bytes", size=size)


def storage_dir() -> Path:
    path = Path(
        current_app.config.get("ATTACHMENT_DIR") or Path(current_app.instance_path) / "attachments"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(attachment: Attachment) -> Path:
    return storage_dir() / attachment.stored_name


def _clean_name(filename: str) -> str:
    name = os.path.basename(filename.replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[-200:] or "file"


def check_upload(upload: Upload, *, field: str) -> _Checked | None:
    if not upload or not getattr(upload, "filename", None):
        return None
    name = _clean_name(upload.filename or "")
    ext = os.path.splitext(name)[1].lower()
    content_type = ALLOWED_TYPES.get(ext)
    if content_type is None:
        raise DomainError(
            _(
                "%(name)s: this file type is not accepted. Send images, PDF, text or e-mail files.",
                name=name,
            ),
            field=field,
        )
    limit = int(current_app.config["MAX_ATTACHMENT_BYTES"])
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise DomainError(
            _("%(name)s is larger than %(size)s.", name=name, size=size_text(limit)), field=field
        )
    if not data:
        raise DomainError(_("%(name)s is empty.", name=name), field=field)
    signatures = _SIGNATURES.get(content_type)
    if content_type == "image/webp":
        ok = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    else:
        ok = signatures is None or data.startswith(signatures)
    if not ok:
        raise DomainError(
            _("%(name)s does not look like a %(type)s file.", name=name, type=ext[1:].upper()),
            field=field,
        )
    return _Checked(name, content_type, data)


def check_uploads(uploads: Iterable[Upload], *, field: str = "attachments") -> list[_Checked]:
    """Validate every upload before anything is written; raise on the first bad one."""
    checked = [c for c in (check_upload(u, field=field) for u in uploads or ()) if c is not None]
    most = int(current_app.config["MAX_ATTACHMENTS_PER_UPLOAD"])
    if len(checked) > most:
        raise DomainError(_("Attach at most %(most)s files at a time.", most=most), field=field)
    return checked


def store(
    ticket: Ticket,
    event: TicketEvent,
    files: list[_Checked],
    uploader: User | None,
    written: list[Path],
) -> list[Attachment]:
    """Write files and add their rows; the caller's transaction commits them.

    Paths written are appended to ``written`` so the caller can remove them if
    the transaction fails.
    """
    directory = storage_dir()
    rows = []
    for item in files:
        stored_name = secrets.token_hex(16) + os.path.splitext(item.original_name)[1].lower()
        path = directory / stored_name
        path.write_bytes(item.data)
        written.append(path)
        attachment = Attachment(
            ticket=ticket,
            event=event,
            original_name=item.original_name,
            stored_name=stored_name,
            content_type=item.content_type,
            size_bytes=len(item.data),
            sha256=hashlib.sha256(item.data).hexdigest(),
            uploaded_by_id=uploader.id if uploader else None,
            created_at=event.created_at,
        )
        db.session.add(attachment)
        rows.append(attachment)
    return rows


def discard_files(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
