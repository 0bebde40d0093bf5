// Host console: every invited unit as a tile (its low track) on pages of tiles, or as a row of the list
// view, with search, filters, paging and an automatic tour; the speaker's high track, per-tile
// controls, raised hands and link quality. Observers (operations center) see the same without controls.
// Only the tiles on the visible page are received: the console tells the server which ones it shows
// (`view`), so the media workers forward those low tracks alone and the other units pause theirs.
import { MeetingClient, attach, labels, playAudio, showError } from './meeting-client.js';
import { showEnded } from './ended.js';
import { selfMediaText, wireSelfMedia } from './self-media.js';
import { wireParticipants } from './participants.js';
import { wireDevices } from './devices.js';
import { wireScreen } from './screen.js';

const root = document.getElementById('console');
const L = labels();
const meeting = JSON.parse(document.getElementById('meeting-data').textContent);
const folded = JSON.parse(document.getElementById('search-data').textContent);
const client = new MeetingClient(root.dataset.meeting, root.dataset.role);
window.meetingClient = client;
const errorBox = document.getElementById('console-error');
const names = Object.fromEntries(meeting.invited.map((e) => [e.username, e.unit_name || e.name]));
names[meeting.chair.username] = meeting.chair.full_name;
if (meeting.secretary) names[meeting.secretary.username] = meeting.secretary.full_name;
const units = meeting.invited.map((e) => e.username);
const state = {
  spotlight: null, floor: null, speaker: null, muted: new Set(), hands: [], present: new Set(), quality: new Map(),
  mode: 'grid', page: 0, query: '', filters: new Set(), pageSize: 25,
};
// Resume the tour this long after the last interaction with the console.
const TOUR_RESUME_MS = 30000;
const tour = { timer: null, pausedUntil: 0 };

const $ = (id) => document.getElementById(id);
const tiles = new Map();

