// Keeps the signed-in agent counted as online for live chats while an agent page is open
// (the widget asks for an email address when no agent of the team is online).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.CalmdeskPresence) return;
  window.CalmdeskPresence = true;
  var path = script.getAttribute("data-socket") || "/ws/agent/";
  var retry = 0, timer = null;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + path);
    socket.onmessage = function (e) {
      var frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      if (frame.type === "hello") {
        retry = 0;
        clearInterval(timer);
        timer = setInterval(function () {
          if (socket.readyState === 1) socket.send('{"type":"ping"}');
        }, (frame.heartbeat || 25) * 1000);
      }
    };
    socket.onclose = function (e) {
      clearInterval(timer);
      if (e.code === 4403) return;
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, Math.min(60000, 1000 * Math.pow(2, retry)));
    };
  }
  connect();
})();
