// Camera registry page: the list with live health, and the add/edit form (operators only).
(function () {
  "use strict";
  const labels = JSON.parse(document.getElementById("state-labels").textContent);
  const body = document.querySelector("#cameras tbody");
  const form = document.getElementById("camform");
  const errorBox = document.getElementById("form-error");
  let cameras = [];

  function cell(text) { const td = document.createElement("td"); td.textContent = text == null ? "" : text; return td; }

  async function load() {
    const r = await fetch("/api/ops/cameras");
    if (!r.ok) return;
    cameras = await r.json();
    body.replaceChildren(...cameras.map((c) => {
      const tr = document.createElement("tr");
      tr.dataset.id = c.id;
      const state = document.createElement("span");
      state.className = "state " + c.health.state;
      state.textContent = labels[c.health.state] || c.health.state;
      state.title = c.health.last_error || "";
      const st = cell(""); st.append(state);
      tr.append(cell(c.name), cell(c.location), cell(c.unit ? c.unit.name : ""), st, cell(c.health.fps));
      const actions = cell("");
      if (form) {
        const edit = document.createElement("button");
        edit.type = "button"; edit.className = "secondary"; edit.textContent = labels.edit;
        edit.addEventListener("click", () => fill(c));
        const del = document.createElement("button");
        del.type = "button"; del.className = "secondary"; del.textContent = labels.delete;
        del.addEventListener("click", async () => {
          if (!window.confirm(c.name + "?")) return;
          const r = await fetch(`/api/ops/cameras/${c.id}`, { method: "DELETE" });
          if (r.ok) load();
        });
        actions.append(edit, " ", del);
      }
      tr.append(actions);
      return tr;
    }));
  }

  function fill(c) {
    form.id.value = c.id;
    for (const k of ["name", "location", "stream_url", "substream_url", "analysis_fps", "people_fps"]) form[k].value = c[k] ?? "";
    form.unit_code.value = c.unit ? c.unit.code : "";
    form.zones.value = JSON.stringify(c.zones);
    form.masks.value = JSON.stringify(c.masks);
    form.enabled.checked = c.enabled;
    const title = document.getElementById("form-title");
    title.textContent = title.dataset.edit + ": " + c.name;
    form.scrollIntoView();
  }

  if (form) {
    form.addEventListener("reset", () => {
      form.id.value = "";
      const title = document.getElementById("form-title");
      title.textContent = title.dataset.add;
      errorBox.textContent = "";
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      errorBox.textContent = "";
      let zones, masks;
      try { zones = JSON.parse(form.zones.value || "[]"); masks = JSON.parse(form.masks.value || "[]"); }
      catch (err) { errorBox.textContent = "JSON: " + err.message; return; }
      const payload = {
        name: form.name.value, location: form.location.value, unit_code: form.unit_code.value || null,
        stream_url: form.stream_url.value, substream_url: form.substream_url.value || null,
        analysis_fps: Number(form.analysis_fps.value), people_fps: Number(form.people_fps.value),
        zones, masks, enabled: form.enabled.checked,
      };
      const id = form.id.value;
      const r = await fetch(id ? `/api/ops/cameras/${id}` : "/api/ops/cameras", {
        method: id ? "PUT" : "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
      });
      if (!r.ok) {
        const answer = await r.json();
        errorBox.textContent = answer.message || answer.detail;
        return;
      }
      form.reset();
      load();
    });
  }
  load();
  setInterval(load, 5000);
})();
