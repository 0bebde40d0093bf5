"""An RTSP server for tests and benchmarks: GStreamer's RTSP server (Debian's gir1.2-gst-rtsp-server-1.0).

Run it with Debian's Python, which has PyGObject (the project's virtualenv does not)::

    /usr/bin/python3 ops_center/rtsp_test_server.py --port 8654 \\
        --mount sub=file:/path/clip.mp4 --mount live=live:640x360@10

Mount kinds (each client gets its own pipeline from the start, like a camera's stream):
- ``file:PATH`` an H.264 file (MP4 or Annex B ``.h264``) played in real time;
- ``timecode:WxH@FPS`` a live H.264 picture showing, as bars, the wall-clock time it was made (the
  layout of ``ops_center/timecode.py``, read back by a browser to measure glass-to-glass latency;
  constrained baseline, an IDR every second);
- ``live:WxH@FPS`` a live H.264 test pattern. Commands on standard input act on a mount's running
  and future pipelines: ``stall NAME`` / ``resume NAME`` stop and restart the packets without closing
  anything (a camera that hangs); ``size NAME WxH`` changes the resolution midway (an operator
  changing the camera's settings: new SPS, same session);
- ``h265:WxH@FPS`` / ``mjpeg:WxH@FPS`` the same test pattern as H.265 or as MJPEG over RTSP (RFC 2435):
  main streams that cannot be forwarded to a browser over WebRTC as they are.

Prints ``ready PORT`` on standard output once listening. Loopback only.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

H264_PAY = "h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=1"


def launch_line(kind: str, arg: str) -> str:
    if kind == "file":
        demux = "qtdemux ! " if arg.endswith((".mp4", ".mov")) else ""
        return f"( filesrc location={arg} ! {demux}{H264_PAY} )"
    size, fps = arg.split("@")
    width, height = size.split("x")
    if kind == "timecode":
        return (f"( appsrc name=timecode is-live=true format=time do-timestamp=true "
                f"caps=video/x-raw,format=GRAY8,width={width},height={height},framerate={fps}/1 ! videoconvert "
                f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} bframes=0 "
                f"! video/x-h264,profile=constrained-baseline ! {H264_PAY} )")
    if kind == "live":
        return (f"( videotestsrc is-live=true pattern=ball ! video/x-raw,framerate={fps}/1 ! videoscale "
                f"! capsfilter name=size caps=video/x-raw,width={width},height={height} ! videoconvert "
                f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={int(fps) * 2} "
                f"! valve name=gate drop=false ! {H264_PAY} )")
    if kind in ("h265", "mjpeg"):
        # Main streams a browser cannot be sent over WebRTC as they are (common camera settings).
        encode = (f"x265enc tune=zerolatency speed-preset=ultrafast key-int-max={int(fps) * 2} ! h265parse "
                  "config-interval=-1 ! rtph265pay name=pay0 pt=96 config-interval=1" if kind == "h265"
                  else "jpegenc quality=70 ! rtpjpegpay name=pay0 pt=26")
        return (f"( videotestsrc is-live=true pattern=ball ! video/x-raw,framerate={fps}/1,width={width},"
                f"height={height} ! videoconvert ! video/x-raw,format=I420 ! {encode} )")
    raise SystemExit(f"unknown mount kind {kind!r}: file, live, timecode, h265 or mjpeg")


# The layout of ops_center/timecode.py (this script runs under Debian's Python, without numpy or av).
TIMECODE_BITS = 44
TIMECODE_ROWS = ((0.15, 0.35, False), (0.55, 0.75, True))


def timecode_picture(width: int, height: int, millis: int, index: int) -> bytes:
    picture = bytearray(b"\x60" * (width * height))
    for top, bottom, inverted in TIMECODE_ROWS:
        row = bytearray(b"\x60" * width)
        for bit in range(TIMECODE_BITS):
            one = bool((millis >> (TIMECODE_BITS - 1 - bit)) & 1) != inverted
            x0 = int(width * (1 / 16 + (14 / 16) * bit / TIMECODE_BITS))
            x1 = int(width * (1 / 16 + (14 / 16) * (bit + 1) / TIMECODE_BITS))
            row[x0:x1] = (b"\xff" if one else b"\x00") * (x1 - x0)
        for y in range(int(top * height), int(bottom * height)):
            picture[y * width:(y + 1) * width] = row
    moving = int(0.85 * height)
    picture[moving * width:] = bytes([(index * 7) % 256]) * (width * (height - moving))
    return bytes(picture)


class TimecodeFeed:
    """Feeds one pipeline's appsrc at its frame rate, each picture stamped when it is made."""

    def __init__(self, appsrc: Gst.Element) -> None:
        caps = appsrc.get_property("caps").get_structure(0)
        self.width, self.height = caps.get_value("width"), caps.get_value("height")
        self.fps = caps.get_fraction("framerate")[1]
        self.start: float | None = None
        self.index = 0
        appsrc.connect("need-data", self.need_data)

    def need_data(self, appsrc: Gst.Element, _length: int) -> None:
        if self.start is None:
            self.start = time.monotonic()
        time.sleep(max(0.0, self.start + self.index / self.fps - time.monotonic()))
        data = timecode_picture(self.width, self.height, int(time.time() * 1000), self.index)
        self.index += 1
        appsrc.emit("push-buffer", Gst.Buffer.new_wrapped(data))


