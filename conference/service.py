"""The conference area's background process for `giaoban up`: the media workers, or with
GIAOBAN_MEDIA_NODES this host's media node (the other hosts run `giaoban media node`)."""

from __future__ import annotations

from core.settings import Settings


def run(settings: Settings) -> None:
    if settings.media_nodes:
        import socket

        from .media.node import run_node
        from .media.registry import RegistryError

        try:
            run_node(settings.media_node_name or socket.gethostname(), settings.media_node_address,
                     settings.media_node_control_port, settings.media_node_relay_port, settings.leases_url,
                     settings.leases_namespace, settings.secret_key, settings.media_nice)
        except RegistryError as exc:
            import sys

            print(f"media node: {exc}", file=sys.stderr)
            raise SystemExit(78) from exc  # cannot start: the supervisor does not try again
        return
    from .media.service import run as run_media_workers

    run_media_workers(settings)
