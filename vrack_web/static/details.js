// The selected device: what it is (addresses, MACs, serial, sensors, SEL, sessions; never a secret: the
// page never calls /credentials) and the actions a person exploring takes, each one control API call.

import { health } from "./elevation.js";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function facts(rows) {
  const dl = el("dl", { class: "facts" });
  for (const [term, value] of rows) {
    if (value === undefined || value === null || value === "") continue;
    dl.append(el("dt", { text: term }), el("dd", { text: String(value) }));
  }
  return dl;
}

function table(headers, rows, attrs = {}) {
  const head = el("tr", {}, ...headers.map((h) => el("th", { text: h })));
  const body = rows.map((cells) => {
    const tr = el("tr");
    for (const cell of cells) tr.append(cell instanceof Node ? el("td", {}, cell) : el("td", { text: String(cell ?? "") }));
    return tr;
  });
  return el("table", attrs, el("thead", {}, head), el("tbody", {}, ...body));
}

export class Details {
  constructor(container, api, notify) {
    this.container = container;
    this.api = api;
    this.notify = notify;
    this.name = null;
    this.sel = null;
    this.layout = null;
  }

  async act(label, method, path, body) {
    try {
      await this.api.call(method, path, body);
      this.notify(`${label}: done`, "ok");
    } catch (error) {
      this.notify(`${label}: ${error.message}`, "error");
    }
  }

  button(label, action, title) {
    return el("button", { type: "button", text: label, title: title || label, "data-action": label, onclick: action });
  }

  show(device) {
    if (!device) return;
    const changed = this.name !== device.name;
    this.name = device.name;
    if (changed) this.sel = null;
    const parts = [el("h2", { text: device.name }), el("p", { class: "muted", text: `${device.kind} · ${device.model}` })];
    if (device.kind === "compute") parts.push(...this.node(device));
    else if (device.kind === "pdu") parts.push(...this.pdu(device));
    else if (device.kind === "switch") parts.push(...this.switch(device));
    this.container.replaceChildren(...parts);
    this.container.dataset.device = device.name;
    if (device.kind === "compute" && (changed || this.sel === null)) this.loadSel(device.name);
  }

  node(d) {
    const power = !d.ac_power ? "no AC" : d.power ? "on" : "off";
    const post = d.host && d.host.in_post !== undefined ? ` (POST, ${Math.ceil(d.host.in_post)} s left)` : "";
    const identify = d.identify ? d.identify.state + (d.identify.remaining ? ` (${Math.ceil(d.identify.remaining)} s)` : "") : "";
    const actions = el("div", { class: "actions" },
      ...["on", "off", "cycle", "reset", "soft"].map((action) =>
        this.button(`power ${action}`, () => this.act(`${d.name} power ${action}`, "POST", `/devices/${d.name}/power`, { action }))),
    );
    const feeds = (this.layout ? this.layout.feeds : []).filter((f) => f.node === d.name).map((f) => `psu${f.psu} ← ${f.pdu}/${f.outlet}`);
    const cables = (this.layout ? this.layout.cables : []).filter((c) => c.node === d.name)
      .map((c) => `nic${c.nic} ↔ ${c.switch}/${c.port}${c.plugged ? "" : " (pulled)"}`);
    const out = [
      facts([
        ["power", power + post],
        ["BMC", d.bmc.state + (d.bmc.state_for ? ` (${Math.ceil(d.bmc.state_for)} s)` : "")],
        ["identify", identify],
        ["health", health(d.sensors)],
        ["BMC address", `${d.bmc.address}:${d.bmc.bound_port || d.bmc.port}`],
        ["BMC MAC", d.bmc.mac],
        ...d.nics.map((nic) => [nic.name, nic.mac]),
        ["serial", d.serial],
        ["UUID", d.uuid],
        ["users", (d.bmc.accounts || []).map((a) => `${a.name} (${a.privilege})`).join(", ")],
        ["feeds", feeds.join(", ")],
        ["cables", cables.join(", ")],
        ["host", d.host ? [d.host.kind, d.host.state, d.host.boot_device].filter(Boolean).join(" ") : ""],
      ]),
      actions,
      el("h3", { text: "Sensors" }),
      table(["sensor", "type", "value", "status"], (d.sensors || []).map((s) => [s.name, s.type, s.value ?? "—", s.status]), { class: "sensors" }),
      el("h3", { text: `Sessions (${(d.bmc.sessions || []).length})` }),
      table(["user", "privilege", "from", "idle s"], (d.bmc.sessions || []).map((s) => [s.user, s.privilege, s.peer, s.idle])),
      el("h3", { text: `SEL (${d.bmc.sel_entries} entries)` }),
      el("div", { class: "sel" }, this.selTable()),
    ];
    return out;
  }

