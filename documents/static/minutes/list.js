// The minutes list: drafting from an ended meeting, and checking the signatures of any PDF.
async function answer(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof body.detail === "string" ? body.detail : (body.message || JSON.stringify(body.detail));
    throw new Error(detail || `HTTP ${response.status}`);
  }
  return body;
}

function show(el, text) {
  el.textContent = text || "";
  el.hidden = !text;
}

const draftForm = document.getElementById("draft-form");
if (draftForm) {
  draftForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = document.getElementById("draft-error");
    show(error, "");
    try {
      const made = await answer(await fetch(`/api/meetings/${draftForm.meeting_id.value}/minutes`, { method: "POST" }));
      window.location.href = `/minutes/${made.id}`;
    } catch (e) {
      show(error, e.message);
    }
  });
}

const verifyForm = document.getElementById("verify-form");
verifyForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("verify-error");
  const out = document.getElementById("verify-report");
  show(error, "");
  out.replaceChildren();
  try {
    const report = await answer(await fetch("/api/signatures/verify", { method: "POST", body: new FormData(verifyForm) }));
    const table = document.createElement("table");
    table.className = "grid";
    for (const sig of report.signatures) {
      const row = table.insertRow();
      for (const value of [sig.field, sig.signer || "", sig.signing_time || "", sig.verdict, sig.modifications || ""]) {
        row.insertCell().textContent = value;
      }
      row.cells[3].className = sig.ok ? "badge ok" : "badge bad";
    }
    if (!report.signatures.length) table.insertRow().insertCell().textContent = "0";
    out.append(table);
  } catch (e) {
    show(error, e.message);
  }
});
