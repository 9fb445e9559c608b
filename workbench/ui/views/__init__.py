"""The pages of the main window, one view per module."""
