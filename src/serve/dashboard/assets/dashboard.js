// pgward dashboard: draws the charts from the JSON block #chart-data with uPlot (served from /assets).
// The tables work without this script; every chart has a table with the same data next to it.
(() => {
  document.documentElement.classList.add('js');
  const block = document.getElementById('chart-data');
  if (!block || typeof uPlot === 'undefined') return;
  const data = JSON.parse(block.textContent || '{}');
  const bytes = (v) => {
    const units = ['B', 'kB', 'MB', 'GB', 'TB'];
    let i = 0;
    let n = v;
    while (Math.abs(n) >= 1000 && i < units.length - 1) {
      n /= 1000;
      i++;
    }
    return `${i ? n.toFixed(1) : n} ${units[i]}`;
  };
  const xRange = (xs) => {
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    const pad = hi - lo < 3600 ? 43200 : (hi - lo) * 0.02;
    return [lo - pad, hi + pad];
  };
  const secs = (v) => (v >= 60 ? `${(v / 60).toFixed(1)} min` : `${v.toFixed(1)} s`);
  const defs = {
    migrations: () => [
      data.migrations,
      [data.migrations.x, data.migrations.count],
      [{ label: 'migrations applied (cumulative)', stroke: '#2563eb', width: 2 }],
      (v) => String(v),
    ],
    'backup-size': () => [
      data.backups,
      [data.backups.x, data.backups.bytes],
      [{ label: 'size', stroke: '#0f766e', width: 2 }],
      bytes,
    ],
    'backup-duration': () => [
      data.backups,
      [data.backups.x, data.backups.seconds],
      [{ label: 'duration', stroke: '#7c3aed', width: 2 }],
      secs,
    ],
    drills: () => [
      data.drills,
      [data.drills.x, data.drills.seconds],
      [{ label: 'recovery time', stroke: '#b45309', width: 2 }],
      secs,
    ],
    jobs: () => [
      data.jobs,
      [data.jobs.x, data.jobs.ok, data.jobs.failed],
      [
        { label: 'successful runs', stroke: '#15803d', width: 2 },
        { label: 'failed runs', stroke: '#b91c1c', width: 2 },
      ],
      (v) => String(v),
    ],
  };
  for (const fig of document.querySelectorAll('figure.chart[data-chart]')) {
    const def = defs[fig.dataset.chart];
    const plot = fig.querySelector('.plot');
    if (!def || !plot) continue;
    const [series, aligned, lines, fmt] = def();
    fig.dataset.points = String(series.x.length);
    if (series.x.length === 0) {
      plot.textContent = 'no data yet';
      continue;
    }
    const width = Math.max(280, Math.min(plot.clientWidth || 560, 900));
    const opts = {
      width,
      height: 200,
      // One point (or points close together) would make uPlot stretch the time axis over years: pad it.
      scales: { x: { time: true, auto: false, range: xRange(series.x) } },
      series: [
        {},
        ...lines.map((l) => ({
          ...l,
          points: { show: true, size: 6 },
          value: (_u, v) => (v == null ? '—' : fmt(v)),
        })),
      ],
      axes: [{}, { values: (_u, ticks) => ticks.map(fmt), size: 70 }],
    };
    // uPlot keeps the instance; the element records how many points it drew (tests read it).
    const u = new uPlot(opts, aligned, plot);
    fig.dataset.drawn = String(u.data[0].length);
  }
})();
