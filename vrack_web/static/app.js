// The page: load the rack once (rack, layout, devices, faults), then follow the journal and refetch only
// the devices an entry names, so a change shows within a second and a 1,000-node rack stays responsive.
// window.vrackView exposes readiness and timings (the tests and bench/web_render.py read them).

import { Api } from "./api.js";
import { Details } from "./details.js";
import { Elevation } from "./elevation.js";
import { JournalView } from "./journal.js";

const FULL_REFRESH_MS = 15000; // a backstop for anything no journal entry announces
const MANY = 40; // more dirty devices than this: one GET /devices instead of one request each
const WIRING_ALL_MAX = 200; // draw every feed and cable up to this many, else the selected device's

const $ = (id) => document.getElementById(id);
const view = (window.vrackView = { ready: false, applied: 0, timings: {}, errors: [] });

function peerNames() {
  const names = {};
  const text = new URLSearchParams(location.search).get("peers") || "";
  for (const pair of text.split(",")) {
    const [address, name] = pair.split("=");
    if (address && name) names[address.trim()] = name.trim();
  }
  return names;
}

let noticeTimer = null;
function notify(text, kind = "info") {
  const box = $("notice");
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.hidden = true; }, kind === "error" ? 8000 : 3000);
  if (kind === "error") view.errors.push(text);
}

class Page {
  constructor() {
    this.api = new Api();
    this.devices = new Map();
    this.dirty = new Set();
    this.layoutDirty = false;
    this.faultsDirty = false;
    this.flushTimer = null;
    this.timers = new Map();
    this.elevation = new Elevation($("cabinets"), $("wiring"), (name) => this.select(name));
    this.details = new Details($("details"), this.api, notify);
    this.journal = new JournalView($("entries"), {
      device: $("filter-device"), protocol: $("filter-protocol"), text: $("filter-text"),
      hidePolls: $("hide-polls"), pause: $("pause"), count: $("journal-count"),
    }, peerNames());
    this.kinds = [];
  }

  async start() {
    const started = performance.now();
    const [rack, layout, devices, faults] = await Promise.all([
      this.api.get("/rack"), this.api.get("/layout"), this.api.get("/devices"), this.api.get("/faults"),
    ]);
    const fetched = performance.now();
    this.rack = rack;
    document.title = `vrack ${rack.rack}`;
    $("rack-name").textContent = rack.rack;
    $("rack-summary").textContent = Object.entries(rack.devices).map(([kind, n]) => `${n} ${kind}`).join(" · ");
    $("rack-time").textContent = rack.time.slice(0, 19).replace("T", " ");
    for (const device of devices) this.devices.set(device.name, device);
    this.layout = layout;
    this.details.layout = layout;
    const wiring = layout.feeds.length + layout.cables.length;
    $("show-wiring").checked = wiring <= WIRING_ALL_MAX;
    this.elevation.showAll = $("show-wiring").checked;
    $("show-wiring").addEventListener("change", () => {
      this.elevation.showAll = $("show-wiring").checked;
      this.elevation.drawWiring();
    });
    this.elevation.build(layout, devices);
    $("device-names").replaceChildren(...devices.map((d) => Object.assign(document.createElement("option"), { value: d.name })));
    for (const device of devices) this.watchTimers(device);
    this.setupFaults(faults);
    window.addEventListener("resize", () => this.elevation.drawWiring());
    $("elevation").addEventListener("scroll", () => { if (!this.elevation.showAll) this.elevation.drawWiring(); });
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    view.timings.fetch_ms = fetched - started;
    view.timings.render_ms = performance.now() - fetched;
    view.devices = devices.length;
    this.follow(Math.max(0, rack.journal_last_seq - 300));
    setInterval(() => this.refreshAll(), FULL_REFRESH_MS);
    view.ready = true;
  }

  follow(after) {
    this.stream = this.api.follow(after, (batch) => this.onEntries(batch), (state) => {
      $("connection").dataset.state = state;
      $("connection").textContent = state === "live" ? "live" : state === "ended" ? "rack stopped" : "reconnecting…";
    });
  }

  onEntries(batch) {
    this.journal.add(batch);
    for (const entry of batch) {
      if (this.devices.has(entry.device)) this.dirty.add(entry.device);
      if (entry.protocol === "cable") {
        this.layoutDirty = true;
        if (entry.switch) this.dirty.add(entry.switch);
      }
      if (entry.protocol === "fault" || entry.protocol === "scenario") this.faultsDirty = true;
      if (entry.protocol === "bmc" && entry.device === this.details.name) this.details.refreshSel();
      view.seen = entry.seq;
    }
    const last = batch[batch.length - 1];
    if (last && last.time) $("rack-time").textContent = last.time.slice(0, 19).replace("T", " ");
    this.scheduleFlush();
  }

  scheduleFlush() {
    if (this.flushTimer === null) this.flushTimer = setTimeout(() => this.flush(), 30);
  }

