// The rack elevation: cabinets of `units` rack units, each device drawn once at its place and then only
// its state attributes updated (a 1,000-node rack redraws nothing but what changed), plus the wiring
// (power feeds and cables) as SVG lines over the cabinets.

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

export function health(sensors) {
  const order = ["ok", "unavailable", "warning", "critical", "non-recoverable"];
  let worst = "ok";
  for (const sensor of sensors || []) {
    if (sensor.status !== "unavailable" && order.indexOf(sensor.status) > order.indexOf(worst)) worst = sensor.status;
  }
  return worst;
}

export class Elevation {
  constructor(container, svg, onSelect) {
    this.container = container;
    this.svg = svg;
    this.onSelect = onSelect;
    this.elements = new Map(); // device name -> element
    this.layout = null;
    this.showAll = true;
    this.selected = null;
  }

  build(layout, devices) {
    this.layout = layout;
    this.container.replaceChildren();
    this.elements.clear();
    const byCabinet = new Map();
    for (const place of layout.devices) {
      if (!byCabinet.has(place.cabinet)) byCabinet.set(place.cabinet, []);
      byCabinet.get(place.cabinet).push(place);
    }
    const kinds = new Map(devices.map((d) => [d.name, d]));
    for (let cabinet = 1; cabinet <= layout.cabinets; cabinet++) {
      const places = byCabinet.get(cabinet) || [];
      // styles through the CSSOM only: the page's CSP forbids style attributes
      const rails = el("div", { class: "rails" });
      rails.style.setProperty("--units", String(layout.units));
      for (let u = layout.units; u >= 1; u--) {
        const label = el("div", { class: "unit-label", text: String(u) });
        label.style.gridRow = String(layout.units - u + 1);
        rails.append(label);
      }
      const side = el("div", { class: "side" });
      for (const place of places) {
        const device = kinds.get(place.name) || { name: place.name, kind: place.kind, model: "" };
        const node = this.deviceElement(device, place);
        if (place.height === 0) side.append(node);
        else {
          node.style.gridRow = `${layout.units - (place.u + place.height - 1) + 1} / span ${place.height}`;
          rails.append(node);
        }
      }
      this.container.append(
        el("div", { class: "cabinet", "data-cabinet": String(cabinet) }, el("h3", { text: `Cabinet ${cabinet}` }),
          el("div", { class: "frame" }, rails, side)),
      );
    }
    for (const device of devices) this.update(device);
    this.drawWiring();
  }

