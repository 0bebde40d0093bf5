// The browser side of the signaling protocol v2 (core/protocols/signaling.py) and the WebRTC session:
// publish what `welcome.publish` asks, receive on `welcome.slots` recvonly m-lines, and map each m-line
// to the participant it currently carries from `layout` messages.

const VIDEO_BITRATE = { high: 500000, low: 150000, screen: 1200000 };
const PROTOCOL_VERSION = 2;
// Closes after which coming back would be wrong: removed (4000), meeting ended (4001), the identity
// taken over by a newer join (4002), refused (4403). 4401 (login expired) goes to the login page.
const FINAL_CLOSES = new Set([4000, 4001, 4002, 4403]);
const RECONNECT_DELAYS_MS = [300, 700, 1500, 3000, 5000];
// An offer the server could not take because the media workers were not answering (starting, or one
// restarting after a crash) is offered again after these delays, for as long as the page stays: the
// server does not keep it, and without media the page would show nothing until reloaded.
const OFFER_RETRY_DELAYS_MS = [500, 1000, 2000, 3000, 5000];

export class MeetingClient extends EventTarget {
  constructor(meetingId, role) {
    super();
    this.meetingId = Number(meetingId);
    this.role = role;
    this.ws = null;
    this.pc = null;
    this.welcome = null;
    this.local = null;
    this.streamsByMid = new Map();
    this.layout = [];
    this.seq = 0;
    // A host control's ref is its action id (the server applies one ref once): unique per page load,
    // so a control sent again after a reconnect is not applied twice, and a new page's are new.
    this.refPrefix = Math.random().toString(36).slice(2, 10);
    this.closed = false;
    this.attempt = 0;
    this.joinRef = null;
    this.senders = {};  // by published layer
    this.paused = new Set();  // video layers the server says nobody receives
    this.view = null;  // the tiles a console shows, as last told to the server
    this.self = { audio: true, video: true };  // this participant's own microphone and camera
    this.others = new Map();  // everyone else's own microphone and camera, by participant
    this.screen = null;  // the screen this participant shares (getDisplayMedia), while it does
    this.requests = new Map();  // refs of sent messages waiting for their ack or error
    this.offerRef = null;  // the ref of the last offer sent, while no answer has come
    this.offerRetries = 0;
    this.offerRetry = null;  // the timer of the next try of a refused offer
  }

  // Send a message and wait for its `ack` (resolves) or `error` (rejects with the server's words).
  request(message) {
    const ref = this.send(message);
    return new Promise((resolve, reject) => { this.requests.set(ref, { resolve, reject }); });
  }

  // Share a screen (a third published video) or stop: the server must agree first (a host, or whoever
  // holds the floor), then a new offer carries it; every page shows it as the main view.
  async share(on) {
    if (on && !this.screen) {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
      try {
        await this.request({ type: 'share', on: true });
      } catch (err) {
        stream.getTracks().forEach((t) => t.stop());
        throw err;
      }
      this.screen = stream;
      stream.getVideoTracks()[0].addEventListener('ended', () => { this.share(false); });
    } else if (!on && this.screen) {
      this.screen.getTracks().forEach((t) => t.stop());
      this.screen = null;
      await this.request({ type: 'share', on: false });
    } else {
      return;
    }
    this.emit('sharing', Boolean(this.screen));
    await this.startMedia();
  }

  // Whether a participant's own microphone / camera is on (as it said with `self_media`).
  selfMediaOf(pid) {
    if (pid === this.welcome?.you.participant) return this.self;
    return this.others.get(pid) || { audio: true, video: true };
  }

