// Host console: the 26-tile grid of districts' low tracks, the speaker's high track, per-tile controls,
// raised hands and link quality. Observers (operations center) see the same without controls.
import { MeetingClient, attach, labels, playAudio, showError } from './meeting-client.js';
import { showEnded } from './ended.js';

const root = document.getElementById('console');
const L = labels();
const meeting = JSON.parse(document.getElementById('meeting-data').textContent);
const client = new MeetingClient(root.dataset.meeting, root.dataset.role);
window.meetingClient = client;
const errorBox = document.getElementById('console-error');
const names = Object.fromEntries(meeting.invited.map((e) => [e.username, e.unit_name || e.name]));
names[meeting.chair.username] = meeting.chair.full_name;
if (meeting.secretary) names[meeting.secretary.username] = meeting.secretary.full_name;
const state = { spotlight: null, muted: new Set(), hands: [] };

const tile = (pid) => root.querySelector(`.dtile[data-participant="${CSS.escape(pid)}"]`);

function setPresent(pid, present) {
  const t = tile(pid);
  if (!t) return;
  t.classList.toggle('offline', !present);
  if (!present) {
    attach(t.querySelector('video'), null);
    t.querySelector('[data-q]').textContent = L.offline;
    t.querySelector('[data-q]').className = 'q badge';
  } else if (t.querySelector('[data-q]').textContent === L.offline) {
    t.querySelector('[data-q]').textContent = L.connected;
  }
}

function renderHands() {
  const list = document.getElementById('hands');
  list.replaceChildren(...state.hands.map((pid) => {
    const li = document.createElement('li');
    li.textContent = names[pid] || pid;
    if (root.dataset.role === 'host') {
      const b = document.createElement('button');
      b.textContent = L.grant;
      b.addEventListener('click', () => client.send({ type: 'grant_floor', participant: pid }));
      li.append(' ', b);
    }
    return li;
  }));
  root.querySelectorAll('.dtile').forEach((t) => {
    t.querySelector('.hand').hidden = !state.hands.includes(t.dataset.participant);
  });
}

function renderMute(pid) {
  const t = tile(pid);
  if (!t) return;
  const muted = state.muted.has(pid);
  t.querySelector('.mic').hidden = !muted;
  const b = t.querySelector('[data-do="mute"]');
  if (b) b.textContent = muted ? L.unmute : L.mute;
}

function renderSpotlight() {
  root.querySelectorAll('.dtile').forEach((t) => {
    const on = t.dataset.participant === state.spotlight;
    t.classList.toggle('spotlit', on);
    const b = t.querySelector('[data-do="spotlight"]');
    if (b) b.textContent = on ? L.unspotlight : L.spotlight;
  });
}

function onLayout(slots) {
  let speakerStream = null;
  const shown = new Set();
  for (const slot of slots) {
    if (slot.kind !== 'video' || !slot.source) continue;
    const stream = client.streamFor(slot.mid);
    if (slot.layer === 'high') speakerStream = stream;
    else if (tile(slot.source)) { attach(tile(slot.source).querySelector('video'), stream); shown.add(slot.source); }
  }
  root.querySelectorAll('.dtile').forEach((t) => { if (!shown.has(t.dataset.participant)) attach(t.querySelector('video'), null); });
  attach(document.getElementById('speaker-video'), speakerStream);
  playAudio(document.getElementById('audio-sink'), client.streamsByMid, slots);
}

