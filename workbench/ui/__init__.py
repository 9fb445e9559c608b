"""The Qt views: thin windows over the engine in workbench.core."""
