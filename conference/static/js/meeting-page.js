// A meeting's page: start and end buttons (times are written by the server, core.local_time).
document.querySelectorAll('button[data-action]').forEach((b) => b.addEventListener('click', async () => {
  if (b.dataset.confirm && !window.confirm(b.dataset.confirm)) return;
  const r = await fetch(`/api/meetings/${b.dataset.meeting}/${b.dataset.action}`, { method: 'POST' });
  if (r.ok) location.reload(); else window.alert((await r.json()).detail);
}));
