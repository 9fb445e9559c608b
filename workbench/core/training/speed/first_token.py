"""The last layer computed for the first token only, as a training lever (`training.last_layer_first_token`).

The layer itself is in `workbench.core.model.first_token`, where prediction uses it too.
"""

from __future__ import annotations

from workbench.core.model.first_token import FIRST_TOKEN_HEADS, use_first_token_layer

__all__ = ["FIRST_TOKEN_HEADS", "first_token_sentence", "use_first_token_layer"]


def first_token_sentence(on: bool) -> str:
    """The run log's line, where the layer applies."""
    return ("Last layer: computed for the first token only, the one the head reads (training.last_layer_first_token)."
            if on else "Last layer: computed for every token (training.last_layer_first_token is off).")
