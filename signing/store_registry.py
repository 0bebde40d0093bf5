"""Opening the configured key stores: the PKCS#12 store always, a PKCS#11 token when configured."""

from __future__ import annotations

import threading
from typing import Any

from signing.config import SigningConfig, signing_dir
from signing.keystore import KeyStore, KeyStoreError
from signing.pkcs11_store import Pkcs11KeyStore
from signing.pkcs12_store import Pkcs12KeyStore


class KeyStores:
    """The stores of one process, opened lazily and shared by every request."""

    def __init__(self, settings: Any, config: SigningConfig) -> None:
        self.settings = settings
        self.config = config
        self._stores: dict[str, KeyStore] = {}
        self._lock = threading.Lock()

    def get(self, kind: str) -> KeyStore:
        with self._lock:
            store = self._stores.get(kind)
            if store is None:
                store = self._stores[kind] = self._open(kind)
            return store

    def _open(self, kind: str) -> KeyStore:
        if kind == "pkcs12":
            store = Pkcs12KeyStore(signing_dir(self.settings) / "keys", str(self.settings.secret_key))
        elif kind == "pkcs11":
            if not self.config.pkcs11_pin:
                raise KeyStoreError("PKCS#11 store not configured: set GIAOBAN_SIGNING_PKCS11_PIN "
                                    "(and _MODULE, _TOKEN)")
            store = Pkcs11KeyStore(self.config.pkcs11_module, self.config.pkcs11_token, self.config.pkcs11_pin)
        else:
            raise KeyStoreError(f"unknown key store {kind!r}; use pkcs12 or pkcs11")
        return store

    def close(self) -> None:
        with self._lock:
            for store in self._stores.values():
                close = getattr(store, "close", None)
                if close:
                    close()
            self._stores.clear()
