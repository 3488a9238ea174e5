// Journal entries as sentences a person reads: who asked which device for what, in the words of the tool
// they would type ("RackHD 172.31.128.1 → node03: chassis power on").  Unknown entries fall back to
// "device: protocol operation key=value".

// IPMI commands in ipmitool's words (the journal's operation is bmc_sim's command name).
const IPMI_WORDS = {
  "chassis.get_status": "chassis status",
  "chassis.control": "chassis power",
  "chassis.identify": "chassis identify",
  "chassis.get_capabilities": "chassis capabilities",
  "chassis.set_power_restore_policy": "chassis policy",
  "chassis.get_restart_cause": "chassis restart_cause",
  "chassis.set_boot_options": "chassis bootparam set",
  "chassis.get_boot_options": "chassis bootparam get",
  "chassis.get_poh_counter": "chassis poh",
  "app.get_device_id": "mc info",
  "app.cold_reset": "mc reset cold",
  "app.warm_reset": "mc reset warm",
  "app.get_self_test_results": "mc selftest",
  "app.get_device_guid": "mc guid",
  "app.get_system_guid": "mc guid (system)",
  "app.get_channel_info": "channel info",
  "app.get_channel_access": "channel getaccess",
  "app.set_channel_access": "channel setaccess",
  "app.get_user_access": "user list (access)",
  "app.set_user_access": "user priv",
  "app.get_user_name": "user list (name)",
  "app.set_user_name": "user set name",
  "app.set_user_password": "user set password",
  "app.get_watchdog": "mc watchdog get",
  "app.set_watchdog": "mc watchdog set",
  "app.reset_watchdog": "mc watchdog reset",
  "app.get_channel_auth_capabilities": "discover (auth capabilities)",
  "app.get_session_challenge": "session challenge",
  "app.activate_session": "session activate",
  "app.set_session_privilege": "session privilege",
  "app.close_session": "session close",
  "app.get_session_info": "session info",
  "app.activate_payload": "sol activate",
  "app.deactivate_payload": "sol deactivate",
  "storage.get_sel_info": "sel info",
  "storage.get_sel_entry": "sel get",
  "storage.add_sel_entry": "sel add",
  "storage.delete_sel_entry": "sel delete",
  "storage.clear_sel": "sel clear",
  "storage.get_sel_time": "sel time get",
  "storage.set_sel_time": "sel time set",
  "storage.get_sdr_info": "sdr info",
  "storage.get_sdr": "sdr get",
  "storage.reserve_sdr": "sdr reserve",
  "storage.get_fru_info": "fru info",
  "storage.read_fru": "fru read",
  "sensor.get_reading": "sensor reading",
  "sensor.get_thresholds": "sensor thresholds",
  "sensor.platform_event": "event",
  "transport.get_lan_config": "lan print",
  "transport.set_lan_config": "lan set",
  "transport.get_sol_config": "sol info",
  "transport.set_sol_config": "sol set",
};

// Polls a manager repeats every few seconds: the page can hide them ("hide status polls").
export const POLL_OPERATIONS = new Set([
  "chassis.get_status", "sensor.get_reading", "storage.get_sel_info", "app.get_device_id",
  "app.get_channel_auth_capabilities", "app.get_session_challenge", "app.activate_session",
  "app.set_session_privilege", "app.close_session", "rmcp+open-session", "rakp1", "rakp3", "get", "getnext", "getbulk",
]);

function onOff(value) { return value ? "on" : "off"; }

function who(peer, names) {
  if (!peer) return "someone";
  const address = String(peer).replace(/:\d+$/, "");
  const name = names[address];
  return name ? `${name} ${address}` : address;
}

function ipmiWords(entry) {
  const base = IPMI_WORDS[entry.operation] || entry.operation.replace(/[._]/g, " ");
  if (entry.request) {
    if (entry.operation === "chassis.control" || entry.operation === "chassis.identify") return `chassis ${entry.request}`;
    if (entry.operation === "chassis.set_boot_options") return `chassis ${entry.request}`;
    if (entry.operation === "chassis.set_power_restore_policy") return `chassis ${entry.request}`;
  }
  return base;
}

function ipmiSentence(entry, names) {
  const from = who(entry.peer, names);
  const user = entry.user ? ` as ${entry.user}` : "";
  if (entry.outcome) return `${from} → ${entry.device}: ${ipmiWords(entry) || "request"} refused (${entry.outcome})${user}`;
  const code = entry.completion_code;
  const failed = code !== null && code !== undefined && code !== 0 ? ` → error 0x${code.toString(16).padStart(2, "0")}` : "";
  return `${from} → ${entry.device}: ${ipmiWords(entry)}${failed}`;
}

