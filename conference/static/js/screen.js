// A shared screen (the presenter's slides): the main view of every page while it is on, and the button
// that starts or stops sharing this participant's own (a host, or whoever holds the floor).
import { attach } from './meeting-client.js';

export function wireScreen(client, L, { names, canShare }) {
  const view = document.getElementById('screen-view');
  const video = document.getElementById('screen-video');
  const caption = document.getElementById('screen-name');
  const button = document.getElementById('share-btn');
  let sharer = null;
  let stream = null;

  function show() {
    const mine = Boolean(client.screen);
    // The media path never sends a sharer its own screen back: it sees what it shares.
    const shown = mine ? client.screen : stream;
    view.hidden = !shown;
    document.body.classList.toggle('screen-on', Boolean(shown));
    attach(video, shown);
    const who = mine ? client.welcome?.you.participant : sharer;
    caption.textContent = who ? (names[who] || who) : '';
    if (button) {
      button.textContent = mine ? L.share_stop : L.share;
      button.setAttribute('aria-pressed', String(mine));
      button.disabled = !client.welcome || (!mine && (!canShare() || Boolean(sharer && sharer !== who)));
    }
  }

  client.addEventListener('welcome', ({ detail }) => { sharer = detail.screen; show(); });
  client.addEventListener('screen_share', ({ detail }) => { sharer = detail.participant; show(); });
  client.addEventListener('layout', ({ detail }) => {
    const slot = detail.find((s) => s.kind === 'video' && s.layer === 'screen' && s.source);
    stream = slot ? client.streamFor(slot.mid) : null;
    show();
  });
  client.addEventListener('sharing', show);
  client.addEventListener('floor_granted', show);
  client.addEventListener('spotlight', show);
  button?.addEventListener('click', async () => {
    button.disabled = true;
    try { await client.share(!client.screen); } catch (err) { client.emit('problem', err.message || String(err)); }
    show();
  });
  return { show };
}