  async flush() {
    const names = [...this.dirty];
    const seen = view.seen || 0;
    this.dirty.clear();
    const layoutDirty = this.layoutDirty;
    const faultsDirty = this.faultsDirty;
    this.layoutDirty = this.faultsDirty = false;
    try {
      const started = performance.now();
      const [devices, layout, faults] = await Promise.all([
        names.length > MANY ? this.api.get("/devices")
          : Promise.all(names.map((name) => this.api.get(`/devices/${encodeURIComponent(name)}`))),
        layoutDirty ? this.api.get("/layout") : null,
        faultsDirty ? this.api.get("/faults") : null,
      ]);
      if (layout) {
        this.layout.cables = layout.cables;
        this.elevation.setCables(layout.cables);
      }
      for (const device of devices) this.apply(device);
      if (faults) this.showFaults(faults);
      this.elevation.drawWiring();
      view.applied = Math.max(view.applied, seen);
      view.timings.last_update_ms = performance.now() - started;
      view.timings.last_update_devices = devices.length;
    } catch (error) {
      notify(`refresh failed: ${error.message}`, "error");
    } finally {
      this.flushTimer = null;
      if (this.dirty.size || this.layoutDirty || this.faultsDirty) this.scheduleFlush();
    }
  }

  apply(device) {
    this.devices.set(device.name, device);
    this.elevation.update(device);
    if (this.details.name === device.name) this.details.show(device);
    this.watchTimers(device);
  }

  // Some changes come from timers, not requests (a BMC done booting, identify ending, POST over):
  // look again just after the time the device says.
  watchTimers(device) {
    if (device.kind !== "compute") return;
    const waits = [device.bmc.state_for, device.identify && device.identify.remaining, device.host && device.host.in_post]
      .filter((t) => typeof t === "number");
    clearTimeout(this.timers.get(device.name));
    if (!waits.length) return;
    const delay = Math.min(...waits) * 1000 + 150;
    this.timers.set(device.name, setTimeout(() => { this.dirty.add(device.name); this.scheduleFlush(); }, delay));
  }

  async refreshAll() {
    try {
      const [devices, layout, faults] = await Promise.all([this.api.get("/devices"), this.api.get("/layout"), this.api.get("/faults")]);
      this.layout.cables = layout.cables;
      this.elevation.setCables(layout.cables);
      for (const device of devices) this.apply(device);
      this.showFaults(faults);
      this.elevation.drawWiring();
    } catch (error) {
      notify(`refresh failed: ${error.message}`, "error");
    }
  }

  select(name) {
    this.elevation.select(name);
    this.details.show(this.devices.get(name));
    $("fault-target").value = name;
  }

  setupFaults(faults) {
    this.kinds = faults.kinds;
    const select = $("fault-kind");
    select.replaceChildren(...faults.kinds.map((k) => Object.assign(document.createElement("option"), { value: k.name, textContent: k.name })));
    select.addEventListener("change", () => this.showParams());
    this.showParams();
    $("fault-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.inject();
    });
    this.showFaults(faults);
  }

  showParams() {
    const kind = this.kinds.find((k) => k.name === $("fault-kind").value);
    const box = $("fault-params");
    box.replaceChildren();
    $("fault-help").textContent = kind ? `${kind.description} (${kind.role})` : "";
    if (!kind) return;
    const required = new Set(kind.params.required || []);
    for (const [name, schema] of Object.entries(kind.params.properties || {})) {
      const label = document.createElement("label");
      label.textContent = `${name} `;
      let input;
      if (schema.enum) {
        input = document.createElement("select");
        for (const value of schema.enum) input.append(Object.assign(document.createElement("option"), { value, textContent: value }));
        if (schema.default !== undefined) input.value = schema.default;
      } else {
        input = document.createElement("input");
        input.type = schema.type === "number" || schema.type === "integer" ? "number" : "text";
        if (input.type === "number") input.step = "any";
        if (schema.default !== undefined) input.placeholder = String(schema.default);
        input.required = required.has(name);
      }
      input.dataset.param = name;
      input.dataset.type = schema.type || "string";
      input.title = schema.description || name;
      label.append(input);
      box.append(label);
    }
  }

  async inject() {
    const params = {};
    for (const input of $("fault-params").querySelectorAll("[data-param]")) {
      if (input.value === "") continue;
      params[input.dataset.param] = input.dataset.type === "number" || input.dataset.type === "integer" ? Number(input.value) : input.value;
    }
    const kind = $("fault-kind").value;
    const target = $("fault-target").value.trim();
    try {
      const fault = await this.api.post("/faults", { kind, target, params });
      notify(`fault #${fault.id} ${kind} on ${fault.devices.join(", ")}`, "ok");
      this.faultsDirty = true;
      this.scheduleFlush();
    } catch (error) {
      notify(`inject ${kind}: ${error.message}`, "error");
    }
  }

  showFaults(faults) {
    const list = $("active-faults");
    list.replaceChildren(...faults.active.map((fault) => {
      const li = document.createElement("li");
      li.dataset.fault = fault.id;
      li.textContent = `#${fault.id} ${fault.kind} on ${fault.devices.join(", ")} `;
      const clear = document.createElement("button");
      clear.type = "button";
      clear.textContent = "clear";
      clear.addEventListener("click", async () => {
        try {
          await this.api.del(`/faults/${fault.id}`);
          notify(`fault #${fault.id} cleared`, "ok");
        } catch (error) {
          notify(`clear #${fault.id}: ${error.message}`, "error");
        }
      });
      li.append(clear);
      return li;
    }));
    if (!faults.active.length) list.append(Object.assign(document.createElement("li"), { className: "muted", textContent: "no active faults" }));
  }
}

new Page().start().catch((error) => {
  notify(`cannot load the rack: ${error.message}`, "error");
  view.failed = String(error);
});
