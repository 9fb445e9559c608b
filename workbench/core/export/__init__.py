"""Export and prediction: a run's model as a Hugging Face folder (written to a temporary folder and
renamed into place), ONNX with a parity check and int8, the model card, and the predictor behind
Try it and `workbench predict`.

May import: `evaluation`, `data`, `model`, `tasks` and the top of core; never `training` or `compare`.
"""
