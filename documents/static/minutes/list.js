// The minutes list: drafting from an ended meeting, and checking the signatures of any PDF.
import { answer } from "./answers.js";
import { renderReport } from "./verify_report.js";

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
    renderReport(report, out);
  } catch (e) {
    show(error, e.message);
  }
});
