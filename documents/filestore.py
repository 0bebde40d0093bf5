"""The content-addressed file store lives in `core.filestore` (the meeting archive keeps its files
there too); its names stay importable from here."""

from core.filestore import FileStore, store_for

__all__ = ["FileStore", "store_for"]
