// Choosing the camera, microphone and speaker, with a preview: before joining (the page opened with
// ?check=1, as the meeting page's buttons do) and during the meeting ("Thiết bị"). The choice is kept
// in this browser (localStorage) for the next meeting.
import { setAudioOutput } from './meeting-client.js';

const KEY = 'giaoban.devices';
const saved = () => { try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (err) { return {}; } };

function constraints(choice) {
  return {
    audio: choice.audio ? { deviceId: { exact: choice.audio } } : true,
    video: { ...(choice.video ? { deviceId: { exact: choice.video } } : {}),
      width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 25 } },
  };
}

function fill(select, devices, kind, chosen, L) {
  const list = devices.filter((d) => d.kind === kind);
  select.replaceChildren(...list.map((d, i) => {
    const o = document.createElement('option');
    o.value = d.deviceId;
    o.textContent = d.label || `${L[`dev_${kind}`]} ${i + 1}`;
    o.selected = d.deviceId === chosen;
    return o;
  }));
  select.disabled = !list.length;
}

// Show the picker; resolves with {audio, video, output, micOn, camOn, stream} when the person confirms.
export async function pickDevices(L, { joining }) {
  const box = document.getElementById('devices');
  const preview = document.getElementById('devices-preview');
  const [vSel, aSel, oSel] = ['pick-video', 'pick-audio', 'pick-output'].map((id) => document.getElementById(id));
  const micOn = document.getElementById('pick-mic-on');
  const camOn = document.getElementById('pick-cam-on');
  const level = document.getElementById('pick-level');
  const go = document.getElementById('devices-go');
  box.hidden = false;
  box.querySelector('[data-joining]').hidden = !joining;
  go.textContent = joining ? L.join : L.apply;
  const choice = { ...saved() };
  let stream = null;
  let meter = null;

  async function open() {
    stream?.getTracks().forEach((t) => t.stop());
    stream = await navigator.mediaDevices.getUserMedia(constraints(choice));
    preview.srcObject = stream;
    preview.play().catch(() => {});
    // The microphone's level, so a person sees it hears them before joining.
    clearInterval(meter?.timer);
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    ctx.createMediaStreamSource(stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    meter = { ctx, timer: setInterval(() => {
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const v of samples) peak = Math.max(peak, Math.abs(v - 128) / 128);
      level.value = peak;
    }, 100) };
    const devices = await navigator.mediaDevices.enumerateDevices();
    choice.video = stream.getVideoTracks()[0]?.getSettings().deviceId || choice.video;
    choice.audio = stream.getAudioTracks()[0]?.getSettings().deviceId || choice.audio;
    fill(vSel, devices, 'videoinput', choice.video, L);
    fill(aSel, devices, 'audioinput', choice.audio, L);
    fill(oSel, devices, 'audiooutput', choice.output, L);
    if (!oSel.options.length || !HTMLMediaElement.prototype.setSinkId) oSel.disabled = true;
  }

  vSel.onchange = () => { choice.video = vSel.value; open(); };
  aSel.onchange = () => { choice.audio = aSel.value; open(); };
  oSel.onchange = () => { choice.output = oSel.value; if (preview.setSinkId) preview.setSinkId(oSel.value).catch(() => {}); };
  await open();
  await new Promise((resolve) => { go.onclick = resolve; });
  clearInterval(meter?.timer);
  meter?.ctx.close();
  box.hidden = true;
  preview.srcObject = null;
  choice.output = oSel.disabled ? choice.output : oSel.value;
  localStorage.setItem(KEY, JSON.stringify({ audio: choice.audio, video: choice.video, output: choice.output }));
  setAudioOutput(choice.output);
  return { ...choice, micOn: micOn.checked, camOn: camOn.checked, stream };
}

// The page's device handling: before joining when asked (?check=1), and the "Thiết bị" button during it.
export async function wireDevices(client, L, { publishes }) {
  const button = document.getElementById('devices-btn');
  setAudioOutput(saved().output);
  if (!publishes) { if (button) button.hidden = true; return; }
  button?.addEventListener('click', async () => {
    const choice = await pickDevices(L, { joining: false });
    await client.useDevices(choice.stream);
    await client.setSelfMedia({ audio: choice.micOn, video: choice.camOn });
  });
  if (new URLSearchParams(location.search).has('check')) {
    const choice = await pickDevices(L, { joining: true });
    client.local = choice.stream;
    client.self = { audio: choice.micOn, video: choice.camOn };
    choice.stream.getAudioTracks().forEach((t) => { t.enabled = choice.micOn; });
    choice.stream.getVideoTracks().forEach((t) => { t.enabled = choice.camOn; });
    client.emit('local', choice.stream);
  } else if (saved().video || saved().audio) {
    client.constraints = constraints(saved());
  }
}
