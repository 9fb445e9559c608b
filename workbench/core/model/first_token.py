"""The encoder's last layer computed for the first token only, when the head reads nothing else.

A sequence-classification head of the BERT family (single texts, pairs, multi-label, windows)
reads the last layer's output at the first token ([CLS] or <s>) and no other. In that layer the
other tokens are still needed as keys and values of the attention, but their queries, the
attention output, the feed-forward block (two thirds of a layer's weights), the dropouts and the
layer norms are not: `use_first_token_layer(model, True)` makes the last layer compute them for
the first token only, which saves about a seventh of a 6-layer model's matrix work. The head's
input, the loss and every gradient are those of the whole layer (the same arithmetic on fewer
rows); only the model's `last_hidden_state` keeps one position. The layer's own `forward` is put
back by `use_first_token_layer(model, False)`, so what is saved and exported is the ordinary model.

Training uses it as a speed lever (`training/speed/`, `training.last_layer_first_token`), and so
does prediction (`export/predict.py`): it lives here, in `model/`, which both may import.
"""

from __future__ import annotations

import sys
import types


# Heads that read the last layer at the first token only, over encoder layers laid out as BERT's.
FIRST_TOKEN_HEADS = frozenset({"BertForSequenceClassification", "RobertaForSequenceClassification",
                               "XLMRobertaForSequenceClassification", "CamembertForSequenceClassification",
                               "ElectraForSequenceClassification"})
DROPOUT_ATTENTION = "workbench_dropout"  # the attention training/speed/cpu_dropout registers (SDPA's masks)
_ATTENTIONS = ("sdpa", "eager", DROPOUT_ATTENTION)  # masks shaped (batch, heads, queries, keys), sliceable by query


def _base(model):
    return model.get_base_model() if hasattr(model, "get_base_model") else model  # a LoRA model's transformers model


def why_not(model) -> str | None:
    """Why the last layer cannot compute the first token only in `model`, as a clause; None: it can."""
    base = _base(model)
    head = type(base).__name__
    if not head.endswith("ForSequenceClassification"):
        return "the head reads every token"
    if head not in FIRST_TOKEN_HEADS:
        return f"only the layers of BERT, RoBERTa, XLM-R, CamemBERT and ELECTRA are cut to one token, not {head}'s"
    if base.config._attn_implementation not in _ATTENTIONS:
        return f"the attention implementation {base.config._attn_implementation} cannot be cut to one query"
    encoder = getattr(getattr(base, base.base_model_prefix, None), "encoder", None)
    layer = encoder.layer[-1] if encoder is not None and len(encoder.layer) else None
    attention = getattr(getattr(layer, "attention", None), "self", None)
    if (layer is None or getattr(layer, "is_decoder", False) or getattr(layer, "chunk_size_feed_forward", 0)
            or not all(hasattr(attention, name) for name in ("query", "key", "value", "num_attention_heads", "scaling"))):
        return "this model's last layer is not laid out as BERT's"
    return None


def _last_layer(model):
    """The encoder's last layer when the head reads only its first token and its layout is BERT's; else None."""
    if why_not(model) is not None:
        return None
    base = _base(model)
    return getattr(base, base.base_model_prefix).encoder.layer[-1]


def _first_token_forward(self, hidden_states, attention_mask=None, *args, **kwargs):
    """BertLayer.forward for the first token's row: queries from it, keys and values from every token."""
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

    kwargs.pop("encoder_attention_mask", None)
    kwargs.pop("cache", None)
    attention = self.attention.self
    first = hidden_states[:, :1]
    heads = (hidden_states.shape[0], -1, attention.num_attention_heads, attention.attention_head_size)
    query = attention.query(first).view(heads).transpose(1, 2)
    key = attention.key(hidden_states).view(heads).transpose(1, 2)
    value = attention.value(hidden_states).view(heads).transpose(1, 2)
    if attention_mask is not None and attention_mask.dim() == 4:
        attention_mask = attention_mask[:, :, :1]
    eager = sys.modules[type(attention).__module__].eager_attention_forward  # the model's own, as its layer uses
    attend = ALL_ATTENTION_FUNCTIONS.get_interface(attention.config._attn_implementation, eager)
    context, _ = attend(attention, query, key, value, attention_mask,
                        dropout=attention.dropout.p if attention.training else 0.0, scaling=attention.scaling, **kwargs)
    attended = self.attention.output(context.reshape(first.shape[0], 1, -1).contiguous(), first)
    return self.output(self.intermediate(attended), attended)


def use_first_token_layer(model, on: bool) -> bool:
    """Make the last layer compute the first token only (on), or the whole sequence again; True if it applies."""
    layer = _last_layer(model)
    if layer is None:
        return False
    if on:
        layer.forward = types.MethodType(_first_token_forward, layer)
    else:
        layer.__dict__.pop("forward", None)
    return True
