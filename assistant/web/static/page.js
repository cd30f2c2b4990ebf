() => {
  // a click on an answer's [n] marker (classes "ba-mark ba-n-<n> ba-t-<turn>") opens source n of that turn
  const num = (m, prefix) => ([...m.classList].find((c) => c.startsWith(prefix)) || '').slice(prefix.length);
  document.addEventListener('click', (ev) => {
    const m = ev.target.closest && ev.target.closest('#ba-chat .ba-mark');
    if (!m) return;
    const n = num(m, 'ba-n-'), turn = num(m, 'ba-t-');
    const panel = document.querySelector('#ba-sources .ba-sources-panel');
    const b = document.querySelector(`#ba-sources [data-key="c${n}"]`);
    if (panel && b && panel.dataset.turn === turn) { b.click(); }
    else { window.__baPendingCite = {turn: turn, n: n}; }
  }, true);
}
