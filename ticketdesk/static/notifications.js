/* The bell: polls /notifications/unread.json, keeps the badge and the page title
 * up to date, and shows a toast when a notification newer than the last one seen
 * arrives. Settings and texts come from data attributes on this script's tag. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !window.fetch) { return; }
  var cfg = script.dataset;
  var interval = Math.max(5, parseInt(cfg.pollSeconds, 10) || 30) * 1000;
  var maxInterval = 5 * 60 * 1000;
  var delay = interval;
  var timer = null;
  var stopped = false;
  var storageKey = "ticketdesk.notifications.lastSeen";
  var baseTitle = document.title.replace(/^\(\d+\+?\)\s*/, "");

  function readLastSeen() {
    try {
      var value = window.sessionStorage.getItem(storageKey);
      return value === null ? null : Number(value);
    } catch (e) { return null; }
  }

  function writeLastSeen(value) {
    try { window.sessionStorage.setItem(storageKey, String(value)); } catch (e) { /* private mode */ }
  }

  function setCount(unread, text) {
    var badge = document.getElementById("notification-badge");
    var label = document.getElementById("notification-bell-text");
    if (badge) {
      badge.textContent = unread > 99 ? "99+" : String(unread);
      badge.hidden = unread === 0;
    }
    if (label && text) { label.textContent = text; }
    document.title = unread > 0 ? "(" + unread + ") " + baseTitle : baseTitle;
  }

  function showToast(item) {
    var container = document.getElementById("notification-toasts");
    if (!container || !window.bootstrap || !window.bootstrap.Toast) { return; }
    var toast = document.createElement("div");
    toast.className = "toast bg-white";
    toast.setAttribute("aria-atomic", "true");

    var header = document.createElement("div");
    header.className = "toast-header";
    var heading = document.createElement("strong");
    heading.className = "me-auto";
    heading.textContent = cfg.textHeading || "New notification";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "toast");
    close.setAttribute("aria-label", cfg.textClose || "Close");
    header.appendChild(heading);
    header.appendChild(close);

    var body = document.createElement("div");
    body.className = "toast-body";
    var title = document.createElement("p");
    title.className = "fw-semibold mb-1";
    title.textContent = item.title;
    body.appendChild(title);
    if (item.body) {
      var text = document.createElement("p");
      text.className = "small mb-2";
      text.textContent = item.body;
      body.appendChild(text);
    }
    var link = document.createElement("a");
    link.href = item.url || cfg.listUrl;
    link.textContent = item.url ? (cfg.textOpen || "Open the ticket") : (cfg.textList || "See notifications");
    body.appendChild(link);

    toast.appendChild(header);
    toast.appendChild(body);
    container.appendChild(toast);
    toast.addEventListener("hidden.bs.toast", function () { toast.remove(); });
    window.bootstrap.Toast.getOrCreateInstance(toast, { delay: 10000 }).show();
  }

  function handle(data) {
    setCount(data.unread, data.unread_text);
    var items = data.items || [];
    var newest = items.reduce(function (max, item) {
      return Math.max(max, Date.parse(item.created_at) || 0);
    }, 0);
    var lastSeen = readLastSeen();
    if (lastSeen !== null) {
      items.filter(function (item) { return (Date.parse(item.created_at) || 0) > lastSeen; })
        .slice(0, 3).reverse().forEach(showToast);
    }
    if (lastSeen === null || newest > lastSeen) { writeLastSeen(newest); }
  }

  function schedule() {
    window.clearTimeout(timer);
    if (!stopped && !document.hidden) { timer = window.setTimeout(poll, delay); }
  }

  function poll() {
    window.fetch(cfg.unreadUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.redirected || response.status === 401 || response.status === 403 ||
          type.indexOf("application/json") === -1) {
        stopped = true;  // logged out in the meantime: the next page load starts over
        return null;
      }
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      if (data) {
        delay = interval;
        handle(data);
      }
    }).catch(function () {
      delay = Math.min(delay * 2, maxInterval);  // server or network trouble: back off
    }).then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      window.clearTimeout(timer);
    } else if (!stopped) {
      poll();
    }
  });

  if (readLastSeen() === null) {
    poll();  // a first look sets the baseline, so only later arrivals get a toast
  } else {
    schedule();
  }
})();
