/**
 * Which package a profile frame's script belongs to: node_modules/<pkg>, one of our
 * packages/<name>, a node: internal, V8 itself, or the benchmark's own files.
 */
export function packageOf(url) {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return 'node (built-in)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const ours = /\/packages\/([^/]+)\//.exec(url);
  if (ours) return `@spartan-sessions/${ours[1]}`;
  return url.split('/').slice(-2).join('/');
}
