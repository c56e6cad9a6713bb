"""Chinese text into search tokens: jieba with a domain dictionary, one function for all.

Search on SQLite (FTS5) and on PostgreSQL (a GIN index on ``to_tsvector('simple', …)``)
both index the same space-separated tokens written by :func:`search_document`, and a query
goes through the same :func:`tokens`, so the two databases find the same rows.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jieba

_USER_DICT = Path(__file__).resolve().parent / "data" / "jieba_user.txt"
_lock = threading.Lock()
_ready = False
_WORD = re.compile(r"[\w]+", re.UNICODE)


def _tokenizer() -> jieba.Tokenizer:
    # jieba (and the pkg_resources it pulls in, ~10 MB) is imported on the first text to cut,
    # not when the apps load: `cityloop import places` and most commands never cut a word.
    import jieba

    global _ready
    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                jieba.load_userdict(str(_USER_DICT))
                _ready = True
    return jieba.dt


# jieba cuts a text block by block (a run of Chinese, letters and digits; the rest between
# them is split character by character), each block alone: the words of a text are the words
# of its blocks in order. A block's words are kept, so a file of thousands of rows segments
# each distinct block once — the repeated phrases of a 12345 export ("请尽快处理") cost nothing.
# jieba.re_han_default, written out so that this module loads without jieba (a test keeps
# the two the same).
_BLOCK = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
_BLOCK_WORDS_MAX = 50_000
_block_words: dict[str, tuple[str, ...]] = {}


def _words_of_block(block: str) -> tuple[str, ...]:
    found = _block_words.get(block)
    if found is None:
        found = tuple(
            part
            for word in _tokenizer().cut_for_search(block)
            for part in _WORD.findall(word.lower())
        )
        if len(_block_words) >= _BLOCK_WORDS_MAX:
            _block_words.clear()
        _block_words[block] = found
    return found


def tokens(text: str) -> list[str]:
    """Search tokens of ``text``: jieba's search-mode words, lower-cased, without
    punctuation, in order, repeats removed."""
    if not text:
        return []
    seen: dict[str, None] = {}
    for block in _BLOCK.split(text):
        if block:
            for part in _words_of_block(block):
                seen.setdefault(part, None)
    return list(seen)


def search_document(*parts: str) -> str:
    """The text stored for full-text search: tokens joined by spaces."""
    return " ".join(tokens(" ".join(p for p in parts if p)))


def words(text: str) -> list[str]:
    """jieba's words of ``text`` in order, repeats kept, lower-cased, punctuation dropped:
    what a classifier counts (search tokens drop repeats, which a classifier needs)."""
    if not text:
        return []
    out = []
    for word in _tokenizer().lcut(text):
        out.extend(_WORD.findall(word.lower()))
    return out