  deviceElement(device, place) {
    const node = el("div", {
      class: `device ${device.kind}`,
      "data-name": device.name,
      "data-kind": device.kind,
      role: "button",
      tabindex: "0",
      title: `${device.name} (${device.model})`,
    });
    if (place.height > 1) node.classList.add("tall");
    node.addEventListener("click", () => this.onSelect(device.name));
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); this.onSelect(device.name); }
    });
    if (device.kind === "compute") {
      node.append(
        el("span", { class: "led power", title: "host power" }),
        el("span", { class: "led bmc", title: "BMC" }),
        el("span", { class: "led identify", title: "identify" }),
        el("span", { class: "name", text: device.name }),
        el("span", { class: "model", text: device.model }),
        el("span", { class: "health" }),
      );
    } else if (device.kind === "switch") {
      node.append(el("span", { class: "name", text: device.name }), el("span", { class: "ports" }));
    } else if (device.kind === "pdu") {
      node.append(el("span", { class: "name", text: device.name }), el("ol", { class: "outlets" }));
    } else {
      node.append(el("span", { class: "name", text: device.name }));
    }
    this.elements.set(device.name, node);
    return node;
  }

  update(device) {
    const node = this.elements.get(device.name);
    if (!node) return;
    if (device.kind === "compute") this.updateNode(node, device);
    else if (device.kind === "switch") this.updateSwitch(node, device);
    else if (device.kind === "pdu") this.updatePdu(node, device);
  }

  updateNode(node, device) {
    const power = !device.ac_power ? "no-ac" : device.power ? "on" : "off";
    const bmc = device.bmc.state || (device.bmc.responsive ? "answering" : "dark");
    const identify = (device.identify && device.identify.state) || "off";
    const sensors = health(device.sensors);
    const post = device.host && device.host.in_post !== undefined;
    node.dataset.power = power;
    node.dataset.bmc = bmc;
    node.dataset.identify = identify;
    node.dataset.health = sensors;
    node.dataset.post = post ? "yes" : "no";
    node.querySelector(".led.power").title = `host power: ${power}${post ? " (POST)" : ""}`;
    node.querySelector(".led.bmc").title = `BMC: ${bmc}`;
    node.querySelector(".led.identify").title = `identify: ${identify}`;
    node.querySelector(".health").textContent = sensors === "ok" ? "" : sensors;
  }

  updateSwitch(node, device) {
    const strip = node.querySelector(".ports");
    if (strip.children.length !== device.ports.length) {
      strip.replaceChildren(...device.ports.map((p) => el("span", { class: "port", "data-port": String(p.port) })));
    }
    const cabled = new Set((this.layout ? this.layout.cables : []).filter((c) => c.switch === device.name).map((c) => c.port));
    device.ports.forEach((port, index) => {
      const cell = strip.children[index];
      const link = port.oper_up ? "up" : cabled.has(port.port) ? "down" : "empty";
      cell.dataset.link = link;
      cell.title = `port ${port.port} ${port.name}: ${link}${port.peer ? " — " + port.peer : ""}`;
    });
  }

  updatePdu(node, device) {
    const list = node.querySelector(".outlets");
    if (list.children.length !== device.outlets.length) {
      list.replaceChildren(...device.outlets.map((o) => el("li", { class: "outlet", "data-outlet": String(o.outlet) })));
    }
    device.outlets.forEach((outlet, index) => {
      const item = list.children[index];
      item.dataset.on = outlet.on ? "on" : "off";
      item.textContent = `${outlet.outlet} ${outlet.on ? outlet.watts + " W" : "off"}`;
      item.title = `${outlet.name}: ${outlet.on ? "on" : "off"}, ${outlet.watts} W`;
    });
  }

  select(name) {
    if (this.selected) this.elements.get(this.selected)?.classList.remove("selected");
    this.selected = name;
    const node = name ? this.elements.get(name) : null;
    if (node) node.classList.add("selected");
    this.drawWiring();
  }

  setCables(cables) {
    if (this.layout) this.layout.cables = cables;
  }

  // Feeds (PDU outlet -> node) and cables (node -> switch port): all of them for a small rack or when
  // "wiring" is on, else only those of the selected device.
  drawWiring() {
    const svg = this.svg;
    svg.replaceChildren();
    if (!this.layout) return;
    const box = this.container.parentElement.getBoundingClientRect();
    const scrollLeft = this.container.parentElement.scrollLeft;
    const scrollTop = this.container.parentElement.scrollTop;
    svg.setAttribute("width", this.container.scrollWidth);
    svg.setAttribute("height", this.container.scrollHeight);
    const center = (node, side) => {
      const r = node.getBoundingClientRect();
      const x = side === "left" ? r.left : side === "right" ? r.right : r.left + r.width / 2;
      return [x - box.left + scrollLeft, r.top + r.height / 2 - box.top + scrollTop];
    };
    const wanted = (a, b) => this.showAll || this.selected === a || this.selected === b;
    // Read every position first, then add the lines: adding while reading would lay the page out per line.
    const lines = [];
    for (const feed of this.layout.feeds) {
      if (!wanted(feed.pdu, feed.node)) continue;
      const pdu = this.elements.get(feed.pdu);
      const node = this.elements.get(feed.node);
      const outlet = pdu && pdu.querySelector(`.outlet[data-outlet="${feed.outlet}"]`);
      if (!outlet || !node) continue;
      const on = outlet.dataset.on === "on";
      lines.push([center(outlet, "left"), center(node, "right"), `feed ${on ? "on" : "off"}`,
        `${feed.pdu}/${feed.outlet} → ${feed.node}/psu${feed.psu}`]);
    }
    for (const cable of this.layout.cables) {
      if (!wanted(cable.node, cable.switch)) continue;
      const node = this.elements.get(cable.node);
      const sw = this.elements.get(cable.switch);
      const port = sw && sw.querySelector(`.port[data-port="${cable.port}"]`);
      if (!port || !node) continue;
      const state = !cable.plugged ? "unplugged" : port.dataset.link === "up" ? "up" : "down";
      lines.push([center(node, "left"), center(port, "center"), `cable ${state}`,
        `${cable.node}/nic${cable.nic} ↔ ${cable.switch}/${cable.port} (${state})`]);
    }
    const fragment = document.createDocumentFragment();
    for (const [[x1, y1], [x2, y2], cls, label] of lines) {
      const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
      // feeds leave the outlet leftwards and enter the node from the right; cables loop out left of the rails
      const bend = Math.max(24, Math.abs(y2 - y1) / 5);
      const c2 = cls.startsWith("feed") ? x2 + bend : x2 - bend;
      path.setAttribute("d", `M${x1},${y1} C${x1 - bend},${y1} ${c2},${y2} ${x2},${y2}`);
      path.setAttribute("class", cls);
      const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      title.textContent = label;
      path.append(title);
      fragment.append(path);
    }
    svg.append(fragment);
  }
}
