"""graph-photos: the app's code, imported by every function folder."""
