// The list of who is in the meeting now, with search (accents ignored): hosts first, then the units in
// the order they joined; each with its role and what it has on or off (hand, microphone, camera, muted
// by the host). Fed by the MeetingClient's messages; used by the console and the district room.
const fold = (text) => text.replace(/đ/g, 'd').replace(/Đ/g, 'D').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
const ROLE_ORDER = { host: 0, district: 1, observer: 2 };

export function wireParticipants(client, L) {
  const box = document.getElementById('people');
  if (!box) return;
  const list = box.querySelector('#people-list');
  const search = box.querySelector('#people-search');
  const count = box.querySelector('#people-count');
  const people = new Map();
  const hands = new Set();
  const muted = new Set();
  let order = 0;

  const add = (info) => { if (!people.has(info.participant)) people.set(info.participant, { ...info, order: order++ }); };
  // A unit by its unit's name; a person (chair, secretary, operator) by their own.
  const label = (p) => (p.role === 'district' && p.unit_name ? p.unit_name : p.name);

  function render() {
    const query = fold(search.value.trim());
    const all = [...people.values()].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.order - b.order);
    const shown = all.filter((p) => !query || fold(`${label(p)} ${p.name} ${p.unit_name || ''}`).includes(query));
    count.textContent = String(people.size);
    list.replaceChildren(...shown.map((p) => {
      const li = document.createElement('li');
      li.dataset.participant = p.participant;
      const name = document.createElement('span');
      name.className = 'pname';
      name.textContent = label(p) + (p.participant === client.welcome?.you.participant ? ` (${L.me})` : '');
      name.title = p.role === 'district' ? p.name : (p.unit_name || '');
      const role = document.createElement('span');
      role.className = 'prole muted';
      role.textContent = L[`role_${p.role}`] || p.role;
      li.append(name, ' ', role);
      const own = client.selfMediaOf(p.participant);
      const flags = [
        [hands.has(p.participant), L.raised, 'warn'], [muted.has(p.participant), L.muted, 'bad'],
        [p.role !== 'observer' && !own.audio, L.mic_is_off, 'warn'], [p.role !== 'observer' && !own.video, L.cam_is_off, 'warn'],
      ];
      for (const [on, text, kind] of flags) {
        if (!on) continue;
        const b = document.createElement('span');
        b.className = `badge ${kind}`;
        b.textContent = text;
        li.append(' ', b);
      }
      return li;
    }));
    box.querySelector('#people-none').hidden = shown.length > 0;
  }

  client.addEventListener('welcome', ({ detail }) => {
    people.clear(); hands.clear(); muted.clear(); order = 0;
    add(detail.you);
    detail.participants.forEach(add);
    detail.raised_hands.forEach((pid) => hands.add(pid));
    for (const p of [detail.you, ...detail.participants]) if (p.muted) muted.add(p.participant);
    render();
  });
  client.addEventListener('participant_joined', ({ detail }) => { add(detail.participant); render(); });
  client.addEventListener('participant_left', ({ detail }) => {
    people.delete(detail.participant); hands.delete(detail.participant); render();
  });
  client.addEventListener('hand_raised', ({ detail }) => {
    (detail.raised ? hands.add(detail.participant) : hands.delete(detail.participant)); render();
  });
  client.addEventListener('muted', ({ detail }) => {
    (detail.muted ? muted.add(detail.participant) : muted.delete(detail.participant)); render();
  });
  client.addEventListener('self_media', render);
  search.addEventListener('input', render);
}
