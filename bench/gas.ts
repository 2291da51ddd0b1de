/**
 * `npm run bench:gas`: measures every operation (bench/gasScenarios.ts) and writes bench/results/gas.json.
 * docs/GAS.md explains the figures; tests/gas.test.ts fails CI when an operation's gas grows over 2%.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { fromNano } from '@ton/core';
import { measureAll, reportToJson } from './gasScenarios';

async function main() {
    const report = await measureAll();
    const out = join(__dirname, 'results', 'gas.json');
    writeFileSync(out, reportToJson(report));
    const rows = Object.entries(report.operations).map(([op, o]) => ({
        op,
        payer: o.payer,
        gas: o.gas,
        ours: o.gasContracts,
        txs: o.txs,
        costTon: fromNano(BigInt(o.networkCost)),
        attachedTon: fromNano(BigInt(o.attached)),
        returnedTon: fromNano(BigInt(o.returned)),
    }));
    console.table(rows);
    console.log(JSON.stringify(report.scenarios, null, 2));
    console.log(`wrote ${out}`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
