// Camera wall: a grid of tiles the operator arranges (drag and drop, kept in this browser) and
// enlarges (click; Esc or click closes). RTSP cameras come over WebRTC: one session carries the
// tiles on screen (their H.264 main streams, forwarded by the media workers), renegotiated when the
// set of visible tiles changes; HTTP cameras show their MJPEG substream (the main stream when enlarged).
// An RTSP camera whose main stream turned out not to be H.264 (the ingest found it when it opened it
// for this wall) shows its latest substream picture once a second, and says why.
(function () {
  "use strict";
  const wall = document.getElementById("wall");
  const layout = document.getElementById("layout");
  const big = document.getElementById("big");
  const ORDER = "giaoban.ops.wall.order";
  const COLS = "giaoban.ops.wall.cols";

  function applyCols(n) {
    wall.style.gridTemplateColumns = `repeat(${n}, 1fr)`;
    layout.value = String(n);
    localStorage.setItem(COLS, String(n));
  }
  applyCols(Number(localStorage.getItem(COLS)) || Math.min(4, Math.max(2, Math.ceil(Math.sqrt(wall.children.length)))));
  layout.addEventListener("change", () => applyCols(Number(layout.value)));

  const saved = JSON.parse(localStorage.getItem(ORDER) || "[]");
  for (const id of saved.slice().reverse()) {
    const tile = wall.querySelector(`.cam-tile[data-id="${id}"]`);
    if (tile) wall.prepend(tile);
  }
  const saveOrder = () => localStorage.setItem(ORDER, JSON.stringify([...wall.children].map((t) => t.dataset.id)));

  let dragged = null;
  wall.addEventListener("dragstart", (e) => {
    dragged = e.target.closest(".cam-tile");
    if (dragged) dragged.classList.add("dragging");
  });
  wall.addEventListener("dragend", () => { if (dragged) dragged.classList.remove("dragging"); dragged = null; saveOrder(); });
  wall.addEventListener("dragover", (e) => {
    e.preventDefault();
    const over = e.target.closest(".cam-tile");
    if (!dragged || !over || over === dragged) return;
    const rect = over.getBoundingClientRect();
    const after = e.clientX > rect.left + rect.width / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  const bigImg = big.querySelector("img");
  const bigVideo = big.querySelector("video");
  function close() {
    big.hidden = true;
    bigImg.src = "";  // stop pulling the main stream
    bigVideo.srcObject = null;
  }
  wall.addEventListener("click", (e) => {
    const tile = e.target.closest(".cam-tile");
    if (!tile) return;
    const rtc = tile.dataset.kind === "webrtc";
    bigImg.hidden = rtc;
    bigVideo.hidden = !rtc;
    if (tile.classList.contains("fallback")) {
      bigImg.hidden = false;
      bigVideo.hidden = true;
      bigImg.src = tile.dataset.picture + "?t=" + Date.now();
    } else if (rtc) bigVideo.srcObject = tile.querySelector("video").srcObject;  // already the main stream
    else bigImg.src = tile.dataset.main;
    big.querySelector(".name").textContent = tile.dataset.name;
    big.hidden = false;
  });
  big.addEventListener("click", close);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });

  // -- WebRTC tiles -----------------------------------------------------------------------------
  const texts = JSON.parse(big.dataset.texts);
  const MAX_TILES = 16;
  const measuring = new URLSearchParams(location.search).has("latency") && window.giaobanTimecode;
  window.wallLatency = {};  // camera id -> latencies (ms) read from timecode pictures, with ?latency=1
  const visible = new Set();
  let session = null;  // {id, key, pc}
  let timer = null;
  const tileOf = (id) => wall.querySelector(`.cam-tile[data-kind="webrtc"][data-id="${id}"]`);
  const setState = (tile, text) => { tile.querySelector(".state").textContent = text; };
  const schedule = (ms) => { clearTimeout(timer); timer = setTimeout(connect, ms); };

  function shown() {
    return [...wall.querySelectorAll('.cam-tile[data-kind="webrtc"]')]
      .map((t) => t.dataset.id).filter((id) => visible.has(id)).slice(0, MAX_TILES).sort((a, b) => a - b);
  }

  function closeSession() {
    if (!session) return;
    session.pc.close();
    if (session.id) fetch(`/api/ops/wall/sessions/${session.id}`, { method: "DELETE", keepalive: true });
    session = null;
  }

  function showLatency(tile, id) {
    const samples = (window.wallLatency[id] = []);
    const badge = document.createElement("span");
    badge.className = "latency";
    tile.appendChild(badge);
    giaobanTimecode.measure(tile.querySelector("video"), (ms) => {
      samples.push(ms);
      const last = samples.slice(-100).sort((a, b) => a - b);
      badge.textContent = `p95 ${Math.round(last[Math.floor(last.length * 0.95)] || 0)} ms`;
    });
  }

  async function connect() {
    const cameras = shown();
    const key = cameras.join(",");
    if (session && session.key === key && session.pc.connectionState !== "failed") return;
    closeSession();
    if (!cameras.length) return;
    const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
    const mine = (session = { id: null, key, pc });
    cameras.forEach((id) => {
      const transceiver = pc.addTransceiver("video", { direction: "recvonly" });
      const tile = tileOf(id);
      const video = tile.querySelector("video");
      video.srcObject = new MediaStream([transceiver.receiver.track]);
      if (tile.querySelector(".state").textContent !== texts.unavailable) setState(tile, texts.connecting);
      // The first picture needs the camera's next IDR: a camera cannot be asked for one.
      // (A closed session's ended track also "presents" a frame: only this session's pictures count.)
      video.requestVideoFrameCallback(() => { if (session === mine && video.videoWidth) setState(tile, ""); });
      if (measuring && !tile.querySelector(".latency")) showLatency(tile, id);
    });
    pc.onconnectionstatechange = () => {
      if (session === mine && pc.connectionState === "failed") schedule(2000);
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((done) => {
        if (pc.iceGatheringState === "complete") return done();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && done();
        setTimeout(done, 3000);
      });
      const answer = await fetch("/api/ops/wall/sessions", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ cameras: cameras.map(Number), sdp: pc.localDescription.sdp }),
      });
      if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
      const body = await answer.json();
      if (session !== mine) {  // the visible tiles changed meanwhile
        fetch(`/api/ops/wall/sessions/${body.session}`, { method: "DELETE", keepalive: true });
        return;
      }
      mine.id = body.session;
      await pc.setRemoteDescription({ type: "answer", sdp: body.sdp });
      cameras.forEach((id) => { const t = tileOf(id); if (t.querySelector(".state").textContent) setState(t, texts.waiting); });
    } catch (err) {
      if (session !== mine) return;
      closeSession();
      cameras.forEach((id) => setState(tileOf(id), texts.unavailable));
      schedule(5000);
    }
  }

  // -- Main streams the wall cannot forward ----------------------------------------------------
  const codecName = (c) => texts.codecs[c] || c.toUpperCase();
  function showCodec(tile, codec) {
    const fallback = Boolean(codec) && codec !== "h264";
    tile.dataset.codec = codec || "";
    tile.classList.toggle("fallback", fallback);
    tile.querySelector(".via").textContent = fallback ? `${codecName(codec)} · ${texts.pictures}` : "WebRTC · H.264";
    tile.querySelector(".note").textContent = fallback ? texts.fallback.replace("{codec}", codecName(codec)) : "";
  }
  function refreshPictures() {
    for (const tile of wall.querySelectorAll(".cam-tile.fallback")) {
      if (!visible.has(tile.dataset.id)) continue;
      const picture = new Image();
      picture.className = "fallback";
      picture.alt = tile.dataset.name;
      picture.onload = () => tile.querySelector("img.fallback").replaceWith(picture);
      picture.src = tile.dataset.picture + "?t=" + Date.now();
    }
  }
  async function checkCodecs() {
    try {
      const r = await fetch("/api/ops/cameras");
      if (!r.ok) return;
      for (const c of await r.json()) {
        const tile = tileOf(String(c.id));
        if (tile && (c.health.main_codec || "") !== tile.dataset.codec) showCodec(tile, c.health.main_codec);
      }
    } catch (err) { /* the next round tries again */ }
  }
  wall.querySelectorAll('.cam-tile[data-kind="webrtc"]').forEach((t) => showCodec(t, t.dataset.codec));
  setInterval(() => { if (!document.hidden) refreshPictures(); }, 1000);
  setInterval(() => { if (!document.hidden) checkCodecs(); }, 4000);

  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) (e.isIntersecting ? visible.add(e.target.dataset.id) : visible.delete(e.target.dataset.id));
    schedule(300);
  }, { threshold: 0.1 });
  wall.querySelectorAll('.cam-tile[data-kind="webrtc"]').forEach((t) => observer.observe(t));
  window.addEventListener("pagehide", closeSession);
})();
