// Static analysis of every contract (registry.tact imports them all): misti at medium severity and above must
// report nothing. A finding fails `npm run lint`. Soufflé-based detectors are off (--no-souffle): the Soufflé
// binary is not available on these machines.
const { spawnSync } = require('child_process');
const args = ['misti', '--no-souffle', '--min-severity', 'medium', '--no-colors', 'contracts/registry.tact'];
const r = spawnSync('npx', args, { encoding: 'utf8' });
const out = `${r.stdout}${r.stderr}`;
process.stdout.write(out);
if (r.status !== 0 || /\[(MEDIUM|HIGH|CRITICAL)\]/.test(out)) {
    console.error('misti: findings at medium severity or above (or misti failed)');
    process.exit(1);
}
console.log('misti: no findings at medium severity or above');
