// Small statistics: the harness reports medians with their min–max over repetitions.

export function median(values) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function minOf(values) {
  const finite = values.filter((value) => Number.isFinite(value));
  return finite.length === 0 ? null : Math.min(...finite);
}

export function maxOf(values) {
  const finite = values.filter((value) => Number.isFinite(value));
  return finite.length === 0 ? null : Math.max(...finite);
}

/** `{ median, min, max }` of one field over samples. */
export function spread(samples, field) {
  const values = samples.map((sample) => sample[field]);
  return { median: median(values), min: minOf(values), max: maxOf(values) };
}

/** a / b, or null when either is missing. */
export function ratio(a, b) {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
}
