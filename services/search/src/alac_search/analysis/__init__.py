"""Text analysis shared by indexing and querying: folding, words, stems, Kazakh Latin forms."""

from alac_search.analysis.text import Analysed, analyse_word, latin_form, stem, words

__all__ = ["Analysed", "analyse_word", "latin_form", "stem", "words"]
