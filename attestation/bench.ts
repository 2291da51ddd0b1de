/**
 * Attestation throughput: simulated quotes generated per second and full verifications (dcap-qvl + our CRL,
 * module and policy checks) per second, for simulated quotes and for the real Intel sample.
 *
 *   npx ts-node --transpile-only attestation/bench.ts [--seconds 4]
 *
 * Writes bench/results/attestation.json. Runs about 3 x the given seconds + 2 s plus setup (default ~15 s).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { QuoteVerifier } from '@phala/dcap-qvl';
import { loadCollateralFile } from './collateral';
import { devCollateral } from './devCollateral';
import { loadOrCreateDevRoot } from './devRoot';
import { INTEL_SGX_ROOT_CA_DER } from './intelRoot';
import { buildSimulatedQuote } from './tee/simulatedBackend';
import { verifyQuote } from './verifier';

interface Rate {
    ops: number;
    seconds: number;
    perSecond: number;
    meanMs: number;
}

function measure(seconds: number, fn: (i: number) => void): Rate {
    const end = performance.now() + seconds * 1000;
    const start = performance.now();
    let ops = 0;
    while (performance.now() < end) fn(ops++);
    const elapsed = (performance.now() - start) / 1000;
    return {
        ops,
        seconds: +elapsed.toFixed(3),
        perSecond: +(ops / elapsed).toFixed(1),
        meanMs: +((elapsed * 1000) / ops).toFixed(3),
    };
}

function firstCallMs(fn: () => void): number {
    const t = performance.now();
    fn();
    return +(performance.now() - t).toFixed(2);
}

async function main(): Promise<void> {
    const argIdx = process.argv.indexOf('--seconds');
    const seconds = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 4;
    const repo = path.resolve(__dirname, '..');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cocoon-att-bench-'));
    const now = new Date();

    const root = await loadOrCreateDevRoot(dataDir, now);
    const collateral = await devCollateral(root, { now });
    // Distinct REPORTDATA per quote, deterministic (no RNG): the counter in the first 8 bytes.
    const reportData = (i: number) => {
        const b = Buffer.alloc(64, 0x5a);
        b.writeBigUInt64BE(BigInt(i), 0);
        return b;
    };
    const simOpts = { collateral, now, trustedRootDer: root.rootCertDer };

    const quotes: Buffer[] = [];
    const coldVerifySimMs = firstCallMs(() => verifyQuote(buildSimulatedQuote(root, reportData(0)), simOpts));
    const generate = measure(seconds, (i) => {
        const q = buildSimulatedQuote(root, reportData(i));
        if (quotes.length < 256) quotes.push(q);
    });
    const verifySim = measure(seconds, (i) => {
        verifyQuote(quotes[i % quotes.length], simOpts);
    });

    const sharedDir = ['/work/shared/testdata/tdx', path.join(repo, '../shared/testdata/tdx')].find((d) =>
        fs.existsSync(d),
    );
    let verifyReal: Rate | null = null;
    let qvlOnlyReal: Rate | null = null;
    if (sharedDir) {
        const sample = fs.readFileSync(path.join(sharedDir, 'tdx_quote'));
        const sampleCollateral = loadCollateralFile(path.join(sharedDir, 'tdx_quote_collateral.json'));
        const at = new Date('2025-07-01T00:00:00Z');
        verifyReal = measure(seconds, () => {
            verifyQuote(sample, { collateral: sampleCollateral, now: at });
        });
        // Baseline: dcap-qvl alone, to show what our extra checks cost.
        const qvl = QuoteVerifier.newWithRootCa(INTEL_SGX_ROOT_CA_DER);
        qvlOnlyReal = measure(Math.min(seconds, 2), () => {
            qvl.verify(sample, sampleCollateral, Math.floor(at.getTime() / 1000));
        });
    }
    fs.rmSync(dataDir, { recursive: true, force: true });

    const result = {
        benchmark: 'attestation',
        date: now.toISOString(),
        node: process.version,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        secondsPerMeasurement: seconds,
        quotesGeneratedPerSecond: generate.perSecond,
        simulatedQuotesVerifiedPerSecond: verifySim.perSecond,
        realQuotesVerifiedPerSecond: verifyReal?.perSecond ?? null,
        dcapQvlAloneRealPerSecond: qvlOnlyReal?.perSecond ?? null,
        firstVerificationMs: coldVerifySimMs,
        details: { generate, verifySimulated: verifySim, verifyRealSample: verifyReal, dcapQvlAloneReal: qvlOnlyReal },
    };
    const outDir = path.join(repo, 'bench', 'results');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'attestation.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
