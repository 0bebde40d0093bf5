// The minutes editor: fills the form from the minutes, saves with PUT (version-checked), signs with a PIN,
// and checks the signatures of the signed PDF.
import { answer } from "./answers.js";
import { renderReport } from "./verify_report.js";

const data = JSON.parse(document.getElementById("minutes-data").textContent);
const form = document.getElementById("content-form");
const preview = document.getElementById("preview");
let version = data.version;

function show(el, text) {
  if (!el) return;
  el.textContent = text || "";
  el.hidden = !text;
}

function addRow(templateId, containerId, values) {
  const row = document.getElementById(templateId).content.firstElementChild.cloneNode(true);
  for (const input of row.querySelectorAll("[data-k]")) input.value = values[input.dataset.k] || "";
  row.querySelector(".remove").addEventListener("click", () => row.remove());
  document.getElementById(containerId).append(row);
}

function rows(containerId) {
  return [...document.getElementById(containerId).children].map((row) => {
    const item = {};
    for (const input of row.querySelectorAll("[data-k]")) item[input.dataset.k] = input.value.trim() || null;
    return item;
  });
}

function fill(content) {
  form.subject.value = content.subject;
  form.proceedings.value = content.proceedings;
  form.conclusions.value = content.conclusions;
  form.recipients.value = content.recipients.join("\n");
  document.getElementById("assignments").replaceChildren();
  document.getElementById("sections").replaceChildren();
  content.assignments.forEach((a) => addRow("assignment-row", "assignments", a));
  content.sections.forEach((s) => addRow("section-row", "sections", s));
}

// Only the secretary's draft has the form; signed minutes (and others' view of a draft) are text.
if (form) {
  fill(data.content);
  document.getElementById("add-assignment").addEventListener("click", () => addRow("assignment-row", "assignments", {}));
  document.getElementById("add-section").addEventListener("click", () => addRow("section-row", "sections", {}));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    show(document.getElementById("save-error"), "");
    const body = {
      version,
      subject: form.subject.value,
      proceedings: form.proceedings.value,
      conclusions: form.conclusions.value,
      assignments: rows("assignments").filter((a) => a.unit || a.task),
      sections: rows("sections").map((s) => ({ heading: s.heading, body: s.body || "" })).filter((s) => s.heading),
      recipients: form.recipients.value.split("\n").map((r) => r.trim()).filter(Boolean),
    };
    try {
      const saved = await answer(await fetch(`/api/minutes/${data.id}`, {
        method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      }));
      version = saved.version;
      document.getElementById("saved").hidden = false;
      preview.src = `/api/minutes/${data.id}/pdf?v=${version}`;
    } catch (error) {
      show(document.getElementById("save-error"), error.message);
    }
  });
}

const dialog = document.getElementById("pin-dialog");

function fillFacts(facts) {
  data.document_sha256 = facts.sha256;
  const hash = document.querySelector("#dlg-hash code");
  hash.textContent = facts.sha_short;
  hash.title = facts.sha256;
  document.getElementById("dlg-hash-full").textContent = facts.sha256;
  document.getElementById("dlg-number").textContent = facts.number;
  document.querySelector("#dlg-document .subject").textContent = facts.subject;
}
const signButton = document.getElementById("sign");
const signError = document.getElementById("sign-error");
if (signButton) {
  signButton.addEventListener("click", async () => {
    show(signError, "");
    document.getElementById("pin-form").reset();
    // Asked again now: a save since the page loaded changed the revision and so its hash.
    try {
      const facts = await answer(await fetch(`/api/minutes/${data.id}/signing`, { headers: { Accept: "application/json" } }));
      fillFacts(facts);
    } catch (error) {
      show(signError, error.message);
      return;
    }
    dialog.showModal();
  });
  document.getElementById("pin-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("pin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const pinForm = event.target;
    // The hash shown in the dialog: the server signs that revision or nothing.
    const body = { pin: pinForm.pin.value, document_sha256: data.document_sha256 };
    if (pinForm.otp.value.trim()) body.otp = pinForm.otp.value.trim();
    dialog.close();
    signButton.disabled = true;
    signButton.dataset.label = signButton.textContent;
    signButton.textContent = signButton.dataset.signing || "…";
    try {
      await answer(await fetch(`/api/minutes/${data.id}/sign`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      }));
      window.location.reload();
    } catch (error) {
      show(signError, error.message);
      signButton.disabled = false;
      signButton.textContent = signButton.dataset.label;
    }
  });
}

const sendButton = document.getElementById("send");
if (sendButton) {
  sendButton.addEventListener("click", async () => {
    sendButton.disabled = true;
    const label = sendButton.textContent;
    sendButton.textContent = sendButton.dataset.sending;
    try {
      const sent = await answer(await fetch(`/api/minutes/${data.id}/send`, { method: "POST" }));
      // Said in words, not a bare tick: sent, and to how many units.
      const count = (sent.delivered_incoming_ids || []).length;
      const done = document.getElementById("sent-now");
      const badge = done.querySelector(".badge");
      if (count) badge.textContent = badge.dataset.countText.replace("{n}", String(count));
      done.hidden = false;
      sendButton.remove();
    } catch (error) {
      show(signError, error.message);
      sendButton.disabled = false;
      sendButton.textContent = label;
    }
  });
}

const verifyThis = document.getElementById("verify-this");
if (verifyThis) {
  verifyThis.addEventListener("click", async () => {
    const error = document.getElementById("verify-error");
    show(error, "");
    verifyThis.disabled = true;
    try {
      const pdf = await (await fetch(`/api/minutes/${data.id}/pdf`)).blob();
      const form = new FormData();
      form.append("file", pdf, `bien-ban-${data.id}.pdf`);
      renderReport(await answer(await fetch("/api/signatures/verify", { method: "POST", body: form })),
        document.getElementById("verify-report"));
    } catch (e) {
      show(error, e.message);
    } finally {
      verifyThis.disabled = false;
    }
  });
}
