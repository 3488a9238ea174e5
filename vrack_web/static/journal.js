// The live journal: the newest entries first, filtered by device, protocol and text, as sentences.
// Entries are kept in a ring of KEEP; the list shows at most SHOW matching ones, redrawn at most once
// per animation frame however fast entries arrive.

import { isPoll, sentence } from "./sentences.js";

const KEEP = 5000;
const SHOW = 300;

export class JournalView {
  constructor(list, controls, names) {
    this.list = list;
    this.controls = controls;
    this.names = names;
    this.entries = [];
    this.protocols = new Set();
    this.pending = false;
    for (const control of [controls.device, controls.protocol, controls.text, controls.hidePolls, controls.pause]) {
      control.addEventListener("input", () => this.schedule());
      control.addEventListener("change", () => this.schedule());
    }
  }

  add(batch) {
    for (const entry of batch) {
      this.entries.push(entry);
      if (!this.protocols.has(entry.protocol)) {
        this.protocols.add(entry.protocol);
        const option = document.createElement("option");
        option.value = option.textContent = entry.protocol;
        this.controls.protocol.append(option);
      }
    }
    if (this.entries.length > KEEP) this.entries.splice(0, this.entries.length - KEEP);
    this.schedule();
  }

  schedule() {
    if (this.pending || this.controls.pause.checked) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  matches(entry) {
    const device = this.controls.device.value.trim();
    const protocol = this.controls.protocol.value;
    if (device && entry.device !== device && !(device.endsWith("*") && entry.device.startsWith(device.slice(0, -1)))) return false;
    if (protocol && entry.protocol !== protocol) return false;
    if (this.controls.hidePolls.checked && isPoll(entry)) return false;
    return true;
  }

  render() {
    const text = this.controls.text.value.trim().toLowerCase();
    const shown = [];
    for (let i = this.entries.length - 1; i >= 0 && shown.length < SHOW; i--) {
      const entry = this.entries[i];
      if (!this.matches(entry)) continue;
      const words = sentence(entry, this.names);
      if (text && !words.toLowerCase().includes(text)) continue;
      shown.push([entry, words]);
    }
    const items = shown.map(([entry, words]) => {
      const li = document.createElement("li");
      li.dataset.seq = entry.seq;
      li.dataset.device = entry.device;
      li.dataset.protocol = entry.protocol;
      const time = document.createElement("time");
      time.textContent = (entry.time || "").slice(11, 23);
      time.title = `#${entry.seq} ${entry.time}`;
      const protocol = document.createElement("span");
      protocol.className = "protocol";
      protocol.textContent = entry.protocol;
      const says = document.createElement("span");
      says.className = "sentence";
      says.textContent = words;
      li.append(time, protocol, says);
      return li;
    });
    this.list.replaceChildren(...items);
    this.controls.count.textContent = `${shown.length} shown of ${this.entries.length} kept`;
  }
}
