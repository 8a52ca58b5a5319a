/* The customer picker on "Log a complaint": a search-as-you-type combobox in front of
 * the customer select. Without JavaScript the select works on its own; with it, the
 * select is hidden and keeps the chosen id, so the form posts the same field either way.
 * Matches come from the JSON endpoint in data-search-url (only customers the user may
 * see); texts come from data-text-* attributes. Keyboard: arrow keys move through the
 * matches, Enter picks one, Escape closes the list. */
(function () {
  "use strict";

  var box = document.querySelector("[data-customer-picker]");
  if (!box || !window.fetch) { return; }
  var select = box.querySelector("select");
  var label = box.querySelector("label");
  if (!select || !label) { return; }
  var cfg = box.dataset;
  var listId = select.id + "-listbox";
  var statusId = select.id + "-status";
  var timer = null;
  var serial = 0;
  var results = [];
  var active = -1;

  var input = document.createElement("input");
  input.type = "text";
  input.id = select.id + "-search";
  input.className = "form-control";
  input.autocomplete = "off";
  input.placeholder = cfg.textPlaceholder || "";
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listId);
  var describedBy = select.getAttribute("aria-describedby");
  input.setAttribute("aria-describedby", (describedBy ? describedBy + " " : "") + statusId);
  if (select.classList.contains("is-invalid")) {
    input.classList.add("is-invalid");
    input.setAttribute("aria-invalid", "true");
  }
  var chosen = select.options[select.selectedIndex];
  if (chosen && chosen.value) { input.value = chosen.text; }

  var list = document.createElement("ul");
  list.id = listId;
  list.className = "list-group customer-picker-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", label.textContent.trim());
  list.hidden = true;

  var status = document.createElement("div");
  status.id = statusId;
  status.className = "visually-hidden";
  status.setAttribute("role", "status");

  // The label now names the search box; the select stays in the form, hidden.
  label.htmlFor = input.id;
  select.hidden = true;
  select.tabIndex = -1;
  select.insertAdjacentElement("beforebegin", input);
  input.insertAdjacentElement("afterend", list);
  list.insertAdjacentElement("afterend", status);

  function setChoice(id, name) {
    var option = null;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === String(id)) { option = select.options[i]; }
    }
    if (!option && id) {
      option = new Option(name, String(id));
      select.add(option);
    }
    select.value = id ? String(id) : "";
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    var items = list.children;
    for (var i = 0; i < items.length; i++) {
      var on = i === index;
      items[i].classList.toggle("active", on);
      items[i].setAttribute("aria-selected", on ? "true" : "false");
    }
    active = index;
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function pick(index) {
    var match = results[index];
    if (!match) { return; }
    input.value = match.name;
    setChoice(match.id, match.name);
    status.textContent = "";
    close();
  }

  function show(matches) {
    results = matches;
    list.textContent = "";
    matches.forEach(function (match, i) {
      var item = document.createElement("li");
      item.id = listId + "-" + i;
      item.className = "list-group-item list-group-item-action";
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.textContent = match.label;
      // mousedown, not click: it comes before the input loses focus.
      item.addEventListener("mousedown", function (event) {
        event.preventDefault();
        pick(i);
      });
      list.appendChild(item);
    });
    if (matches.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = (cfg.textFound || "").replace("{n}", String(matches.length));
    } else {
      close();
      status.textContent = cfg.textNone || "";
    }
    active = -1;
  }

  function search() {
    var query = input.value.trim();
    var mine = ++serial;
    if (query.length < 2) { show([]); status.textContent = ""; return; }
    var url = cfg.searchUrl + "?q=" + encodeURIComponent(query);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        if (mine === serial) { show(data.results || []); }
      })
      .catch(function () {
        if (mine !== serial) { return; }
        // Fall back to the plain select.
        close();
        select.hidden = false;
        select.tabIndex = 0;
        status.textContent = cfg.textFailed || "";
      });
  }

  input.addEventListener("input", function () {
    // Typing again forgets the earlier choice: an empty choice means a new customer.
    setChoice("", "");
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 150);
  });

  input.addEventListener("keydown", function (event) {
    var count = list.children.length;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (list.hidden && count) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
      if (count) { highlight((active + 1) % count); }
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (count && !list.hidden) { highlight(active <= 0 ? count - 1 : active - 1); }
    } else if (event.key === "Enter") {
      if (!list.hidden && active >= 0) {
        event.preventDefault();  // pick, do not submit the form
        pick(active);
      }
    } else if (event.key === "Escape") {
      if (!list.hidden) {
        event.preventDefault();
        close();
      }
    }
  });

  input.addEventListener("blur", close);
})();
