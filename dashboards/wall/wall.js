// IOC wall display: renders the layout /wall/{name} names, from /api/v1 only (no external network).
// Data: REST at start, then the WebSocket /api/v1/live; while the WebSocket is down, /api/v1/latest
// and /api/v1/alerts are polled every 10 s. Vanilla JS, no build step.
"use strict";

(function () {
  const POLL_MS = 10000;
  const STATIONS_REFRESH_MS = 30000;
  const HISTORY_REFRESH_MS = 300000;
  const STALE_AFTER_S = 120; // the wall looks stale when its newest reading is older than this (data_age widget may say)
  const VALUE_OLD_S = 900; // a single value older than this is greyed out (the API's station staleness)
  const LOST_AFTER_MS = 30000; // …or when nothing reached it for this long
  const WS_SILENCE_MS = 40000; // heartbeats come every 15 s

  const TEXT = {
    vi: {
      brand: "Trung tâm điều hành thông minh", lang: "EN",
      fresh: (a) => `Dữ liệu mới nhất: ${a} trước`, staleAge: (a) => `DỮ LIỆU CŨ: ${a} trước`, noData: "Chưa có dữ liệu",
      live: "Trực tuyến", polling: "Kết nối dự phòng (10 s)", lost: "MẤT KẾT NỐI", connecting: "Đang kết nối…",
      bannerStale: (a) => `Dữ liệu đã cũ — mới nhất cách đây ${a}. Số liệu trên màn hình có thể không còn đúng.`,
      bannerLost: "Mất kết nối tới máy chủ IOC — đang thử kết nối lại. Số liệu trên màn hình có thể không còn đúng.",
      bannerNone: "Chưa nhận được số liệu nào.",
      s: "giây", m: "phút", h: "giờ", d: "ngày",
      status: { online: "Hoạt động", stale: "Dữ liệu cũ", offline: "Mất kết nối", unknown: "Chưa có dữ liệu" },
      levelNone: "Dưới BĐ I", level: (l) => `Báo động ${l}`, noLevels: "chưa có mức báo động",
      aqiBands: ["Tốt", "Trung bình", "Kém", "Xấu", "Rất xấu", "Nguy hại"],
      aqiNote: "VN_AQI giờ (NowCast) do IOC tính theo QĐ 1459/QĐ-TCMT; ô ghi * là giá trị tạm tính từ PM2.5/PM10 mới nhất khi chưa có AQI giờ",
      aqiNoPM: "không có PM",
      traffic: ["Thông thoáng", "Chậm", "Ùn ứ", "Ùn tắc"], trafficNote: "Trạng thái do IOC tính từ tốc độ so với tốc độ dòng tự do và độ chiếm dụng; ngưỡng do dự án đặt, không phải tiêu chuẩn quốc gia",
      vehPer: (m) => `xe/${m} phút`, rain24: "mm/24 h",
      sev: { critical: "Khẩn cấp", warning: "Cảnh báo", info: "Thông tin" },
      state: { pending: "chờ", firing: "đang báo", acknowledged: "đã nhận" },
      noAlerts: "Không có cảnh báo nào đang mở", more: (n) => `và ${n} cảnh báo khác`,
      unitCol: "Đơn vị", domainCol: "Lĩnh vực", highest: "Mực nước sát BĐ nhất",
      domains: { hydrology: "Thủy văn", rain: "Đo mưa", reservoir: "Hồ chứa", air: "Không khí", traffic: "Giao thông", water_quality: "Chất lượng nước" },
      onlineCol: "Hoạt động", staleCol: "Cũ", offlineCol: "Mất KN", alertsCol: "Cảnh báo",
      legendStatus: "Trạng thái", none: "Không có trạm",
    },
    en: {
      brand: "Intelligent Operations Center", lang: "VI",
      fresh: (a) => `Newest data: ${a} ago`, staleAge: (a) => `STALE DATA: ${a} ago`, noData: "No data yet",
      live: "Live", polling: "Fallback polling (10 s)", lost: "CONNECTION LOST", connecting: "Connecting…",
      bannerStale: (a) => `Stale data — the newest reading is ${a} old. What this screen shows may be out of date.`,
      bannerLost: "Lost the connection to the IOC server — reconnecting. What this screen shows may be out of date.",
      bannerNone: "No readings received yet.",
      s: "s", m: "min", h: "h", d: "d",
      status: { online: "Online", stale: "Stale", offline: "Offline", unknown: "No data" },
      levelNone: "Below level I", level: (l) => `Alarm level ${l}`, noLevels: "no alarm levels",
      aqiBands: ["Good", "Moderate", "Poor", "Bad", "Very bad", "Hazardous"],
      aqiNote: "Hourly VN_AQI (NowCast) computed by IOC per Decision 1459/QĐ-TCMT; a tile marked * is indicated from the latest PM2.5/PM10 until an hourly AQI exists",
      aqiNoPM: "no PM",
      traffic: ["Free flow", "Slow", "Congested", "Jammed"], trafficNote: "State computed by IOC from speed against free-flow speed and occupancy; project-defined thresholds, not a national standard",
      vehPer: (m) => `veh/${m} min`, rain24: "mm/24 h",
      sev: { critical: "Critical", warning: "Warning", info: "Info" },
      state: { pending: "pending", firing: "firing", acknowledged: "acknowledged" },
      noAlerts: "No open alerts", more: (n) => `and ${n} more`,
      unitCol: "Unit", domainCol: "Domain", highest: "Closest to alarm",
      domains: { hydrology: "Hydrology", rain: "Rain", reservoir: "Reservoirs", air: "Air", traffic: "Traffic", water_quality: "Water quality" },
      onlineCol: "Online", staleCol: "Stale", offlineCol: "Offline", alertsCol: "Alerts",
      legendStatus: "Status", none: "No stations",
    },
  };

  // VN_AQI, Decision 1459/QĐ-TCMT Bảng 1 and Bảng 2 (see reference/vn-aqi.md): index breakpoints and
  // the PM concentration breakpoints in µg/m³; band colours are the official RGB values.
  const AQI_I = [0, 50, 100, 150, 200, 300, 400, 500];
  const AQI_BP = {
    pm2_5: [0, 25, 50, 80, 150, 250, 350, 500],
    pm10: [0, 50, 150, 250, 350, 420, 500, 600],
  };
  const AQI_COLOURS = ["#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#8F3F97", "#7E0023"];
  // Heavy-rain risk levels 1…5 (Decision 18/2021 Art. 4: light blue, light yellow, orange, red, purple).
  const RAIN_RISK_COLOURS = [null, "#A6D8F5", "#FFF3A3", "#FF9933", "#E53935", "#8E24AA"];
  const AQI_TEXT_ON = ["#000", "#000", "#000", "#fff", "#fff", "#fff"];
  const STATUS_COLOURS = { online: "#2fbf71", stale: "#f2c12e", offline: "#ff4d4d", unknown: "#6b7785" };
  const LEVEL_COLOURS = { none: "#2fbf71", I: "#f2d12e", II: "#ff8c1a", III: "#ff2d2d" };
  const TRAFFIC_COLOURS = ["#2fbf71", "#f2d12e", "#ff8c1a", "#ff2d2d"];
  const GREY = "#6b7785";

  const params = new URLSearchParams(location.search);
  let lang = params.get("lang") === "en" ? "en" : "vi";
  // The API wants a token (a display token is enough): given once as /wall/NAME?token=…, it is kept
  // in this browser's storage and taken out of the address bar, so it is not on screen or copied along.
  const TOKEN_KEY = "ioc-wall-token";
  let token = params.get("token") || "";
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token); else token = localStorage.getItem(TOKEN_KEY) || "";
  } catch (e) { /* storage disabled: the token lives as long as the page */ }
  if (params.has("token")) {
    params.delete("token");
    history.replaceState(null, "", location.pathname + (params.toString() ? `?${params}` : ""));
  }
  const name = decodeURIComponent(location.pathname.replace(/\/+$/, "").split("/").pop() || "");

  const state = {
    layout: null,
    stations: new Map(), // code → station (from /api/v1/stations, with attributes and sensors)
    latest: new Map(), // sensor id → {sensor, station, metric, unit, value, ts (ms)}
    alerts: new Map(), // alert id → alert
    history: new Map(), // sensor id → [{t, avg, sum}]
    summary: null,
    clockOffset: 0, // server time − browser time, ms
    lastContact: 0, // browser time of the last successful answer from the server
    lastEventId: null,
    ws: null, wsOpen: false, wsBackoff: 1000,
    error: null,
  };

  const $ = (sel, root = document) => root.querySelector(sel);
  const T = () => TEXT[lang];
  const now = () => Date.now() + state.clockOffset;
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const title = (o) => (lang === "en" ? o.title_en || o.title_vi : o.title_vi || o.title_en) || "";
  const fmt = (v, digits) => (v == null || !isFinite(v) ? "–" : Number(v).toLocaleString(lang === "en" ? "en-GB" : "vi-VN", { minimumFractionDigits: digits, maximumFractionDigits: digits }));

  function age(ms) {
    const t = T(), s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return `${s} ${t.s}`;
    if (s < 3600) return `${Math.floor(s / 60)} ${t.m}`;
    if (s < 86400) return `${Math.floor(s / 3600)} ${t.h} ${Math.floor((s % 3600) / 60)} ${t.m}`;
    return `${Math.floor(s / 86400)} ${t.d}`;
  }

  async function getJSON(path) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(path, { cache: "no-store", headers });
    if (response.status === 401 || response.status === 403) {
      throw new Error(`${path}: HTTP ${response.status} — open /wall/${name}?token=… with a display token (ioc token create --role display)`);
    }
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    const body = await response.json();
    state.lastContact = Date.now();
    return body;
  }

  // --- data ------------------------------------------------------------------------------------

  function filterQuery(extra) {
    const f = (state.layout && state.layout.filters) || {};
    const q = new URLSearchParams(extra || {});
    if (f.unit) q.set("unit", f.unit);
    return q;
  }

  async function loadStations() {
    const stations = new Map();
    let cursor = null;
    do {
      const q = filterQuery({ limit: "1000" });
      if (cursor) q.set("cursor", cursor);
      const page = await getJSON(`/api/v1/stations?${q}`);
      for (const s of page.stations) stations.set(s.code, s);
      cursor = page.next_cursor;
    } while (cursor);
    state.stations = stations;
  }

  function putReading(r) {
    const ts = typeof r.ts === "number" ? r.ts : Date.parse(r.ts);
    const old = state.latest.get(r.sensor);
    if (old && old.ts > ts) return;
    state.latest.set(r.sensor, { sensor: r.sensor, station: r.station, metric: r.metric, unit: r.unit, value: r.value, ts });
  }

  async function loadLatest() {
    const body = await getJSON(`/api/v1/latest?${filterQuery()}`);
    const served = Date.parse(body.generated_at);
    if (isFinite(served)) state.clockOffset = served - Date.now();
    for (const r of body.values) putReading(r);
  }

  async function loadAlerts() {
    const q = filterQuery({ state: "open", limit: "200" });
    const body = await getJSON(`/api/v1/alerts?${q}`);
    state.alerts = new Map(body.alerts.map((a) => [a.id, a]));
  }

  async function loadSummary() {
    state.summary = await getJSON(`/api/v1/summary?${filterQuery()}`);
  }

  function sensorsOf(stationFilter, metric) {
    const out = [];
    for (const s of state.stations.values()) {
      if (!stationFilter(s)) continue;
      for (const sensor of s.sensors || []) if (sensor.metric === metric) out.push({ station: s, sensor });
    }
    return out;
  }

  async function loadHistory() {
    const wanted = new Map(); // sensor id → hours
    for (const w of state.layout.widgets) {
      if (w.type !== "water_levels" && w.type !== "rainfall_bars" && w.type !== "history_chart") continue;
      const metric = w.metric || (w.type === "water_levels" ? "water_level" : "rain");
      for (const { sensor } of sensorsOf(widgetFilter(w), metric)) {
        wanted.set(sensor.id, Math.max(wanted.get(sensor.id) || 0, w.history_hours || 24));
      }
    }
    const byHours = new Map();
    for (const [id, hours] of wanted) byHours.set(hours, (byHours.get(hours) || []).concat(id));
    for (const [hours, ids] of byHours) {
      const to = new Date(now()), from = new Date(now() - hours * 3600000);
      for (let i = 0; i < ids.length; i += 50) {
        const q = new URLSearchParams({ sensor: ids.slice(i, i + 50).join(","), from: from.toISOString(), to: to.toISOString(), step: "1h" });
        const body = await getJSON(`/api/v1/history?${q}`);
        for (const series of body.series) {
          state.history.set(series.sensor, series.points.map((p) => ({ t: Date.parse(p.t), avg: p.avg, sum: p.sum })));
        }
      }
    }
  }

  // --- live feed -------------------------------------------------------------------------------

  function liveURL() {
    const f = state.layout.filters || {};
    const q = new URLSearchParams();
    if (f.unit) q.set("unit", f.unit);
    // One subscription for the whole page: every domain a widget shows, or all when one shows all.
    const domains = new Set();
    let all = false;
    for (const w of state.layout.widgets) {
      if (w.type === "clock" || w.type === "data_age") continue;
      const d = w.filters ? w.filters.domain : f.domain;
      if (d) domains.add(d); else all = true;
    }
    if (!all && domains.size) q.set("domain", [...domains].join(","));
    if (state.lastEventId != null) q.set("last_event_id", String(state.lastEventId));
    // Browsers cannot send headers on a WebSocket: the token goes as access_token.
    if (token) q.set("access_token", token);
    return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/live?${q}`;
  }

  function connect() {
    let ws;
    try {
      ws = new WebSocket(liveURL());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    let silence = null;
    const alive = () => {
      clearTimeout(silence);
      silence = setTimeout(() => ws.close(), WS_SILENCE_MS);
    };
    alive();
    ws.onmessage = (event) => {
      alive();
      state.lastContact = Date.now();
      let m;
      try { m = JSON.parse(event.data); } catch (e) { return; }
      onLiveMessage(m);
    };
    ws.onclose = () => {
      clearTimeout(silence);
      const wasOpen = state.wsOpen;
      state.wsOpen = false;
      state.ws = null;
      if (wasOpen) poll(); // at once, not in up to 10 s
      scheduleReconnect();
      renderStatus();
    };
    ws.onerror = () => {};
  }

  function scheduleReconnect() {
    const delay = state.wsBackoff;
    state.wsBackoff = Math.min(state.wsBackoff * 2, 30000);
    setTimeout(connect, delay);
  }

  function onLiveMessage(m) {
    switch (m.type) {
      case "hello":
        state.wsOpen = true;
        state.wsBackoff = 1000;
        if (m.server_time) state.clockOffset = Date.parse(m.server_time) - Date.now();
        if (state.lastEventId == null && m.last_event_id != null) state.lastEventId = m.last_event_id;
        // Alerts that changed while we were away and are older than the server's event memory.
        loadAlerts().then(renderAll, () => {});
        break;
      case "snapshot":
      case "readings":
        for (const r of m.readings || []) putReading(r);
        scheduleRender();
        break;
      case "alert":
        onAlertEvent(m);
        break;
      case "heartbeat":
        if (m.server_time) state.clockOffset = Date.parse(m.server_time) - Date.now();
        break;
    }
    renderStatus();
  }

  function onAlertEvent(e) {
    if (e.id != null) state.lastEventId = Math.max(state.lastEventId || 0, e.id);
    const id = e.alert_id;
    if (id == null) return;
    if (e.state === "resolved") {
      state.alerts.delete(id);
    } else {
      const a = state.alerts.get(id) || { id };
      for (const k of ["state", "severity", "level", "value", "rule_name", "subject", "subject_key", "station_code", "station_name", "metric", "unit", "domain", "opened_at"]) {
        if (e[k] !== undefined && e[k] !== null) a[k] = e[k];
      }
      if (e.message) a.message = e.message;
      state.alerts.set(id, a);
    }
    scheduleRender();
  }

  let pollBusy = false;
  async function poll() {
    if (state.wsOpen || pollBusy) return;
    pollBusy = true;
    try {
      await Promise.all([loadLatest(), loadAlerts()]);
      state.error = null;
    } catch (e) {
      state.error = String(e);
    } finally {
      pollBusy = false;
    }
    renderAll();
  }

  // --- widgets ---------------------------------------------------------------------------------

  function widgetFilter(w) {
    const f = Object.assign({}, (state.layout && state.layout.filters) || {}, w.filters || {});
    return (s) => (!f.domain || s.domain === f.domain);
  }

  function latestOf(station, metric) {
    let best = null;
    for (const sensor of station.sensors || []) {
      if (sensor.metric !== metric) continue;
      const v = state.latest.get(sensor.id);
      if (v && (!best || v.ts > best.ts)) best = v;
    }
    return best;
  }

  const isOld = (v) => !v || now() - v.ts > VALUE_OLD_S * 1000;
  function staleAfterSeconds() {
    const w = state.layout && state.layout.widgets.find((x) => x.type === "data_age");
    return (w && w.stale_after_seconds) || STALE_AFTER_S;
  }

  function valueSpan(v, digits, unit) {
    if (!v) return `<span class="num">–</span>`;
    return `<span class="num live-value${isOld(v) ? " stale-value" : ""}" data-sensor="${v.sensor}" data-ts="${new Date(v.ts).toISOString()}">${fmt(v.value, digits)}</span>${unit ? `<span class="unit">${esc(unit)}</span>` : ""}`;
  }

  function shortName(name) {
    return String(name).replace(/^(Đo mưa|Trạm khí tượng|Quan trắc không khí|Hồ thủy điện|Hồ chứa nước)\s+/, "");
  }

  function alarmLevels(station) {
    const a = station.attributes && station.attributes.alarm_levels;
    if (!a) return null;
    const out = {};
    for (const l of ["I", "II", "III"]) if (typeof a[l] === "number") out[l] = a[l];
    return Object.keys(out).length ? out : null;
  }

  function levelReached(station, value) {
    const levels = alarmLevels(station);
    if (!levels || value == null) return null;
    let reached = "none";
    for (const l of ["I", "II", "III"]) if (levels[l] != null && value >= levels[l]) reached = l;
    return reached;
  }

  const AQI_FRESH_MS = 3 * 3600 * 1000;
  const bandOf = (aqi) => aqi <= 50 ? 0 : aqi <= 100 ? 1 : aqi <= 150 ? 2 : aqi <= 200 ? 3 : aqi <= 300 ? 4 : 5;

  function aqiOf(station) {
    // The hourly VN_AQI IOC derives (sensor vn_aqi, stamped at the start of its hour) when recent.
    const hourly = latestOf(station, "vn_aqi");
    if (hourly && Date.now() - hourly.ts < AQI_FRESH_MS) {
      const aqi = Math.round(hourly.value);
      return { aqi, band: bandOf(aqi), metric: "vn_aqi", indicated: false };
    }
    // Else an indication: Formula 1 of the guideline on the newest PM value; band from the rounded index.
    let best = null;
    for (const metric of ["pm2_5", "pm10"]) {
      const v = latestOf(station, metric);
      if (!v) continue;
      const bp = AQI_BP[metric];
      const c = Math.max(0, v.value);
      let i = 0;
      while (i < bp.length - 2 && c > bp[i + 1]) i++;
      const x = Math.min(500, ((AQI_I[i + 1] - AQI_I[i]) / (bp[i + 1] - bp[i])) * (c - bp[i]) + AQI_I[i]);
      if (!best || x > best.aqi) best = { aqi: x, metric };
    }
    if (!best) return null;
    const aqi = Math.round(best.aqi);
    return { aqi, band: bandOf(aqi), metric: best.metric, indicated: true };
  }

  function trafficState(station) {
    // The congestion state IOC derives (0 free flow … 3 jammed), else bands of the newest speed.
    const derived = latestOf(station, "congestion"), speed = latestOf(station, "speed");
    if (derived && (!speed || derived.ts >= speed.ts)) return Math.max(0, Math.min(3, Math.round(derived.value)));
    const v = speed;
    if (!v) return null;
    return v.value >= 40 ? 0 : v.value >= 20 ? 1 : v.value >= 10 ? 2 : 3;
  }

  function stationColour(station, colourBy) {
    if (station.status === "offline" || station.status === "unknown") return STATUS_COLOURS[station.status];
    switch (colourBy) {
      case "alarm_level": {
        const v = latestOf(station, "water_level");
        const reached = v && levelReached(station, v.value);
        return reached ? LEVEL_COLOURS[reached] : GREY;
      }
      case "aqi_band": {
        const a = aqiOf(station);
        return a ? AQI_COLOURS[a.band] : GREY;
      }
      case "congestion": {
        const t = trafficState(station);
        return t == null ? GREY : TRAFFIC_COLOURS[t];
      }
      default:
        return STATUS_COLOURS[station.status] || GREY;
    }
  }

  const render = {
    map(w) {
      const stations = [...state.stations.values()].filter(widgetFilter(w)).filter((s) => s.lat != null && s.lon != null);
      if (!stations.length) return `<div class="empty">${T().none}</div>`;
      const W = 1000, H = 1000, pad = 90;
      let minLon = Infinity, maxLon = -Infinity, minLat = Infinity, maxLat = -Infinity;
      for (const s of stations) {
        minLon = Math.min(minLon, s.lon); maxLon = Math.max(maxLon, s.lon);
        minLat = Math.min(minLat, s.lat); maxLat = Math.max(maxLat, s.lat);
      }
      const k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180); // equirectangular, true at mid-latitude
      const spanX = Math.max((maxLon - minLon) * k, 0.02), spanY = Math.max(maxLat - minLat, 0.02);
      const scale = Math.min((W - 2 * pad) / spanX, (H - 2 * pad) / spanY);
      const cx = (minLon + maxLon) / 2, cy = (minLat + maxLat) / 2;
      const x = (lon) => W / 2 + (lon - cx) * k * scale;
      const y = (lat) => H / 2 - (lat - cy) * scale;
      let svg = "";
      const step = 0.1;
      for (let lon = Math.ceil((cx - W / 2 / k / scale) / step) * step; lon < cx + W / 2 / k / scale; lon += step) {
        svg += `<line class="grat" x1="${x(lon)}" y1="0" x2="${x(lon)}" y2="${H}"/><text class="grat-label" x="${x(lon) + 4}" y="${H - 8}">${lon.toFixed(1)}°E</text>`;
      }
      for (let lat = Math.ceil((cy - H / 2 / scale) / step) * step; lat < cy + H / 2 / scale; lat += step) {
        svg += `<line class="grat" x1="0" y1="${y(lat)}" x2="${W}" y2="${y(lat)}"/>`;
        if (y(lat) < H - 50) svg += `<text class="grat-label" x="4" y="${y(lat) - 4}">${lat.toFixed(1)}°N</text>`;
      }
      const labelled = stations.length <= 8; // more would overlap: the names are in the other widgets
      for (const s of stations) {
        const c = stationColour(s, w.colour_by);
        svg += `<circle class="st" data-station="${esc(s.code)}" cx="${x(s.lon).toFixed(1)}" cy="${y(s.lat).toFixed(1)}" r="${labelled ? 20 : 14}" fill="${c}"><title>${esc(s.name)}</title></circle>`;
        if (labelled) {
          // Labels of stations in the right part of the map go to their left, so they stay inside.
          const left = x(s.lon) > W * 0.55;
          svg += `<text class="st-label" text-anchor="${left ? "end" : "start"}" x="${(x(s.lon) + (left ? -30 : 30)).toFixed(1)}" y="${(y(s.lat) + 11).toFixed(1)}">${esc(shortName(s.name))}</text>`;
        }
      }
      return `<svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="xMidYMid meet" role="img">${svg}</svg>` + legend(w.colour_by);
    },

    water_levels(w) {
      const rows = sensorsOf(widgetFilter(w), w.metric || "water_level");
      if (!rows.length) return `<div class="empty">${T().none}</div>`;
      return `<div class="rows">${rows.map(({ station, sensor }) => waterLevelRow(station, sensor, w)).join("")}</div>`;
    },

    rainfall_bars(w) {
      const rows = sensorsOf(widgetFilter(w), w.metric || "rain").map(({ station, sensor }) => {
        // The 24 h total IOC derives (rain_24h, live) when there is one, else the hourly history's sum.
        const derived = w.metric ? null : latestOf(station, "rain_24h");
        const points = state.history.get(sensor.id) || [];
        const total = derived ? derived.value : points.reduce((acc, p) => acc + (p.sum || 0), 0);
        const risk = latestOf(station, "rain_risk");
        return { station, sensor: derived ? { id: derived.sensor } : sensor, total, risk: risk ? Math.round(risk.value) : 0 };
      });
      if (!rows.length) return `<div class="empty">${T().none}</div>`;
      rows.sort((a, b) => b.total - a.total);
      const max = Math.max(10, ...rows.map((r) => r.total));
      return `<div class="rows rain">` + rows.map((r) =>
        `<div class="row"><span class="name">${esc(shortName(r.station.name))}</span>` +
        `<div class="bar"><div style="width:${(100 * r.total / max).toFixed(1)}%${r.risk > 0 ? `;background:${RAIN_RISK_COLOURS[r.risk]}` : ""}"></div></div>` +
        `<span class="num" data-sensor="${r.sensor.id}">${fmt(r.total, 1)}</span></div>`).join("") +
        `</div><div class="note">${T().rain24}</div>`;
    },

    aqi(w) {
      const stations = [...state.stations.values()].filter(widgetFilter(w));
      if (!stations.length) return `<div class="empty">${T().none}</div>`;
      const tiles = stations.map((s) => {
        const a = aqiOf(s), pm25 = latestOf(s, "pm2_5"), pm10 = latestOf(s, "pm10");
        const style = a ? ` style="background:${AQI_COLOURS[a.band]};color:${AQI_TEXT_ON[a.band]}"` : "";
        return `<div class="aqi-tile${a ? "" : " no-band"}"${style} data-station="${esc(s.code)}">` +
          `<div class="name">${esc(shortName(s.name))}</div>` +
          `<div><span class="aqi num">${a ? a.aqi + (a.indicated ? "*" : "") : "–"}</span> <span class="band">${a ? esc(T().aqiBands[a.band]) : T().aqiNoPM}</span></div>` +
          `<div class="pm">PM2.5 ${valueSpan(pm25, 0)} · PM10 ${valueSpan(pm10, 0)} <span class="unit">µg/m³</span></div></div>`;
      });
      return `<div class="aqi-grid">${tiles.join("")}</div><div class="note">${esc(T().aqiNote)}</div>`;
    },

    traffic(w) {
      const stations = [...state.stations.values()].filter(widgetFilter(w));
      if (!stations.length) return `<div class="empty">${T().none}</div>`;
      const rows = stations.map((s) => {
        const t = trafficState(s), speed = latestOf(s, "speed"), count = latestOf(s, "vehicle_count");
        const interval = (s.attributes && s.attributes.interval_min) || 5;
        const colour = s.status === "online" || s.status === "stale" ? (t == null ? GREY : TRAFFIC_COLOURS[t]) : STATUS_COLOURS[s.status];
        return `<div class="row" data-station="${esc(s.code)}" title="${t == null ? "" : esc(T().traffic[t])}"><span class="dot" style="background:${colour}"></span>` +
          `<span class="name">${esc(s.name)}</span><span class="num">${valueSpan(speed, 0, "km/h")}</span><span class="num">${valueSpan(count, 0, T().vehPer(interval))}</span></div>`;
      });
      return `<div class="traffic-grid">${rows.join("")}</div>` +
        `<div class="legend">${T().traffic.map((l, i) => `<span><i style="background:${TRAFFIC_COLOURS[i]}"></i>${esc(l)}</span>`).join("")}</div>` +
        `<div class="note">${esc(T().trafficNote)}</div>`;
    },

    summary(w) {
      const s = state.summary;
      if (!s) return `<div class="empty">…</div>`;
      const t = T();
      const count = (name, domains) => {
        let on = 0, st = 0, off = 0, al = 0;
        for (const d of domains) {
          on += d.stations.online; st += d.stations.stale; off += d.stations.offline + d.stations.unknown; al += d.open_alerts.total;
        }
        return { name, on, st, off, al };
      };
      // Several units: a row per unit; a single one (a province with every station at the top): a row per domain.
      const byUnit = s.groups.filter((g) => g.domains.length);
      const groups = byUnit.length > 1 ? byUnit.map((g) => count(g.unit.name, g.domains))
        : (byUnit[0] ? byUnit[0].domains.map((d) => count(t.domains[d.domain] || d.domain, [d])) : []);
      let highest = null;
      for (const g of s.groups) for (const d of g.domains) {
        const h = d.highest_water_level;
        if (h && (!highest || (h.margin_to_next ?? Infinity) < (highest.margin_to_next ?? Infinity))) highest = h;
      }
      const hw = highest ? `<div class="row hw"><span class="name">${esc(t.highest)}: ${esc(highest.name)}</span><span class="num lvl-${highest.level_reached || "none"}">${fmt(highest.value, 2)}<span class="unit">m</span></span>` +
        `<span class="lvl-${highest.level_reached || "none"}">${highest.level_reached ? esc(t.level(highest.level_reached)) : esc(t.levelNone)}</span></div>` : "";
      return hw + `<table class="summary"><tr><th>${byUnit.length > 1 ? t.unitCol : t.domainCol}</th><th>${t.onlineCol}</th><th>${t.staleCol}</th><th>${t.offlineCol}</th><th>${t.alertsCol}</th></tr>` +
        groups.map((g) => `<tr><td>${esc(g.name)}</td><td class="num c-ok">${g.on}</td><td class="num ${g.st ? "c-warn" : "c-off"}">${g.st}</td>` +
          `<td class="num ${g.off ? "c-bad" : "c-off"}">${g.off}</td><td class="num ${g.al ? "c-bad" : "c-off"}">${g.al}</td></tr>`).join("") + `</table>`;
    },

    history_chart(w) {
      const rows = sensorsOf(widgetFilter(w), w.metric).filter(({ sensor }) => (state.history.get(sensor.id) || []).length);
      if (!rows.length) return `<div class="empty">…</div>`;
      const palette = ["#4aa3ff", "#f2c12e", "#2fbf71", "#ff6bcb", "#ff8c1a", "#b88cff"];
      const W = 1000, H = 400, hours = w.history_hours || 24, t0 = now() - hours * 3600000;
      let hi = 0;
      for (const { sensor } of rows) for (const p of state.history.get(sensor.id)) hi = Math.max(hi, p.avg || 0);
      hi = hi * 1.1 || 1;
      const X = (t) => ((t - t0) / (now() - t0)) * W, Y = (v) => H - (v / hi) * H;
      let svg = `<rect x="0" y="0" width="${W}" height="${H}" fill="#0c131c"/>`;
      if (w.metric === "pm2_5" || w.metric === "pm10") {
        // Concentration breakpoints of the VN_AQI bands (Bảng 2), as coloured guide lines.
        AQI_BP[w.metric].slice(1, 6).forEach((c, i) => { if (c < hi) svg += `<line x1="0" x2="${W}" y1="${Y(c)}" y2="${Y(c)}" stroke="${AQI_COLOURS[i + 1]}" stroke-width="2" stroke-dasharray="8 6"/>`; });
      }
      const keys = [];
      rows.forEach(({ station, sensor }, i) => {
        const c = palette[i % palette.length];
        const pts = state.history.get(sensor.id).filter((p) => p.avg != null).map((p) => `${X(p.t).toFixed(1)},${Y(p.avg).toFixed(1)}`);
        svg += `<polyline points="${pts.join(" ")}" fill="none" stroke="${c}" stroke-width="4"/>`;
        if (pts.length) svg += `<circle cx="${pts[pts.length - 1].split(",")[0]}" cy="${pts[pts.length - 1].split(",")[1]}" r="7" fill="${c}"/>`;
        keys.push(`<span><i style="background:${c}"></i>${esc(shortName(station.name))}</span>`);
      });
      return `<svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" style="width:100%;height:calc(100% - 70px)">${svg}</svg>` +
        `<div class="legend">${keys.join("")}</div><div class="note">0–${fmt(hi, 0)} ${esc(rows[0].sensor.unit)}</div>`;
    },

    alert_list(w) {
      const f = Object.assign({}, state.layout.filters || {}, w.filters || {});
      const rank = { critical: 0, warning: 1, info: 2 };
      const alerts = [...state.alerts.values()]
        .filter((a) => !f.domain || a.domain === f.domain)
        .sort((a, b) => (rank[a.severity] ?? 3) - (rank[b.severity] ?? 3) || Date.parse(b.opened_at) - Date.parse(a.opened_at));
      const limit = w.limit || 20;
      const t = T();
      const items = alerts.slice(0, limit).map((a) => {
        const where = shortName(a.station_name || a.station_code || a.subject_key || "");
        const value = a.value != null && a.unit ? ` · ${fmt(a.value, 2)} ${esc(a.unit)}` : "";
        const lvl = a.level ? ` · ${esc(t.level(a.level))}` : "";
        return `<li class="alert sev-${esc(a.severity)} ${esc(a.state)}" data-alert="${a.id}">` +
          `<div class="head"><span class="sev">${esc(t.sev[a.severity] || a.severity)}</span><span class="where">${esc(where)}</span>` +
          `<span class="age" data-since="${esc(a.opened_at)}">${a.opened_at ? age(now() - Date.parse(a.opened_at)) : ""}</span></div>` +
          `<div class="what">${esc(a.rule_name || "")}${lvl}${value}${a.state && a.state !== "firing" ? ` · ${esc(t.state[a.state] || a.state)}` : ""}</div></li>`;
      });
      return `<ul id="alert-list" class="alert-list" data-count="${alerts.length}">${items.join("")}</ul>` +
        (alerts.length === 0 ? `<div class="empty">${t.noAlerts}</div>` : "") +
        (alerts.length > limit ? `<div class="more">${esc(t.more(alerts.length - limit))}</div>` : "");
    },
  };

  function legend(colourBy) {
    const t = T();
    let items;
    switch (colourBy) {
      case "alarm_level":
        items = [["none", t.levelNone], ["I", t.level("I")], ["II", t.level("II")], ["III", t.level("III")]].map(([k, l]) => [LEVEL_COLOURS[k], l]);
        break;
      case "aqi_band":
        items = t.aqiBands.map((l, i) => [AQI_COLOURS[i], l]);
        break;
      case "congestion":
        items = t.traffic.map((l, i) => [TRAFFIC_COLOURS[i], l]);
        break;
      default:
        items = ["online", "stale", "offline", "unknown"].map((k) => [STATUS_COLOURS[k], t.status[k]]);
    }
    return `<div class="legend">${items.map(([c, l]) => `<span><i style="background:${c}"></i>${esc(l)}</span>`).join("")}</div>`;
  }

  function waterLevelRow(station, sensor, w) {
    const t = T();
    const v = state.latest.get(sensor.id);
    const levels = alarmLevels(station);
    const reached = v ? levelReached(station, v.value) : null;
    const points = (state.history.get(sensor.id) || []).filter((p) => p.avg != null);
    const values = points.map((p) => p.avg).concat(v ? [v.value] : []).concat(levels ? Object.values(levels) : []);
    let lo = Math.min(...values), hi = Math.max(...values);
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    const pad = Math.max((hi - lo) * 0.1, 0.2);
    lo -= pad; hi += pad;
    const W = 600, H = 100;
    const X = (ts) => points.length ? ((ts - points[0].t) / Math.max(1, now() - points[0].t)) * W : W;
    const Y = (val) => H - ((val - lo) / (hi - lo)) * H;
    let svg = `<rect class="gauge-bg" x="0" y="0" width="${W}" height="${H}" rx="6"/>`;
    if (levels) {
      for (const [l, val] of Object.entries(levels)) {
        svg += `<line class="alarm-line line-${l}" x1="0" x2="${W}" y1="${Y(val).toFixed(1)}" y2="${Y(val).toFixed(1)}"/>` +
          `<text class="alarm-label" x="${W - 4}" y="${(Y(val) - 3).toFixed(1)}" text-anchor="end">${l}</text>`;
      }
    }
    const line = points.map((p) => [X(p.t), Y(p.avg)]);
    if (v) line.push([W, Y(v.value)]);
    if (line.length > 1) svg += `<polyline class="spark" points="${line.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ")}"/>`;
    if (v) svg += `<circle cx="${W - 6}" cy="${Y(v.value).toFixed(1)}" r="6" fill="${reached ? LEVEL_COLOURS[reached] : "#4aa3ff"}"/>`;
    const levelText = !levels ? t.noLevels : reached === "none" ? t.levelNone : reached ? t.level(reached) : "";
    return `<div class="wl" data-station="${esc(station.code)}"><div class="name">${esc(station.name)}</div>` +
      `<div class="lvl lvl-${reached || "none"}">${esc(levelText)}</div>` +
      `<svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none">${svg}</svg>` +
      `<div class="value lvl-${reached || "none"}">${valueSpan(v, 2, "m")}</div></div>`;
  }

  // --- page ------------------------------------------------------------------------------------

  function buildGrid() {
    const grid = $("#grid");
    const wall = state.layout.wall || {};
    const widgets = state.layout.widgets.filter((w) => w.type !== "clock" && w.type !== "data_age");
    grid.style.gridTemplateColumns = wall.columns || `repeat(${Math.min(3, widgets.length)}, 1fr)`;
    grid.style.gridTemplateRows = wall.rows || `repeat(${Math.ceil(widgets.length / 3)}, 1fr)`;
    if (wall.areas) grid.style.gridTemplateAreas = wall.areas.map((r) => `"${r}"`).join(" ");
    grid.innerHTML = "";
    widgets.forEach((w, i) => {
      const el = document.createElement("section");
      el.className = `widget w-${w.type.replace(/_/g, "-")}`;
      el.dataset.widget = w.type;
      el.id = `w${i}`;
      if (w.area && wall.areas) el.style.gridArea = w.area;
      el.innerHTML = `<h2></h2><div class="body"></div>`;
      grid.appendChild(el);
      w._el = el;
    });
  }

  let renderQueued = false;
  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(() => { renderQueued = false; renderAll(); }, 250);
  }

  function renderAll() {
    if (!state.layout) return;
    document.documentElement.lang = lang;
    document.title = `IOC — ${title(state.layout)}`;
    $("#title").textContent = title(state.layout);
    $("#brand").textContent = T().brand;
    $("#lang-switch").textContent = T().lang;
    for (const w of state.layout.widgets) {
      if (!w._el || !render[w.type]) continue;
      w._el.querySelector("h2").textContent = title(w) + (w.type === "alert_list" ? ` (${[...state.alerts.values()].filter((a) => { const d = (w.filters || {}).domain; return !d || a.domain === d; }).length})` : "");
      try {
        w._el.querySelector(".body").innerHTML = render[w.type](w);
      } catch (e) {
        w._el.querySelector(".body").innerHTML = `<div class="empty">${esc(e)}</div>`;
      }
    }
    renderStatus();
  }

  function newestTs() {
    let newest = 0;
    for (const v of state.latest.values()) if (v.ts > newest) newest = v.ts;
    return newest;
  }

  function renderStatus() {
    const t = T();
    const newest = newestTs();
    const dataAge = newest ? now() - newest : null;
    const lost = !state.wsOpen && (!state.lastContact || Date.now() - state.lastContact > LOST_AFTER_MS || state.error);
    const staleData = dataAge == null || dataAge > staleAfterSeconds() * 1000;
    const ageEl = $("#data-age");
    ageEl.dataset.state = dataAge == null ? "none" : staleData ? "stale" : "fresh";
    ageEl.dataset.ageSeconds = dataAge == null ? "" : String(Math.round(dataAge / 1000));
    ageEl.textContent = dataAge == null ? t.noData : staleData ? t.staleAge(age(dataAge)) : t.fresh(age(dataAge));
    const conn = $("#connection");
    conn.dataset.state = state.wsOpen ? "live" : lost ? "lost" : state.lastContact ? "polling" : "connecting";
    conn.textContent = t[conn.dataset.state];
    const banner = $("#stale-banner");
    const stale = lost || staleData;
    document.body.classList.toggle("stale", !!stale);
    banner.hidden = !stale;
    banner.textContent = lost ? t.bannerLost : dataAge == null ? t.bannerNone : staleData ? t.bannerStale(age(dataAge)) : "";
  }

  function tick() {
    const d = new Date(now());
    const locale = lang === "en" ? "en-GB" : "vi-VN";
    $("#clock").textContent = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }).format(d);
    $("#clock-date").textContent = new Intl.DateTimeFormat(locale, { timeZone: "Asia/Ho_Chi_Minh", weekday: "long", day: "2-digit", month: "2-digit", year: "numeric" }).format(d) + " (UTC+7)";
    for (const el of document.querySelectorAll(".alert .age[data-since]")) el.textContent = age(now() - Date.parse(el.dataset.since));
    renderStatus();
  }

  function fit() {
    const s = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
    $("#screen").style.transform = s > 0 && Math.abs(s - 1) > 0.01 ? `scale(${s})` : "";
  }

  function switchLanguage() {
    lang = lang === "vi" ? "en" : "vi";
    const q = new URLSearchParams(location.search);
    if (lang === "en") q.set("lang", "en"); else q.delete("lang");
    history.replaceState(null, "", location.pathname + (q.toString() ? `?${q}` : ""));
    renderAll();
    tick();
  }

  async function start() {
    fit();
    window.addEventListener("resize", fit);
    $("#lang-switch").addEventListener("click", switchLanguage);
    tick();
    setInterval(tick, 1000);
    for (;;) {
      try {
        state.layout = await getJSON(`/api/v1/dashboards/${encodeURIComponent(name)}`);
        break;
      } catch (e) {
        $("#title").textContent = String(e);
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
    buildGrid();
    renderAll();
    const safely = (f) => () => f().then(renderAll, (e) => { state.error = String(e); renderStatus(); });
    await Promise.allSettled([loadStations(), loadLatest(), loadAlerts(),
      state.layout.widgets.some((w) => w.type === "summary") ? loadSummary() : Promise.resolve()]);
    renderAll();
    loadHistory().then(renderAll, () => {});
    // ?live=off: REST polling only, as when the WebSocket is unavailable (also how the browser test checks it).
    if (params.get("live") !== "off") connect();
    setInterval(poll, POLL_MS);
    // Station status (online/stale/offline) and the summary are not on the live feed.
    setInterval(safely(async () => {
      await loadStations();
      if (state.layout.widgets.some((w) => w.type === "summary")) await loadSummary();
    }), STATIONS_REFRESH_MS);
    setInterval(safely(loadHistory), HISTORY_REFRESH_MS);
  }

  start();
})();
