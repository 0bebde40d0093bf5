// The scheduling form: agenda lines "Item | Presenter | minutes", invited endpoints, POST /api/meetings.
const form = document.getElementById('schedule-form');
if (form) {
  const all = document.getElementById('invite-all');
  all.addEventListener('change', () => form.querySelectorAll('input[name=invited]').forEach((c) => { c.checked = all.checked; }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const agenda = String(data.get('agenda') || '').split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
      const [title, presenter, minutes] = line.split('|').map((s) => s.trim());
      return { title, presenter: presenter || '', minutes: minutes ? Number(minutes) : null };
    });
    const body = {
      title: data.get('title'), place: data.get('place'), scheduled_at: data.get('scheduled_at'),
      chair: data.get('chair'), secretary: data.get('secretary') || null, agenda, invited: data.getAll('invited'),
      record: data.get('record') === 'on', kind: data.get('kind') || 'giao_ban',
    };
    const response = await fetch('/api/meetings', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (response.ok) { location.href = `/meetings/${answer.id}`; return; }
    const box = form.querySelector('[role=alert]');
    box.textContent = answer.message || answer.detail;
    box.hidden = false;
  });
}
