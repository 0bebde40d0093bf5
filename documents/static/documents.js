// Document pages: forms marked data-api are sent to the REST API (JSON, multipart or a raw edXML body);
// a refusal shows its message next to the form, success follows data-next or reloads the page.
(function () {
  "use strict";

  function setPath(target, path, value) {
    const parts = path.split(".");
    let node = target;
    for (const part of parts.slice(0, -1)) node = node[part] = node[part] || {};
    node[parts[parts.length - 1]] = value;
  }

  function formJson(form) {
    const out = {};
    for (const field of form.elements) {
      if (!field.name || field.type === "file" || field.type === "submit") continue;
      const kind = field.dataset.type || "";
      if (field.multiple) {
        const values = Array.from(field.selectedOptions).map((o) => Number(o.value));
        if (kind === "recipients") setPath(out, field.name, values.map((id) => ({ unit_id: id })));
        else setPath(out, field.name, values);
        continue;
      }
      if (field.value === "") continue;
      setPath(out, field.name, kind === "int" ? Number(field.value) : field.value);
    }
    return out;
  }

  async function send(form) {
    const mode = form.dataset.mode || "json";
    const options = { method: "POST", credentials: "same-origin", headers: {} };
    if (mode === "multipart") {
      options.body = new FormData(form);
    } else if (mode === "raw") {
      options.body = form.querySelector("input[type=file]").files[0];
      options.headers["Content-Type"] = "application/xml";
    } else {
      options.body = JSON.stringify(formJson(form));
      options.headers["Content-Type"] = "application/json";
    }
    const result = form.querySelector(".result");
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      const response = await fetch(form.dataset.api, options);
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        const detail = typeof body.detail === "string" ? body.detail : "";
        throw new Error(body.message || detail || response.status + " " + response.statusText);
      }
      const id = body.id || (body.document && body.document.id) || "";
      window.location.href = form.dataset.next ? form.dataset.next.replace("{id}", id) : window.location.href;
    } catch (error) {
      if (result) { result.textContent = error.message; result.hidden = false; }
    } finally {
      if (button) button.disabled = false;
    }
  }

  document.querySelectorAll("form[data-api]").forEach((form) => {
    form.addEventListener("submit", (event) => { event.preventDefault(); send(form); });
  });
})();
