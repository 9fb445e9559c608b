"""The last layer computed for the first token only, as a training lever (`training.last_layer_first_token`).

The layer itself is in `workbench.core.model.first_token`, where prediction uses it too.
"""

from __future__ import annotations

from workbench.core.model.first_token import FIRST_TOKEN_HEADS, use_first_token_layer, why_not

__all__ = ["FIRST_TOKEN_HEADS", "plan_first_token_layer", "use_first_token_layer"]


def plan_first_token_layer(model, requested: bool) -> tuple[bool, str]:
    """Whether the last layer computes the first token only in this run, and the run log's sentence saying why.

    A model the lever does not fit (a token or QA head, another family's layers) keeps its whole last
    layer, and the sentence says so: the run goes on as without the lever."""
    if not requested:
        return False, "Last layer: computed for every token (training.last_layer_first_token is off)."
    why = why_not(model)
    if why is not None:
        return False, f"Last layer: computed for every token ({why}; training.last_layer_first_token does not apply)."
    return True, "Last layer: computed for the first token only, the one the head reads (training.last_layer_first_token)."
