"""Text for the bench images: a generated word corpus that compresses about like source code
(gzip ~3x), and pieces of it cut at random. Shared by mkpullimage.py and mkimportimage.py, whose
corpora differ only in their seed, word lengths, indentation and size (each keeps its own, so
that the images they write stay the same bytes).
"""
import random

LETTERS = "abcdefghijklmnopqrstuvwxyz_"
SEPARATORS = [" "] * 8 + ["(", ")", ", ", " = ", "."]


class Corpus:
    """size bytes of lines of words from seed: word_length(rng) letters a word (1,000 words),
    4 * indent(rng) spaces before each line."""

    def __init__(self, seed, size, word_length, indent):
        rng = random.Random(seed)
        vocab = ["".join(rng.choice(LETTERS) for _ in range(word_length(rng))) for _ in range(1000)]
        out, total = [], 0
        while total < size:
            spaces = " " * (4 * indent(rng))
            words = [vocab[int(len(vocab) * rng.random() ** 5)] for _ in range(rng.randint(2, 12))]
            line = spaces + "".join(w + rng.choice(SEPARATORS) for w in words).rstrip() + "\n"
            out.append(line)
            total += len(line)
        self.data = "".join(out).encode()[:size]

    def text(self, rng, n):
        """n bytes of the corpus, in pieces of at most half of it from random places."""
        parts = []
        while n > 0:
            take = min(n, len(self.data) // 2)
            start = rng.randrange(len(self.data) - take)
            parts.append(self.data[start:start + take])
            n -= take
        return b"".join(parts)
