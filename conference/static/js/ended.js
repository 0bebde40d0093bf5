// A meeting page once the meeting is over (told by `meeting_ended`, the socket closing with 4001, or the
// page opened after the end): everything that belonged to the live meeting ([data-live]: controls,
// videos, link figures, the speaker caption) goes away, camera and microphone are released, and a
// neutral notice says so. The meeting's hosts also get the way to the minutes draft, which the server
// makes by itself a few seconds after the end.
import { formatMoment } from '/static/web/js/moments.js';

const MINUTES_POLL_MS = 1500;
const MINUTES_POLL_TRIES = 40;

async function findMinutes(meetingId) {
  const r = await fetch('/api/minutes', { headers: { Accept: 'application/json' } });
  if (!r.ok) return null;
  const { items } = await r.json();
  return items.find((m) => m.meeting_id === meetingId) || null;
}

async function linkMinutes(box, meetingId) {
  const link = box.querySelector('[data-minutes]');
  if (!link) return;
  for (let i = 0; i < MINUTES_POLL_TRIES && box.isConnected; i++) {
    const minutes = await findMinutes(meetingId).catch(() => null);
    if (minutes) {
      link.href = `/minutes/${minutes.id}`;
      link.textContent = link.dataset.ready;
      return;
    }
    await new Promise((resolve) => { setTimeout(resolve, MINUTES_POLL_MS); });
  }
}

export function showEnded(client, { meetingId, endedAt, state }) {
  const box = document.getElementById('ended');
  if (!box || !box.hidden) return;
  if (client) {
    client.closed = true;
    client.stopMedia();
    if (client.ws && client.ws.readyState <= WebSocket.OPEN) client.ws.close(1000, 'ended');
  }
  document.querySelectorAll('video, audio').forEach((m) => { m.srcObject = null; });
  document.querySelectorAll('[data-live]').forEach((e) => { e.hidden = true; });
  const at = box.querySelector('[data-ended-at]');
  if (at) at.textContent = formatMoment(endedAt || new Date());
  if (state) document.getElementById('conn-state').textContent = state;
  box.hidden = false;
  linkMinutes(box, Number(meetingId));
}
