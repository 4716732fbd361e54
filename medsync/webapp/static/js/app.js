/* MedSync Mini App: what every page shares. Telegram (theme, buttons, popups, haptics), the api() helper
   that signs requests with initData and turns the one error shape into its message, and clinic-time formatting.
   Texts come from the server (the #texts JSON in base.html), never from here; so do the clinics' cities (#cities). */
(function () {
  "use strict";

  var tg = (window.Telegram && window.Telegram.WebApp) || null;
  var initData = (tg && tg.initData) || "";
  var texts = JSON.parse(document.getElementById("texts").textContent);
  /* A page's own texts (the staff pages': #page-texts) join the shared ones. */
  var pageTexts = document.getElementById("page-texts");
  if (pageTexts) Object.assign(texts, JSON.parse(pageTexts.textContent));
  /* A staff page in a desktop browser: its session cookie signs the calls, and writes carry this CSRF token. */
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = (!initData && csrfMeta && csrfMeta.content) || "";
  var cities = JSON.parse(document.getElementById("cities").textContent);
  var root = document.documentElement;
  var locale = root.lang || "en";

  /* A server text with its {placeholders} filled in. */
  function t(key, values) {
    var text = texts[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }

  /* Telegram's colours as --tg-theme-* variables (telegram-web-app.js sets them too; a stub or an old client may not). */
  function applyTheme() {
    var params = (tg && tg.themeParams) || {};
    Object.keys(params).forEach(function (key) {
      if (/^#[0-9a-f]{3,8}$/i.test(params[key])) {
        root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), params[key]);
      }
    });
    if (tg && tg.colorScheme) root.dataset.scheme = tg.colorScheme;
  }

  function ApiError(message, status, errors) {
    this.name = "ApiError";
    this.message = message;
    this.status = status;
    this.errors = errors || {};
  }
  ApiError.prototype = Object.create(Error.prototype);

  /* fetch() on /api/v1 with `Authorization: tma <initData>` (a staff page in a browser: its session cookie and CSRF
     token); JSON (or a FormData `form`) in, JSON (or a Blob) out; errors as ApiError. */
  function api(path, options) {
    options = options || {};
    var headers = Object.assign({ Accept: "application/json" }, options.headers || {});
    var method = options.method || "GET";
    if (initData) headers.Authorization = "tma " + initData;
    else if (csrfToken && method !== "GET") headers["X-CSRF-Token"] = csrfToken;
    var init = { method: method, headers: headers, credentials: csrfToken ? "same-origin" : "omit" };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    } else if (options.form) {
      init.body = options.form;  /* multipart: the browser writes its Content-Type with the boundary */
    }
    return fetch(path, init).then(function (response) {
      if (response.ok) return options.blob ? response.blob() : response.json();
      return response.json().then(
        function (body) {
          var message = body && body.message ? body.message : t("server_error");
          throw new ApiError(message, response.status, body && body.errors);
        },
        function () { throw new ApiError(t("server_error"), response.status); }
      );
    }, function () {
      throw new ApiError(t("network_error"), 0);
    });
  }

  function haptic(kind) {
    if (tg && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred(kind);
  }

  var toastTimer = null;
  function toast(message) {
    var box = document.getElementById("toast");
    box.textContent = message;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 4000);
  }

  /* An error the patient must read: Telegram's popup, else an alert-style toast; haptic error either way. */
  function showError(message) {
    haptic("error");
    if (tg && initData && tg.showPopup) {
      tg.showPopup({ message: message.slice(0, 256), buttons: [{ type: "ok" }] });
    } else {
      toast(message);
    }
  }

  /* Yes/no through Telegram's confirm popup (window.confirm outside Telegram). */
  function confirmAction(message) {
    return new Promise(function (resolve) {
      if (tg && initData && tg.showConfirm) tg.showConfirm(message, function (ok) { resolve(!!ok); });
      else resolve(window.confirm(message));
    });
  }

  /* Telegram's MainButton for the page's one primary action; the in-page button is its twin outside Telegram. */
  var mainHandler = null;
  function mainButton(options) {
    if (!tg || !initData || !tg.MainButton) return;
    var button = tg.MainButton;
    if (mainHandler) button.offClick(mainHandler);
    mainHandler = null;
    if (!options) { button.hideProgress(); button.hide(); return; }
    mainHandler = options.onClick;
    button.setText(options.text);
    button.onClick(mainHandler);
    button.hideProgress();
    button.enable();
    button.show();
  }
  function mainProgress(busy) {
    if (!tg || !initData || !tg.MainButton) return;
    if (busy) { tg.MainButton.showProgress(false); tg.MainButton.disable(); }
    else { tg.MainButton.hideProgress(); tg.MainButton.enable(); }
  }

  /* Telegram's BackButton: a handler, or null to hide it. */
  var backHandler = null;
  function backButton(handler) {
    if (!tg || !tg.BackButton) return;
    if (backHandler) tg.BackButton.offClick(backHandler);
    backHandler = handler;
    if (handler) { tg.BackButton.onClick(handler); tg.BackButton.show(); } else { tg.BackButton.hide(); }
  }

  function download(blob, fileName) {
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = fileName;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  /* --- clinic time: slots carry the clinic's offset, so the wall time is read from the string itself --- */

  function clinicDay(iso) { return iso.slice(0, 10); }
  function clinicClock(iso) { return iso.slice(11, 16); }
  function offsetOf(iso) { var match = /([+-]\d\d:\d\d|Z)$/.exec(iso); return match && match[1] !== "Z" ? match[1] : "+00:00"; }
  function offsetMinutes(iso) {
    var offset = offsetOf(iso);
    return (offset[0] === "-" ? -1 : 1) * (parseInt(offset.slice(1, 3), 10) * 60 + parseInt(offset.slice(4, 6), 10));
  }

  /* "YYYY-MM-DD" of an instant in an IANA zone (the device's own without one). */
  function dayIn(instant, zone) {
    var parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(instant);
    var get = function (type) { return parts.filter(function (part) { return part.type === type; })[0].value; };
    return get("year") + "-" + get("month") + "-" + get("day");
  }

  function dateOf(day) { var p = day.split("-"); return new Date(Date.UTC(+p[0], +p[1] - 1, +p[2])); }
  function addDays(day, count) {
    var date = dateOf(day);
    date.setUTCDate(date.getUTCDate() + count);
    return date.toISOString().slice(0, 10);
  }
  function formatDay(day, options) {
    return new Intl.DateTimeFormat(locale, Object.assign({ timeZone: "UTC" }, options)).format(dateOf(day));
  }
  function number(value) { return new Intl.NumberFormat(locale).format(value); }
  function longDay(day) { return formatDay(day, { weekday: "short", day: "numeric", month: "short" }); }

  /* The city a clinic's time zone is named after, in the page's language ("Київ"); the zone's own name for a zone
     no clinic had when the page was rendered. */
  function cityOf(zone) { return cities[zone] || zone.split("/").pop().replace(/_/g, " "); }
  function zoneLabel(zone, iso) {
    return t("zone_label", { city: cityOf(zone), offset: offsetOf(iso) });
  }
  /* Does the device read this clinic instant at another wall time? Then the patient's own time goes beside it. */
  function deviceDiffers(iso) {
    return -new Date(iso).getTimezoneOffset() !== offsetMinutes(iso);
  }
  /* The same instant on the device's clock: "02:00", or "Wed, 2 Dec 18:00" when that is another day there
     (`short`: "Wed 18:00", for a time button). */
  function yourTime(iso, short) {
    var instant = new Date(iso);
    var clock = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(instant);
    var day = dayIn(instant);
    if (day === clinicDay(iso)) return clock;
    return (short ? formatDay(day, { weekday: "short" }) : longDay(day)) + " " + clock;
  }
  /* "Thu, 3 Dec · 09:00", and when the device's clock differs "Thu, 3 Dec · 09:00 Kyiv · 02:00 your time". */
  function clinicWhen(iso, zone) {
    var time = deviceDiffers(iso)
      ? t("clinic_and_your_time", { clinic: clinicClock(iso), city: cityOf(zone), yours: yourTime(iso) })
      : clinicClock(iso);
    return longDay(clinicDay(iso)) + " · " + time;
  }

  /* --- language: the selector, and the page in the patient's own language (their choice, else their Telegram's) --- */

  var LANGUAGE_FOLLOWED = "medsync.language-followed";
  function languageUrl(language) {
    return "/app/language?language=" + encodeURIComponent(language) +
      "&next=" + encodeURIComponent(window.location.pathname + window.location.search);
  }
  /* The selector: stored for the patient through the API (the bot and the chat messages follow it), then the page
     comes back in that language (the server keeps it for this browser). */
  function chooseLanguage(language) {
    var stored = initData ? api("/api/v1/me/language", { method: "PUT", body: { language: language } }) : Promise.resolve();
    stored.then(function () { window.location.href = languageUrl(language); }, function (error) { showError(error.message); });
  }
  /* Once per Mini App session: a page the server rendered in the browser's language is reloaded in the patient's. */
  function followPatientsLanguage() {
    var storage;
    try { storage = window.sessionStorage; } catch (error) { return; }
    if (!initData || !storage || storage.getItem(LANGUAGE_FOLLOWED)) return;
    api("/api/v1/me/language").then(function (mine) {
      storage.setItem(LANGUAGE_FOLLOWED, mine.language);
      if (mine.language !== locale) window.location.replace(languageUrl(mine.language));
    }, function () { /* the page stays as it is */ });
  }

  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") node.textContent = attributes[name];
      else if (name === "hidden") node.hidden = !!attributes[name];
      else node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function start() {
    if (tg) {
      applyTheme();
      if (tg.onEvent) tg.onEvent("themeChanged", applyTheme);
      if (tg.ready) tg.ready();
      if (tg.expand) tg.expand();
    }
    if (initData) {
      document.body.classList.add("in-telegram");
    } else {
      document.querySelectorAll("[data-outside-telegram]").forEach(function (note) { note.hidden = false; });
      document.querySelectorAll("[data-signed-in-only]").forEach(function (part) { part.hidden = true; });
    }
    var selector = document.querySelector("[data-language]");
    if (selector) selector.addEventListener("change", function () { chooseLanguage(selector.value); });
    followPatientsLanguage();
    var user = tg && tg.initDataUnsafe && tg.initDataUnsafe.user;
    var greeting = document.querySelector("[data-user-greeting]");
    if (greeting && user && user.first_name) greeting.textContent = ", " + user.first_name;
    var back = document.body.dataset.back;
    if (back) backButton(function () { window.location.href = back; });
    var primary = document.querySelector("a[data-main-button]");
    if (primary) mainButton({ text: primary.textContent.trim(), onClick: function () { window.location.href = primary.href; } });
    /* Never a broken picture: a stored photo that does not load gives way to the drawn avatar (initials);
       should that fail too, nothing is shown. Pictures that failed before this script ran are found too. */
    function pictureFailed(image) {
      if (image.dataset.avatar && image.getAttribute("src") !== image.dataset.avatar) image.src = image.dataset.avatar;
      else image.classList.add("broken");
    }
    document.addEventListener("error", function (event) {
      if (event.target.tagName === "IMG") pictureFailed(event.target);
    }, true);
    Array.prototype.forEach.call(document.images, function (image) {
      if (image.complete && image.naturalWidth === 0 && image.getAttribute("src")) pictureFailed(image);
    });
  }

  window.MedSync = {
    telegram: tg, signedIn: !!initData, browserSession: !!csrfToken, user: (tg && tg.initDataUnsafe && tg.initDataUnsafe.user) || null,
    t: t, api: api, ApiError: ApiError, haptic: haptic, toast: toast, showError: showError, confirm: confirmAction,
    mainButton: mainButton, mainProgress: mainProgress, backButton: backButton, download: download,
    number: number, clinicDay: clinicDay, clinicClock: clinicClock, dayIn: dayIn, addDays: addDays, longDay: longDay, formatDay: formatDay,
    zoneLabel: zoneLabel, cityOf: cityOf, deviceDiffers: deviceDiffers, yourTime: yourTime, clinicWhen: clinicWhen,
    element: element,
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
