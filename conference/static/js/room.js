// District view: the chair and the current speaker, raise hand; the district publishes its camera
// as a high and a low track.
import { MeetingClient, attach, labels, playAudio, showError } from './meeting-client.js';
import { showEnded } from './ended.js';
import { selfMediaText, wireSelfMedia } from './self-media.js';
import { wireParticipants } from './participants.js';
import { wireDevices } from './devices.js';
import { wireScreen } from './screen.js';

const root = document.getElementById('room');
const L = labels();
const meeting = JSON.parse(document.getElementById('meeting-data').textContent);
const client = new MeetingClient(root.dataset.meeting, 'district');
window.meetingClient = client;
const names = Object.fromEntries(meeting.invited.map((e) => [e.username, e.unit_name || e.name]));
names[meeting.chair.username] = meeting.chair.full_name;
const handBtn = document.getElementById('hand-btn');
const notice = document.getElementById('notice');
let me = null;
let raised = false;
let hosts = new Set([meeting.chair.username, meeting.secretary?.username].filter(Boolean));

let speaking = null;
let speakingSource = null;  // floor, spotlight or voice (the server's floor rule)
let slotSpeaker = null;

function say(text) { notice.textContent = text; notice.hidden = !text; }

// The media path does not send a district its own picture back: while it holds the floor, its room
// shows its own camera under the caption that names it, not someone else's picture.
function showSpeakerVideo() {
  attach(document.getElementById('speaker-video'), speaking && speaking === me ? client.local : slotSpeaker);
}

// The caption follows the server's floor rule (`speaker` messages), not whichever video the slot carries.
function showSpeaker(pid, source) {
  document.getElementById('speaker-name').textContent = pid ? (names[pid] || pid) + (pid === me ? ` (${L.you})` : '') : L.nobody;
  document.getElementById('speaker-source').textContent = pid && L[`src_${source}`] ? `(${L[`src_${source}`]})` : '';
  speaking = pid;
  speakingSource = source;
  showSpeakerVideo();
  showHand();
}

// A unit the chair gave the floor has nothing to ask for: its button says so and cannot be pressed. One
// that is only the loudest voice for a moment may still ask (and its button does not flicker meanwhile).
let connected = false;
function showHand() {
  const holding = Boolean(me) && speaking === me && speakingSource === 'floor';
  handBtn.disabled = !connected || holding;
  handBtn.textContent = holding ? L.speaking_now : (raised ? L.lower : L.raise);
  handBtn.classList.toggle('speaking', holding);
}

client.addEventListener('welcome', ({ detail }) => {
  me = detail.you.participant;
  connected = true;
  showSpeaker(detail.speaker, detail.speaker_source);
  for (const p of detail.participants) if (p.role === 'host') hosts.add(p.participant);
});
client.addEventListener('participant_joined', ({ detail }) => { if (detail.participant.role === 'host') hosts.add(detail.participant.participant); });
// Whose video each main view carries now, and whether that participant turned its microphone or camera off.
const shown = { chair: null, speaker: null };
function showDevices() {
  for (const [key, pid] of Object.entries(shown)) {
    const badge = document.getElementById(`${key}-devices`);
    badge.textContent = pid ? selfMediaText(client.selfMediaOf(pid), L) : '';
    badge.hidden = !badge.textContent;
    const figure = document.getElementById(`${key}-video`).closest('figure');
    figure.classList.toggle('cam-off', Boolean(pid) && !client.selfMediaOf(pid).video);
    figure.dataset.off = L.cam_is_off;
  }
}
client.addEventListener('self_media', showDevices);
client.addEventListener('layout', ({ detail }) => {
  let chair = null; let speaker = null;
  shown.chair = meeting.chair.username;
  shown.speaker = null;
  for (const slot of detail) {
    if (slot.kind !== 'video' || !slot.source || slot.layer === 'screen') continue;
    if (hosts.has(slot.source) && !chair) { chair = client.streamFor(slot.mid); shown.chair = slot.source; }
    else { speaker = client.streamFor(slot.mid); shown.speaker = slot.source; }
  }
  showDevices();
  attach(document.getElementById('chair-video'), chair);
  slotSpeaker = speaker;
  showSpeakerVideo();
  playAudio(document.getElementById('audio-sink'), client.streamsByMid, detail);
});
client.addEventListener('local', ({ detail }) => { attach(document.getElementById('self-video'), detail); showSpeakerVideo(); });
client.addEventListener('hand_raised', ({ detail }) => {
  if (detail.participant !== me) return;
  raised = detail.raised;
  showHand();
});
client.addEventListener('speaker', ({ detail }) => showSpeaker(detail.participant, detail.source));
client.addEventListener('floor_granted', ({ detail }) => { if (detail.participant === me) say(L.floor); });
client.addEventListener('muted', ({ detail }) => { if (detail.participant === me) say(detail.muted ? L.muted : ''); });
client.addEventListener('link_stats', ({ detail }) => {
  const mine = detail.participants.find((q) => q.participant === me);
  if (mine) document.getElementById('my-quality').textContent = `${L[mine.quality]} · RTT ${mine.rtt_ms ?? '–'} ms`;
});
client.addEventListener('state', ({ detail }) => { document.getElementById('conn-state').textContent = detail === 'connected' ? L.connected : (L[`st_${detail}`] || L.connecting); });
client.addEventListener('problem', ({ detail }) => showError(document.getElementById('room-error'), detail));
const ended = () => showEnded(client, { meetingId: meeting.id, endedAt: meeting.ended_at, state: L.ended });
client.addEventListener('meeting_ended', ended);
client.addEventListener('closed', ({ detail }) => {
  connected = false;
  showHand();
  if (detail.code === 4001) ended();
  if (detail.code === 4000) say(L.removed);
});
wireSelfMedia(client, L);
wireParticipants(client, L);
// Who holds the floor: the presenter of an agenda item, who may share a screen.
let floor = null;
const screen = wireScreen(client, L, { names, canShare: () => floor !== null && floor === me });
client.addEventListener('welcome', ({ detail }) => { floor = detail.floor; screen.show(); });
client.addEventListener('floor_granted', ({ detail }) => { floor = detail.participant; screen.show(); });
client.addEventListener('spotlight', () => { floor = null; screen.show(); });
handBtn.addEventListener('click', () => client.send({ type: 'raise_hand', raised: !raised }));
window.addEventListener('beforeunload', () => client.leave());
if (meeting.status === 'ended') ended();
else {
  wireDevices(client, L, { publishes: true })
    .catch((err) => showError(document.querySelector('[role=alert]'), String(err)))
    .finally(() => client.connect());
}
