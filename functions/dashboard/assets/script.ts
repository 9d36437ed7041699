/**
 * The dashboard's only script, hand-written and served as it is (no build step). Every page works
 * without it; it adds: copy buttons, the overview's short poll, keeping the keyboard focus on a
 * moved item, Alt+Arrow keys to move an item of an ordered list, and firmware upload (the image
 * streamed as the request body, which a plain form cannot do). Kept in a string so that the
 * Workers bundle carries it; `script.test.ts` checks that it parses.
 */
export const script = String.raw`
'use strict';
(function () {
  var FOCUS_KEY = 'tandem-dashboard-focus';

  function csrfOf(form) {
    var field = form.querySelector('input[name="_csrf"]');
    return field ? field.value : '';
  }

  function setUpCopyButtons() {
    document.querySelectorAll('button[data-copy]').forEach(function (button) {
      button.hidden = false;
      button.addEventListener('click', function () {
        var source = document.getElementById(button.getAttribute('data-copy'));
        if (!source) return;
        var text = source.textContent || '';
        var done = function () {
          var label = button.textContent;
          button.textContent = 'Copied';
          setTimeout(function () { button.textContent = label; }, 1500);
        };
        if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, function () {});
        else {
          var range = document.createRange();
          range.selectNodeContents(source);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          try { document.execCommand('copy'); done(); } catch (e) { /* the text stays selected */ }
        }
      });
    });
  }

  function setUpRefresh() {
    document.querySelectorAll('[data-refresh]').forEach(function (region) {
      var every = Number(region.getAttribute('data-every') || 5000);
      var busy = false;
      var timer = setInterval(function () {
        if (busy || document.hidden) return;
        busy = true;
        fetch(region.getAttribute('data-refresh'), { credentials: 'same-origin', headers: { accept: 'text/html' } })
          .then(function (res) {
            if (res.redirected || res.status === 401) { clearInterval(timer); location.reload(); return null; }
            return res.ok ? res.text() : null;
          })
          .then(function (html) {
            if (html !== null && html !== undefined) {
              region.innerHTML = html;
              region.setAttribute('data-refreshed', String(Date.now()));
            }
          })
          .catch(function () { /* the next round tries again */ })
          .then(function () { busy = false; });
      }, every);
    });
  }

  function setUpFocusKeeping() {
    document.querySelectorAll('form[data-keep-focus]').forEach(function (form) {
      form.addEventListener('submit', function () {
        try { sessionStorage.setItem(FOCUS_KEY, form.getAttribute('data-keep-focus')); } catch (e) { /* private mode */ }
      });
    });
    var wanted = null;
    try { wanted = sessionStorage.getItem(FOCUS_KEY); sessionStorage.removeItem(FOCUS_KEY); } catch (e) { /* private mode */ }
    if (!wanted) return;
    var ids = wanted.split(' ');
    // After the load: scrolling to the page's #fragment would take the focus away again.
    var restore = function () {
      for (var i = 0; i < ids.length; i++) {
        var target = document.getElementById(ids[i]);
        if (target && !target.disabled) { target.focus(); return; }
      }
    };
    if (document.readyState === 'complete') restore();
    else window.addEventListener('load', function () { setTimeout(restore, 0); });
  }

  function setUpOrderKeys() {
    document.querySelectorAll('ol.order > li').forEach(function (item) {
      item.addEventListener('keydown', function (event) {
        if (!event.altKey || (event.key !== 'ArrowUp' && event.key !== 'ArrowDown')) return;
        var button = item.querySelector(event.key === 'ArrowUp' ? 'button[data-move="up"]' : 'button[data-move="down"]');
        if (!button) return;
        event.preventDefault();
        button.click();
      });
    });
  }

  function setUpUpload() {
    document.querySelectorAll('form[data-upload]').forEach(function (form) {
      var status = form.querySelector('[data-upload-status]');
      var progress = form.querySelector('progress');
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        var input = form.querySelector('input[type="file"]');
        var file = input && input.files && input.files[0];
        form.querySelectorAll('[data-field-error]').forEach(function (p) { p.textContent = ''; p.hidden = true; });
        if (!file) { show('file', 'Choose the image file to upload.'); return; }
        var query = new URLSearchParams();
        form.querySelectorAll('input[type="text"]').forEach(function (field) { query.set(field.name, field.value); });
        query.set('fileName', file.name);
        var xhr = new XMLHttpRequest();
        xhr.open('POST', form.getAttribute('data-upload') + '?' + query.toString());
        xhr.setRequestHeader('content-type', 'application/octet-stream');
        xhr.setRequestHeader('x-csrf-token', csrfOf(form));
        xhr.setRequestHeader('accept', 'application/json');
        if (progress) { progress.hidden = false; progress.value = 0; }
        xhr.upload.onprogress = function (e) { if (progress && e.lengthComputable) progress.value = e.loaded / e.total; };
        xhr.onload = function () {
          var body = null;
          try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
          if (xhr.status >= 200 && xhr.status < 300 && body && body.location) { location.assign(body.location); return; }
          if (progress) progress.hidden = true;
          var field = body && body.field;
          var sentence = (body && body.detail) || ('The upload failed (HTTP ' + xhr.status + ').');
          if (!field || !show(field, sentence)) show('form', sentence);
        };
        xhr.onerror = function () { if (progress) progress.hidden = true; show('form', 'The upload did not reach the server; check the connection and try again.'); };
        if (status) status.textContent = 'Uploading ' + file.name + ' …';
        xhr.send(file);
      });

      function show(field, sentence) {
        var target = form.querySelector('[data-field-error="' + field + '"]');
        if (!target) return false;
        target.textContent = sentence;
        target.hidden = false;
        if (status) status.textContent = '';
        return true;
      }
    });
  }

  function start() {
    setUpCopyButtons();
    setUpRefresh();
    setUpFocusKeeping();
    setUpOrderKeys();
    setUpUpload();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`;
