// The one way pages write a moment: Vietnam time (Asia/Ho_Chi_Minh; the server stores and sends UTC),
// "08:00 ngày 07/12/2026" in Vietnamese, "08:00, 07/12/2026" in English. Python's twin is core/moments.py.
// Usable as a module (import) and from classic scripts (window.Moments).
const TZ = 'Asia/Ho_Chi_Minh';

function parts(value) {
  const d = value instanceof Date ? value : new Date(typeof value === 'number' ? value * 1000 : value);
  if (Number.isNaN(d.getTime())) return null;
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    second: '2-digit', hourCycle: 'h23',
  }).formatToParts(d).map((x) => [x.type, x.value]));
  return p;
}

function lang() { return (document.documentElement.lang || 'vi').startsWith('en') ? 'en' : 'vi'; }

/** "08:00 ngày 07/12/2026" (value: ISO text, Date, or Unix seconds). */
export function formatMoment(value, language = lang()) {
  const p = parts(value);
  if (!p) return '';
  return language === 'en' ? `${p.hour}:${p.minute}, ${p.day}/${p.month}/${p.year}`
    : `${p.hour}:${p.minute} ngày ${p.day}/${p.month}/${p.year}`;
}

/** "08:00" (with seconds: "08:00:05"). */
export function formatTime(value, withSeconds = false) {
  const p = parts(value);
  if (!p) return '';
  return withSeconds ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`;
}

/** "07/12/2026". */
export function formatDate(value) {
  const p = parts(value);
  return p ? `${p.day}/${p.month}/${p.year}` : '';
}

/** Fill every <time datetime="..." data-format="moment|time|date"> below `root`. */
export function fillTimes(root = document) {
  root.querySelectorAll('time[datetime][data-format]').forEach((t) => {
    const f = { moment: formatMoment, time: formatTime, date: formatDate }[t.dataset.format] || formatMoment;
    const text = f(t.getAttribute('datetime'));
    if (text) t.textContent = text;
  });
}

window.Moments = { formatMoment, formatTime, formatDate, fillTimes };
