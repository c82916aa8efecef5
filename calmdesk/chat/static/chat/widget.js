/*
 * Calmdesk chat widget: one script tag on any site, no framework.
 *
 *   <script src="https://help.example.com/chat/widget.js" data-widget="KEY" data-lang="fa" async></script>
 *
 * data-widget: the widget's key (admin → Chat widgets; the default widget when left out),
 * data-lang: en, fa, tr or lt (default: the page's <html lang>, then the browser's language).
 * Everything lives in a Shadow DOM: the site's styles do not leak in, ours do not leak out.
 * Texts come translated from the server; what people type is only ever shown as text.
 */
(function () {
  "use strict";
  if (window.CalmdeskChat) return;

  var script = document.currentScript || document.querySelector("script[src*='/chat/widget.js']");
  if (!script) return;
  var base = new URL(script.src, location.href).origin;
  var widgetKey = script.getAttribute("data-widget") || "";
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "en")
    .slice(0, 2).toLowerCase();

  var CSS = [
    ":host { all: initial; }",
    ".cd { position: fixed; inset-block-end: 20px; inset-inline-end: 20px; z-index: 2147483000;",
    "  font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Tahoma, sans-serif; color: #1d2433; }",
    ".cd[dir=rtl] { font-family: Vazirmatn, Tahoma, system-ui, sans-serif; }",
    ".cd *, .cd *::before, .cd *::after { box-sizing: border-box; }",
    ".launcher { display: flex; align-items: center; gap: 8px; border: 0; border-radius: 999px;",
    "  padding: 12px 18px; background: #2456c7; color: #fff; font: inherit; font-weight: 600;",
    "  cursor: pointer; box-shadow: 0 6px 20px rgba(0,0,0,.22); margin-inline-start: auto; }",
    ".launcher:focus-visible, button:focus-visible, textarea:focus-visible, input:focus-visible {",
    "  outline: 3px solid #ffb02e; outline-offset: 2px; }",
    ".unread { background: #d93025; color: #fff; border-radius: 999px; padding: 0 7px; font-size: 12px; }",
    ".panel { display: flex; flex-direction: column; inline-size: min(370px, calc(100vw - 24px));",
    "  block-size: min(560px, calc(100vh - 100px)); background: #fff; border-radius: 14px; overflow: hidden;",
    "  box-shadow: 0 10px 36px rgba(0,0,0,.28); margin-block-end: 12px; }",
    ".panel[hidden], [hidden] { display: none !important; }",
    ".head { display: flex; align-items: center; gap: 8px; padding: 12px 14px; background: #2456c7; color: #fff; }",
    ".head h2 { font-size: 16px; margin: 0; flex: 1; }",
    ".icon { border: 0; background: transparent; color: inherit; font: inherit; font-size: 20px; cursor: pointer;",
    "  line-height: 1; padding: 2px 6px; border-radius: 6px; }",
    ".body { flex: 1; overflow-y: auto; padding: 12px 14px; background: #f6f8fc; }",
    ".note { margin: 0 0 10px; padding: 8px 10px; border-radius: 8px; background: #eef3ff; font-size: 14px; }",
    ".note.busy { background: #fff4e0; }",
    ".note.error { background: #fde8e7; color: #8c1d18; }",
    "form { display: flex; flex-direction: column; gap: 8px; margin: 0; }",
    "label { font-size: 13px; font-weight: 600; display: flex; flex-direction: column; gap: 3px; }",
    "input, textarea { font: inherit; padding: 8px 10px; border: 1px solid #b9c2d3; border-radius: 8px;",
    "  background: #fff; color: inherit; inline-size: 100%; }",
    "textarea { resize: none; }",
    ".primary { border: 0; border-radius: 8px; padding: 9px 14px; background: #2456c7; color: #fff;",
    "  font: inherit; font-weight: 600; cursor: pointer; }",
    ".primary:disabled { opacity: .6; cursor: default; }",
    ".link { border: 0; background: none; color: #2456c7; font: inherit; font-size: 13px; cursor: pointer;",
    "  text-decoration: underline; padding: 0; }",
    "ol { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 8px; }",
    "li.m { max-inline-size: 85%; padding: 8px 11px; border-radius: 12px; white-space: pre-wrap;",
    "  overflow-wrap: anywhere; background: #fff; border: 1px solid #dde3ee; }",
    "li.m.visitor { align-self: flex-end; background: #2456c7; color: #fff; border-color: #2456c7; }",
    "li.m.pending { opacity: .7; }",
    "li.m.failed { background: #fde8e7; color: #8c1d18; border-color: #f3b9b5; cursor: pointer; }",
    "li.sys { align-self: center; font-size: 13px; color: #5b6475; text-align: center; }",
    ".who { display: block; font-size: 12px; font-weight: 600; opacity: .8; margin-block-end: 2px; }",
    ".meta { display: block; font-size: 11px; opacity: .75; margin-block-start: 3px; text-align: end; }",
    ".typing { font-size: 13px; color: #5b6475; font-style: italic; min-block-size: 1.4em; padding: 2px 14px; }",
    ".compose { display: flex; gap: 8px; padding: 10px 12px; border-block-start: 1px solid #e3e7ef; background: #fff; }",
    ".compose textarea { flex: 1; min-block-size: 42px; max-block-size: 120px; }",
    ".foot { display: flex; justify-content: space-between; padding: 0 14px 8px; background: #fff; }",
    ".offline { background: #fff4e0; padding: 6px 14px; font-size: 13px; }",
  ].join("\n");

  var texts = {}, config = null, state = "closed";
  var root, panel, launcher, unreadBadge, bodyEl, list, typingEl, composer, input, offlineEl, footEl, introEl;
  var socket = null, retry = 0, pingTimer = null, reconnectTimer = null, typingTimer = null, typingSent = false;
  var typingHide = null, hello = false, session = null, lastId = 0, seenUpto = 0, unread = 0;
  var pending = {}; // client id → {text, li}
  var shown = {}; // message id → li

  function storeKey() { return "calmdesk-chat:" + base + ":" + (widgetKey || "default"); }
  function ids() {
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(storeKey()) || "null"); } catch (e) { saved = null; }
    if (!saved || !saved.visitor || !saved.token) {
      saved = { visitor: random(18), token: random(24), open: false };
      save(saved);
    }
    return saved;
  }
  function save(value) { try { localStorage.setItem(storeKey(), JSON.stringify(value)); } catch (e) { /* private mode */ } }
  function remember(open) { var v = ids(); v.open = open; save(v); }
  function random(bytes) {
    var a = new Uint8Array(bytes);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return btoa(String.fromCharCode.apply(null, a)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function tr(key, vars) {
    var s = texts[key] || key;
    Object.keys(vars || {}).forEach(function (k) { s = s.split("%(" + k + ")s").join(vars[k]); });
    return s;
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") node.className = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined && text !== null) node.textContent = text; // text only, never HTML
    return node;
  }

  // --- building the widget ---------------------------------------------------------------

  function build() {
    var host = el("div", { id: "calmdesk-chat" });
    document.body.appendChild(host);
    var shadow = host.attachShadow({ mode: "open" });
    shadow.appendChild(el("style", {}, CSS));
    root = el("div", { class: "cd", dir: config.dir, lang: config.lang });
    shadow.appendChild(root);

    panel = el("section", { class: "panel", role: "dialog", "aria-label": texts.title, hidden: "" });
    var head = el("div", { class: "head" });
    head.appendChild(el("h2", {}, texts.title));
    var close = el("button", { class: "icon", type: "button", "aria-label": texts.close, title: texts.close }, "×");
    close.addEventListener("click", function () { toggle(false); });
    head.appendChild(close);
    panel.appendChild(head);
    offlineEl = el("div", { class: "offline", role: "status", hidden: "" }, texts.offline);
    panel.appendChild(offlineEl);
    bodyEl = el("div", { class: "body" });
    panel.appendChild(bodyEl);
    typingEl = el("div", { class: "typing", "aria-live": "polite" });
    panel.appendChild(typingEl);
    composer = el("form", { class: "compose", hidden: "" });
    input = el("textarea", { rows: "1", name: "text", "aria-label": texts.placeholder, placeholder: texts.placeholder, maxlength: String(config.max_chars) });
    composer.appendChild(input);
    composer.appendChild(el("button", { class: "primary", type: "submit" }, texts.send));
    composer.addEventListener("submit", function (e) { e.preventDefault(); sendMessage(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendMessage(); }
    });
    input.addEventListener("input", onTyping);
    panel.appendChild(composer);
    footEl = el("div", { class: "foot", hidden: "" });
    var end = el("button", { class: "link", type: "button" }, texts.end);
    end.addEventListener("click", function () { send({ type: "end" }); });
    footEl.appendChild(el("span"));
    footEl.appendChild(end);
    panel.appendChild(footEl);
    root.appendChild(panel);

    launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false" });
    launcher.appendChild(el("span", {}, texts.open));
    unreadBadge = el("span", { class: "unread", hidden: "" });
    launcher.appendChild(unreadBadge);
    launcher.addEventListener("click", function () { toggle(state !== "open"); });
    root.appendChild(launcher);
    document.addEventListener("visibilitychange", markSeen);
  }

  function toggle(open) {
    state = open ? "open" : "closed";
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      unread = 0;
      unreadBadge.hidden = true;
      if (!session && !(introEl && introEl.isConnected) && !list) showIntro(config);
      if (!socket) connect();
      markSeen();
      setTimeout(function () {
        var first = panel.querySelector("input, textarea:not([disabled])");
        if (first && !composer.hidden) input.focus(); else if (first) first.focus();
      }, 0);
    }
  }

  // --- the intro (pre-chat form) -------------------------------------------------------------

  function showIntro(info, prefill) {
    session = null;
    bodyEl.textContent = "";
    composer.hidden = true;
    footEl.hidden = true;
    list = null;
    introEl = el("div", { class: "intro" });
    introEl.appendChild(el("p", { class: "note wait" }, tr("wait", { wait: info.wait.label })));
    introEl.appendChild(el("p", { class: "note " + (info.busy ? "busy" : "online") }, info.busy ? texts.busy : texts.online));
    var form = el("form", { novalidate: "" });
    var error = el("p", { class: "note error", role: "alert", hidden: "" });
    var name = field(form, "name", texts.name, "input", { autocomplete: "name", required: "" });
    var email = field(form, "email", info.busy ? texts.email : texts.email_optional, "input",
      { type: "email", autocomplete: "email" });
    if (info.busy) email.setAttribute("required", "");
    var text = field(form, "text", texts.first, "textarea", { rows: "3", required: "", maxlength: String(config.max_chars) });
    if (prefill) { name.value = prefill.name || ""; email.value = prefill.email || ""; }
    form.appendChild(error);
    var start = el("button", { class: "primary", type: "submit" }, texts.start);
    form.appendChild(start);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!form.reportValidity()) return;
      error.hidden = true;
      start.disabled = true;
      var id = random(12);
      // Kept until the server acknowledges it: a visitor quicker than the socket's hello (or
      // whose connection drops) has it sent on the next hello, never lost (the server keys it
      // by id, so a resend starts one chat).
      var frame = { type: "start", id: id, name: name.value, email: email.value, text: text.value, page: location.href };
      pending[id] = { text: text.value.trim(), start: true, frame: frame, onError: function (msg) {
        start.disabled = false;
        error.textContent = msg;
        error.hidden = false;
      } };
      send(frame);
    });
    introEl.appendChild(form);
    bodyEl.appendChild(introEl);
  }

  function field(form, name, label, tag, attrs) {
    var wrap = el("label", {}, label);
    attrs.name = name;
    var control = el(tag, attrs);
    wrap.appendChild(control);
    form.appendChild(wrap);
    return control;
  }

  // --- the conversation ------------------------------------------------------------------------

  function showChat(s, messages) {
    var fresh = !list || !session || session.id !== s.id;
    session = s;
    if (fresh) {
      bodyEl.textContent = "";
      introEl = null;
      list = el("ol", { "aria-live": "polite" });
      bodyEl.appendChild(list);
      shown = {};
    }
    if (s.busy && !s.email) askEmail();
    messages.forEach(addMessage);
    if (fresh && s.line) systemLine(s.line);
    if (fresh && s.status === "waiting" && !messages.some(function (m) { return m.sender === "agent"; })) {
      systemLine(texts.waiting);
    }
    if (s.read_upto) markRead(s.read_upto);
    ended(s.status === "ended");
    if (s.status !== "ended") remember(true);
  }

  function ended(isEnded) {
    composer.hidden = isEnded;
    footEl.hidden = isEnded;
    if (isEnded && !bodyEl.querySelector(".restart")) {
      var again = el("button", { class: "primary restart", type: "button" }, texts.new_chat);
      again.addEventListener("click", function () {
        again.remove();
        var previous = session;
        list = null;
        showIntro(config, { name: previous ? previous.name : "", email: previous ? previous.email : "" });
      });
      bodyEl.appendChild(again);
      remember(false);
    }
  }

  function askEmail() {
    if (bodyEl.querySelector(".ask-email")) return;
    var form = el("form", { class: "note busy ask-email" });
    form.appendChild(el("span", {}, texts.email_later));
    var email = el("input", { type: "email", name: "email", required: "", autocomplete: "email", "aria-label": texts.email });
    form.appendChild(email);
    form.appendChild(el("button", { class: "primary", type: "submit" }, texts.save));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!form.reportValidity()) return;
      send({ type: "email", email: email.value, id: "email" });
      session.email = email.value;
      form.replaceWith(el("p", { class: "note" }, texts.email_saved));
    });
    bodyEl.insertBefore(form, bodyEl.firstChild);
  }

  function systemLine(text) {
    if (!list || !text) return;
    var last = list.lastElementChild;
    if (last && last.classList.contains("sys") && last.textContent === text) return;
    list.appendChild(el("li", { class: "sys" }, text));
    scroll();
  }

  function addMessage(m) {
    if (!list || shown[m.id]) return;
    if (m.sender === "system") { shown[m.id] = true; systemLine(m.text); lastId = Math.max(lastId, m.id); return; }
    var li = el("li", { class: "m " + m.sender, "data-id": String(m.id) });
    if (m.sender === "agent") li.appendChild(el("span", { class: "who" }, m.author || texts.agent));
    li.appendChild(document.createTextNode(m.text));
    list.appendChild(li);
    shown[m.id] = li;
    lastId = Math.max(lastId, m.id);
    if (m.sender === "agent") {
      showTyping(false);
      if (state !== "open" || document.hidden) { unread += 1; unreadBadge.textContent = String(unread); unreadBadge.hidden = false; }
    }
    markSeen();
    scroll();
  }

  function markSeen() {
    if (state !== "open" || document.hidden || !list) return;
    var upto = 0;
    Object.keys(shown).forEach(function (id) {
      var li = shown[id];
      if (li && li.classList && li.classList.contains("agent")) upto = Math.max(upto, parseInt(id, 10));
    });
    // Recorded only once sent: a receipt that could not go (the connection down, or not
    // greeted yet) goes with the next hello.
    if (upto > seenUpto && send({ type: "seen", upto: upto })) seenUpto = upto;
  }

  function markRead(upto) {
    if (!list) return;
    list.querySelectorAll(".meta.read").forEach(function (n) { n.remove(); });
    var last = null;
    list.querySelectorAll("li.m.visitor[data-id]").forEach(function (li) {
      if (parseInt(li.getAttribute("data-id"), 10) <= upto) last = li;
    });
    if (last) last.appendChild(el("span", { class: "meta read" }, texts.read));
  }

  function scroll() { bodyEl.scrollTop = bodyEl.scrollHeight; }

  function showTyping(on, name) {
    clearTimeout(typingHide);
    typingEl.textContent = on ? tr("typing", { name: name || texts.agent }) : "";
    if (on) typingHide = setTimeout(function () { showTyping(false); }, 8000);
  }

  function sendMessage() {
    var text = input.value.trim();
    if (!text) return;
    if (text.length > config.max_chars) { systemLine(texts.too_long); return; }
    var id = random(12);
    var li = el("li", { class: "m visitor pending" }, text);
    li.appendChild(el("span", { class: "meta" }, texts.sending));
    list.appendChild(li);
    pending[id] = { text: text, li: li };
    input.value = "";
    stopTyping();
    scroll();
    send({ type: "message", id: id, text: text });
  }

  function retryFailed(id) {
    var p = pending[id];
    if (!p || !p.li) return;
    p.li.className = "m visitor pending";
    p.li.lastChild.textContent = texts.sending;
    send({ type: "message", id: id, text: p.text });
  }

  function onTyping() {
    if (!session) return;
    if (!typingSent) { typingSent = true; send({ type: "typing", on: true }); }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, 4000);
  }
  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingSent) { typingSent = false; send({ type: "typing", on: false }); }
  }

  // --- the socket ------------------------------------------------------------------------------

  function send(frame) {
    if (socket && socket.readyState === 1 && (hello || frame.type === "hello")) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    var url = base.replace(/^http/, "ws") + config.socket;
    socket = new WebSocket(url);
    socket.onopen = function () {
      retry = 0;
      var v = ids();
      socket.send(JSON.stringify({ type: "hello", visitor: v.visitor, token: v.token, after: lastId, lang: config.lang, page: location.href }));
    };
    socket.onmessage = function (e) {
      var ev;
      try { ev = JSON.parse(e.data); } catch (err) { return; }
      onEvent(ev);
    };
    socket.onclose = function (e) {
      clearInterval(pingTimer);
      hello = false;
      if (e.code === 4403) { socket = null; return; }
      if (session) offlineEl.hidden = false;
      retry = Math.min(retry + 1, 6);
      reconnectTimer = setTimeout(connect, Math.min(30000, 400 * Math.pow(2, retry)) + Math.random() * 500);
    };
  }

  function onEvent(ev) {
    if (ev.type === "state") {
      hello = true;
      offlineEl.hidden = true;
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { send({ type: "ping" }); }, (config.heartbeat || 25) * 1000);
      config.wait = ev.wait;
      config.busy = ev.busy;
      // A start that has not been acknowledged yet (sent before this hello, or lost with the
      // previous connection) goes now.
      Object.keys(pending).forEach(function (id) { if (pending[id].frame) send(pending[id].frame); });
      if (ev.session) {
        showChat(ev.session, ev.messages);
        // Messages typed while the connection was down go now (same id: never stored twice).
        Object.keys(pending).forEach(function (id) { if (pending[id].li) retryFailed(id); });
      } else if (introEl && introEl.isConnected) {
        var waitNote = introEl.querySelector(".wait");
        if (waitNote) waitNote.textContent = tr("wait", { wait: ev.wait.label });
        if (!introEl.querySelector("input[name=name]").value && ev.prefill) {
          introEl.querySelector("input[name=name]").value = ev.prefill.name || "";
          introEl.querySelector("input[name=email]").value = ev.prefill.email || "";
        }
      } else if (!session || session.status !== "ended") {
        list = null;
        showIntro(ev, ev.prefill);
      }
      markSeen();
    } else if (ev.type === "ack") {
      var p = pending[ev.client];
      delete pending[ev.client];
      if (p && p.li) {
        if (ev.id && !shown[ev.id]) { p.li.className = "m visitor"; p.li.setAttribute("data-id", String(ev.id)); p.li.lastChild.remove(); shown[ev.id] = p.li; lastId = Math.max(lastId, ev.id); }
        else p.li.remove();
      }
    } else if (ev.type === "error") {
      var failed = pending[ev.client];
      if (failed && failed.onError) { delete pending[ev.client]; failed.onError(ev.message); }
      else if (failed && failed.li) {
        failed.li.className = "m visitor failed";
        failed.li.lastChild.textContent = ev.message || texts.failed;
        failed.li.onclick = function () { retryFailed(ev.client); };
      } else if (ev.message) systemLine(ev.message);
    } else if (ev.type === "message") {
      if (ev.sender === "visitor") {
        // Our own message, echoed (or from another tab): the ack replaces the pending line.
        var mine = Object.keys(pending).some(function (id) { return pending[id].li && pending[id].text === ev.text; });
        if (mine) return;
      }
      addMessage(ev);
    } else if (ev.type === "typing" && ev.sender === "agent") {
      showTyping(ev.on, ev.author);
    } else if (ev.type === "status") {
      if (ev.line) systemLine(ev.line);
      if (session) { session.status = ev.status; session.agent = ev.agent; }
      ended(ev.status === "ended");
    } else if (ev.type === "read" && ev.sender === "agent") {
      markRead(ev.upto);
    }
  }

  // --- start -----------------------------------------------------------------------------------

  var params = "lang=" + encodeURIComponent(lang) + (widgetKey ? "&widget=" + encodeURIComponent(widgetKey) : "");
  fetch(base + "/chat/config?" + params, { credentials: "omit" })
    .then(function (r) { if (!r.ok) throw new Error("chat config " + r.status); return r.json(); })
    .then(function (data) {
      config = data;
      texts = data.texts;
      widgetKey = data.widget;
      var start = function () {
        build();
        // A visitor with a chat going on gets it back at once (and counts as present).
        if (ids().open) connect();
      };
      if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
    })
    .catch(function (err) { if (window.console) console.warn("Calmdesk chat unavailable:", err.message); });

  window.CalmdeskChat = { open: function () { if (launcher) toggle(true); }, close: function () { if (launcher) toggle(false); } };
})();
