// The microphone and camera buttons of a participant that publishes (chair's console, district room):
// each turns its own device on or off through `MeetingClient.setSelfMedia`, and shows what it is now.
export function wireSelfMedia(client, L) {
  const mic = document.getElementById('mic-btn');
  const cam = document.getElementById('cam-btn');
  if (!mic || !cam) return;
  const paint = () => {
    mic.textContent = client.self.audio ? L.mic_off : L.mic_on;
    cam.textContent = client.self.video ? L.cam_off : L.cam_on;
    mic.setAttribute('aria-pressed', String(!client.self.audio));
    cam.setAttribute('aria-pressed', String(!client.self.video));
    mic.classList.toggle('off', !client.self.audio);
    cam.classList.toggle('off', !client.self.video);
  };
  mic.addEventListener('click', () => client.setSelfMedia({ audio: !client.self.audio }).then(paint));
  cam.addEventListener('click', () => client.setSelfMedia({ video: !client.self.video }).then(paint));
  client.addEventListener('welcome', () => { mic.disabled = false; cam.disabled = false; paint(); });
  paint();
}

// What a participant's own devices say, for a caption or a tile ("" when both are on).
export function selfMediaText(state, L) {
  return [state.audio ? '' : L.mic_is_off, state.video ? '' : L.cam_is_off].filter(Boolean).join(' · ');
}
