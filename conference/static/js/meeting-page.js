// A meeting's page: start and end buttons, local times.
document.querySelectorAll('button[data-action]').forEach((b) => b.addEventListener('click', async () => {
  if (b.dataset.confirm && !window.confirm(b.dataset.confirm)) return;
  const r = await fetch(`/api/meetings/${b.dataset.meeting}/${b.dataset.action}`, { method: 'POST' });
  if (r.ok) location.reload(); else window.alert((await r.json()).detail);
}));
document.querySelectorAll('time[datetime]').forEach((t) => {
  const d = new Date(t.getAttribute('datetime'));
  if (!Number.isNaN(d.getTime())) t.textContent = d.toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh' });
});