  // Turn this participant's own microphone or camera on or off: it stops sending them (a muted
  // microphone sends silence, a camera that is off stops encoding) and tells everyone.
  async setSelfMedia(change) {
    this.self = { ...this.self, ...change };
    this.local?.getAudioTracks().forEach((t) => { t.enabled = this.self.audio; });
    this.local?.getVideoTracks().forEach((t) => { t.enabled = this.self.video; });
    await Promise.all(['high', 'low'].map((layer) => this.applyPause(layer)));
    if (this.welcome) this.send({ type: 'self_media', ...this.self });
    this.emit('self_media', { participant: this.welcome?.you.participant, ...this.self });
  }

  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  send(message) {
    const ref = `${this.refPrefix}-${++this.seq}`;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ref, ...message }));
    }
    return ref;
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.ws = new WebSocket(`${scheme}://${location.host}/ws/meetings/${this.meetingId}`);
    this.ws.addEventListener('open', () => {
      this.emit('state', 'signaling');
      this.joinRef = this.send({ type: 'join', meeting: this.meetingId, role: this.role });
      // Keepalive: a socket silent for 8 s may be taken over by a new join of the same account.
      this.keepalive = setInterval(() => this.send({ type: 'ping' }), 3000);
    });
    this.ws.addEventListener('message', (event) => this.onMessage(JSON.parse(event.data)));
    this.ws.addEventListener('close', (event) => {
      clearInterval(this.keepalive);
      if (event.code === 4401) {  // the login expired: log in again and come back
        location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
        return;
      }
      // The web process went away (restarted, killed): another one takes the socket, the meeting
      // state is kept there; the camera stays on meanwhile.
      if (!this.closed && !FINAL_CLOSES.has(event.code)) {
        this.stopPeer();
        const delay = RECONNECT_DELAYS_MS[Math.min(this.attempt, RECONNECT_DELAYS_MS.length - 1)];
        this.attempt += 1;
        this.emit('state', 'reconnecting');
        setTimeout(() => { if (!this.closed) this.connect(); }, delay);
        return;
      }
      this.emit('closed', { code: event.code, reason: event.reason });
      this.stopMedia();
    });
  }

  async onMessage(message) {
    switch (message.type) {
      case 'welcome':
        this.attempt = 0;
        this.welcome = message;
        this.view = null;  // a new socket: the console says again what it shows
        this.others = new Map(message.participants.map((p) => [p.participant, { audio: p.mic_on, video: p.camera_on }]));
        this.emit('welcome', message);
        if (!this.self.audio || !this.self.video) this.send({ type: 'self_media', ...this.self });
        try { await this.startMedia(); } catch (err) { this.emit('problem', String(err)); }
        break;
      case 'answer':
        // The answer to an offer replaced since (a renegotiate or a retry came while it was on its way)
        // belongs to a media session the server has replaced too: the newer offer's answer follows.
        if (message.ref !== this.offerRef || !this.pc) break;
        this.offerRef = null;
        if (this.offerRetries) this.emit('problem', '');  // the media workers answer again
        this.offerRetries = 0;
        await this.pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
        this.bindTracks();
        break;
      case 'layout':
        this.layout = message.slots;
        this.emit('layout', message.slots);
        break;
      case 'renegotiate':
        await this.startMedia();
        break;
      case 'self_media':
        this.others.set(message.participant, { audio: message.audio, video: message.video });
        this.emit('self_media', message);
        break;
      case 'participant_joined':
        this.others.set(message.participant.participant,
          { audio: message.participant.mic_on, video: message.participant.camera_on });
        this.emit('participant_joined', message);
        break;
      case 'publish_hint':
        (message.active ? this.paused.delete(message.layer) : this.paused.add(message.layer));
        await this.applyPause(message.layer);
        this.emit('publish_hint', message);
        break;
      case 'pong':
        break;
      case 'error':
        // Back too early: the seat is still held for the socket of the web process that went away
        // (for up to 3 s), or the live state is briefly unavailable: close and try again.
        if (message.ref === this.joinRef && ['duplicate_identity', 'live_state_unavailable'].includes(message.code)
            && this.attempt > 0) {
          this.ws.close(1000);
          break;
        }
        if (message.ref === this.offerRef && message.code === 'media_unavailable') {
          this.emit('problem', `${message.code}: ${message.message}`);
          this.retryOffer();
          break;
        }
        if (this.requests.has(message.ref)) {
          this.requests.get(message.ref).reject(new Error(message.message));
          this.requests.delete(message.ref);
        } else {
          this.emit('problem', `${message.code}: ${message.message}`);
        }
        break;
      case 'ack':
        this.requests.get(message.ref)?.resolve(message);
        this.requests.delete(message.ref);
        this.emit('ack', message);
        break;
      default:
        this.emit(message.type, message);
    }
  }

  // The offer came back refused with media_unavailable: a new one (new peer connection) a little later,
  // unless the page has left or a newer offer has been sent meanwhile (a renegotiate, a reconnect).
  retryOffer() {
    const ref = this.offerRef;
    const delay = OFFER_RETRY_DELAYS_MS[Math.min(this.offerRetries, OFFER_RETRY_DELAYS_MS.length - 1)];
    this.offerRetries += 1;
    clearTimeout(this.offerRetry);
    this.offerRetry = setTimeout(async () => {
      if (this.closed || ref !== this.offerRef || this.ws?.readyState !== WebSocket.OPEN) return;
      try {
        await this.startMedia();
      } catch (err) { this.emit('problem', String(err)); }
    }, delay);
  }

  async startMedia() {
    const w = this.welcome;
    clearTimeout(this.offerRetry);
    this.stopPeer();
    if (w.publish.length && !this.local) {
      const wantsVideo = w.publish.includes('high');
      const chosen = this.constraints || {};  // the devices picked in this browser before (devices.js)
      try {
        this.local = await navigator.mediaDevices.getUserMedia({
          audio: w.publish.includes('audio') && (chosen.audio || true),
          video: wantsVideo ? (chosen.video || { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 25 } }) : false,
        });
      } catch (err) {  // a device picked before is gone: the browser's default ones
        if (!this.constraints) throw err;
        this.constraints = null;
        this.local = await navigator.mediaDevices.getUserMedia({ audio: w.publish.includes('audio'), video: wantsVideo });
      }
      this.local.getAudioTracks().forEach((t) => { t.enabled = this.self.audio; });
      this.local.getVideoTracks().forEach((t) => { t.enabled = this.self.video; });
      this.emit('local', this.local);
    }
    const pc = this.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers: [] });
    pc.addEventListener('connectionstatechange', () => this.emit('state', pc.connectionState));
    const audio = this.local?.getAudioTracks()[0];
    const video = this.local?.getVideoTracks()[0];
    this.senders = {};
    for (const layer of w.publish) {
      if (layer === 'audio' && audio) this.senders.audio = pc.addTransceiver(audio, { direction: 'sendonly' }).sender;
      if (layer === 'high' && video) {
        this.senders.high = pc.addTransceiver(video, { direction: 'sendonly',
          sendEncodings: [{ maxBitrate: VIDEO_BITRATE.high, active: this.sends('high') }] }).sender;
      }
      if (layer === 'low' && video) {
        this.senders.low = pc.addTransceiver(video.clone(), { direction: 'sendonly',
          sendEncodings: [{ maxBitrate: VIDEO_BITRATE.low, scaleResolutionDownBy: 2, active: this.sends('low') }] }).sender;
      }
    }
    if (this.screen) {  // the shared screen: the last sendonly m-line
      this.senders.screen = pc.addTransceiver(this.screen.getVideoTracks()[0],
        { direction: 'sendonly', sendEncodings: [{ maxBitrate: VIDEO_BITRATE.screen }] }).sender;
    }
    for (let i = 0; i < w.slots.video; i++) pc.addTransceiver('video', { direction: 'recvonly' });
    for (let i = 0; i < w.slots.audio; i++) pc.addTransceiver('audio', { direction: 'recvonly' });
    for (let i = 0; i < (w.slots.screen || 0); i++) pc.addTransceiver('video', { direction: 'recvonly' });
    this.preferCodec(pc, w.meeting.video_codec);
    await pc.setLocalDescription(await pc.createOffer());
    await this.gathered(pc);
    if (pc !== this.pc) return;  // a newer negotiation began while this one gathered
    this.offerRef = this.send({ type: 'offer', sdp: pc.localDescription.sdp });
  }

  // A layer nobody receives (the server's `publish_hint`), or any while the camera is off, is not
  // encoded or sent; it resumes, with a keyframe, as soon as someone shows it again.
  // Other devices during the meeting: the new tracks replace the old ones on the same senders (no new offer).
  async useDevices(stream) {
    const old = this.local;
    this.local = stream;
    const audio = stream.getAudioTracks()[0];
    const video = stream.getVideoTracks()[0];
    if (this.senders.audio && audio) await this.senders.audio.replaceTrack(audio);
    if (this.senders.high && video) await this.senders.high.replaceTrack(video);
    if (this.senders.low && video) await this.senders.low.replaceTrack(video.clone());
    old?.getTracks().forEach((t) => { if (!stream.getTracks().includes(t)) t.stop(); });
    this.emit('local', stream);
  }

  sends(layer) { return !this.paused.has(layer) && this.self.video; }

  async applyPause(layer) {
    const sender = this.senders[layer];
    if (!sender) return;
    const params = sender.getParameters();
    if (!params.encodings || !params.encodings.length) return;
    const active = this.sends(layer);
    if (params.encodings.every((e) => e.active === active)) return;
    params.encodings.forEach((e) => { e.active = active; });
    try { await sender.setParameters(params); } catch (err) { /* renegotiating: the new offer applies it */ }
  }

  // The tiles a console shows now: only their low tracks are forwarded to it.
  setView(participants) {
    const key = JSON.stringify(participants);
    if (!this.welcome || key === this.view) return;
    this.view = key;
    this.send({ type: 'view', participants });
  }

  preferCodec(pc, codec) {
    if (!RTCRtpReceiver.getCapabilities) return;
    const caps = RTCRtpReceiver.getCapabilities('video').codecs;
    const name = codec === 'h264' ? 'video/H264' : 'video/VP8';
    const chosen = caps.filter((c) => c.mimeType === name || c.mimeType === 'video/rtx');
    for (const t of pc.getTransceivers()) {
      if (t.receiver.track.kind === 'video' && t.setCodecPreferences) {
        try { t.setCodecPreferences(chosen); } catch (err) { /* keep the browser's defaults */ }
      }
    }
  }

  gathered(pc) {
    // The media workers take complete offers; host candidates gather in a few milliseconds.
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      pc.addEventListener('icegatheringstatechange', done);
      setTimeout(resolve, 3000);
    });
  }

  bindTracks() {
    this.streamsByMid.clear();
    for (const t of this.pc.getTransceivers()) {
      if (t.direction === 'recvonly' && t.mid !== null) {
        this.streamsByMid.set(t.mid, new MediaStream([t.receiver.track]));
      }
    }
    this.emit('tracks', this.streamsByMid);
    if (this.layout.length) this.emit('layout', this.layout);
  }

  streamFor(mid) { return this.streamsByMid.get(mid) || null; }

  async framesDecoded() {
    if (!this.pc) return 0;
    let total = 0;
    const stats = await this.pc.getStats();
    stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') total += s.framesDecoded || 0; });
    return total;
  }

  leave() {
    this.send({ type: 'leave' });
    this.closed = true;
  }

  stopPeer() {
    if (this.pc) { this.pc.close(); this.pc = null; }
  }

  stopMedia() {
    this.stopPeer();
    if (this.local) { this.local.getTracks().forEach((t) => t.stop()); this.local = null; }
  }
}

export function labels() {
  return JSON.parse(document.getElementById('labels').textContent);
}

export function showError(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

export function attach(video, stream) {
  if (video.srcObject !== stream) {
    video.srcObject = stream;
    if (stream) video.play().catch(() => {});
  }
}

let audioOutput = null;

// The speaker chosen for the meeting's voices (devices.js); the browser's default without one.
export function setAudioOutput(id) {
  audioOutput = id || null;
  document.querySelectorAll('#audio-sink audio').forEach((el) => { if (audioOutput && el.setSinkId) el.setSinkId(audioOutput).catch(() => {}); });
}

export function playAudio(sink, streams, layout) {
  for (const slot of layout) {
    if (slot.kind !== 'audio') continue;
    let el = sink.querySelector(`audio[data-mid="${slot.mid}"]`);
    if (!el) {
      el = document.createElement('audio');
      el.autoplay = true;
      el.dataset.mid = slot.mid;
      if (audioOutput && el.setSinkId) el.setSinkId(audioOutput).catch(() => {});
      sink.appendChild(el);
    }
    const stream = streams.get(slot.mid);
    if (stream && el.srcObject !== stream) { el.srcObject = stream; el.play().catch(() => {}); }
  }
}
