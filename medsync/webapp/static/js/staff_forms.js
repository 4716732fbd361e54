/* What the staff pages' forms share: the API's field errors shown beside their fields (and taken away again), hours
   written as "09:00-13:00, 14:00-18:00", and a save that sends the version the admin edited (If-Match: someone
   else's newer change is refused, never overwritten). Loaded before a page's own script. */
(function () {
  "use strict";

  var M = window.MedSync;

  function clearErrors(scope) {
    scope.querySelectorAll("[data-error-for], [data-form-error]").forEach(function (line) { line.textContent = ""; });
    scope.querySelectorAll("[aria-invalid]").forEach(function (field) { field.removeAttribute("aria-invalid"); });
  }

  /* One field's error on its line (data-error-for="<name>"), the field marked invalid; false when the page has no
     line for it. */
  function showFieldError(scope, name, message) {
    var line = scope.querySelector('[data-error-for="' + name + '"]');
    if (!line) return false;
    line.textContent = message;
    var field = scope.querySelector('[id="' + name + '"]') || (scope.elements && scope.elements[name]);
    if (field && field.setAttribute) field.setAttribute("aria-invalid", "true");
    return true;
  }

  /* The messages of one field's error, however deep the API nested them (a list's items, a day's fields). */
  function messageOf(detail) {
    if (Array.isArray(detail)) return detail.map(messageOf).join(" ");
    if (detail && typeof detail === "object") return Object.keys(detail).map(function (key) { return messageOf(detail[key]); }).join(" ");
    return String(detail);
  }

  /* The API's refusal shown: each field error beside its field (`place(name, messages)` may name another line for
     it, or several [{name, text}]), the message in the form's [data-form-error] line; returns whether any field
     error found its line. */
  function showErrors(scope, error, place) {
    var shown = false;
    Object.keys(error.errors || {}).forEach(function (name) {
      var targets = (place && place(name, error.errors[name])) || [{ name: name, text: messageOf(error.errors[name]) }];
      targets.forEach(function (target) { shown = showFieldError(scope, target.name, target.text) || shown; });
    });
    var line = scope.querySelector("[data-form-error]");
    if (line) line.textContent = error.message;
    return shown;
  }

  /* Errors the API keeps per item of a list field (`{"3": {...}}`) placed on the line of the item's origin. */
  function placeItems(listName, origins) {
    return function (name, messages) {
      if (name !== listName || !messages || Array.isArray(messages)) return null;
      return Object.keys(messages).map(function (index) {
        return { name: origins[+index] || listName, text: messageOf(messages[index]) };
      });
    };
  }

  /* "09:00-13:00, 14:00-18:00" → [{starts, ends}]; "" → []; null when it cannot be read. */
  function parseHours(text) {
    var parts = text.split(",").map(function (part) { return part.trim(); }).filter(Boolean);
    var hours = [];
    for (var index = 0; index < parts.length; index += 1) {
      var match = /^(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})$/.exec(parts[index]);
      if (!match) return null;
      hours.push({ starts: pad(match[1]) + ":" + match[2], ends: pad(match[3]) + ":" + match[4] });
    }
    return hours;
  }
  function pad(hour) { return hour.length === 1 ? "0" + hour : hour; }
  function hoursText(hours) {
    return hours.map(function (item) { return item.starts + "–" + item.ends; }).join(", ");
  }

  function option(value, text) { return M.element("option", { value: String(value), text: text }); }

  /* POST a new row to `path`, or PATCH the one at `path/<id>` with If-Match: the version the admin edited. */
  function save(path, id, version, body) {
    if (!id) return M.api(path, { method: "POST", body: body });
    return M.api(path + "/" + id, { method: "PATCH", body: body, headers: { "If-Match": '"' + version + '"' } });
  }

  /* The form saves a catalog row: `editing.values()` the body (null: refused on the page already), `editing.version()`
     the version shown; a new row's page is opened once it is added, an existing one shown again as saved. Errors go
     beside their fields (`editing.place`, as for showErrors) and in a popup. */
  function savesRow(form, collection, id, editing) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(editing.scope || form);
      var body = editing.values();
      if (!body) return;
      save("/api/v1/admin/" + collection, id, editing.version(), body).then(function (row) {
        M.haptic("success");
        if (!id) { window.location.href = "/app/staff/" + collection + "/" + row.id; return; }
        editing.show(row);
        M.toast(M.t("saved"));
      }, function (error) {
        showErrors(editing.scope || form, error, editing.place && editing.place());
        M.showError(error.message);
      });
    });
  }

  /* A decimal the way people type it ("650,50") as a JSON number; what is not one stays as typed (the API names it). */
  function decimal(text) {
    var value = String(text).trim().replace(",", ".");
    return value !== "" && isFinite(Number(value)) ? Number(value) : value;
  }
  function whole(text) {
    var value = String(text).trim();
    return /^\d+$/.test(value) ? parseInt(value, 10) : value;
  }

  /* Inside Telegram a page's one primary action is the MainButton; admins only (others cannot change anything). */
  function adminOnly(form, me, saveButton) {
    var isAdmin = me.holds.indexOf("admin") >= 0;
    if (isAdmin) M.mainButton({ text: saveButton.textContent.trim(), onClick: function () { form.requestSubmit(); } });
    else form.querySelectorAll("input, select, textarea").forEach(function (field) { field.disabled = true; });
    return isAdmin;
  }

  window.MedSyncForms = {
    clearErrors: clearErrors, showFieldError: showFieldError, showErrors: showErrors, placeItems: placeItems,
    messageOf: messageOf, parseHours: parseHours, hoursText: hoursText, option: option, save: save,
    decimal: decimal, whole: whole, adminOnly: adminOnly, savesRow: savesRow,
  };
})();
