// The autosave helpers of the scoresheet and of the council's appraisal page (served from
// /static, so the page's CSP allows it).
//
// htmx posts each leaf's form on change; this script adds what htmx does not:
// - a refused save (409 conflict, 422 invalid, 413 too large) still replaces the leaf row,
//   which shows the reason and keeps the typed value; text refused before the save (the
//   X-Input-Refused header) leaves the row as typed and shows the reason in its status line;
// - text typed while a save was on its way is put back into the new row and saved again;
// - a save that could not reach the server (offline, server error) is kept in localStorage,
//   shown as "not saved — will retry", retried when the connection returns (and every 20 s),
//   and forgotten once saved. A page opened with such values puts them back and retries.
(function () {
  'use strict';
  var KEY = 'chiso-unsaved:';
  var FIELDS = ['points', 'input', 'explanation', 'answer', 'comment', 'explanation_requested'];
  var sheet = document.getElementById('sheet');
  if (!sheet || !window.htmx) { return; }
  var unsavedText = sheet.getAttribute('data-unsaved') || 'Not saved — will retry';

  function isAutosave(elt) {
    return elt && elt.matches && elt.matches('form.autosave');
  }
  function formOf(elt) {
    if (!elt) { return null; }
    if (isAutosave(elt)) { return elt; }
    return elt.closest ? elt.closest('form.autosave') : null;
  }
  function values(form) {
    var out = {};
    FIELDS.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field) { out[name] = field.type === 'checkbox' ? (field.checked ? '1' : '') : field.value; }
    });
    return out;
  }
  function same(a, b) {
    return FIELDS.every(function (name) { return (a[name] || '') === (b[name] || ''); });
  }
  function put(form, stored) {
    FIELDS.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field || stored[name] === undefined) { return; }
      if (field.type === 'checkbox') { field.checked = stored[name] === '1'; } else { field.value = stored[name]; }
    });
  }
  function keyOf(form) { return KEY + form.getAttribute('action'); }
  function status(form, text, cls) {
    var line = form.querySelector('.save-status');
    if (!line) { return; }
    line.textContent = '';
    var span = document.createElement('span');
    span.className = cls;
    span.textContent = text;
    line.appendChild(span);
  }
  function remember(form) {
    var version = form.elements.namedItem('version');
    try {
      localStorage.setItem(keyOf(form), JSON.stringify({
        values: values(form),
        version: version ? version.value : '',
        at: Date.now()
      }));
    } catch (e) { /* storage full or disabled: the values stay in the field */ }
    status(form, unsavedText, 'unsaved');
    form.closest('.leaf').classList.add('unsaved');
  }
  function forget(action) {
    try { localStorage.removeItem(KEY + action); } catch (e) { /* nothing to forget */ }
  }
  function retry() {
    if (navigator.onLine === false) { return; }
    document.querySelectorAll('form.autosave').forEach(function (form) {
      var stored = null;
      try { stored = localStorage.getItem(keyOf(form)); } catch (e) { return; }
      if (stored) { htmx.trigger(form, 'change'); }
    });
  }

  // The values a request carried, to notice typing that happened while it was on its way.
  document.body.addEventListener('htmx:configRequest', function (evt) {
    var form = formOf(evt.detail.elt);
    if (form) { form._chisoSent = values(form); }
  });

  var pending = {};
  document.body.addEventListener('htmx:beforeSwap', function (evt) {
    var elt = evt.detail.requestConfig && evt.detail.requestConfig.elt;
    var leaf = elt && elt.closest ? elt.closest('.leaf') : null;
    if (!leaf) { return; }
    var code = evt.detail.xhr.status;
    var form = formOf(elt);
    // Text refused before any handler ran (a control character, a field over its limit): the
    // row stays as typed and its status line says why.
    var refusal = evt.detail.xhr.getResponseHeader('X-Input-Refused');
    if (refusal && form) {
      evt.detail.shouldSwap = false;
      evt.detail.isError = false;
      status(form, decodeURIComponent(refusal), 'error');
      return;
    }
    if (code === 409 || code === 422 || code === 413) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
    // Saved: what this browser kept for the leaf is no longer needed. (Cleared here, while
    // the form is still in the page: once the row is swapped, its events reach nobody.)
    if (form && code >= 200 && code < 300) { forget(form.getAttribute('action')); }
    if (form && form._chisoSent && evt.detail.shouldSwap) {
      var now = values(form);
      if (!same(now, form._chisoSent)) { pending[leaf.id] = now; }
    }
  });

  // Put back what was typed during the save in the same task as the swap, before another
  // keystroke can reach the new field.
  document.body.addEventListener('htmx:afterSwap', function (evt) {
    Object.keys(pending).forEach(function (id) {
      var leaf = document.getElementById(id);
      var form = leaf && leaf.querySelector('form.autosave');
      var typed = pending[id];
      delete pending[id];
      if (form) {
        put(form, typed);
        htmx.trigger(form, 'change');
      }
    });
  });

  document.body.addEventListener('htmx:afterRequest', function (evt) {
    var form = formOf(evt.detail.elt);
    if (!form) { return; }
    var code = evt.detail.xhr ? evt.detail.xhr.status : 0;
    if (code === 0 || code >= 500) { remember(form); }
  });
  document.body.addEventListener('htmx:sendError', function (evt) {
    var form = formOf(evt.detail.elt);
    if (form) { remember(form); }
  });

  // "Use the stored value" drops what this browser kept for the leaf.
  document.body.addEventListener('click', function (evt) {
    var link = evt.target.closest && evt.target.closest('[data-discard]');
    if (link) { forget(link.getAttribute('data-discard')); }
  });

  // Values a closed tab or a dropped connection left unsaved come back into their fields and
  // are saved again, from the version they were typed on (a save made meanwhile by someone
  // else then shows as a conflict instead of being overwritten).
  document.querySelectorAll('form.autosave').forEach(function (form) {
    var stored = null;
    try { stored = JSON.parse(localStorage.getItem(keyOf(form)) || 'null'); } catch (e) { stored = null; }
    if (!stored || !stored.values) { return; }
    if (same(stored.values, values(form))) { forget(form.getAttribute('action')); return; }
    put(form, stored.values);
    var version = form.elements.namedItem('version');
    if (version && stored.version !== undefined) { version.value = stored.version; }
    status(form, unsavedText, 'unsaved');
    form.closest('.leaf').classList.add('unsaved');
  });
  window.addEventListener('online', retry);
  window.setInterval(retry, 20000);
  if (document.readyState === 'complete') { retry(); } else { window.addEventListener('load', retry); }
})();
