"""Request ids that make a write happen once (QBO's ``?requestid=``), whatever the timing.

The reply is reserved, the write made and the reply saved in one database transaction:
- a duplicate arriving meanwhile waits for that transaction (the store's lock in one process, the
  replies table's primary key across processes on PostgreSQL), then answers the saved reply;
- a crash (kill -9) at any point leaves either the write and its reply, or neither: a replay never
  writes twice;
- only answers worth keeping are kept (``Answer.keep``): a refused request wrote nothing and is run
  again when retried (see docs/decisions.md, "requestid").

The store knows nothing of HTTP: a caller turns its response into an :class:`Answer` and back.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .storage import Store

KEY_LENGTH = 100  # the replies table's key holds 128 characters: longer ids are kept as their digest
PLAIN = re.compile(r"[A-Za-z0-9._@+=/-]+")  # ids kept as they are; others (NUL, non-ASCII…) as their digest


@dataclass
class Answer:
    """What a request answered: the stored reply, and what to do once its transaction is committed."""

    status: int
    body: str
    keep: bool = True  # saved for replays (False: rolled back, so nothing it wrote stays)
    replayed: bool = False
    after_commit: list[Callable[[], None]] = field(default_factory=list)


class _Discard(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__("answer not kept")
        self.answer = answer


def key(request_id: str, part: str | None = None) -> str:
    """The stored key of ``request_id`` (of one part of it, e.g. a batch item), at most 128 characters."""
    text = request_id if part is None else f"{request_id}\x1f{part}"  # parts: always a digest, no clash
    if len(text) > KEY_LENGTH or not PLAIN.fullmatch(text):
        return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return text


def once(store: Store, tenant_id: str, request_key: str, now: float, run: Callable[[], Answer]) -> Answer:
    """``run()`` at most once per ``(tenant_id, request_key)``: later calls answer what the first one kept.

    An answer with ``keep=False`` rolls its transaction back: nothing ``run`` wrote stays and the key stays
    free. ``after_commit`` callbacks (webhook events, say) run once the transaction is over."""
    try:
        with store.transaction():
            saved = store.reserve_reply(tenant_id, request_key, now)
            if saved is not None:
                return Answer(saved[0], saved[1], replayed=True)
            answer = run()
            if not answer.keep:
                raise _Discard(answer)
            store.save_reply(tenant_id, request_key, answer.status, answer.body, now)
    except _Discard as discarded:
        answer = discarded.answer
    for callback in answer.after_commit:
        callback()
    return answer
