// Camera wall: a grid of MJPEG tiles the operator arranges (drag and drop, kept in this browser) and
// enlarges (click: the tile switches to the camera's main stream; Esc or click closes).
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

  function close() {
    big.hidden = true;
    big.querySelector("img").src = "";  // stop pulling the main stream
  }
  wall.addEventListener("click", (e) => {
    const tile = e.target.closest(".cam-tile");
    if (!tile) return;
    big.querySelector("img").src = tile.dataset.main;
    big.querySelector(".name").textContent = tile.dataset.name;
    big.hidden = false;
  });
  big.addEventListener("click", close);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
})();
