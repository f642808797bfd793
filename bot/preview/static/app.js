/* The preview page: one tab per person, each a Telegram-like private chat with the bot.
 *
 * State comes from GET /api/state and then live from server-sent events (/api/events); what a
 * person does goes to the preview's JSON API, which turns it into the update Telegram would
 * send the bot. Bot text is drawn by renderTelegramHtml (render.js); everything else a person
 * or the bot wrote goes in as text nodes.
 */
"use strict";

(function () {
  const S = { people: [], byId: {}, active: null, meta: null, map: null };
  const $ = function (sel, root) { return (root || document).querySelector(sel); };

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const key of Object.keys(attrs)) {
        const value = attrs[key];
        if (value === null || value === undefined || value === false) continue;
        if (key === "text") node.textContent = value;
        else if (key === "className") node.className = value;
        else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : value);
      }
    }
    for (const child of children || []) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  // ------------------------------------------------------------------ talking to the preview

  async function post(path, body) {
    const resp = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await resp.json(); } catch (e) { /* empty answer */ }
    if (!resp.ok) throw new Error(data.error || ("The preview answered " + resp.status));
    return data;
  }

  function act(promise) {
    promise.catch(function (err) { toast(err.message, true); });
  }

  function say(person, text) {
    act(post("/api/chats/" + person.id + "/message", { text: text }));
  }

  function shareLocation(person, lat, lon) {
    act(post("/api/chats/" + person.id + "/location", { latitude: lat, longitude: lon }));
  }

  // ------------------------------------------------------------------ toasts and alerts

  let toastTimer = null;
  function toast(text, isError) {
    const box = $("#toast");
    box.textContent = text;
    box.classList.toggle("error", !!isError);
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 4000);
  }

  function alertBox(text) {
    $("#alert-text").textContent = text;
    const dialog = $("#alert-dialog");
    if (!dialog.open) dialog.showModal();
  }

  // ------------------------------------------------------------------ messages

  function formatTime(seconds) {
    const d = seconds ? new Date(seconds * 1000) : new Date();
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    return Math.round(bytes / 102.4) / 10 + " KB";
  }

  function richText(text, html, className) {
    const box = el("div", { className: className });
    if (html) box.append(window.renderTelegramHtml(text));
    else box.textContent = text;
    return box;
  }

  function inlineKeyboard(person, view) {
    const box = el("div", { className: "inline-keyboard", role: "group", "aria-label": "Buttons" });
    for (const row of view.inline_keyboard) {
      const line = el("div", { className: "kb-row" });
      for (const b of row) {
        if (b.url && /^(https?:\/\/|tg:\/\/)/i.test(b.url)) {
          line.append(el("a", {
            className: "kb-button url", href: b.url, target: "_blank", rel: "noopener noreferrer",
            text: b.text + " ↗", "aria-label": b.text + " (opens a web page)",
          }));
        } else {
          line.append(el("button", {
            type: "button", className: "kb-button", text: b.text,
            "data-callback": b.callback_data || "",
            onclick: function () {
              act(post("/api/chats/" + person.id + "/press", { message_id: view.id, data: b.callback_data }));
            },
          }));
        }
      }
      box.append(line);
    }
    return box;
  }

  function renderMessage(person, view) {
    const fromBot = view.from === "bot";
    const item = el("li", {
      className: "msg " + (fromBot ? "from-bot" : "from-user"),
      "data-id": String(view.id),
    });
    item.append(el("span", { className: "visually-hidden", text: fromBot ? "SaferMK bot: " : person.name + ": " }));
    const bubble = el("div", { className: "bubble" });
    if (view.photo) {
      const img = el("img", {
        src: "/api/files/" + encodeURIComponent(view.photo.file_id),
        alt: view.caption ? "Picture: " + view.caption.replace(/<[^>]*>/g, "").slice(0, 120) : "Picture from the bot",
        loading: "lazy",
      });
      img.addEventListener("error", function () {
        img.replaceWith(el("p", { className: "missing", text: "🖼 A picture sent by web address (the preview does not fetch it)" }));
      });
      bubble.append(img);
    }
    if (view.document) {
      bubble.append(el("a", {
        className: "document",
        href: "/api/files/" + encodeURIComponent(view.document.file_id) + "?download=1",
        download: view.document.name,
      }, [
        el("span", { "aria-hidden": "true", text: "📄 " }),
        el("span", { className: "doc-name", text: view.document.name }),
        el("span", { className: "doc-size", text: " · " + formatSize(view.document.size) }),
      ]));
    }
    if (view.location) {
      bubble.append(el("p", {
        className: "location",
        text: "📍 Location: " + view.location.latitude.toFixed(4) + ", " + view.location.longitude.toFixed(4),
      }));
    }
    if (view.text !== undefined) bubble.append(richText(view.text, view.html && fromBot, "text"));
    if (view.caption !== undefined) bubble.append(richText(view.caption, view.html && fromBot, "text caption"));
    bubble.append(el("span", {
      className: "meta",
      text: (view.edited ? "edited · " : "") + formatTime(view.date),
    }));
    item.append(bubble);
    if (view.inline_keyboard) item.append(inlineKeyboard(person, view));
    return item;
  }

  function refusedNote(note) {
    return el("li", { className: "note refused", "data-after": String(note.after) }, [
      el("strong", { text: "⚠ Telegram would refuse this " + note.method + ": " }),
      el("span", { text: note.status + " " + note.description }),
    ]);
  }

  function scrollDown(person) {
    const log = person.ui.log;
    log.scrollTop = log.scrollHeight;
  }

  function lastMessage(log) {
    const all = log.querySelectorAll("li.msg");
    return all.length ? all[all.length - 1] : null;
  }

  // An edited message may grow (a survey's next question, more buttons): scroll the log, not
  // the page, just enough that its bottom and its buttons show again.
  function revealBottom(log, li) {
    const pad = parseFloat(getComputedStyle(log).paddingBottom) || 0;
    const inner = log.getBoundingClientRect().bottom - pad;
    const over = li.getBoundingClientRect().bottom - inner;
    if (over > 0) log.scrollTop += Math.ceil(over);
  }

  function upsert(person, view) {
    person.messages.set(view.id, view);
    const log = person.ui.log;
    const fresh = renderMessage(person, view);
    const old = log.querySelector('li.msg[data-id="' + view.id + '"]');
    if (old) {
      const wasLast = old === lastMessage(log);
      const wasSeen = old.getBoundingClientRect().bottom <= log.getBoundingClientRect().bottom;
      old.replaceWith(fresh);
      if (wasLast || wasSeen) revealBottom(log, fresh);
    } else {
      let before = null;
      for (const li of log.querySelectorAll("li.msg")) {
        if (Number(li.dataset.id) > view.id) { before = li; break; }
      }
      log.insertBefore(fresh, before);
      scrollDown(person);
    }
    updateKeyboard(person);
  }

  function addRefused(person, note) {
    const log = person.ui.log;
    const anchor = log.querySelector('li.msg[data-id="' + note.after + '"]');
    let at = anchor ? anchor.nextSibling : null;
    while (at && at.classList && at.classList.contains("note")) at = at.nextSibling;
    log.insertBefore(refusedNote(note), anchor ? at : null);
    scrollDown(person);
  }

  // ------------------------------------------------------------------ the reply keyboard

  function currentKeyboard(person) {
    let best = null;
    for (const [id, view] of person.messages) {
      if (view.from === "bot" && view.keyboard && (best === null || id > best.id)) best = view;
    }
    return best && !best.keyboard.remove ? best : null;
  }

  function updateKeyboard(person) {
    const source = currentKeyboard(person);
    const box = person.ui.keyboard;
    const input = person.ui.input;
    const toggle = person.ui.kbToggle;
    const key = source ? source.id : null;
    if (key !== person.keyboardFrom) { person.keyboardFrom = key; person.keyboardHidden = false; }
    box.replaceChildren();
    input.placeholder = (source && source.keyboard.placeholder) || "Message";
    toggle.hidden = !source;
    if (!source || person.keyboardHidden) {
      box.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      return;
    }
    box.setAttribute("aria-label", "Keyboard from the bot");
    for (const row of source.keyboard.rows) {
      const line = el("div", { className: "kb-row" });
      for (const b of row) {
        line.append(el("button", {
          type: "button",
          className: "kb-button reply" + (b.request_location ? " location" : ""),
          text: b.text,
          onclick: function () {
            if (b.request_location) {
              openMap(person, function () { if (source.keyboard.one_time) hideKeyboard(person); });
            } else {
              say(person, b.text);
              if (source.keyboard.one_time) hideKeyboard(person);
            }
          },
        }));
      }
      box.append(line);
    }
    box.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
  }

  function hideKeyboard(person) {
    person.keyboardHidden = true;
    updateKeyboard(person);
  }

  // ------------------------------------------------------------------ the map

  function project(map, lat, lon) {
    return [(lon - map.west) * map.kx + map.pad, (map.north - lat) * map.ky + map.pad];
  }

  function buildMap(meta) {
    const nags = meta.map.nags;
    const inside = meta.map.places.filter(function (p) { return p.label; });
    const points = nags.map(function (n) { return [n.lat, n.lon]; })
      .concat(inside.map(function (p) { return [p.lat, p.lon]; }));
    const lats = points.map(function (p) { return p[0]; });
    const lons = points.map(function (p) { return p[1]; });
    const north = Math.max.apply(null, lats) + 0.01, south = Math.min.apply(null, lats) - 0.01;
    const west = Math.min.apply(null, lons) - 0.015, east = Math.max.apply(null, lons) + 0.015;
    const coslat = Math.cos(((north + south) / 2) * Math.PI / 180);
    const size = 360, pad = 20;
    const scale = size / Math.max((east - west) * coslat, north - south);
    const map = { north: north, west: west, kx: scale * coslat, ky: scale, pad: pad };
    map.width = (east - west) * map.kx + 2 * pad;
    map.height = (north - south) * map.ky + 2 * pad;
    S.map = map;

    const svg = $("#map");
    const NS = "http://www.w3.org/2000/svg";
    const node = function (tag, attrs, text) {
      const n = document.createElementNS(NS, tag);
      for (const k of Object.keys(attrs || {})) n.setAttribute(k, attrs[k]);
      if (text) n.textContent = text;
      return n;
    };
    svg.setAttribute("viewBox", "0 0 " + map.width.toFixed(0) + " " + map.height.toFixed(0));
    svg.replaceChildren();
    // The borough, schematically: the outline around every NAG centre.
    const hull = convexHull(nags.map(function (n) { return project(map, n.lat, n.lon); }));
    svg.append(node("rect", { x: 0, y: 0, width: map.width, height: map.height, class: "map-sea" }));
    svg.append(node("polygon", {
      points: hull.map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join(" "),
      class: "map-land",
    }));
    for (const n of nags) {
      const xy = project(map, n.lat, n.lon);
      const g = node("g", {
        class: "map-nag", tabindex: "0", role: "button",
        "aria-label": "Share a point at the centre of " + n.name, "data-nag": n.id,
      });
      g.append(node("title", {}, n.name));
      g.append(node("circle", { cx: xy[0].toFixed(1), cy: xy[1].toFixed(1), r: 5 }));
      svg.append(g);
    }
    for (const p of inside) {
      const xy = project(map, p.lat, p.lon);
      svg.append(node("rect", { x: (xy[0] - 3).toFixed(1), y: (xy[1] - 3).toFixed(1), width: 6, height: 6, class: "map-place" }));
      svg.append(node("text", { x: (xy[0] + 6).toFixed(1), y: (xy[1] + 3).toFixed(1), class: "map-label" }, p.label));
    }
    const places = $("#places");
    places.replaceChildren();
    for (const p of meta.map.places) {
      places.append(el("button", { type: "button", className: "place", text: p.name, "data-lat": p.lat, "data-lon": p.lon }));
    }
  }

  function convexHull(points) {
    const pts = points.slice().sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    if (pts.length < 3) return pts;
    const cross = function (o, a, b) { return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]); };
    const half = function (list) {
      const out = [];
      for (const p of list) {
        while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) out.pop();
        out.push(p);
      }
      out.pop();
      return out;
    };
    const hull = half(pts).concat(half(pts.slice().reverse()));
    // A little margin around the outermost centres.
    const cx = hull.reduce(function (s, p) { return s + p[0]; }, 0) / hull.length;
    const cy = hull.reduce(function (s, p) { return s + p[1]; }, 0) / hull.length;
    return hull.map(function (p) { return [cx + (p[0] - cx) * 1.12, cy + (p[1] - cy) * 1.12]; });
  }

  let mapTarget = null;
  function openMap(person, done) {
    mapTarget = { person: person, done: done };
    const dialog = $("#map-dialog");
    $("#map-title").textContent = "Share a location as " + person.name;
    if (!dialog.open) dialog.showModal();
  }

  function chooseLocation(lat, lon) {
    const target = mapTarget;
    $("#map-dialog").close();
    if (!target) return;
    shareLocation(target.person, lat, lon);
    if (target.done) target.done();
    mapTarget = null;
  }

  function wireMap() {
    const svg = $("#map");
    svg.addEventListener("click", function (ev) {
      const nag = ev.target.closest ? ev.target.closest(".map-nag") : null;
      if (nag) {
        const n = S.meta.map.nags.find(function (x) { return x.id === nag.dataset.nag; });
        if (n) chooseLocation(n.lat, n.lon);
        return;
      }
      const ctm = svg.getScreenCTM();
      if (!ctm || !S.map) return;
      const pt = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(ctm.inverse());
      const lon = (pt.x - S.map.pad) / S.map.kx + S.map.west;
      const lat = S.map.north - (pt.y - S.map.pad) / S.map.ky;
      chooseLocation(Number(lat.toFixed(5)), Number(lon.toFixed(5)));
    });
    svg.addEventListener("keydown", function (ev) {
      const nag = ev.target.closest ? ev.target.closest(".map-nag") : null;
      if (nag && (ev.key === "Enter" || ev.key === " ")) {
        ev.preventDefault();
        const n = S.meta.map.nags.find(function (x) { return x.id === nag.dataset.nag; });
        if (n) chooseLocation(n.lat, n.lon);
      }
    });
    $("#places").addEventListener("click", function (ev) {
      const b = ev.target.closest("button.place");
      if (b) chooseLocation(Number(b.dataset.lat), Number(b.dataset.lon));
    });
    $("#map-dialog").addEventListener("close", function () { mapTarget = null; });
  }

  // ------------------------------------------------------------------ the command menu

  function renderMenu(person) {
    const menu = person.ui.menu;
    menu.replaceChildren();
    for (const c of person.commands) {
      const item = el("li", { role: "none" }, [
        el("button", {
          type: "button", role: "menuitem", className: "menu-item", tabindex: "-1",
          "data-command": c.command, "aria-label": "/" + c.command + ": " + c.description,
        }, [el("span", { className: "cmd", text: "/" + c.command }), el("span", { className: "desc", text: c.description })]),
      ]);
      menu.append(item);
    }
    person.ui.menuButton.disabled = person.commands.length === 0;
  }

  function closeMenu(person, focusButton) {
    person.ui.menu.hidden = true;
    person.ui.menuButton.setAttribute("aria-expanded", "false");
    if (focusButton) person.ui.menuButton.focus();
  }

  function wireMenu(person) {
    const button = person.ui.menuButton, menu = person.ui.menu;
    const items = function () { return Array.from(menu.querySelectorAll(".menu-item")); };
    button.addEventListener("click", function () {
      const opening = menu.hidden;
      menu.hidden = !opening;
      button.setAttribute("aria-expanded", String(opening));
      if (opening && items().length) items()[0].focus();
    });
    menu.addEventListener("click", function (ev) {
      const item = ev.target.closest(".menu-item");
      if (!item) return;
      closeMenu(person, false);
      say(person, "/" + item.dataset.command);
      person.ui.input.focus();
    });
    menu.addEventListener("keydown", function (ev) {
      const list = items();
      const i = list.indexOf(document.activeElement);
      if (ev.key === "Escape") { ev.preventDefault(); closeMenu(person, true); }
      else if (ev.key === "ArrowDown") { ev.preventDefault(); list[(i + 1) % list.length].focus(); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); list[(i - 1 + list.length) % list.length].focus(); }
      else if (ev.key === "Home") { ev.preventDefault(); list[0].focus(); }
      else if (ev.key === "End") { ev.preventDefault(); list[list.length - 1].focus(); }
      else if (ev.key === "Tab") { closeMenu(person, false); }
    });
  }

  // ------------------------------------------------------------------ people and tabs

  function roleLabel(role) {
    return role === "resident" ? "resident" : role === "officer" ? "officer" : "admin";
  }

  function makePanel(person) {
    const panel = $("#panel-template").content.firstElementChild.cloneNode(true);
    panel.id = "panel-" + person.id;
    panel.setAttribute("aria-labelledby", "tab-" + person.id);
    panel.dataset.person = String(person.id);
    const ui = {
      panel: panel,
      title: $(".chat-title", panel),
      log: $(".log", panel),
      keyboard: $(".reply-keyboard", panel),
      form: $(".composer", panel),
      input: $(".composer-input", panel),
      label: $(".composer-label", panel),
      menu: $(".menu", panel),
      menuButton: $(".menu-button", panel),
      kbToggle: $(".keyboard-toggle", panel),
      attach: $(".attach-location", panel),
      blockToggle: $(".block-toggle", panel),
      blockSwitch: $(".block-switch", panel),
      blockedNote: $(".blocked-note", panel),
    };
    person.ui = ui;
    ui.title.textContent = person.name + " (" + roleLabel(person.role) + ") · chat with SaferMK";
    ui.log.id = "log-" + person.id;
    ui.log.setAttribute("aria-label", "Messages between " + person.name + " and the bot");
    ui.input.id = "input-" + person.id;
    ui.label.setAttribute("for", ui.input.id);
    ui.label.textContent = "Message as " + person.name;
    ui.menu.id = "menu-" + person.id;
    ui.menuButton.setAttribute("aria-controls", ui.menu.id);
    ui.menu.setAttribute("aria-label", "Commands for " + person.name);
    if (person.role !== "resident") ui.blockSwitch.remove();
    ui.form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      const text = ui.input.value;
      if (!text.trim()) return;
      post("/api/chats/" + person.id + "/message", { text: text })
        .then(function () { ui.input.value = ""; })
        .catch(function (err) { toast(err.message, true); });
    });
    ui.attach.addEventListener("click", function () { openMap(person, null); });
    ui.kbToggle.addEventListener("click", function () {
      person.keyboardHidden = !person.keyboardHidden;
      updateKeyboard(person);
    });
    ui.blockToggle.addEventListener("change", function () {
      act(post("/api/chats/" + person.id + "/block", { blocked: ui.blockToggle.checked }));
    });
    wireMenu(person);
    return panel;
  }

  function setBlocked(person, blocked) {
    person.blocked = blocked;
    const ui = person.ui;
    ui.blockToggle.checked = blocked;
    ui.blockedNote.hidden = !blocked;
    for (const c of [ui.input, ui.attach, ui.menuButton, ui.form.querySelector(".send")]) c.disabled = blocked;
    if (!blocked) ui.menuButton.disabled = person.commands.length === 0;
    ui.panel.classList.toggle("blocked", blocked);
  }

  function makeTab(person, index) {
    const tab = el("button", {
      type: "button", role: "tab", id: "tab-" + person.id, className: "tab",
      "aria-controls": "panel-" + person.id, "aria-selected": "false", tabindex: "-1",
      "data-person": String(person.id),
    }, [
      el("span", { className: "tab-name", text: person.name }),
      el("span", { className: "tab-role", text: roleLabel(person.role) }),
      el("span", { className: "unread", hidden: true }),
    ]);
    tab.addEventListener("click", function () { activate(person.id, false); });
    tab.addEventListener("keydown", function (ev) {
      const n = S.people.length;
      let j = null;
      if (ev.key === "ArrowRight") j = (index + 1) % n;
      else if (ev.key === "ArrowLeft") j = (index - 1 + n) % n;
      else if (ev.key === "Home") j = 0;
      else if (ev.key === "End") j = n - 1;
      if (j !== null) { ev.preventDefault(); activate(S.people[j].id, true); }
    });
    return tab;
  }

  function activate(id, focusTab) {
    S.active = id;
    for (const p of S.people) {
      const on = p.id === id;
      const tab = $("#tab-" + p.id);
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      p.ui.panel.hidden = !on;
      if (on) {
        p.unread = 0;
        const badge = $(".unread", tab);
        badge.hidden = true;
        if (focusTab) tab.focus();
        scrollDown(p);
      }
    }
    updateLinkHint();
  }

  function markUnread(person) {
    if (person.id === S.active) return;
    person.unread = (person.unread || 0) + 1;
    const badge = $("#tab-" + person.id + " .unread");
    badge.hidden = false;
    badge.textContent = person.unread + " new";
  }

  // ------------------------------------------------------------------ content, links, banner

  function showProblems(problems) {
    const banner = $("#banner");
    const list = $("#problems");
    list.replaceChildren();
    for (const p of problems || []) list.append(el("li", {}, [el("code", { text: p })]));
    const had = !banner.hidden;
    banner.hidden = !problems || problems.length === 0;
    return had && banner.hidden;
  }

  function renderMeta(meta) {
    S.meta = meta;
    const fixed = showProblems(meta.problems);
    $("#drafts").hidden = !meta.drafts || meta.drafts.length === 0;
    $("#draft-list").textContent = (meta.drafts || []).join(", ");
    $("#content-dir").textContent = meta.content_dir;
    $("#console-tool").hidden = !meta.console_url;
    if (meta.console_url) $("#console-link").href = meta.console_url;
    const select = $("#link-select");
    const chosen = select.value;
    select.replaceChildren();
    const groups = { nag: el("optgroup", { label: "NAGs (nag_…)" }), survey: el("optgroup", { label: "Surveys (survey_…)" }) };
    for (const link of meta.deep_links) {
      groups[link.kind].append(el("option", { value: link.payload, text: "/start " + link.payload + " · " + link.label }));
    }
    select.append(groups.nag, groups.survey);
    if (chosen) select.value = chosen;
    updateLinkHint();
    buildMap(meta);
    return fixed;
  }

  function updateLinkHint() {
    const select = $("#link-select");
    const person = S.byId[S.active];
    if (!select.value || !person) return;
    $("#link-url").textContent = "https://t.me/SaferMKBot?start=" + select.value + " (opens as " + person.name + ")";
  }

  function wireLinks() {
    $("#link-select").addEventListener("change", updateLinkHint);
    $("#link-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      const person = S.byId[S.active];
      const payload = $("#link-select").value;
      if (person && payload) {
        say(person, "/start " + payload);
        person.ui.input.focus();
      }
    });
  }

  // ------------------------------------------------------------------ state and events

  function loadState(state) {
    const tabs = $("#tabs"), chats = $("#chats");
    if (!S.people.length) {
      state.people.forEach(function (p, i) {
        const person = { id: p.id, name: p.name, role: p.role, commands: [], messages: new Map(), unread: 0 };
        S.people.push(person);
        S.byId[p.id] = person;
        tabs.append(makeTab(person, i));
        chats.append(makePanel(person));
      });
    }
    for (const p of state.people) {
      const person = S.byId[p.id];
      person.commands = p.commands;
      person.messages = new Map();
      person.ui.log.replaceChildren();
      for (const view of p.messages) upsert(person, view);
      for (const note of p.refused) addRefused(person, note);
      renderMenu(person);
      setBlocked(person, p.blocked);
      updateKeyboard(person);
    }
    renderMeta(state);
    activate(S.active || S.people[0].id, false);
  }

  function onEvent(event) {
    const person = event.chat_id !== undefined ? S.byId[event.chat_id] : null;
    switch (event.type) {
      case "message":
      case "edit":
        if (!person) return;
        upsert(person, event.message);
        if (event.type === "message" && event.message.from === "bot") markUnread(person);
        break;
      case "delete": {
        if (!person) return;
        person.messages.delete(event.message_id);
        const li = person.ui.log.querySelector('li.msg[data-id="' + event.message_id + '"]');
        if (li) li.remove();
        updateKeyboard(person);
        break;
      }
      case "refused":
        if (person) addRefused(person, event);
        break;
      case "callback_answer":
        if (!person || !event.text) return;
        if (person.id !== S.active) return;
        if (event.show_alert) alertBox(event.text); else toast(event.text, false);
        break;
      case "blocked":
        if (person) setBlocked(person, event.blocked);
        break;
      case "menus":
        for (const id of Object.keys(event.menus)) {
          const p = S.byId[id];
          if (p) { p.commands = event.menus[id]; renderMenu(p); setBlocked(p, p.blocked); }
        }
        break;
      case "content": {
        const fixed = renderMeta(event);
        $("#reload-status").textContent = event.problems.length
          ? event.problems.length + " content problem(s) found."
          : fixed ? "The content problems are fixed: the new content is live." : "Content reloaded: the new content is live.";
        break;
      }
    }
  }

  function connect() {
    const status = $("#connection");
    const source = new EventSource("/api/events");
    let buffered = [];
    let ready = false;
    source.addEventListener("open", function () {
      status.textContent = "Live";
      status.classList.remove("down");
      ready = false;
      buffered = [];
      fetch("/api/state").then(function (r) { return r.json(); }).then(function (state) {
        loadState(state);
        ready = true;
        for (const e of buffered) onEvent(e);
        buffered = [];
        document.body.dataset.ready = "true";
      }).catch(function () { status.textContent = "Could not load the chats"; });
    });
    source.addEventListener("message", function (ev) {
      const event = JSON.parse(ev.data);
      if (ready) onEvent(event); else buffered.push(event);
    });
    source.addEventListener("error", function () {
      status.textContent = "Reconnecting… (is the preview still running?)";
      status.classList.add("down");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireMap();
    wireLinks();
    connect();
  });
})();
