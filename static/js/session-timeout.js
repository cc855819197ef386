// Warns before an idle session ends and lets the person stay signed in; on the bench's docket
// and hearing pages of a session held today (an element with data-keep-alive) it keeps the
// session alive while the page is open. The server keeps the clock (drugcourt.security): this
// only asks it, so another tab's activity counts too. The page puts the seconds left, the
// warning's lead and the keep-alive interval on <body> (templates/base.html).
(function () {
  "use strict";
  var body = document.body;
  var url = body.dataset.sessionUrl;
  var banner = document.getElementById("idle-warning");
  if (!url || !banner) {
    return;
  }
  var warning = Number(body.dataset.idleWarning);
  var left = document.getElementById("idle-warning-left");
  var csrfToken = JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"];
  var deadline = 0;
  var timer = null;
  var ticker = null;

  function ask(method) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("session status " + response.status);
      }
      return response.json(); // a signed-out session answers the sign-in page: not JSON
    });
  }

  function schedule(secondsLeft) {
    clearTimeout(timer);
    clearInterval(ticker);
    banner.hidden = true;
    timer = setTimeout(check, Math.max(secondsLeft - warning, 0) * 1000);
  }

  // Reloading lets the server sign the session out and say why on the sign-in page.
  function expire() {
    window.location.assign(window.location.href);
  }

  function show() {
    var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (seconds === 0) {
      clearInterval(ticker);
      setTimeout(expire, 2000); // just past the server's end of the session
      return;
    }
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    left.textContent =
      (minutes ? minutes + " min " : "") + (rest || !minutes ? rest + " s" : "");
  }

  function warn(secondsLeft) {
    deadline = Date.now() + secondsLeft * 1000;
    banner.hidden = false;
    show();
    clearInterval(ticker);
    ticker = setInterval(show, 1000);
  }

  function check() {
    ask("GET").then(function (clock) {
      if (clock.seconds_left > warning) {
        schedule(clock.seconds_left);
      } else {
        warn(clock.seconds_left);
      }
    }, expire);
  }

  function keepAlive() {
    ask("POST").then(function (clock) {
      schedule(clock.seconds_left);
    }, expire);
  }

  document.getElementById("idle-stay").addEventListener("click", keepAlive);
  if (document.querySelector("[data-keep-alive]")) {
    setInterval(keepAlive, Number(body.dataset.keepAliveSeconds) * 1000);
  }
  schedule(Number(body.dataset.idleSecondsLeft));
})();
