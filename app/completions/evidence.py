"""Evidence files of self-reported CE: a certificate of attendance as PDF, PNG or JPEG.

The bytes live in an `EvidenceStore` (a directory under DATA_DIR by default; object storage can implement
the same two methods), the facts in `completion_evidence`. A file's type is read from its first bytes,
never from its name or the type the browser claims; its size is at most `PEER_CE_EVIDENCE_MAX_BYTES`.
Only the peer and the boards of the peer's states (and admins) may read it: anyone else gets 404.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from sqlmodel import Session, col, select

from app.auth.principal import Principal, Role
from app.completions.models import Completion, CompletionEvidence
from app.config import Settings
from app.db import id_of
from app.errors import AppError, NotFound, PayloadTooLarge, UnsupportedMediaType

MEDIA_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
_KEY = re.compile(r"^[0-9a-f]{32}\.(pdf|png|jpg)$")


class EvidenceMissing(AppError):
    status, title, slug = 404, "Not found", "not-found"


def sniff(data: bytes) -> str | None:
    """The file's type from its first bytes: PDF, PNG or JPEG, else None."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


@dataclass(frozen=True)
class Upload:
    """An evidence file as received: checked by `check` before anything is written."""

    filename: str
    data: bytes
    media_type: str


def check(filename: str | None, data: bytes, *, max_bytes: int) -> Upload:
    """413 past the size limit, 415 unless the content is a PDF, PNG or JPEG, 422 for an empty file."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"The evidence file is {len(data):,} bytes; at most {max_bytes:,} are accepted "
            f"({max_bytes // (1024 * 1024)} MB)."
        )
    if not data:
        from app.errors import Unprocessable

        raise Unprocessable(
            "The evidence file is empty.",
            errors=[
                {
                    "loc": ["body", "evidence"],
                    "field": "body.evidence",
                    "message": "the file is empty",
                    "type": "value_error",
                }
            ],
        )
    media_type = sniff(data)
    if media_type is None:
        raise UnsupportedMediaType(
            "The evidence file must be a PDF, PNG or JPEG file (its content was read, not its name)."
        )
    name = Path((filename or "").replace("\\", "/")).name[:200] or f"evidence{MEDIA_TYPES[media_type]}"
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"\r\n') or "evidence"
    return Upload(filename=name, data=data, media_type=media_type)


class EvidenceStore(Protocol):
    """Where evidence bytes live. `put` returns the key `get` reads them back by."""

    def put(self, data: bytes, media_type: str) -> str: ...

    def get(self, key: str) -> bytes: ...


class FileEvidenceStore:
    """Evidence as files in one directory (mode 0600), written whole and renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, media_type: str) -> str:
        key = uuid.uuid4().hex + MEDIA_TYPES[media_type]
        self.root.mkdir(parents=True, exist_ok=True)
        fd, draft = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(draft, self.root / key)
        except BaseException:
            Path(draft).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        if not _KEY.match(key):
            raise EvidenceMissing("The evidence file is missing.")
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            raise EvidenceMissing("The evidence file is missing from the store.") from None


def store_for(settings: Settings) -> EvidenceStore:
    return FileEvidenceStore(settings.evidence_dir or settings.data_dir / "evidence")


def content_disposition(filename: str) -> str:
    """`inline` with the file's name: an ASCII fallback and the exact name as RFC 6266/5987 `filename*` (a
    header is Latin-1, and names like "John’s certificate.pdf" are common)."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode() or "evidence"
    ascii_name = re.sub(r'[^\x20-\x7e]|["\\]', "_", ascii_name)
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def carry_over(
    session: Session, *, store: EvidenceStore, from_completion: Completion, to_completion: Completion
) -> None:
    """A corrected record keeps the evidence its original was reported with (a copy of the stored file)."""
    query = select(CompletionEvidence).where(col(CompletionEvidence.completion_id) == id_of(from_completion))
    row = session.exec(query).first()
    if row is None:
        return
    session.add(
        CompletionEvidence(
            completion_id=id_of(to_completion),
            storage_key=store.put(store.get(row.storage_key), row.media_type),
            media_type=row.media_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            filename=row.filename,
        )
    )
    session.flush()


def attach(session: Session, *, store: EvidenceStore, completion: Completion, upload: Upload) -> CompletionEvidence:
    key = store.put(upload.data, upload.media_type)
    row = CompletionEvidence(
        completion_id=id_of(completion),
        storage_key=key,
        media_type=upload.media_type,
        size_bytes=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        filename=upload.filename,
    )
    session.add(row)
    session.flush()
    return row


def of(session: Session, completion_ids: list[int]) -> dict[int, CompletionEvidence]:
    if not completion_ids:
        return {}
    rows = session.exec(select(CompletionEvidence).where(col(CompletionEvidence.completion_id).in_(completion_ids)))
    return {r.completion_id: r for r in rows}


def readable_by(principal: Principal) -> bool:
    """Evidence is the peer's and their boards' (admins too): providers never read it, not even their own."""
    return principal.is_admin or principal.role in (Role.peer, Role.board)


def for_reading(session: Session, *, principal: Principal, completion: Completion) -> CompletionEvidence:
    found = of(session, [completion.id]).get(completion.id) if readable_by(principal) else None  # type: ignore[list-item, arg-type]
    if found is None:
        raise NotFound(f"Completion {completion.id} has no evidence file you may read.")
    return found
