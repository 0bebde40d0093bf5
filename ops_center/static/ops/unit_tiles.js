// Trung tâm điều hành: the map of the communes set (130 communes and wards). That many names cannot sit as
// labels beside dots on a map of the province without covering each other, so this is a tile map: every
// commune or ward is a tile wide enough for the longest name, the tiles of one former district form a block
// (two tiles wide), and the blocks stand in columns from west to east, north to south inside a column, as
// the districts' seats lie. A label lives inside its own tile, so no two labels can overlap at any width;
// the number of columns follows the width of the card.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const FONT_PX = 12, TILE_H = 20, PAD = 6, BLOCK_W = 2;
  // fill, border, text
  const COLORS = { connected: ["#e6f4ea", "#1a7f37", "#0f4d22"], missing: ["#fde7ea", "#c8102e", "#8a0b20"],
    none: ["#ffffff", "#c3cad3", "#223344"] };
  const WORDS = { connected: "đang kết nối", missing: "vắng mặt" };
  const TINTS = ["#e8edf4", "#f3ece0", "#e6f0e8", "#efe6f1", "#e3eef2"];
  let last = null;

  function svgEl(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text != null) node.textContent = text;
    return node;
  }

  function widest(labels, font) {
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = font;
    return labels.reduce((w, l) => Math.max(w, ctx.measureText(l).width), 0);
  }

  // Split `heights` (in order) into `k` consecutive runs so that the tallest run is as short as it can be.
  function partition(heights, k) {
    const n = heights.length, prefix = [0];
    for (const h of heights) prefix.push(prefix[prefix.length - 1] + h);
    const best = Array.from({ length: k + 1 }, () => new Array(n + 1).fill(Infinity));
    const cut = Array.from({ length: k + 1 }, () => new Array(n + 1).fill(0));
    best[0][0] = 0;
    for (let j = 1; j <= k; j++) {
      for (let i = 1; i <= n; i++) {
        for (let m = j - 1; m < i; m++) {
          const v = Math.max(best[j - 1][m], prefix[i] - prefix[m]);
          if (v < best[j][i]) { best[j][i] = v; cut[j][i] = m; }
        }
      }
    }
    const runs = [];
    for (let j = k, i = n; j > 0; j--) { runs.unshift([cut[j][i], i]); i = cut[j][i]; }
    return runs;
  }

  // The former districts' blocks (two tiles wide) in `stacks` columns: west to east by the longitude of
  // their seats, north to south inside a column, each lowered towards its latitude as far as the blocks
  // below it allow. Returns {rows, blocks: {key: {col, row, w, h}}}.
  function place(areas, stacks) {
    const west = [...areas].sort((a, b) => a.lon - b.lon);
    const heights = west.map((a) => Math.ceil(a.n / Math.min(a.n, BLOCK_W)));
    const runs = partition(heights, Math.min(stacks, west.length));
    const lats = areas.map((a) => a.lat), north = Math.max(...lats), south = Math.min(...lats);
    const tallest = Math.max(...runs.map(([i, j]) => heights.slice(i, j).reduce((s, h) => s + h, 0)));
    const rows = tallest + 2;
    const blocks = {};
    runs.forEach(([i, j], stack) => {
      const column = west.slice(i, j).sort((a, b) => b.lat - a.lat);
      let row = 0, left = column.reduce((s, a) => s + Math.ceil(a.n / Math.min(a.n, BLOCK_W)), 0);
      for (const a of column) {
        const w = Math.min(a.n, BLOCK_W), h = Math.ceil(a.n / w);
        const wanted = Math.round((north - a.lat) / ((north - south) || 1) * (rows - h));
        row = Math.min(Math.max(row, wanted), rows - left);
        blocks[a.key] = { col: stack * BLOCK_W, row, w, h };
        row += h;
        left -= h;
      }
    });
    return { rows, blocks };
  }

  function render(box, units, status, camsDown) {
    last = [box, units, status, camsDown];
    const family = getComputedStyle(box).fontFamily;
    const font = `${FONT_PX}px ${family}`;
    const text = Math.max(widest(units.filter((u) => !u.ward).map((u) => u.label), font),
      widest(units.filter((u) => u.ward).map((u) => u.label), "italic " + font));
    // As many columns of blocks as fit; the tiles then share out the width.
    const room = box.clientWidth || 600, least = Math.ceil(text + 2 * PAD + 2);
    const stacks = Math.max(1, Math.floor(room / (BLOCK_W * least)));
    const cols = stacks * BLOCK_W, tileW = Math.max(least, Math.floor(room / cols));
    const areas = [], byKey = {};
    for (const u of units) {
      if (!byKey[u.area]) {
        byKey[u.area] = { key: u.area, name: u.area_name, lon: u.lon, lat: u.lat, units: [] };
        areas.push(byKey[u.area]);
      }
      byKey[u.area].units.push(u);
    }
    areas.forEach((a) => { a.n = a.units.length; });
    const { rows, blocks } = place(areas, stacks);
    const W = cols * tileW, H = rows * TILE_H;
    // Drawn at its own size in pixels (never scaled down): the labels keep their font size.
    const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "unit-tiles",
      style: "max-height: none; display: block", "aria-label": `${units.length} xã, phường` });
    areas.forEach((a, i) => {
      const b = blocks[a.key];
      const group = svgEl("g", { class: "area", "data-area": a.key });
      const back = svgEl("rect", { x: b.col * tileW, y: b.row * TILE_H, width: b.w * tileW, height: b.h * TILE_H,
        rx: 4, fill: TINTS[i % TINTS.length], stroke: "#8795a5", "stroke-width": 1 });
      back.append(svgEl("title", {}, "Khu vực " + a.name + " (cũ)"));
      group.append(back);
      a.units.forEach((u, k) => {
        const x = (b.col + (k % b.w)) * tileW, y = (b.row + Math.floor(k / b.w)) * TILE_H;
        const state = status[u.code] || "none";
        const [fill, border, ink] = COLORS[state];
        const down = camsDown.has(u.code);
        const tile = svgEl("g", { class: "tile", "data-unit": u.code, "data-status": state });
        tile.append(svgEl("rect", { x: x + 2, y: y + 2, width: tileW - 4, height: TILE_H - 4, rx: 3, fill,
          stroke: down ? "#e07b00" : border, "stroke-width": down ? 2.5 : 1 }));
        tile.append(svgEl("text", { x: x + PAD, y: y + TILE_H / 2, "dominant-baseline": "central",
          "font-size": FONT_PX, "font-style": u.ward ? "italic" : "normal", fill: ink }, u.label));
        tile.append(svgEl("title", {}, u.name + " · khu vực " + a.name + (WORDS[state] ? " · " + WORDS[state] : "")
          + (down ? " · camera mất tín hiệu" : "")));
        group.append(tile);
      });
      svg.append(group);
    });
    box.replaceChildren(svg);
  }

  let pending = 0;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => { if (last && last[0].isConnected) render(...last); }, 150);
  });

  window.UnitTiles = { render };
})();