  selTable() {
    if (this.sel === null) return el("p", { class: "muted", text: "loading…" });
    const newest = this.sel.slice(-20).reverse();
    return table(["id", "time", "sensor type", "#", "event"], newest.map((e) => [
      e.id,
      e.timestamp ? new Date(e.timestamp * 1000).toISOString().replace("T", " ").slice(0, 19) : "",
      e.sensor_type !== undefined ? `0x${e.sensor_type.toString(16)}` : `record 0x${e.record_type.toString(16)}`,
      e.sensor_number ?? "",
      e.offset !== undefined ? `offset ${e.offset} ${e.asserted ? "asserted" : "deasserted"}` : "",
    ]));
  }

  async loadSel(name) {
    try {
      const entries = await this.api.get(`/devices/${name}/sel`);
      if (this.name !== name) return;
      this.sel = entries;
      const box = this.container.querySelector(".sel");
      if (box) box.replaceChildren(this.selTable());
    } catch (error) {
      this.notify(`SEL of ${name}: ${error.message}`, "error");
    }
  }

  refreshSel() {
    if (this.name) this.loadSel(this.name);
  }

  pdu(d) {
    const fed = new Map((this.layout ? this.layout.feeds : []).filter((f) => f.pdu === d.name).map((f) => [f.outlet, `${f.node}/psu${f.psu}`]));
    const rows = d.outlets.map((o) => [
      o.outlet, o.name, o.on ? "on" : "off", `${o.watts} W`, fed.get(o.outlet) || "",
      el("span", { class: "actions" },
        this.button(o.on ? "off" : "on", () => this.act(`${d.name} outlet ${o.outlet} ${o.on ? "off" : "on"}`, "POST",
          `/pdus/${d.name}/outlets/${o.outlet}`, { action: o.on ? "off" : "on" }), `switch outlet ${o.outlet} ${o.on ? "off" : "on"}`),
        this.button("reboot", () => this.act(`${d.name} outlet ${o.outlet} reboot`, "POST", `/pdus/${d.name}/outlets/${o.outlet}`, { action: "reboot" }),
          `reboot outlet ${o.outlet}`)),
    ]);
    const total = d.outlets.reduce((sum, o) => sum + o.watts, 0);
    return [
      facts([["address", `${d.address}:${d.bound_port || d.port}`], ["serial", d.serial], ["load", `${total.toFixed(1)} W`]]),
      table(["#", "name", "state", "load", "feeds", ""], rows, { class: "outlets-table" }),
    ];
  }

  switch(d) {
    const cables = new Map((this.layout ? this.layout.cables : []).filter((c) => c.switch === d.name).map((c) => [c.port, c]));
    const rows = d.ports.map((p) => {
      const cable = cables.get(p.port);
      const action = cable
        ? this.button(cable.plugged ? "pull" : "plug", () => this.act(`${d.name} port ${p.port} cable ${cable.plugged ? "pulled" : "plugged"}`,
          "POST", `/switches/${d.name}/ports/${p.port}`, { plugged: !cable.plugged }), `${cable.plugged ? "pull" : "plug"} the cable at port ${p.port}`)
        : "";
      return [p.port, p.name, p.oper_up ? "up" : "down", cable ? `${cable.node}/nic${cable.nic}${cable.plugged ? "" : " (pulled)"}` : "", p.peer || "", action];
    });
    return [
      facts([["address", `${d.address}:${d.bound_port || d.port}`], ["serial", d.serial], ["MAC table", `${(d.fdb || []).length} entries`]]),
      table(["port", "name", "link", "cable", "LLDP neighbour", ""], rows, { class: "ports-table" }),
    ];
  }
}
