"""Language primitives every stage shares: normalising, sentences, terms and the one matcher,
token counts, dates, citation markers — and the lexicon (word lists as data files)."""

from assistant.text.dates import DATE_EXPRESSION, MONTHS, date_to_int, find_date, long_date
from assistant.text.markers import MARKER, marker_numbers, strip_markers, with_markers
from assistant.text.normalise import canonical_title, fold_quotes, normalise
from assistant.text.sentences import Span, sentence_spans
from assistant.text.terms import QUESTION_WORDS, STOPWORDS, present, stem, terms, words
from assistant.text.tokens import count_tokens, encoder, truncate_tokens

__all__ = ["DATE_EXPRESSION", "MARKER", "MONTHS", "QUESTION_WORDS", "STOPWORDS", "Span", "canonical_title",
           "count_tokens", "date_to_int", "encoder", "find_date", "fold_quotes", "long_date", "marker_numbers",
           "normalise", "present", "sentence_spans", "stem", "strip_markers", "terms", "truncate_tokens",
           "with_markers", "words"]
