"""Jieba tokenizer that normalises text first and drops blank tokens.

Rasa's JiebaTokenizer keeps whitespace as tokens, which breaks training on mixed
Chinese/English text, and sees traditional characters and full-width forms as
different words. This subclass tokenises `jiesu.text.normalize(text)`, which
keeps the length of the text, so token offsets still point into the original
message and entities annotated on it stay aligned.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from jiesu.text import normalize


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class JiesuTokenizer(JiebaTokenizer):
    """JiebaTokenizer over normalised text, without whitespace tokens."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokenise the normalised text of `attribute`; offsets refer to the original."""
        import jieba

        text = normalize(message.get(attribute))
        tokens = [Token(word, start) for word, start, _end in jieba.tokenize(text) if word.strip()]
        return self._apply_token_pattern(tokens)
