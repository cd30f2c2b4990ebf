() => {
  document.addEventListener('click', (ev) => {
    const m = ev.target.closest && ev.target.closest('#ba-chat .ba-mark');
    if (!m) return;
    const panel = document.querySelector('#ba-sources .ba-sources-panel');
    const b = document.querySelector(`#ba-sources [data-key="c${m.dataset.n}"]`);
    if (panel && b && panel.dataset.turn === m.dataset.turn) { b.click(); }
    else { window.__baPendingCite = {turn: m.dataset.turn, n: m.dataset.n}; }
  }, true);
}
