// `blueprint build --all` prints each contract's whole code as hex; keep CI logs readable by showing
// only the outcome lines, and the full log when the build fails.
const { spawnSync } = require('child_process');
const r = spawnSync('npx', ['blueprint', 'build', '--all'], { encoding: 'utf8' });
const out = `${r.stdout}${r.stderr}`;
if (r.status !== 0 || /Error|failed/i.test(out)) {
    process.stdout.write(out);
    process.exit(r.status || 1);
}
for (const line of out.split('\n'))
    if (/Wrote compilation artifact|Compiling|tact version/.test(line)) console.log(line.trim());
