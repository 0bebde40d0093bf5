// Dossier pages: the one-stop receipt form, the workflow and apology buttons, printing the apology slip.
// A file of its own (no inline script) so the pages run under the Content-Security-Policy.
(() => {
  const script = document.currentScript;
  const dossier = script && script.dataset.dossier;

  async function post(url, body, errorId) {
    const r = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
    if (r.ok) return r.json();
    const data = await r.json();
    document.getElementById(errorId).textContent = data.message || data.detail || ('Lỗi ' + r.status);
    return null;
  }

  const receipt = document.getElementById('receipt-form');
  if (receipt) receipt.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = Object.fromEntries(new FormData(ev.target).entries());
    if (!data.unit_code) delete data.unit_code;
    const body = await post('/api/dossiers', data, 'receipt-error');
    if (body) location.href = '/dossiers/' + body.id;
  });

  if (dossier) {
    document.querySelectorAll('button[data-action]').forEach((b) => b.addEventListener('click', async () => {
      const comment = document.getElementById('comment').value;
      if (b.dataset.needs === 'true' && !comment.trim()) {
        document.getElementById('action-error').textContent = 'Cần ghi lý do cho thao tác này.';
        return;
      }
      if (await post('/api/dossiers/' + dossier + '/actions', {action: b.dataset.action, comment}, 'action-error')) location.reload();
    }));
    const ap = document.getElementById('apology-btn');
    if (ap) ap.addEventListener('click', async () => {
      const body = {reason: document.getElementById('apology-reason').value,
                    extra_working_days: Number(document.getElementById('apology-days').value)};
      if (await post('/api/dossiers/' + dossier + '/apology', body, 'apology-error')) location.reload();
    });
  }

  document.querySelectorAll('button[data-print]').forEach((b) => b.addEventListener('click', () => window.print()));
})();
