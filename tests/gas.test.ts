/**
 * Gas regression check: re-measures every operation exactly as `npm run bench:gas` does and fails when an
 * operation's gas (whole chain) grows more than 2% over the committed bench/results/gas.json, or when an
 * operation of the baseline is no longer measured. After an intended change, run `npm run bench:gas` and
 * commit the new results file.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { GasReport, measureAll } from '../bench/gasScenarios';

const TOLERANCE = 0.02;

describe('gas regression against bench/results/gas.json', () => {
    it('no operation uses more than 2% more gas than the committed baseline', async () => {
        const baseline = JSON.parse(
            readFileSync(join(__dirname, '..', 'bench', 'results', 'gas.json'), 'utf8'),
        ) as GasReport;
        const current = await measureAll();
        const problems: string[] = [];
        for (const [op, base] of Object.entries(baseline.operations)) {
            const now = current.operations[op];
            if (!now) {
                problems.push(`${op}: missing from the measurement (baseline ${base.gas} gas)`);
                continue;
            }
            if (now.gas > base.gas * (1 + TOLERANCE)) {
                const pct = (((now.gas - base.gas) / base.gas) * 100).toFixed(1);
                problems.push(`${op}: ${now.gas} gas, baseline ${base.gas} (+${pct}%)`);
            }
        }
        const added = Object.keys(current.operations).filter((op) => !baseline.operations[op]);
        if (added.length > 0)
            console.log(`operations not in the baseline yet (run npm run bench:gas): ${added.join(', ')}`);
        if (problems.length > 0) {
            throw new Error(`gas regression over ${TOLERANCE * 100}%:\n  ${problems.join('\n  ')}`);
        }
    }, 30_000);
});
