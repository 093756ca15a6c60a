"""The `search` filter of GET /projects/:id/issues, as GitLab runs it.

GitLab (15.x and later) answers `search` on issues with PostgreSQL full-text
search whenever the term is Latin script (IssuableFinder#use_full_text_search?,
`FULL_TEXT_SEARCH_TERM_REGEX`); other scripts fall back to ILIKE
(Gitlab::SQL::Pattern#fuzzy_search). Followed from GitLab's source:

- app/models/concerns/pg_full_text_searchable.rb: the issue's title (weight A)
  and description (weight B) become one `to_tsvector('english', ...)` after
  words of 50+ `[A-Za-z0-9+/@]` are dropped and accents removed. The query
  loses a URL scheme and every character outside `[a-zA-Z0-9 .@/\\-"]`; each
  word becomes a *prefix* match (`word:*`), a `"quoted phrase"` an exact
  phrase (`a <-> b`), a number `(n:* | -n:*)`; all terms are ANDed. `in=title`
  restricts the match to the title's weight.
- lib/gitlab/sql/pattern.rb (`split_query_to_search_terms`, the ILIKE path).

So a user sees whole-word, prefix, stemmed matching: "acme" finds "Acme Corp"
and "Acmeville" (the stem `acm` prefixes `acmevill`) and "Acme's", but not
"MegaAcme" or "theacme"; "companies" finds "company" (both stem to
`compani`); stop words ("the", "and", ...) match nothing on their own; words
may be spread over title and description. The sandbox's tokenizer is simpler
than PostgreSQL's parser: hosts, e-mail addresses and paths are split into
their words (PostgreSQL keeps `acme.com` as one token too).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from automation.sandbox.store import Issue

# PostgreSQL's `english` stop list (share/tsearch_data/english.stop).
_STOP_LIST = """i me my myself we our ours ourselves you your yours yourself yourselves he him
    his himself she her hers herself it its itself they them their theirs themselves
    what which who whom this that these those am is are was were be been being have
    has had having do does did doing a an the and but if or because as until while of
    at by for with about against between into through during before after above below
    to from up down in out on off over under again further then once here there when
    where why how all any both each few more most other some such no nor not only own
    same so than too very s t can will just don should now"""
STOP_WORDS = frozenset(_STOP_LIST.split())
_FULL_TEXT_TERM = re.compile("[\u0000-\u02ff\u1e00-\u1eff\u2070-\u218f]*")
_LONG_WORDS = re.compile(r"[A-Za-z0-9+/@]{50,}")
_URL_SCHEME = re.compile(r"(?:(?<=\W)|^)\w+://(?=\w+)")
_DISALLOWED = re.compile(r"[^a-zA-Z0-9 .@/\-\"]")
_QUOTED = re.compile(r'(?:(?<= )|^)"[^"]+"(?= |$)')
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_MIN_PARTIAL = 3  # Gitlab::SQL::Pattern::MIN_CHARS_FOR_PARTIAL_MATCHING
_STEMMER = snowballstemmer.stemmer("english")
_WEIGHTS = {"title": "A", "description": "B"}


@dataclass(frozen=True)
class _Lexeme:
    text: str
    position: int
    weight: str


def matching(issues: Iterable[Issue], query: str, fields: list[str]) -> list[Issue]:
    """The issues `search=query` (with `in=fields`) returns."""
    if _FULL_TEXT_TERM.fullmatch(query):
        return [i for i in issues if _full_text_match(i, query, fields)]
    return [i for i in issues if _fuzzy_match(i, query, fields)]


def _transliterate(text: str) -> str:
    """ActiveSupport::Inflector.transliterate: accents off (é -> e)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _split_terms(query: str) -> list[str]:
    """Gitlab::SQL::Pattern.split_query_to_search_terms: words, then quoted phrases."""
    quoted: list[str] = []

    def take(match: re.Match[str]) -> str:
        quoted.append(match.group(0)[1:-1])
        return ""

    return _QUOTED.sub(take, query).split() + quoted


def _tokens(text: str) -> list[str | None]:
    """Lexemes in order, None for a stop word (it still takes a position). A
    hyphenated word yields itself, then its parts, as PostgreSQL's parser does."""
    found: list[str | None] = []
    for match in _WORD.finditer(text):
        word = match.group(0)
        parts = word.split("-")
        for token in [word, *parts] if len(parts) > 1 else parts:
            found.append(_lexeme(token))
    return found


def _lexeme(token: str) -> str | None:
    word = token.lower()
    if word in STOP_WORDS:
        return None
    if word.isascii() and word.isalpha():
        return str(_STEMMER.stemWord(word))
    return word  # numbers and mixed words use the `simple` dictionary


def _vector(issue: Issue) -> tuple[_Lexeme, ...]:
    return _vector_of(issue.title, issue.description or "")


@lru_cache(maxsize=4096)
def _vector_of(title: str, description: str) -> tuple[_Lexeme, ...]:
    """The issue's search vector (GitLab keeps it in `issue_search_data`):
    title (A), then description (B)."""
    lexemes: list[_Lexeme] = []
    offset = 0
    for name, text in (("title", title), ("description", description)):
        clean = _transliterate(_LONG_WORDS.sub(" ", text))
        tokens = _tokens(clean)
        for index, token in enumerate(tokens):
            if token is not None:
                lexemes.append(_Lexeme(token, offset + index + 1, _WEIGHTS[name]))
        offset += len(tokens)
    return tuple(lexemes)


def _full_text_match(issue: Issue, query: str, fields: list[str]) -> bool:
    query = _DISALLOWED.sub(" ", _transliterate(_URL_SCHEME.sub("", query)))
    weights = {_WEIGHTS[f] for f in fields}
    vector = [lexeme for lexeme in _vector(issue) if lexeme.weight in weights]
    checked = False
    for term in _split_terms(query):
        if term.isdigit():
            if not any(lx.text.startswith((term, f"-{term}")) for lx in vector):
                return False
            checked = True
            continue
        tokens = _tokens(term)
        if all(token is None for token in tokens):
            continue  # a stop word leaves the query (to_tsquery drops it)
        if not _phrase(vector, tokens, prefix=not any(c.isspace() for c in term)):
            return False
        checked = True
    # A query of nothing but stop words is an empty tsquery: it matches nothing.
    return checked


def _phrase(vector: Iterable[_Lexeme], tokens: list[str | None], *, prefix: bool) -> bool:
    """`t1 <-> t2 <-> ...` (prefix `:*` on each when asked); stop words keep
    their place as a gap."""
    at: dict[int, str] = {lexeme.position: lexeme.text for lexeme in vector}

    def hit(position: int, token: str) -> bool:
        text = at.get(position)
        return text is not None and (text.startswith(token) if prefix else text == token)

    first = next(i for i, token in enumerate(tokens) if token is not None)
    for start in at:
        base = start - first
        if all(t is None or hit(base + i, t) for i, t in enumerate(tokens)):
            return True
    return False


def _fuzzy_match(issue: Issue, query: str, fields: list[str]) -> bool:
    """Non-Latin terms: per field, every term of 3+ characters as ILIKE
    `%term%`, or the whole query as a case-insensitive equality; fields ORed."""
    squished = " ".join(query.split())
    if not squished:
        return True
    terms = [t for t in _split_terms(squished) if len(t) >= _MIN_PARTIAL]
    for name in fields:
        text = (issue.title if name == "title" else issue.description or "").casefold()
        if terms and all(t.casefold() in text for t in terms):
            return True
        if not terms and text == squished.casefold():
            return True
    return False