client.addEventListener('welcome', ({ detail }) => {
  detail.participants.forEach((p) => { setPresent(p.participant, true); if (p.muted) state.muted.add(p.participant); renderMute(p.participant); });
  state.hands = detail.raised_hands;
  state.spotlight = detail.spotlight;
  renderHands();
  renderSpotlight();
  showSpeaker(detail.speaker, detail.speaker_source);
});
client.addEventListener('participant_joined', ({ detail }) => setPresent(detail.participant.participant, true));
client.addEventListener('participant_left', ({ detail }) => {
  setPresent(detail.participant, false);
  state.hands = state.hands.filter((p) => p !== detail.participant);
  renderHands();
});
client.addEventListener('layout', ({ detail }) => onLayout(detail));
// The server applies the floor rule (floor, else spotlight, else voice) and says why in `source`.
function showSpeaker(pid, source) {
  document.getElementById('speaker-name').textContent = pid ? (names[pid] || pid) : L.nobody;
  document.getElementById('speaker-source').textContent = pid && L[`src_${source}`] ? `(${L[`src_${source}`]})` : '';
  root.querySelectorAll('.dtile').forEach((t) => t.classList.toggle('speaking', t.dataset.participant === pid));
}
client.addEventListener('speaker', ({ detail }) => showSpeaker(detail.participant, detail.source));
client.addEventListener('hand_raised', ({ detail }) => {
  state.hands = state.hands.filter((p) => p !== detail.participant);
  if (detail.raised) state.hands.push(detail.participant);
  renderHands();
});
client.addEventListener('muted', ({ detail }) => {
  (detail.muted ? state.muted.add(detail.participant) : state.muted.delete(detail.participant));
  renderMute(detail.participant);
});
client.addEventListener('spotlight', ({ detail }) => { state.spotlight = detail.participant; renderSpotlight(); });
client.addEventListener('floor_granted', ({ detail }) => { state.spotlight = detail.participant; renderSpotlight(); });
client.addEventListener('link_stats', ({ detail }) => {
  for (const q of detail.participants) {
    const t = tile(q.participant);
    if (!t) continue;
    const badge = t.querySelector('[data-q]');
    badge.textContent = `${L[q.quality]} · ${Math.round(q.bitrate_in_kbps)} kb/s`;
    badge.className = `q badge ${{ good: 'ok', fair: 'warn', poor: 'bad' }[q.quality]}`;
    badge.title = `loss ${q.loss_in_pct}% / ${q.loss_out_pct}% · jitter ${q.jitter_in_ms} ms · RTT ${q.rtt_ms ?? '–'} ms`;
  }
});
client.addEventListener('state', ({ detail }) => { document.getElementById('conn-state').textContent = detail === 'connected' ? L.connected : detail; });
client.addEventListener('problem', ({ detail }) => showError(errorBox, detail));
const ended = () => showEnded(client, { meetingId: meeting.id, endedAt: meeting.ended_at, state: L.ended });
client.addEventListener('meeting_ended', ended);
client.addEventListener('closed', ({ detail }) => { if (detail.code === 4001) ended(); });
client.addEventListener('local', ({ detail }) => {
  document.getElementById('self-view').hidden = false;
  attach(document.getElementById('self-video'), detail);
});

root.querySelectorAll('.dtile-controls button').forEach((b) => b.addEventListener('click', () => {
  const pid = b.closest('.dtile').dataset.participant;
  if (b.dataset.confirm && !window.confirm(b.dataset.confirm)) return;
  const act = b.dataset.do;
  if (act === 'mute') client.send({ type: 'mute', participant: pid, muted: !state.muted.has(pid) });
  else if (act === 'spotlight') client.send({ type: 'spotlight', participant: state.spotlight === pid ? null : pid });
  else client.send({ type: act, participant: pid });
}));
document.getElementById('end-btn')?.addEventListener('click', (e) => {
  if (window.confirm(e.target.dataset.confirm)) client.send({ type: 'end_meeting' });
});
document.getElementById('start-btn')?.addEventListener('click', async (e) => {
  const r = await fetch(`/api/meetings/${root.dataset.meeting}/start`, { method: 'POST' });
  if (r.ok) e.target.hidden = true; else showError(errorBox, (await r.json()).detail);
});
window.addEventListener('beforeunload', () => client.leave());
if (meeting.status === 'ended') ended(); else client.connect();
