"""Hypothesis strategies for what Telegram vouches for but our database may not take: ids at and past every
integer edge, and text holding NUL, control characters and lone surrogates."""
from __future__ import annotations

import hypothesis.strategies as st

from medsync.auth.initdata import TELEGRAM_ID_LIMIT

EDGE_IDS = [0, 1, -1, 2**31 - 1, 2**31, 2**32, TELEGRAM_ID_LIMIT, TELEGRAM_ID_LIMIT + 1, 2**53 + 1, 2**63 - 1, 2**63,
            -(2**63), -(2**63) - 1, 2**64, 10**30]
# Characters people's names and messages can hold that databases and encoders trip on: NUL, controls, both halves of
# a surrogate pair alone, invisible and direction marks, quotes and escapes.
ODD_CHARACTERS = ["\x00", "\x01", "\x1b", "\x1f", "\x7f", "\x85", "\ud800", "\udbff", "\udc00", "\udfff", "\u200b",
                  "\u202e", "\ufeff", "\uffff", "'", '"', "\\", "&", "%"]

odd_characters = st.one_of(st.characters(), st.sampled_from(ODD_CHARACTERS))
# Text of any characters, and as often text with at least one odd character inside.
odd_text = st.one_of(
    st.text(alphabet=odd_characters, max_size=40),
    st.builds(lambda before, odd, after: before + odd + after, st.text(max_size=12), st.sampled_from(ODD_CHARACTERS),
              st.text(alphabet=odd_characters, max_size=12)),
)
telegram_user_ids = st.one_of(st.sampled_from(EDGE_IDS), st.integers(min_value=-(2**70), max_value=2**70),
                              st.integers(min_value=1, max_value=TELEGRAM_ID_LIMIT))
