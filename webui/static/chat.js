// Chat: the bar showing who is online in the space, and live messages on
// a conversation's page, over one WebSocket per page
// (GET /s/SLUG/chat/ws). It reconnects with backoff and, on a
// conversation's page, catches up from the last message it has. Without
// JavaScript the pages still work through their forms.
(function () {
  'use strict';
  var bar = document.getElementById('chatbar');
  if (!bar || !window.WebSocket) { return; }
  var slug = bar.dataset.slug;
  var me = Number(bar.dataset.me);
  var people = document.getElementById('chatbar-people');
  var badge = document.getElementById('chatbar-unread');
  var log = document.getElementById('chat-log');
  var conv = log ? Number(log.dataset.conversation) : 0;
  var status = document.getElementById('chat-status');
  var form = document.getElementById('chat-send');
  var body = document.getElementById('chat-body');
  var online = {}; // id: name of the people online in the space
  // Catch-up needs a cursor: a conversation's live page has one.
  var hasCursor = !!(log && log.dataset.live === 'true');
  var lastId = hasCursor ? Number(log.dataset.last) : 0;
  var lastAt = '';
  var ws = null;
  var backoff = 500;
  var opened = false;
  var failures = 0;
  var unread = 0;
  var perConv = {};
  var refs = 0;
  var leaving = false;
  document.addEventListener('submit', function () { leaving = true; }, true);
  window.addEventListener('beforeunload', function () { leaving = true; });

  function setStatus(text) { if (status) { status.textContent = text; } }

  function connect() {
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host +
      '/s/' + encodeURIComponent(slug) + '/chat/ws';
    if (hasCursor) {
      url += '?after=' + lastId;
      if (lastAt) { url += '&since=' + encodeURIComponent(lastAt); }
    }
    var sock = new WebSocket(url);
    ws = sock;
    sock.onopen = function () { backoff = 500; opened = true; setStatus(''); };
    sock.onmessage = function (ev) {
      // One or more frames, one JSON document a line.
      String(ev.data).split('\n').forEach(function (line) {
        var f;
        try { f = JSON.parse(line); } catch (e) { return; }
        handle(f);
      });
    };
    sock.onclose = function () {
      if (ws === sock) { ws = null; }
      // A socket that never opened (chat unavailable here) is retried a
      // few times only; once it has worked, always.
      if (!opened && ++failures > 4) { return; }
      if (log) { setStatus(log.dataset.offline); }
      setTimeout(connect, backoff + Math.random() * 250);
      backoff = Math.min(backoff * 2, 10000);
    };
  }

  function send(frame) {
    if (!ws || ws.readyState !== WebSocket.OPEN) { return false; }
    ws.send(JSON.stringify(frame));
    return true;
  }

  function handle(f) {
    switch (f.type) {
      case 'hello':
        online = {};
        addOnline(f.online || [], 0, f.count || 0);
        break;
      case 'online':
        addOnline(f.online || [], f.offset || 0, f.count || 0);
        break;
      case 'presence':
        (f.joined || []).forEach(function (p) { online[p.id] = p.name; });
        (f.left || []).forEach(function (id) { delete online[id]; });
        presence();
        break;
      case 'message':
      case 'update':
        message(f.message, f.type);
        break;
      case 'caughtup':
        if (f.last_id > lastId) { lastId = f.last_id; }
        break;
      case 'conversation':
        // A new conversation shows in the list; not while leaving the page
        // (a reload would cancel the form that made it).
        if (document.getElementById('chat-new') && !leaving) { location.reload(); }
        break;
      case 'resync':
        if (ws) { ws.close(); }
        break;
      case 'error':
        setStatus(f.error);
        break;
    }
    if (f.at && f.type !== 'hello') { lastAt = f.at; }
    if (f.type === 'hello' && !lastAt) { lastAt = f.at; }
  }

  // The online list comes in pages (hello, then 'online' frames asked
  // for), then as changes ('presence': who joined, who left).
  function addOnline(page, offset, count) {
    page.forEach(function (p) { online[p.id] = p.name; });
    if (page.length > 0 && offset + page.length < count) {
      send({ type: 'online', offset: offset + page.length });
    }
    presence();
  }

  function presence() {
    var names = [];
    Object.keys(online).forEach(function (id) { if (Number(id) !== me) { names.push(online[id]); } });
    names.sort();
    people.textContent = names.join(', ');
    bar.hidden = names.length === 0;
    bar.dataset.online = names.length;
  }

  function message(m, type) {
    if (type === 'message' && m.id > lastId) { lastId = m.id; }
    if (log && m.conversation_id === conv) {
      render(m);
      if (type === 'message' && m.author_id !== me) {
        send({ type: 'read', conversation: conv, upto: m.id });
      }
      return;
    }
    if (type === 'message' && m.author_id !== me) {
      unread++;
      badge.textContent = String(unread);
      badge.hidden = false;
      var b = document.querySelector('[data-unread="' + m.conversation_id + '"]');
      if (b) {
        perConv[m.conversation_id] = (perConv[m.conversation_id] || 0) + 1;
        b.hidden = false;
        b.textContent = '+' + perConv[m.conversation_id];
      }
    }
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // stamp writes a moment as the server's pages do: in the reader's
  // time zone and date format (profile), then the 24-hour time.
  function stamp(iso) {
    var d = new Date(iso);
    if (isNaN(d)) { return (iso || '').slice(0, 16).replace('T', ' '); }
    var parts = {};
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: log.dataset.tz || 'UTC', year: 'numeric', month: '2-digit',
        day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
        .formatToParts(d).forEach(function (p) { parts[p.type] = p.value; });
    } catch (e) {
      return iso.slice(0, 16).replace('T', ' ');
    }
    var day = { dmy: parts.day + '/' + parts.month + '/' + parts.year, mdy: parts.month + '/' + parts.day + '/' + parts.year }[log.dataset.datefmt] ||
      parts.year + '-' + parts.month + '-' + parts.day;
    return day + ' ' + parts.hour + ':' + parts.minute;
  }

  function build(m) {
    var li = el('li', 'chat-msg' + (m.deleted ? ' deleted' : ''));
    li.dataset.id = m.id;
    li.dataset.author = m.author_id || '';
    li.appendChild(el('span', 'chat-author', m.author_name));
    li.appendChild(document.createTextNode(' '));
    var t = el('time', '', stamp(m.created_at));
    t.dateTime = m.created_at;
    li.appendChild(t);
    li.appendChild(document.createTextNode(' '));
    if (m.deleted) {
      var d = el('span', 'chat-body');
      d.appendChild(el('em', '', log.dataset.deleted));
      li.appendChild(d);
      return li;
    }
    var span = el('span', 'chat-body', m.body);
    li.appendChild(span);
    if (m.edited) { li.appendChild(document.createTextNode(' ')); li.appendChild(el('small', 'chat-edited', log.dataset.edited)); }
    (m.attachments || []).forEach(function (a) {
      var link = el('a', 'chat-file', a.name);
      link.href = '/s/' + encodeURIComponent(slug) + '/chat/file/' + a.id;
      li.appendChild(document.createTextNode(' '));
      li.appendChild(link);
    });
    if (m.author_id === me) {
      var edit = el('button', 'link chat-edit', log.dataset.edit);
      edit.type = 'button';
      edit.addEventListener('click', function () {
        var input = el('input');
        input.value = m.body;
        input.maxLength = 4000;
        var save = el('button', '', log.dataset.save);
        save.type = 'button';
        save.addEventListener('click', function () {
          send({ type: 'edit', id: m.id, body: input.value });
        });
        span.replaceWith(input);
        edit.replaceWith(save);
        input.focus();
      });
      var del = el('button', 'link chat-delete', log.dataset.delete);
      del.type = 'button';
      del.addEventListener('click', function () { send({ type: 'delete', id: m.id }); });
      li.appendChild(document.createTextNode(' '));
      li.appendChild(edit);
      li.appendChild(document.createTextNode(' '));
      li.appendChild(del);
    }
    return li;
  }

  // render puts a message in its place by id: a message seen twice (the
  // catch-up and a live copy) is shown once.
  function render(m) {
    var li = build(m);
    var old = log.querySelector('li[data-id="' + m.id + '"]');
    if (old) { old.replaceWith(li); return; }
    var items = log.children;
    for (var i = items.length - 1; i >= 0; i--) {
      if (Number(items[i].dataset.id) < m.id) {
        items[i].after(li);
        li.scrollIntoView({ block: 'nearest' });
        return;
      }
    }
    log.prepend(li);
  }

  if (form && body && hasCursor) {
    form.addEventListener('submit', function (ev) {
      var text = body.value.trim();
      if (!text) { ev.preventDefault(); return; }
      refs++;
      if (send({ type: 'send', conversation: conv, body: text, ref: String(refs) })) {
        ev.preventDefault();
        body.value = '';
        body.focus();
      }
      // Not connected: the form posts the message.
    });
    body.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' && !ev.shiftKey) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
  }
  connect();
})();
