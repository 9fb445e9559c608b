"""A desktop fine-tuning workbench for BERT-family encoders."""
