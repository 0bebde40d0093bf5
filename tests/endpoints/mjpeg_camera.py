"""An IP camera on loopback for the tests: an MJPEG stream over HTTP that can be unplugged and
plugged back in (stop() ends every open stream and refuses new connections)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2

from endpoints.scene import render_scene

BOUNDARY = "giaobanframe"


class MjpegCamera:
    def __init__(self, port: int, fps: int = 15) -> None:
        self.port, self.fps = port, fps
        self._live = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/camera.mjpg"

    def start(self) -> MjpegCamera:
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace;boundary={BOUNDARY}")
                self.end_headers()
                start = time.monotonic()
                try:
                    while camera._live.is_set():
                        image = render_scene("Camera IP", time.monotonic() - start, 320, 180)
                        data = cv2.imencode(".jpg", image)[1].tobytes()
                        self.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                         f"{len(data)}\r\n\r\n".encode() + data + b"\r\n")
                        time.sleep(1 / camera.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._live.set()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._live.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
