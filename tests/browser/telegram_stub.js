/* A stand-in for telegram-web-app.js: window.Telegram.WebApp with the test's signed initData, recording what
   the page asks of Telegram (MainButton, BackButton, popups, haptics, close) in window.__tg. */
(function () {
  var config = window.__TG_CONFIG__;
  var record = window.__tg = {
    calls: [], popups: [], haptics: [], closed: false, confirmAnswer: true,
    main: { text: "", visible: false, active: true, progress: false, handlers: [] },
    back: { visible: false, handlers: [] },
    clickMain: function () { record.main.handlers.slice().forEach(function (handler) { handler(); }); },
    clickBack: function () { record.back.handlers.slice().forEach(function (handler) { handler(); }); },
  };
  function without(list, item) { var index = list.indexOf(item); if (index >= 0) list.splice(index, 1); }
  var MainButton = {
    setText: function (text) { record.main.text = text; return MainButton; },
    show: function () { record.main.visible = true; return MainButton; },
    hide: function () { record.main.visible = false; return MainButton; },
    enable: function () { record.main.active = true; return MainButton; },
    disable: function () { record.main.active = false; return MainButton; },
    showProgress: function () { record.main.progress = true; record.calls.push("MainButton.showProgress"); return MainButton; },
    hideProgress: function () { record.main.progress = false; return MainButton; },
    onClick: function (handler) { record.main.handlers.push(handler); return MainButton; },
    offClick: function (handler) { without(record.main.handlers, handler); return MainButton; },
    setParams: function (params) { if (params.text) record.main.text = params.text; return MainButton; },
  };
  Object.defineProperty(MainButton, "text", { get: function () { return record.main.text; } });
  Object.defineProperty(MainButton, "isVisible", { get: function () { return record.main.visible; } });
  var BackButton = {
    show: function () { record.back.visible = true; return BackButton; },
    hide: function () { record.back.visible = false; return BackButton; },
    onClick: function (handler) { record.back.handlers.push(handler); return BackButton; },
    offClick: function (handler) { without(record.back.handlers, handler); return BackButton; },
  };
  window.Telegram = { WebApp: {
    initData: config.initData, initDataUnsafe: { user: config.user }, version: "8.0", platform: "tdesktop",
    colorScheme: config.colorScheme, themeParams: config.themeParams,
    MainButton: MainButton, BackButton: BackButton,
    HapticFeedback: {
      notificationOccurred: function (kind) { record.haptics.push(kind); },
      impactOccurred: function () {}, selectionChanged: function () {},
    },
    ready: function () { record.calls.push("ready"); },
    expand: function () { record.calls.push("expand"); },
    close: function () { record.closed = true; },
    showPopup: function (params, callback) {
      record.popups.push({ kind: "popup", message: params.message });
      if (callback) setTimeout(function () { callback("ok"); });
    },
    showAlert: function (message, callback) {
      record.popups.push({ kind: "alert", message: message });
      if (callback) setTimeout(callback);
    },
    showConfirm: function (message, callback) {
      record.popups.push({ kind: "confirm", message: message });
      setTimeout(function () { callback(record.confirmAnswer); });
    },
    onEvent: function () {}, offEvent: function () {},
    isVersionAtLeast: function () { return true; },
  } };
})();
