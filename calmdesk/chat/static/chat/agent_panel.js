// The live chat panel of a ticket page: visitor presence and typing, new messages without a
// reload, the agent's typing and read receipts to the visitor, and a live reply box.
(function () {
  "use strict";
  var panel = document.getElementById("chat-panel");
  if (!panel || panel.dataset.started) return;
  panel.dataset.started = "1";
  var t = function (name) { return panel.dataset["t" + name.charAt(0).toUpperCase() + name.slice(1)] || ""; };
  var presence = document.getElementById("chat-presence");
  var statusBadge = document.getElementById("chat-status");
  var typingLine = document.getElementById("chat-typing");
  var offline = document.getElementById("chat-offline");
  var form = document.getElementById("chat-reply");
  var box = document.getElementById("chat-reply-body");
  var errorLine = document.getElementById("chat-error");
  var endButton = document.getElementById("chat-end");
  var heartbeat = (parseInt(panel.dataset.heartbeat, 10) || 25) * 1000;
  var socket = null, retry = 0, pingTimer = null, typingTimer = null, typingSent = false, typingHide = null;
  var readUpto = 0, seenUpto = 0;

  function conversation() { return document.getElementById("ticket-conversation"); }

  function send(frame) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame));
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function body(text) {
    // Plain text only: every line is a text node, never parsed as HTML.
    var wrap = el("div", "msg-body");
    text.split(/\n{2,}/).forEach(function (para) {
      var p = el("p");
      para.split("\n").forEach(function (line, i) {
        if (i) p.appendChild(document.createElement("br"));
        p.appendChild(document.createTextNode(line));
      });
      wrap.appendChild(p);
    });
    return wrap;
  }

  function addMessage(ev) {
    var list = conversation();
    if (!list || document.getElementById("message-" + ev.id)) return;
    var empty = list.querySelector("li.muted");
    if (empty && !empty.id) empty.remove();
    var kind = ev.sender === "visitor" ? "inbound" : ev.sender === "agent" ? "outbound" : "auto";
    var li = el("li", "msg msg-" + kind);
    li.id = "message-" + ev.id;
    var head = el("div", "msg-head row");
    head.appendChild(el("strong", "author", ev.author || (kind === "inbound" ? t("visitor") : "Calmdesk")));
    if (kind === "inbound") head.appendChild(el("span", "badge", t("via")));
    if (kind === "outbound") head.appendChild(el("span", "badge", t("reply")));
    head.appendChild(el("span", "spacer"));
    var time = el("time", "muted", new Date(ev.at).toLocaleString());
    time.setAttribute("datetime", ev.at);
    head.appendChild(time);
    li.appendChild(head);
    li.appendChild(body(ev.text));
    list.appendChild(li);
    if (kind === "inbound") { showTyping(false); markRead(); }
    if (kind === "outbound" && ev.id <= seenUpto) markSeen(seenUpto);
  }

  function markRead() {
    var list = conversation();
    if (!list || document.hidden) return;
    var ids = Array.prototype.map.call(list.querySelectorAll("li.msg-inbound[id^=message-]"), function (li) {
      return parseInt(li.id.slice(8), 10) || 0;
    });
    var upto = Math.max.apply(null, [0].concat(ids));
    if (upto > readUpto) { readUpto = upto; send({ type: "read", upto: upto }); }
  }

  function markSeen(upto) {
    seenUpto = Math.max(seenUpto, upto);
    upto = seenUpto;
    var list = conversation();
    if (!list) return;
    list.querySelectorAll(".chat-seen").forEach(function (n) { n.remove(); });
    var last = null;
    list.querySelectorAll("li.msg-outbound[id^=message-]").forEach(function (li) {
      if ((parseInt(li.id.slice(8), 10) || 0) <= upto) last = li;
    });
    if (last) last.appendChild(el("p", "chat-seen", t("seen")));
  }

  function setPresence(online) {
    presence.classList.toggle("is-online", !!online);
    presence.textContent = online ? t("online") : t("away");
    if (!online) showTyping(false);
  }

  function showTyping(on, name) {
    clearTimeout(typingHide);
    typingLine.hidden = !on;
    typingLine.textContent = on ? t("typing").replace("%(name)s", name || t("visitor")) : "";
    if (on) typingHide = setTimeout(function () { showTyping(false); }, 8000);
  }

  function onEvent(ev) {
    if (ev.type === "state") {
      if (ev.session) {
        statusBadge.textContent = ev.session.status_label;
        if (ev.session.seen_upto) markSeen(ev.session.seen_upto);
      }
      if (ev.presence) setPresence(ev.presence.online);
      markRead();
    } else if (ev.type === "message") {
      addMessage(ev);
    } else if (ev.type === "typing" && ev.sender === "visitor") {
      showTyping(ev.on, ev.author);
    } else if (ev.type === "presence") {
      setPresence(ev.online);
    } else if (ev.type === "status") {
      if (ev.status === "ended") { statusBadge.textContent = t("ended"); if (endButton) endButton.remove(); }
    } else if (ev.type === "read" && ev.sender === "visitor") {
      markSeen(ev.upto);
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + panel.dataset.socket);
    socket.onopen = function () {
      retry = 0;
      offline.hidden = true;
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { send({ type: "ping" }); }, heartbeat);
    };
    socket.onmessage = function (e) {
      try { onEvent(JSON.parse(e.data)); } catch (err) { /* a malformed frame is ignored */ }
    };
    socket.onclose = function (e) {
      clearInterval(pingTimer);
      if (e.code === 4403) return; // no access: nothing to retry
      offline.textContent = t("offline");
      offline.hidden = false;
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, Math.min(30000, 500 * Math.pow(2, retry)));
    };
  }

  // The agent's typing, from the live box and from the ticket's normal composer.
  function typing() {
    if (!typingSent) { typingSent = true; send({ type: "typing", on: true }); }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, 4000);
  }
  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingSent) { typingSent = false; send({ type: "typing", on: false }); }
  }
  document.addEventListener("input", function (e) {
    var target = e.target;
    if (target === box || (target.name === "body" && target.closest("#ticket-composer form[action$='/reply/']"))) typing();
  });

  function csrf() {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf() },
      body: data,
    }).then(function (r) {
      return r.json().then(function (json) { return { ok: r.ok, json: json }; });
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = box.value.trim();
    if (!text) return;
    var data = new FormData();
    data.append("body", text);
    errorLine.hidden = true;
    box.disabled = true;
    stopTyping();
    post(form.action, data).then(function (res) {
      box.disabled = false;
      if (!res.ok) { errorLine.textContent = res.json.message || ""; errorLine.hidden = false; return; }
      box.value = "";
      box.focus();
    }).catch(function () {
      box.disabled = false;
      errorLine.textContent = t("offline");
      errorLine.hidden = false;
    });
  });
  box.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  if (endButton) {
    endButton.addEventListener("click", function () {
      post(panel.dataset.endUrl, new FormData()).then(function (res) {
        if (res.ok) { statusBadge.textContent = t("ended"); endButton.remove(); }
      });
    });
  }
  document.addEventListener("visibilitychange", markRead);
  connect();
})();
