// The signature check as a person reads it: Vietnamese words (or English when chosen) for the verdict and
// for what changed after each signature, Vietnam time, the signature's role instead of its field name.
// The words come from the page (#verify-words, server phrases); the API keeps its machine values.
import { formatMoment } from "/static/web/js/moments.js";

const words = JSON.parse(document.getElementById("verify-words").textContent);

function word(group, value) {
  return (words[group] || {})[value] || value || "";
}

export function renderReport(report, out) {
  out.replaceChildren();
  const summary = document.createElement("p");
  summary.className = "verify-summary";
  const all = report.all_valid ? words.all_valid : words.not_all_valid;
  summary.textContent = `${words.count.replace("{n}", String(report.count))}. ${report.count ? all : ""}`.trim();
  if (report.ltv) summary.textContent += ` ${words.ltv}`;
  out.append(summary);
  if (!report.signatures.length) return;
  const table = document.createElement("table");
  table.className = "grid verify-table";
  const head = table.createTHead().insertRow();
  for (const title of words.columns) head.insertCell().outerHTML = `<th>${title}</th>`;
  const body = table.createTBody();
  for (const sig of report.signatures) {
    const row = body.insertRow();
    row.insertCell().textContent = word("fields", sig.field);
    row.insertCell().textContent = sig.signer || "";
    const when = row.insertCell();
    if (sig.signing_time) {
      const time = document.createElement("time");
      time.dateTime = sig.signing_time;
      time.textContent = formatMoment(sig.signing_time);
      when.append(time);
    }
    const verdict = row.insertCell();
    const badge = document.createElement("span");
    badge.className = sig.ok ? "badge ok" : "badge bad";
    badge.textContent = word("verdicts", sig.verdict);
    verdict.append(badge);
    row.insertCell().textContent = sig.modifications ? word("modifications", sig.modifications) : "";
  }
  out.append(table);
}