// Vietnamese folded as core/folding.py folds it: marks dropped, đ → d, lower case.
function fold(text) {
  return text.replace(/đ/g, 'd').replace(/Đ/g, 'D').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

function tile(pid) {
  if (!units.includes(pid)) return null;
  let t = tiles.get(pid);
  if (!t) {
    t = $('tile-template').content.firstElementChild.cloneNode(true);
    t.dataset.participant = pid;
    const name = t.querySelector('.dname');
    name.textContent = names[pid];
    name.title = meeting.invited.find((e) => e.username === pid).name;
    t.querySelectorAll('.dtile-controls button').forEach((b) => b.addEventListener('click', () => control(b, pid)));
    tiles.set(pid, t);
    paintTile(pid);
  }
  return t;
}

function control(b, pid) {
  if (b.dataset.confirm && !window.confirm(b.dataset.confirm)) return;
  const act = b.dataset.do;
  if (act === 'mute') client.send({ type: 'mute', participant: pid, muted: !state.muted.has(pid) });
  else if (act === 'spotlight') client.send({ type: 'spotlight', participant: state.spotlight === pid ? null : pid });
  else if (act === 'grant_floor') floorAction(pid);
  else client.send({ type: act, participant: pid });
}

// Give the floor, or on the tile of the unit that holds it, end its turn (a spotlight change releases it).
function floorAction(pid) {
  if (state.floor === pid) client.send({ type: 'spotlight', participant: null });
  else client.send({ type: 'grant_floor', participant: pid });
}

function floorLabel(pid) { return state.floor === pid ? L.end_floor : L.grant; }

function paintFloorButton(b, pid) {
  b.textContent = floorLabel(pid);
  b.classList.toggle('holding', state.floor === pid);
}

function qualityText(pid) {
  const q = state.quality.get(pid);
  if (!state.present.has(pid)) return L.offline;
  if (!q) return L.connected;
  return `${L[q.quality]} · ${Math.round(q.bitrate_in_kbps)} kb/s`;
}

function qualityClass(pid) {
  const q = state.quality.get(pid);
  return state.present.has(pid) && q ? { good: 'ok', fair: 'warn', poor: 'bad' }[q.quality] : '';
}

function paintTile(pid) {
  const t = tiles.get(pid);
  if (!t) return;
  const present = state.present.has(pid);
  t.classList.toggle('offline', !present);
  if (!present) attach(t.querySelector('video'), null);
  const badge = t.querySelector('[data-q]');
  badge.textContent = qualityText(pid);
  badge.className = `q badge ${qualityClass(pid)}`;
  const q = state.quality.get(pid);
  badge.title = q ? `${L.loss} ${q.loss_in_pct}% / ${q.loss_out_pct}% · jitter ${q.jitter_in_ms} ms · RTT ${q.rtt_ms ?? '–'} ms` : '';
  t.querySelector('.hand').hidden = !state.hands.includes(pid);
  const muted = state.muted.has(pid);
  t.querySelector('.mic').hidden = !muted;
  const own = client.selfMediaOf(pid);
  t.querySelector('.selfmic').hidden = !present || own.audio;
  t.querySelector('.selfcam').hidden = !present || own.video;
  t.classList.toggle('cam-off', present && !own.video);  // no frozen last frame: a plain "camera off"
  t.dataset.off = L.cam_is_off;
  const mb = t.querySelector('[data-do="mute"]');
  if (mb) mb.textContent = muted ? L.unmute : L.mute;
  const spot = state.spotlight === pid;
  t.classList.toggle('spotlit', spot);
  t.classList.toggle('speaking', state.speaker === pid);
  const sb = t.querySelector('[data-do="spotlight"]');
  if (sb) sb.textContent = spot ? L.unspotlight : L.spotlight;
  const fb = t.querySelector('[data-do="grant_floor"]');
  if (fb) paintFloorButton(fb, pid);
}

// -- which units are shown ---------------------------------------------------------------------------

function matches(pid) {
  if (state.query && !(folded[pid] || fold(names[pid] || pid)).includes(state.query)) return false;
  if (!state.filters.size) return true;
  // Filters add up: a unit shows if it is in any of the chosen groups.
  return (state.filters.has('absent') && !state.present.has(pid))
    || (state.filters.has('poor') && state.present.has(pid) && state.quality.get(pid)?.quality === 'poor')
    || (state.filters.has('hand') && state.hands.includes(pid));
}

function shown() { return units.filter(matches); }

function pages(list) { return Math.max(1, Math.ceil(list.length / state.pageSize)); }

function render() {
  const list = shown();
  const count = pages(list);
  state.page = Math.min(state.page, count - 1);
  $('page-label').textContent = `${L.page} ${state.page + 1}/${count}`;
  $('page-prev').disabled = $('page-next').disabled = count < 2;
  $('no-match').hidden = list.length > 0;
  const grid = state.mode === 'grid';
  $('tiles').hidden = !grid;
  $('pager').hidden = !grid;
  $('unit-list').hidden = grid || !list.length;
  $('view-grid').setAttribute('aria-pressed', String(grid));
  $('view-list').setAttribute('aria-pressed', String(!grid));
  const onPage = grid ? list.slice(state.page * state.pageSize, (state.page + 1) * state.pageSize) : [];
  $('tiles').replaceChildren(...onPage.map(tile));
  $('tiles').classList.toggle('paged', units.length > state.pageSize);  // 5 x 5 pages; a small meeting's tiles stay large
  for (const [pid, t] of tiles) if (!onPage.includes(pid)) attach(t.querySelector('video'), null);
  if (!grid) renderList(list);
  counts();
  client.setView(onPage);
  if (client.layout.length) onLayout(client.layout);
}

function renderList(list) {
  const host = root.dataset.role === 'host';
  $('unit-rows').replaceChildren(...list.map((pid) => {
    const tr = document.createElement('tr');
    tr.dataset.participant = pid;
    const present = state.present.has(pid);
    const cells = [
      String(units.indexOf(pid) + 1), names[pid], present ? L.present : L.absent, qualityText(pid),
      state.hands.includes(pid) ? L.raised : '',
      [state.muted.has(pid) ? L.muted : '', present ? selfMediaText(client.selfMediaOf(pid), L) : ''].filter(Boolean).join(' · '),
    ];
    for (const text of cells) { const td = document.createElement('td'); td.textContent = text; tr.append(td); }
    tr.children[2].className = present ? 'ok' : 'absent';
    tr.children[3].className = `q ${qualityClass(pid)}`;
    const actions = document.createElement('td');
    const show = document.createElement('button');
    show.type = 'button';
    show.className = 'link';
    show.textContent = L.show_tile;
    show.addEventListener('click', () => showTile(pid));
    actions.append(show);
    if (host && present) {
      const grant = document.createElement('button');
      grant.type = 'button';
      grant.dataset.do = 'grant_floor';
      paintFloorButton(grant, pid);
      grant.addEventListener('click', () => floorAction(pid));
      actions.append(' ', grant);
    }
    tr.append(actions);
    return tr;
  }));
}

function counts() {
  let absent = 0; let poor = 0;
  for (const pid of units) {
    if (!state.present.has(pid)) absent += 1;
    else if (state.quality.get(pid)?.quality === 'poor') poor += 1;
  }
  root.querySelector('[data-count="absent"]').textContent = absent;
  root.querySelector('[data-count="poor"]').textContent = poor;
  root.querySelector('[data-count="hand"]').textContent = state.hands.filter((p) => units.includes(p)).length;
  $('present-count').textContent = `${units.length - absent}/${units.length}`;
}

// A change of presence, link or hands: repaint, and re-page only when a filter depends on it.
function changed(pid) {
  paintTile(pid);
  if (state.filters.size || state.mode === 'list') render(); else counts();
}

function showTile(pid) {
  state.mode = 'grid';
  state.query = ''; $('unit-search').value = '';
  state.filters.clear();
  root.querySelectorAll('[data-filter]').forEach((b) => b.setAttribute('aria-pressed', 'false'));
  state.page = Math.floor(units.indexOf(pid) / state.pageSize);
  render();
  tile(pid).scrollIntoView({ block: 'nearest' });
}

// -- the tour ------------------------------------------------------------------------------------------

function tourStep() {
  if (Date.now() < tour.pausedUntil) { tourStatus(); return; }
  const count = pages(shown());
  if (state.mode === 'grid' && count > 1) { state.page = (state.page + 1) % count; render(); }
  tourStatus();
}

function tourStatus() {
  const on = $('tour-on').checked;
  $('tour-state').textContent = !on ? '' : (Date.now() < tour.pausedUntil ? L.tour_paused : L.tour_running);
  $('tour-state').dataset.state = !on ? 'off' : (Date.now() < tour.pausedUntil ? 'paused' : 'running');
}

function setTour() {
  clearInterval(tour.timer);
  tour.timer = null;
  tour.pausedUntil = 0;
  if ($('tour-on').checked) tour.timer = setInterval(tourStep, Number($('tour-dwell').value) * 1000);
  tourStatus();
}

function interacted(event) {
  if (event.target.closest('.pager .tour, #tour-dwell')) return;
  if (!$('tour-on').checked) return;
  tour.pausedUntil = Date.now() + TOUR_RESUME_MS;
  tourStatus();
}

// -- the meeting's events --------------------------------------------------------------------------------

function renderHands() {
  const list = $('hands');
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
}

function onLayout(slots) {
  let speakerStream = null;
  const fed = new Set();
  for (const slot of slots) {
    if (slot.kind !== 'video' || !slot.source || slot.layer === 'screen') continue;
    const stream = client.streamFor(slot.mid);
    if (slot.layer === 'high') speakerStream = stream;
    else if (tiles.has(slot.source) && tiles.get(slot.source).isConnected) {
      attach(tiles.get(slot.source).querySelector('video'), stream);
      fed.add(slot.source);
    }
  }
  for (const [pid, t] of tiles) if (!fed.has(pid)) attach(t.querySelector('video'), null);
  attach($('speaker-video'), speakerStream);
  playAudio($('audio-sink'), client.streamsByMid, slots);
}

function setSpeaker(pid, source) {
  const previous = state.speaker;
  state.speaker = pid;
  $('speaker-name').textContent = pid ? (names[pid] || pid) : L.nobody;
  $('speaker-source').textContent = pid && L[`src_${source}`] ? `(${L[`src_${source}`]})` : '';
  if (previous) paintTile(previous);
  if (pid) paintTile(pid);
}

client.addEventListener('welcome', ({ detail }) => {
  state.pageSize = Math.max(1, detail.slots.video - 1);
  for (const p of detail.participants) {
    state.present.add(p.participant);
    if (p.muted) state.muted.add(p.participant);
  }
  state.hands = detail.raised_hands;
  state.spotlight = detail.spotlight;
  state.floor = detail.floor ?? null;
  renderHands();
  setSpeaker(detail.speaker, detail.speaker_source);
  tiles.forEach((_, pid) => paintTile(pid));
  render();
});
client.addEventListener('participant_joined', ({ detail }) => {
  state.present.add(detail.participant.participant);
  changed(detail.participant.participant);
});
client.addEventListener('participant_left', ({ detail }) => {
  const pid = detail.participant;
  state.present.delete(pid);
  state.quality.delete(pid);
  state.hands = state.hands.filter((p) => p !== pid);
  renderHands();
  changed(pid);
});
client.addEventListener('layout', ({ detail }) => onLayout(detail));
// The server applies the floor rule (floor, else spotlight, else voice) and says why in `source`.
client.addEventListener('speaker', ({ detail }) => setSpeaker(detail.participant, detail.source));
client.addEventListener('hand_raised', ({ detail }) => {
  state.hands = state.hands.filter((p) => p !== detail.participant);
  if (detail.raised) state.hands.push(detail.participant);
  renderHands();
  changed(detail.participant);
});
client.addEventListener('muted', ({ detail }) => {
  (detail.muted ? state.muted.add(detail.participant) : state.muted.delete(detail.participant));
  changed(detail.participant);
});
// A spotlight change releases the floor; giving the floor spotlights its holder too (conference/livestate.py).
function spotlight(pid, floor = null) {
  const previous = [state.spotlight, state.floor];
  state.spotlight = pid;
  state.floor = floor;
  for (const p of new Set([...previous, pid])) if (p) paintTile(p);
  if (state.mode === 'list') render();
}
client.addEventListener('self_media', ({ detail }) => { if (detail.participant) changed(detail.participant); });
client.addEventListener('spotlight', ({ detail }) => spotlight(detail.participant));
client.addEventListener('floor_granted', ({ detail }) => spotlight(detail.participant, detail.participant));
client.addEventListener('link_stats', ({ detail }) => {
  for (const q of detail.participants) { state.quality.set(q.participant, q); paintTile(q.participant); }
  if (state.filters.has('poor') || state.mode === 'list') render(); else counts();
});
client.addEventListener('state', ({ detail }) => { $('conn-state').textContent = detail === 'connected' ? L.connected : (L[`st_${detail}`] || L.connecting); });
client.addEventListener('problem', ({ detail }) => showError(errorBox, detail));
const ended = () => {
  clearInterval(tour.timer);
  showEnded(client, { meetingId: meeting.id, endedAt: meeting.ended_at, state: L.ended });
};
client.addEventListener('meeting_ended', ended);
client.addEventListener('closed', ({ detail }) => { if (detail.code === 4001) ended(); });
client.addEventListener('local', ({ detail }) => {
  document.getElementById('self-view').hidden = false;
  attach(document.getElementById('self-video'), detail);
});

// -- the console's own controls -----------------------------------------------------------------------

$('view-grid').addEventListener('click', () => { state.mode = 'grid'; render(); });
$('view-list').addEventListener('click', () => { state.mode = 'list'; render(); });
$('unit-search').addEventListener('input', (e) => { state.query = fold(e.target.value.trim()); state.page = 0; render(); });
root.querySelectorAll('[data-filter]').forEach((b) => b.addEventListener('click', () => {
  const f = b.dataset.filter;
  (state.filters.has(f) ? state.filters.delete(f) : state.filters.add(f));
  b.setAttribute('aria-pressed', String(state.filters.has(f)));
  state.page = 0;
  render();
}));
$('page-prev').addEventListener('click', () => { const n = pages(shown()); state.page = (state.page + n - 1) % n; render(); });
$('page-next').addEventListener('click', () => { state.page = (state.page + 1) % pages(shown()); render(); });
$('tour-on').addEventListener('change', setTour);
$('tour-dwell').addEventListener('change', setTour);
$('units').addEventListener('pointerdown', interacted);
$('units').addEventListener('keydown', interacted);
$('units').addEventListener('wheel', interacted, { passive: true });
$('end-btn')?.addEventListener('click', (e) => {
  if (window.confirm(e.target.dataset.confirm)) client.send({ type: 'end_meeting' });
});
$('start-btn')?.addEventListener('click', async (e) => {
  const r = await fetch(`/api/meetings/${root.dataset.meeting}/start`, { method: 'POST' });
  if (r.ok) e.target.hidden = true; else showError(errorBox, (await r.json()).detail);
});
wireSelfMedia(client, L);
wireParticipants(client, L);
wireScreen(client, L, { names, canShare: () => root.dataset.role === 'host' });
window.addEventListener('beforeunload', () => client.leave());
render();
if (meeting.status === 'ended') ended();
else {
  wireDevices(client, L, { publishes: root.dataset.role === 'host' })
    .catch((err) => showError(document.querySelector('[role=alert]'), String(err)))
    .finally(() => client.connect());
}
