// closer's web app: small enhancements over pages that work without script.
// - charts: <canvas class="chart" data-chart="{...}"> drawn with the embedded Chart.js;
// - the board: drag a card onto a column to move it (Lost asks for the reason);
// - forms: a submit button is disabled once pressed, so a double click posts once;
// - timers: "waiting" times in the queue keep counting;
// - figures being computed: the page reloads until they are there;
// - search: `/` focuses the header's box, results show as the user types.
(function () {
  'use strict';

  function drawCharts() {
    if (typeof Chart === 'undefined') return;
    document.querySelectorAll('canvas.chart[data-chart]').forEach(function (el) {
      var spec = JSON.parse(el.getAttribute('data-chart'));
      var config;
      if (spec.type === 'bar') {
        config = {
          type: 'bar',
          data: { labels: spec.labels, datasets: [{ label: spec.label, data: spec.values, backgroundColor: '#0b57d0' }] },
          options: { indexAxis: 'y', animation: false, plugins: { legend: { display: false } } }
        };
      } else {
        config = {
          type: 'line',
          data: {
            labels: spec.labels,
            datasets: spec.series.map(function (s, i) {
              return { label: s.label, data: s.values, yAxisID: s.axis || 'y',
                       borderColor: i === 0 ? '#0b57d0' : '#116b3a', backgroundColor: 'transparent', tension: 0.2 };
            })
          },
          options: { animation: false, scales: { y: { beginAtZero: true, position: 'left' },
                                                 y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } } }
        };
      }
      new Chart(el, config);
    });
  }

  function board() {
    var dragged = null;
    var form = document.getElementById('drag-move');
    if (!form) return;
    document.querySelectorAll('li.card[draggable]').forEach(function (card) {
      card.addEventListener('dragstart', function (e) {
        dragged = card;
        e.dataTransfer.setData('text/plain', card.getAttribute('data-deal'));
        e.dataTransfer.effectAllowed = 'move';
      });
    });
    var dialog = document.getElementById('lost-dialog');
    function send(deal, stage, reason, objection) {
      form.action = '/deals/' + deal + '/move';
      form.querySelector('[name=stage]').value = stage;
      form.querySelector('[name=loss_reason]').value = reason || '';
      form.querySelector('[name=objection]').value = objection || '';
      form.submit();
    }
    document.querySelectorAll('.column[data-stage]').forEach(function (col) {
      col.addEventListener('dragover', function (e) { e.preventDefault(); col.classList.add('over'); });
      col.addEventListener('dragleave', function () { col.classList.remove('over'); });
      col.addEventListener('drop', function (e) {
        e.preventDefault();
        col.classList.remove('over');
        if (!dragged) return;
        var deal = dragged.getAttribute('data-deal'), stage = col.getAttribute('data-stage');
        if (col.getAttribute('data-kind') === 'lost' && dialog && dialog.showModal) {
          dialog.returnValue = '';
          dialog.showModal();
          dialog.addEventListener('close', function onClose() {
            dialog.removeEventListener('close', onClose);
            if (dialog.returnValue === 'ok') {
              send(deal, stage, document.getElementById('lost-reason').value,
                document.getElementById('lost-objection').value);
            }
          });
        } else {
          send(deal, stage, '');
        }
      });
    });
  }

  function submitOnce() {
    document.addEventListener('submit', function (e) {
      var form = e.target;
      // A search (GET) may be sent again: only posts change anything.
      if (form.method === 'dialog' || form.method === 'get') return;
      if (form.dataset.sent === '1') { e.preventDefault(); return; }
      form.dataset.sent = '1';
    });
  }

  function timers() {
    var els = document.querySelectorAll('.timer[data-since]');
    if (!els.length) return;
    function fmt(s) {
      var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
      if (d) return d + ' d' + (h ? ' ' + h + ' h' : '');
      if (h) return h + ' h' + (m ? ' ' + m + ' min' : '');
      if (m) return m + ' min';
      return Math.max(0, Math.floor(s)) + ' s';
    }
    setInterval(function () {
      var now = Date.now();
      els.forEach(function (el) { el.textContent = fmt((now - Number(el.getAttribute('data-since'))) / 1000); });
    }, 1000);
  }

  // The header's search box: `/` focuses it from anywhere but a field; as the user types,
  // /search/suggest's grouped results show under it (the latest keystroke's answer wins);
  // Down moves into them, Escape closes them. Without script, Enter opens /search.
  function search() {
    var box = document.getElementById('site-search');
    var list = document.getElementById('search-suggest');
    if (!box || !list) return;
    document.addEventListener('keydown', function (e) {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target;
      if (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
      e.preventDefault();
      box.focus();
      box.select();
    });
    var timer = null;
    function close() { list.hidden = true; list.innerHTML = ''; }
    box.addEventListener('input', function () {
      clearTimeout(timer);
      var q = box.value.trim();
      if (!q) { close(); return; }
      timer = setTimeout(function () {
        fetch('/search/suggest?q=' + encodeURIComponent(q), { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.text() : ''; })
          .then(function (html) {
            if (box.value.trim() !== q) return;
            list.innerHTML = html;
            list.hidden = !html.trim();
          })
          .catch(function () {});
      }, 120);
    });
    box.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') close();
      if (e.key === 'ArrowDown') {
        var first = list.querySelector('a');
        if (first) { e.preventDefault(); first.focus(); }
      }
    });
    list.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { close(); box.focus(); }
    });
    document.addEventListener('click', function (e) {
      if (!list.contains(e.target) && e.target !== box) close();
    });
  }

  function reloadWhenReady() {
    var el = document.querySelector('[data-reload-in]');
    if (el) setTimeout(function () { location.reload(); }, Number(el.getAttribute('data-reload-in')));
  }

  document.addEventListener('DOMContentLoaded', function () {
    reloadWhenReady();
    drawCharts();
    board();
    submitOnce();
    timers();
    search();
  });
})();