const OID_NAMES = [
  ["1.3.6.1.2.1.1.1", "sysDescr"], ["1.3.6.1.2.1.1.2", "sysObjectID"], ["1.3.6.1.2.1.1.3", "sysUpTime"],
  ["1.3.6.1.2.1.1.5", "sysName"], ["1.3.6.1.2.1.2.2.1.8", "ifOperStatus"], ["1.3.6.1.2.1.2.2.1.7", "ifAdminStatus"],
  ["1.3.6.1.2.1.2.2.1", "ifTable"], ["1.3.6.1.2.1.31.1.1", "ifXTable"], ["1.0.8802.1.1.2", "lldp"],
  ["1.3.6.1.2.1.17", "bridge"], ["1.3.6.1.4.1.1718.3.2.3.1", "outletTable"], ["1.3.6.1.4.1.1718", "sentry"],
];

function oidName(oid) {
  for (const [prefix, name] of OID_NAMES) {
    if (oid === prefix || oid.startsWith(prefix + ".")) return oid === prefix ? name : `${name}${oid.slice(prefix.length)}`;
  }
  return oid;
}

function snmpSentence(entry, names) {
  const oids = entry.oids || [];
  const first = oids.length ? oidName(oids[0]) : "";
  const more = oids.length > 1 ? ` (+${oids.length - 1})` : "";
  const error = entry.error_status && entry.error_status !== "noError" ? ` → ${entry.error_status}` : "";
  return `${who(entry.peer, names)} → ${entry.device}: snmp${entry.operation} ${first}${more}${error}`;
}

const SENTENCES = {
  "control:power": (e) => `${e.cause || "control API"} → ${e.device}: power ${e.action}`,
  "control:outlet": (e) => `${e.cause || "control API"} → ${e.device}: outlet ${e.outlet} ${e.action}`,
  "control:rack-started": (e) => `rack ${e.device} started with ${e.devices} devices`,
  "control:rack-stopping": (e) => `rack ${e.device} stopping`,
  "power:host-power": (e) => `${e.device}: host power ${onOff(e.on)} (${e.cause})`,
  "power:ac-power": (e) => `${e.device}: AC power ${onOff(e.on)} (${e.cause})`,
  "power:outlet": (e) => `${e.device}: outlet ${e.outlet} ${onOff(e.on)} (${e.cause})`,
  "power:feed-changed": (e) => `${e.device}: psu${e.psu} feed ${e.outlet} ${onOff(e.on)}${e.ac ? "" : ", no AC left"}`,
  "power:supply-failed": (e) => `${e.device}: psu${e.psu} failed (${e.cause})`,
  "power:supply-restored": (e) => `${e.device}: psu${e.psu} restored (${e.cause})`,
  "link:port-up": (e) => `${e.device}: port ${e.port} link up (${e.cause})`,
  "link:port-down": (e) => `${e.device}: port ${e.port} link down (${e.cause})`,
  "cable:unplugged": (e) => `${e.device}: cable nic${e.nic} ↔ ${e.switch}/${e.port} pulled (${e.cause})`,
  "cable:plugged": (e) => `${e.device}: cable nic${e.nic} ↔ ${e.switch}/${e.port} plugged (${e.cause})`,
  "fault:injected": (e) => `${e.device}: fault #${e.fault} ${e.kind} injected (${e.cause})`,
  "fault:cleared": (e) => `${e.device}: fault #${e.fault} ${e.kind} cleared (${e.cause})`,
  "host:post": (e) => `${e.device}: POST for ${e.seconds} s, then boot from ${e.boot_device}`,
  "host:boot": (e) => `${e.device}: booting from ${e.boot_device}`,
  "host:os-running": (e) => `${e.device}: OS running${e.kernel ? ` (${e.kernel})` : ""}`,
  "bmc:sel-event": (e) => `${e.device}: SEL event${e.sensor ? ` from ${e.sensor}` : ""} (${e.cause})`,
};

function fallback(entry) {
  const skip = new Set(["seq", "time", "elapsed", "device", "protocol", "operation", "run"]);
  const rest = Object.entries(entry)
    .filter(([key]) => !skip.has(key))
    .map(([key, value]) => `${key}=${typeof value === "object" ? JSON.stringify(value) : value}`)
    .join(" ");
  return `${entry.device}: ${entry.protocol} ${entry.operation}${rest ? " " + rest : ""}`;
}

// names: peer address -> who it is ({"172.31.128.1": "RackHD"}), from the page's ?peers= parameter.
export function sentence(entry, names = {}) {
  if (entry.protocol === "ipmi") return ipmiSentence(entry, names);
  if (entry.protocol === "snmp") return snmpSentence(entry, names);
  const make = SENTENCES[`${entry.protocol}:${entry.operation}`];
  return make ? make(entry) : fallback(entry);
}

export function isPoll(entry) {
  return (entry.protocol === "ipmi" || entry.protocol === "snmp") && POLL_OPERATIONS.has(entry.operation);
}
