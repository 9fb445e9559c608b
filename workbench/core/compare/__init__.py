"""Comparisons: variants of one run config (presets such as full, head_only, lower_half, lora, llrd)
trained one after another as ordinary runs, with a comparison folder written as it goes and resumed
when interrupted.

May import: everything below it in core.
"""
