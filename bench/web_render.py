"""The web view with a large rack: how long the page takes to draw, and how soon it shows a change.

For each rack size N (default 10 and 1,000 nodes; one PDU outlet feeds each node, one switch port
cables each node), a rack is started with ``vrack up`` (the test kit's process mode) on 127.68.16.0/20,
its control API on 127.68.0.2, and headless Chromium (``vrack_web.browser``) opens ``/web/``:

* ``load``: navigation start to the page's ``ready`` (the rack, layout, devices and faults fetched, every
  device drawn, the first frame laid out), and the page's own split: ``fetch`` (the four API calls) and
  ``render`` (building the elevation and wiring);
* ``data``: the same four API calls from Python (urllib) in the same run: what the page costs beyond
  fetching its data is ``load`` / ``data``;
* ``update``: a change made by another client (the page's ``fetch`` to the control API, not the page's
  buttons) until the node's element shows it (a MutationObserver): power on one node, then cut one
  node's outlet; median and max over ``--updates`` changes of each kind;
* ``all wiring``: drawing every feed and cable as lines (a rack of more than 200 draws only the selected
  device's unless "wiring" is ticked);
* ``burst``: power on ``--burst`` nodes at once (parallel requests) until all show it.

No timed assertion anywhere: ``tests/bench/test_web_render_smoke.py`` runs it small to check that it works.

    python -m bench.web_render [--nodes 10 1000] [--updates 10] [--burst 100] [--json out.json] [--screenshots DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.request
from ipaddress import ip_network
from pathlib import Path
from typing import Any

from vrack.testing import RackHandle, start_rack
from vrack_web.browser import open_browser, wait_for

NETWORK = "127.68.16.0/20"
CONTROL = "127.68.0.2"
OUTLETS = 40  # per PDU
PORTS = 48  # per switch

CHANGE_SCRIPT = """
const [name, path, body, attribute, wanted, done] = arguments;
const node = document.querySelector(`[data-name="${name}"]`);
const started = performance.now();
const observer = new MutationObserver(() => {
  if (node.dataset[attribute] === wanted) { observer.disconnect(); done(performance.now() - started); }
});
observer.observe(node, {attributes: true});
fetch(path, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)})
  .then(r => { if (!r.ok) { observer.disconnect(); done(-r.status); } });
"""

# Draw every feed and cable once (a big rack draws only the selected device's by default), with layout.
WIRING_SCRIPT = """
const box = document.getElementById("show-wiring");
const was = box.checked;
const started = performance.now();
box.checked = true; box.dispatchEvent(new Event("change"));
document.body.getBoundingClientRect();
const took = performance.now() - started;
box.checked = was; box.dispatchEvent(new Event("change"));
return took;
"""

BURST_SCRIPT = """
const [names, done] = arguments;
const nodes = names.map(n => document.querySelector(`[data-name="${n}"]`));
const started = performance.now();
const check = () => nodes.every(n => n.dataset.power === "on");
const observer = new MutationObserver(() => {
  if (check()) { observer.disconnect(); done(performance.now() - started); }
});
for (const n of nodes) observer.observe(n, {attributes: true});
Promise.all(names.map(n => fetch(`/api/v1/devices/${n}/power`, {method: "POST",
  headers: {"content-type": "application/json"}, body: JSON.stringify({action: "on"})})));
