"""The CPU levers of training, each exact (same arithmetic as the plain model) and put back after the
run, so saved models and exports are the ordinary ones: sparse word-embedding updates, dropout masks
drawn four to a random number, and a last layer that computes the first token only.

May import: `model` (the device and its measurements) and the top of core.
"""
