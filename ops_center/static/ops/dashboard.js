// Trung tâm điều hành: renders the state pushed over /ops/ws. No framework; the page is one screen.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const labels = JSON.parse($("state-labels").textContent);
  const conn = $("conn");
  let chart = null;
  let camsKey = "";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c != null) node.append(c);
    return node;
  }
  const TZ = "Asia/Ho_Chi_Minh";  // the province's clock, whatever the viewing machine's zone
  // Through the one formatter (web/static/js/moments.js): 24-hour Vietnam time.
  const fmtTime = (iso) => (iso && window.Moments ? window.Moments.formatTime(iso, true) : "");
  const pct = (x) => (x == null ? "–" : (100 * x).toFixed(1).replace(".", ",") + "%");
  const num = (x) => (x == null ? "–" : Number(x).toLocaleString("vi-VN"));

  // Every camera's thumbnail is its latest analysed picture (/latest.jpg, written by the ingest about once a
  // second, whatever the camera sends), fetched every PICTURE_EVERY_MS for the tiles on screen; a camera
  // without a recent picture shows its state instead of a broken image.
  const PICTURE_EVERY_MS = 2000;
  const onScreen = new Set();
  const watcher = new IntersectionObserver((entries) => {
    for (const e of entries) (e.isIntersecting ? onScreen.add(e.target) : onScreen.delete(e.target));
  });

  function loadPicture(tile) {
    const picture = new Image();
    picture.alt = tile.dataset.name;
    picture.onload = () => { tile.querySelector("img").replaceWith(picture); tile.classList.remove("no-pic"); };
    picture.onerror = () => tile.classList.add("no-pic");
    picture.src = tile.dataset.picture + "?t=" + Date.now();
  }
  setInterval(() => { if (!document.hidden) onScreen.forEach(loadPicture); }, PICTURE_EVERY_MS);

  function renderCameras(cams) {
    const box = $("cams");
    // Rebuild the tiles only when the camera list changes, not on every update.
    const key = cams.map((c) => c.id).join(",");
    if (key !== camsKey) {
      watcher.disconnect();
      onScreen.clear();
      box.replaceChildren(...cams.map((c) => el("div", { class: "cam-thumb no-pic", id: "cam-" + c.id,
        "data-picture": c.picture_url, "data-name": c.name },
        el("img", { alt: c.name }),
        el("div", { class: "no-picture" }, el("b"), el("span", { text: labels.no_picture })),
        el("div", { class: "label" }, el("span", { class: "name", text: c.name }),
          el("span", { class: "people" }), el("span", { class: "state" })))));
      camsKey = key;
      box.querySelectorAll(".cam-thumb").forEach((t) => { watcher.observe(t); loadPicture(t); });
    }
    for (const c of cams) {
      const tile = $("cam-" + c.id);
      const st = tile.querySelector(".state");
      st.className = "state " + c.health.state;
      st.textContent = labels[c.health.state] || c.health.state;
      tile.querySelector(".no-picture b").textContent = st.textContent;
      tile.querySelector(".people").textContent = c.health.people ? c.health.people + " người" : "";
      tile.classList.toggle("down", c.health.state !== "online");
      tile.title = c.health.last_error || "";
    }
  }

  function renderAlerts(alerts) {
    const list = $("alerts");
    const canAck = list.dataset.canAck === "yes";
    list.replaceChildren(...alerts.map((a) => {
      const li = el("li", { class: a.severity + " " + a.status, "data-alert": a.id },
        el("div", { class: "title", text: a.title }),
        el("div", { class: "meta", text: fmtTime(a.raised_at) + (a.count > 1 ? " · ×" + a.count : "") +
          (a.escalation_level ? " · ↑ " + a.escalated_to : "") +
          (a.ack_comment ? " · ✔ " + a.ack_comment : "") }));
      if (canAck && a.status === "open") {
        const b = el("button", { class: "secondary", type: "button", text: list.dataset.ack });
        b.addEventListener("click", () => acknowledge(a.id));
        li.prepend(b);
      }
      return li;
    }));
  }

  async function acknowledge(id) {
    const comment = window.prompt($("alerts").dataset.prompt);
    if (!comment) return;
    const r = await fetch(`/api/ops/alerts/${id}/ack`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ comment }),
    });
    if (!r.ok) window.alert((await r.json()).detail);
  }

  function bars(rows, labelKey, valueKey, late) {
    const max = Math.max(1, ...rows.map((r) => r[valueKey] || 0));
    const grid = el("div", { class: "bars" });
    for (const r of rows.slice(0, 10)) {
      const bar = el("div", { class: "bar" + (late ? " late" : "") });
      bar.style.width = (100 * (r[valueKey] || 0) / max) + "%";
      grid.append(el("span", { text: r[labelKey] }), bar, el("b", { text: num(r[valueKey]) }));
    }
    return grid;
  }

  function figures(pairs) {
    return el("div", { class: "figures" }, ...pairs.map(([v, label]) =>
      el("div", {}, el("b", { text: v }), el("span", { text: label }))));
  }

  // Moments (web/static/js/moments.js): the one formatter of times, "08:00 ngày 07/12/2026".
  const moment = (v) => (window.Moments ? window.Moments.formatMoment(v) : "");
  const clock = (v) => (window.Moments ? window.Moments.formatTime(v) : "");

  function renderMeeting(block) {
    const box = $("meeting");
    if (!block.available) { box.textContent = box.dataset.nodata; return null; }
    const m = block.meeting;
    if (!m) {
      const next = block.next_meeting, last = block.last_meeting;
      // After the end the block keeps the meeting, marked ended, rather than forget it.
      box.replaceChildren(
        last ? el("p", {}, el("b", { text: last.title }), " ",
          el("span", { class: "badge", text: box.dataset.ended }),
          el("span", { class: "muted", text: ` ${box.dataset.endedAt} ${moment(last.ended_at)} · ` +
            `${last.attended}/${last.invited} ${box.dataset.attended}` })) : el("p", { text: box.dataset.none }),
        last ? el("p", { class: "muted", text: box.dataset.none }) : "",
        next ? el("p", { class: "muted", text: `${box.dataset.next}: ${next.title} · ${moment(next.scheduled_at)}` }) : "");
      return null;
    }
    const eps = block.endpoints || { connected: [], missing: [], invited: 0 };
    const speaking = block.speaking ? block.speaking.participant : null;
    const q = block.link_quality || {};
    const tiles = eps.connected.map((e) => el("div", {
      class: "up q-" + e.quality + (e.participant === speaking ? " speaking" : ""),
      title: e.stats ? `${box.dataset["q_" + e.quality] || ""} · RTT ${e.stats.rtt_ms ?? "–"} ms` : (box.dataset["q_" + e.quality] || ""),
      text: (e.participant === speaking ? "● " : "") + (e.unit_name || e.participant),
    })).concat(eps.missing.map((e) => el("div", { text: e.unit_name || e.participant })));
    box.replaceChildren(
      el("p", {}, el("b", { text: m.title }), ` · ${eps.connected.length}/${eps.invited} ${box.dataset.endpoints}`),
      el("p", { class: "muted", text: `Tốt ${q.good || 0} · Trung bình ${q.fair || 0} · Kém ${q.poor || 0}` +
        (block.speaking ? ` · Đang phát biểu: ${block.speaking.unit_name || block.speaking.participant}` : "") }),
      el("div", { class: "endpoints" }, ...tiles));
    return eps.connected.length + "/" + eps.invited;
  }

  function renderDocuments(block) {
    const box = $("documents");
    if (!block.available) { box.textContent = box.dataset.nodata; return null; }
    box.replaceChildren(figures([[num(block.received_today), "Đến hôm nay"],
      [num(block.awaiting_direction), "Chờ chỉ đạo"], [num(block.overdue), "Quá hạn"],
      [num(block.urgent_undirected), "Khẩn chưa chỉ đạo"]]),
      block.overdue_by_unit && block.overdue_by_unit.length ? bars(block.overdue_by_unit, "unit", "count", true) : "",
      block.source === "bus" ? el("p", { class: "muted", text: "Theo luồng sự kiện từ " +
        fmtTime(block.since) }) : "");
    return num(block.received_today);
  }

  function donut(parts) {
    const total = parts.reduce((s, p) => s + p[0], 0) || 1;
    let acc = 0;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 42 42");
    svg.setAttribute("width", "110");
    for (const [v, color] of parts) {
      const c = document.createElementNS("http://www.w3.org/2000/svg", "circle");
      Object.entries({ cx: 21, cy: 21, r: 15.9155, fill: "none", stroke: color, "stroke-width": 6,
        "stroke-dasharray": `${100 * v / total} ${100 - 100 * v / total}`,
        "stroke-dashoffset": String(25 - acc) }).forEach(([k, val]) => c.setAttribute(k, val));
      acc += 100 * v / total;
      svg.append(c);
    }
    return svg;
  }

  function renderDossiers(block) {
    const box = $("dossiers");
    if (!block.available) { box.textContent = box.dataset.nodata; return null; }
    const parts = [[block.early || 0, "#1a7f37", "Trước hạn"], [block.on_time || 0, "#0b3d91", "Đúng hạn"],
      [block.late || 0, "#c8102e", "Quá hạn"], [block.in_progress || 0, "#bbb", "Đang giải quyết"]];
    const legend = el("div", { class: "legend" }, ...parts.map((p) => {
      const swatch = el("i"); swatch.style.background = p[1];
      return el("div", {}, swatch, p[2] + ": " + num(p[0]));
    }));
    box.replaceChildren(
      figures([[num(block.received), "Tiếp nhận"], [num(block.resolved), "Đã giải quyết"],
        [pct(block.on_time_rate), "Đúng hạn"], [num(block.pending_overdue), "Đang quá hạn"]]),
      el("div", { class: "donut" }, donut(parts.map((p) => [p[0], p[1]])), legend),
      block.by_unit && block.by_unit.length ? bars(block.by_unit, "name", "received") : "");
    return pct(block.on_time_rate);
  }

  function renderActivity(a) {
    const data = [a.t, a.events, a.people];
    const box = $("activity");
    if (!window.uPlot) return;
    if (!chart) {
      chart = new uPlot({
        width: Math.max(300, box.clientWidth - 10), height: 180,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), TZ),
        // 24-hour Vietnamese labels, not uPlot's English "Time" and am/pm.
        series: [{ label: "Thời gian", value: (u, ts) => (ts == null ? "–" : moment(ts)) },
          { label: "Sự kiện", stroke: "#0b3d91", fill: "rgba(11,61,145,.12)" },
          { label: "Người (tối đa)", stroke: "#c8102e" }],
        axes: [{ values: (u, splits) => splits.map((ts) => clock(ts)) }, {}],
      }, data, box);
      box.chart = chart;  // the axis is drawn on a canvas: tests read its labels through the chart
    } else {
      chart.setData(data);
    }
  }

  const SVG = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  function renderMap(units, conference, cameras) {
    const box = $("unitmap");
    if (!units.length) { box.textContent = ""; return; }
    const status = {};
    const eps = conference && conference.available && conference.meeting ? conference.endpoints : null;
    if (eps) {
      for (const e of eps.missing) if (e.unit) status[e.unit] = "missing";
      for (const e of eps.connected) if (e.unit) status[e.unit] = "connected";
    }
    const camsDown = new Set(cameras.filter((c) => c.unit && c.health.state !== "online").map((c) => c.unit.code));
    if (window.UnitTiles && units[0].area) { UnitTiles.render(box, units, status, camsDown); return; }  // communes set
    const lons = units.map((u) => u.lon), lats = units.map((u) => u.lat);
    const [x0, x1, y0, y1] = [Math.min(...lons) - 0.1, Math.max(...lons) + 0.4, Math.min(...lats) - 0.08, Math.max(...lats) + 0.08];
    const W = 460, H = Math.round(W * (y1 - y0) / (x1 - x0));
    const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img" });
    const dots = units.map((u) => ({ u, x: (u.lon - x0) / (x1 - x0) * W, y: (y1 - u.lat) / (y1 - y0) * H }));
    // Labels are placed so none covers another or a dot (TP Vinh, TX Cửa Lò and Nghi Lộc sit close
    // together): the first free place of right, left, above, below; else further out, right.
    const taken = dots.map((d) => ({ x0: d.x - 7, x1: d.x + 7, y0: d.y - 7, y1: d.y + 7 }));
    const overlaps = (b) => taken.some((t) => b.x0 < t.x1 && t.x0 < b.x1 && b.y0 < t.y1 && t.y0 < b.y1);
    const placeLabel = (d) => {
      const w = d.u.name.length * 6, h = 12;
      const tries = [[9, 4, "start"], [-9, 4, "end"], [0, -10, "middle"], [0, 17, "middle"],
        [9, 16, "start"], [9, -8, "start"], [-9, 16, "end"], [-9, -8, "end"]];
      for (const [dx, dy, anchor] of tries) {
        const left = anchor === "start" ? d.x + dx : anchor === "end" ? d.x + dx - w : d.x + dx - w / 2;
        const b = { x0: left, x1: left + w, y0: d.y + dy - h + 2, y1: d.y + dy + 2 };
        if (!overlaps(b)) { taken.push(b); return { x: d.x + dx, y: d.y + dy, anchor }; }
      }
      return { x: d.x + 9, y: d.y + 4, anchor: "start" };
    };
    for (const d of dots) {
      const u = d.u;
      const color = { connected: "#1a7f37", missing: "#c8102e" }[status[u.code]] || "#8a94a0";
      const dot = svgEl("circle", { cx: d.x, cy: d.y, r: 7, fill: color, "data-unit": u.code,
        stroke: camsDown.has(u.code) ? "#e07b00" : "#fff", "stroke-width": camsDown.has(u.code) ? 4 : 1.5 });
      const title = svgEl("title", {});
      title.textContent = u.name + (status[u.code] ? " · " + (labels["unit_" + status[u.code]] || "") : "");
      dot.append(title);
      svg.append(dot);
    }
    for (const d of dots) {
      const at = placeLabel(d);
      const label = svgEl("text", { x: at.x, y: at.y, "font-size": 11, fill: "#223", "text-anchor": at.anchor,
        "data-label": d.u.code });
      label.textContent = d.u.name;
      svg.append(label);
    }
    box.replaceChildren(svg);
  }

  function renderEvents(events) {
    $("events").replaceChildren(...events.map((e) => el("li", {},
      e.snapshot_url ? el("img", { src: e.snapshot_url, alt: "", loading: "lazy" })
        : el("span", { class: "no-snapshot", text: $("events").dataset.nosnapshot }),
      el("span", { text: `${moment(e.started_at)} · ${e.camera}` + (e.peak_people ? ` · ${e.peak_people} người` : "") }),
      e.clip_url ? el("a", { href: e.clip_url, target: "_blank", text: "▶" }) : null)));
  }

  function render(state) {
    const cc = state.camera_counts;
    $("k-cams").textContent = cc.online + "/" + cc.total;
    $("k-alerts").textContent = state.alert_counts.open;
    $("k-people").textContent = cc.people;
    renderCameras(state.cameras);
    renderAlerts(state.alerts);
    $("k-endpoints").textContent = renderMeeting(state.kpi.conference) || "–";
    $("k-docs").textContent = renderDocuments(state.kpi.documents) || "–";
    $("k-dossiers").textContent = renderDossiers(state.kpi.dossiers) || "–";
    renderActivity(state.activity);
    renderMap(state.units || [], state.kpi.conference, state.cameras);
    renderEvents(state.events);
    $("dossier-period").value = state.dossier_period;
    document.body.dataset.updated = String(Date.now());
  }

  let delay = 1000;
  let socket = null;
  // The server sends a state or a heartbeat at least every 10 s; silence for longer means a dead
  // connection that the browser has not noticed: drop it so that onclose reconnects.
  let heardAt = Date.now();
  setInterval(() => {
    if (socket && socket.readyState === WebSocket.OPEN && Date.now() - heardAt > 35000) socket.close();
  }, 5000);
  const periodBox = $("dossier-period");
  const sendPeriod = () => {
    sessionStorage.setItem("giaoban.ops.period", periodBox.value);
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ period: periodBox.value }));
  };
  periodBox.addEventListener("change", sendPeriod);
  function connect() {
    const ws = socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ops/ws");
    ws.onopen = () => {
      heardAt = Date.now(); delay = 1000; conn.textContent = conn.dataset.live; conn.className = "badge ok";
      const saved = sessionStorage.getItem("giaoban.ops.period");
      if (saved) { periodBox.value = saved; sendPeriod(); }
    };
    ws.onmessage = (m) => {
      heardAt = Date.now();
      const msg = JSON.parse(m.data);
      if (msg.type === "state") render(msg.state);
    };
    ws.onclose = (event) => {
      if (event.code === 4401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return; }
      conn.textContent = conn.dataset.lost; conn.className = "badge bad";
      if (event.code === 4403) return;  // this account may not watch the screen: retrying will not help
      setTimeout(connect, delay); delay = Math.min(delay * 2, 15000);
    };
  }
  connect();
})();
