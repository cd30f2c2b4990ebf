watch('value', () => {
  const m = element.querySelector('mark');
  const box = element.querySelector('.ba-view-body');
  if (box) box.scrollTop = 0;
  if (m && box) box.scrollTop = Math.max(0, m.offsetTop - box.clientHeight / 4);
  if (window.__baScrollViewer) {
    window.__baScrollViewer = false;
    const r = element.getBoundingClientRect();
    if (r.top < 0 || r.top > window.innerHeight - 120) element.scrollIntoView({behavior: 'smooth', block: 'start'});
  }
});
