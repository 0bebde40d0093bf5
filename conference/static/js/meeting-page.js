// A meeting's page: start and end buttons (times are written by the server, core.local_time).
document.querySelectorAll('button[data-action]').forEach((b) => b.addEventListener('click', async () => {
  if (b.dataset.confirm && !window.confirm(b.dataset.confirm)) return;
  const r = await fetch(`/api/meetings/${b.dataset.meeting}/${b.dataset.action}`, { method: 'POST' });
  if (r.ok) location.reload(); else window.alert((await r.json()).detail);
}));

// A page left open while the meeting is scheduled or in progress follows it: when someone else starts or
// ends it (the chair from the console), the page reloads, so it does not go on offering "Kết thúc cuộc
// họp" for a meeting that is over, and shows the attendance and the way to the minutes once it is.
const STATUS_POLL_MS = 5000;
const status = document.getElementById('status');
if (status && status.dataset.status !== 'ended') {
  const timer = setInterval(async () => {
    try {
      const r = await fetch(`/api/meetings/${status.dataset.meeting}`, { headers: { Accept: 'application/json' } });
      if (!r.ok) return;
      if ((await r.json()).status !== status.dataset.status) {
        clearInterval(timer);
        location.reload();
      }
    } catch {
      // The network is back on the next try.
    }
  }, STATUS_POLL_MS);
}
