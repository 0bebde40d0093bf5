"""Video analytics in the cheap order: motion on a small frame, then people only where it moved."""
