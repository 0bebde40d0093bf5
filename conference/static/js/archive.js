// The archive's playback page: the program video with the loudest voices kept in step, a click on
// the timeline seeks there, a participant's own recording opens beside it on the same clock.
const program = document.getElementById('program');
const voices = [...document.querySelectorAll('audio.program-audio')];
const clock = document.getElementById('clock');

const mmss = (s) => {
  const t = Math.max(0, Math.floor(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
};
document.querySelectorAll('.tl-time').forEach((el) => { el.textContent = mmss(Number(el.dataset.seconds)); });

let extra = null; // { media, offset }: a participant's recording, on the meeting's clock
const follow = (media, offset) => {
  const at = program.currentTime - offset;
  if (at < 0 || (media.duration && at > media.duration)) { media.pause(); return; }
  if (Math.abs(media.currentTime - at) > 0.3) media.currentTime = at;
  if (!program.paused && media.paused) media.play().catch(() => {});
  if (program.paused && !media.paused) media.pause();
};
const syncAll = () => {
  voices.forEach((a) => follow(a, Number(a.dataset.offset)));
  if (extra) follow(extra.media, extra.offset);
  clock.textContent = mmss(program.currentTime);
};
if (program) {
  ['play', 'pause', 'seeked', 'timeupdate'].forEach((e) => program.addEventListener(e, syncAll));
}

const seek = (seconds) => {
  program.currentTime = Math.max(0, seconds);
  syncAll();
  program.play().catch(() => {});
  document.getElementById('archive').dataset.seekedTo = String(seconds);
};
document.querySelectorAll('button.seek').forEach((b) => b.addEventListener('click', () => {
  document.querySelectorAll('li.tl.current').forEach((li) => li.classList.remove('current'));
  b.closest('li').classList.add('current');
  seek(Number(b.dataset.at));
}));

document.querySelectorAll('button.open-track').forEach((b) => b.addEventListener('click', () => {
  const holder = document.getElementById('track-player');
  holder.textContent = '';
  const media = document.createElement(b.dataset.kind === 'video' ? 'video' : 'audio');
  media.controls = true;
  media.preload = 'metadata';
  media.src = b.dataset.url;
  holder.append(media);
  extra = { media, offset: Number(b.dataset.offset) };
  syncAll();
}));
