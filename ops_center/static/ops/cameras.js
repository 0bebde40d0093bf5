// Camera registry page: the list with live health, and the add/edit form (operators only).
(function () {
  "use strict";
  const labels = JSON.parse(document.getElementById("state-labels").textContent);
  const body = document.querySelector("#cameras tbody");
  const form = document.getElementById("camform");
  const errorBox = document.getElementById("form-error");
  let cameras = [];

  function cell(text) { const td = document.createElement("td"); td.textContent = text == null ? "" : text; return td; }

  const COLUMNS = 7;

  function heading(text, cls) {
    const tr = document.createElement("tr");
    tr.className = cls;
    const th = document.createElement("th");
    th.colSpan = COLUMNS;
    th.textContent = text;
    tr.append(th);
    return tr;
  }

  // Cameras grouped by commune/ward (their unit), then by site, each heading with how many are online.
  function grouped(list) {
    const units = new Map();
    for (const c of list) {
      const unit = c.unit ? c.unit.name : labels.no_unit;
      if (!units.has(unit)) units.set(unit, new Map());
      const sites = units.get(unit);
      const site = c.site || labels.no_site;
      if (!sites.has(site)) sites.set(site, []);
      sites.get(site).push(c);
    }
    const rows = [];
    const collator = new Intl.Collator("vi");
    const tally = (cams) => `${cams.filter((c) => c.health.state === "online").length}/${cams.length} ${labels.online_of}`;
    for (const unit of [...units.keys()].sort(collator.compare)) {
      const sites = units.get(unit);
      const all = [...sites.values()].flat();
      rows.push(heading(`${unit} · ${tally(all)}`, "group unit"));
      for (const site of [...sites.keys()].sort(collator.compare)) {
        rows.push(heading(`${site} · ${tally(sites.get(site))}`, "group site"));
        rows.push(...sites.get(site).map(row));
      }
    }
    return rows;
  }

  async function load() {
    const r = await fetch("/api/ops/cameras");
    if (!r.ok) return;
    cameras = await r.json();
    body.replaceChildren(...grouped(cameras));
  }

  function row(c) {
      const tr = document.createElement("tr");
      tr.dataset.id = c.id;
      const state = document.createElement("span");
      state.className = "state " + c.health.state;
      state.textContent = labels[c.health.state] || c.health.state;
      state.title = c.health.last_error || "";
      const st = cell(""); st.append(state);
      if (c.health.fault) st.append(" ", (labels.faults || {})[c.health.fault] || c.health.fault);
      const zones = c.health.zone_people ? ` (${c.health.zone_people.join(" · ")})` : "";
      let ingest = c.health.owner || "";
      if (c.health.owner && c.health.takeover_gap_s != null) {
        ingest += ` — ${labels.taken_over} ${c.health.takeover_gap_s.toFixed(1)} s`;
      }
      tr.append(cell(c.name), cell(c.location), st, cell(c.health.fps), cell(`${c.health.people}${zones}`),
                cell(ingest));
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
  }

  function fill(c) {
    form.id.value = c.id;
    for (const k of ["name", "location", "site", "stream_url", "substream_url", "transport", "analysis_fps",
                     "people_fps"]) form[k].value = c[k] ?? "";
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
        site: form.site.value, transport: form.transport.value,
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
