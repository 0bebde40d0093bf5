// A district endpoint's home page waits for its meeting: every 10 s it asks which meetings it is invited to
// are in progress, and reloads when that changes, so the button to enter the room appears (and goes
// after the end) without anyone pressing reload.
const box = document.getElementById("live-meetings");
const shown = (box.dataset.live || "").split(" ").filter(Boolean).sort().join(" ");

async function check() {
  try {
    const response = await fetch("/api/meetings?status=live", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const live = (await response.json()).map((m) => String(m.id)).sort().join(" ");
    if (live !== shown) window.location.reload();
  } catch {
    // The network is back on the next try.
  }
}

setInterval(check, 10_000);