"""


def rack_spec(nodes: int, network: str = NETWORK, control: str = CONTROL) -> str:
    """N generic nodes (no POST, BMC up at once), PDUs of :data:`OUTLETS` and switches of :data:`PORTS`."""
    pdus, switches = -(-nodes // OUTLETS), -(-nodes // PORTS)
    lines = [
        f"rack: web-bench-{nodes}",
        f"networks: {{management: {network}}}",
        f"control: {{address: {control}}}",
        "devices:",
        f"  - {{name: 'node{{n:04d}}', kind: compute, model: generic, count: {nodes}, post_seconds: 0,"
        " bmc: {boot_time: 0}}",
        f"  - {{name: 'pdu{{n:02d}}', kind: pdu, count: {pdus}, outlets: {OUTLETS}, reboot_delay: 0}}",
        f"  - {{name: 'sw{{n:02d}}', kind: switch, count: {switches}, ports: {PORTS}}}",
        "power:",
    ]
    lines += [
        f"  - {{outlet: pdu{i // OUTLETS + 1:02d}/{i % OUTLETS + 1}, to: node{i + 1:04d}/psu1}}" for i in range(nodes)
    ]
    lines.append("cables:")
    lines += [f"  - {{a: node{i + 1:04d}/nic0, b: sw{i // PORTS + 1:02d}/{i % PORTS + 1}}}" for i in range(nodes)]
    return "\n".join(lines) + "\n"


def _data_ms(api: str) -> float:
    started = time.perf_counter()
    for path in ("/rack", "/layout", "/devices", "/faults"):
        with urllib.request.urlopen(f"{api}/api/v1{path}", timeout=60) as answer:
            answer.read()
    return (time.perf_counter() - started) * 1000


def _change(driver: Any, name: str, path: str, body: dict[str, Any], attribute: str, wanted: str) -> float:
    took = float(driver.execute_async_script(CHANGE_SCRIPT, name, path, body, attribute, wanted))
    if took < 0:
        raise RuntimeError(f"POST {path} {body} answered HTTP {-took:.0f}")
    return took


def measure(rack: RackHandle, nodes: int, updates: int, burst: int, driver: Any) -> dict[str, Any]:
    """One rack size: load, data, update and burst times in milliseconds."""
    driver.set_script_timeout(60)
    started = time.perf_counter()
    driver.get(rack.api_url + "/web/")
    wait_for(driver, "return window.vrackView && window.vrackView.ready", 120)
    load_ms = (time.perf_counter() - started) * 1000
    timings = driver.execute_script("return window.vrackView.timings")
    data_ms = statistics.median(_data_ms(rack.api_url) for _ in range(3))
    names = [f"node{i + 1:04d}" for i in range(nodes)]
    step = max(1, nodes // max(1, updates))
    chosen = names[::step][:updates]
    power = [_change(driver, n, f"/api/v1/devices/{n}/power", {"action": "on"}, "power", "on") for n in chosen]
    cuts = []
    for name in chosen:
        index = int(name[4:]) - 1
        pdu, outlet = f"pdu{index // OUTLETS + 1:02d}", index % OUTLETS + 1
        cuts.append(_change(driver, name, f"/api/v1/pdus/{pdu}/outlets/{outlet}", {"action": "off"}, "power", "no-ac"))
    wiring_ms = float(driver.execute_script(WIRING_SCRIPT))
    rest = [n for n in names if n not in set(chosen)][:burst]
    burst_ms = float(driver.execute_async_script(BURST_SCRIPT, rest)) if rest else 0.0
    return {
        "nodes": nodes,
        "devices": int(driver.execute_script("return window.vrackView.devices")),
        "load_ms": round(load_ms, 1),
        "page_fetch_ms": round(timings["fetch_ms"], 1),
        "page_render_ms": round(timings["render_ms"], 1),
        "data_ms": round(data_ms, 1),
        "load_over_data": round(load_ms / data_ms, 2),
        "power_update_median_ms": round(statistics.median(power), 1),
        "power_update_max_ms": round(max(power), 1),
        "outlet_update_median_ms": round(statistics.median(cuts), 1),
        "outlet_update_max_ms": round(max(cuts), 1),
        "wiring_all_ms": round(wiring_ms, 1),
        "burst_nodes": len(rest),
        "burst_ms": round(burst_ms, 1),
        "errors": driver.execute_script("return window.vrackView.errors"),
    }


def run(
    sizes: list[int], updates: int, burst: int, network: str = NETWORK, control: str = CONTROL, shots: str | None = None
) -> list[dict[str, Any]]:
    if ip_network(network).num_addresses < max(sizes) * 1.1 + 8:
        raise ValueError(f"{network} has too few addresses for {max(sizes)} nodes")
    rows = []
    driver = open_browser()
    try:
        for nodes in sizes:
            with start_rack(rack_spec(nodes, network, control), mode="process", timeout=600) as rack:
                rows.append(measure(rack, nodes, updates, burst, driver))
                if shots:
                    Path(shots).mkdir(parents=True, exist_ok=True)
                    driver.execute_script("document.querySelector('[data-name=\"node0001\"]').click()")
                    driver.save_screenshot(str(Path(shots) / f"web-render-{nodes}.png"))
    finally:
        driver.quit()
    return rows


COLUMNS = [
    ("nodes", "nodes"), ("devices", "devices"), ("load_ms", "load ms"), ("page_fetch_ms", "page fetch ms"),
    ("page_render_ms", "page render ms"), ("data_ms", "data alone ms"), ("load_over_data", "load / data"),
    ("power_update_median_ms", "power update ms (median)"), ("power_update_max_ms", "(max)"),
    ("outlet_update_median_ms", "outlet cut ms (median)"), ("outlet_update_max_ms", "(max)"),
    ("wiring_all_ms", "all wiring ms"), ("burst_nodes", "burst nodes"), ("burst_ms", "burst ms"),
]  # fmt: skip


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(row[key]) for key, _ in COLUMNS) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--updates", type=int, default=10, help="changes of each kind per rack")
    parser.add_argument("--burst", type=int, default=100, help="nodes powered on at once")
    parser.add_argument("--json", help="also write the rows here")
    parser.add_argument("--screenshots", help="save a screenshot of each rack's page in this directory")
    args = parser.parse_args(argv)
    rows = run(args.nodes, args.updates, args.burst, shots=args.screenshots)
    print(table(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
