"""Task heads through the `AutoModelFor*` classes, so an exported model loads in plain transformers."""

from __future__ import annotations

from workbench.core.config import BackboneConfig, TaskConfig
from workbench.core.model.backbones import check_weights_format, resolve_backbone
from workbench.core.tasks import get_task


def auto_class(task: str):
    return get_task(task).auto_class()


def load_model(backbone: BackboneConfig, task: TaskConfig, label_names: list[str]):
    """The backbone with a freshly initialised head for `label_names`."""
    source = resolve_backbone(backbone.name)
    check_weights_format(source, backbone.allow_pickle_weights)
    extra = {"classifier_dropout": task.dropout} if task.dropout is not None else {}
    from transformers.utils import logging

    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # "newly initialized head" is the point here, not a warning
    try:
        return auto_class(task.type).from_pretrained(
            source,
            **get_task(task.type).head_options(label_names),
            use_safetensors=None if backbone.allow_pickle_weights else True,
            trust_remote_code=False,
            **extra,
        )
    finally:
        logging.set_verbosity(verbosity)