class Server:
    def __init__(self, port: int, mounts: dict[str, tuple[str, str]]) -> None:
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address("127.0.0.1")
        self.server.set_service(str(port))
        self.gates: dict[str, list[Gst.Element]] = {}
        self.sizers: dict[str, list[Gst.Element]] = {}
        self.stalled: set[str] = set()
        self.sizes: dict[str, str] = {}
        self.feeds: list[TimecodeFeed] = []
        points = self.server.get_mount_points()
        for name, (kind, arg) in mounts.items():
            factory = GstRtspServer.RTSPMediaFactory()
            factory.set_launch(launch_line(kind, arg))
            factory.set_shared(False)
            factory.connect("media-configure", self._configured, name)
            points.add_factory(f"/{name}", factory)
        self.source_id = self.server.attach(None)

    def _configured(self, factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia, name: str) -> None:
        bin_ = media.get_element()
        gate = bin_.get_by_name_recurse_up("gate") if bin_ else None
        if gate is not None:
            gate.set_property("drop", name in self.stalled)
            self.gates.setdefault(name, []).append(gate)
        appsrc = bin_.get_by_name_recurse_up("timecode") if bin_ else None
        if appsrc is not None:
            self.feeds.append(TimecodeFeed(appsrc))
        sizer = bin_.get_by_name_recurse_up("size") if bin_ else None
        if sizer is not None:
            if name in self.sizes:
                sizer.set_property("caps", self._caps(self.sizes[name]))
            self.sizers.setdefault(name, []).append(sizer)

    @staticmethod
    def _caps(size: str) -> Gst.Caps:
        width, height = size.split("x")
        return Gst.Caps.from_string(f"video/x-raw,width={width},height={height}")

    def command(self, line: str) -> None:
        verb, _, rest = line.strip().partition(" ")
        name, _, arg = rest.partition(" ")
        if verb == "size":
            self.sizes[name] = arg
            for sizer in self.sizers.get(name, []):
                sizer.set_property("caps", self._caps(arg))
            print(f"ok size {name} {arg}", flush=True)
        if verb in ("stall", "resume"):
            if verb == "stall":
                self.stalled.add(name)
            else:
                self.stalled.discard(name)
            for gate in self.gates.get(name, []):
                gate.set_property("drop", verb == "stall")
            print(f"ok {verb} {name}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mount", action="append", default=[], help="NAME=KIND:ARG")
    args = parser.parse_args()
    Gst.init(None)
    mounts = {}
    for spec in args.mount:
        name, _, rest = spec.partition("=")
        kind, _, arg = rest.partition(":")
        mounts[name] = (kind, arg)
    server = Server(args.port, mounts)
    loop = GLib.MainLoop()

    def read_commands() -> None:
        for line in sys.stdin:
            GLib.idle_add(server.command, line)
        GLib.idle_add(loop.quit)

    threading.Thread(target=read_commands, daemon=True).start()
    print(f"ready {args.port}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
