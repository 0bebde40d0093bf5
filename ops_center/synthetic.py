"""Synthetic cameras for the demo (`make run`): long scenes with people crossing, on loopback."""

from __future__ import annotations

import asyncio
import logging

from ops_center.mjpeg_server import Feed, SyntheticCameraServer
from ops_center.scene import make_schedule

log = logging.getLogger(__name__)

# (name, location) of the demo cameras, in the order of their feeds cam1, cam2, ...
DEMO_CAMERAS = [
    ("Cổng UBND tỉnh", "Số 3 Trường Thi, TP Vinh"),
    ("Sảnh Trung tâm Phục vụ hành chính công", "Số 16 Trường Thi, TP Vinh"),
    ("Quảng trường Hồ Chí Minh", "Đường Trường Thi, TP Vinh"),
    ("Bãi đỗ xe cơ quan", "Khu hành chính tỉnh, TP Vinh"),
    ("Cổng UBND TP Vinh", "Số 27 Lê Hồng Phong, TP Vinh"),
    ("Bến xe Bắc Vinh", "Nghi Kim, TP Vinh"),
]
# The scenes' flapping banner is real motion nobody cares about: every demo camera masks it.
BANNER_MASK = [[0.78, 0.0], [1.0, 0.0], [1.0, 0.5], [0.78, 0.5]]


def demo_feeds(count: int, hours: float = 24.0) -> list[Feed]:
    """Schedules long enough that the demo keeps moving for ``hours`` after start."""
    return [Feed(name=f"cam{i + 1}", scene=make_schedule(10 + i, hours * 3600)) for i in range(count)]


def start_synthetic_cameras(count: int, port: int, host: str = "127.0.0.1") -> SyntheticCameraServer:
    """Serve in a background thread; returns the server (call ``stop()``)."""
    server = SyntheticCameraServer(demo_feeds(count), host=host, port=port).start()
    log.info("synthetic cameras on http://%s:%d/cam/cam1..%d/{main,sub}.mjpg", host, server.port, count)
    return server


def run_synthetic_cameras(count: int = 4, port: int = 8554, host: str = "127.0.0.1") -> None:
    """Blocking: serve ``count`` synthetic cameras until interrupted."""
    server = SyntheticCameraServer(demo_feeds(count), host=host, port=port)
    log.info("synthetic cameras on http://%s:%d/cam/camN/{main,sub}.mjpg", host, port)
    asyncio.run(server.serve_forever())
