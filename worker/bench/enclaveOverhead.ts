/**
 * Benchmark (a script, not a test): what the enclave adds per request on top of plain inference.
 *   npx ts-node worker/bench/enclaveOverhead.ts [--model path.gguf] [--requests 50] [--max-tokens 64] [--threads n]
 * In one run, on one loaded model, it alternates plain engine.generate() calls with full Enclave.serve() calls
 * (request signature and chain checks, HPKE open, sealing, receipt signing, over a real chained session) and
 * writes tokens/s for both and the enclave's own work in ms per request to bench/results/worker.json.
 * Client-side work (sealing, signing requests) is outside the measured time, as it runs on the client.
 * Without --model it generates the tiny test model, whose tokens/s says little about real models: the point
 * is the enclave's fixed cost per request (target < 2 ms).
 */
import { Address, Cell } from '@ton/core';
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { cpus, tmpdir } from 'os';
import { dirname, join } from 'path';
import { createSimulatedBackend } from '../../attestation/tee/simulatedBackend';
import { openResponse, sealRequest } from '../../crypto/hpke';
import { newEd25519KeyPair } from '../../wrappers/formats/ed25519';
import { Receipt, ZERO_HASH } from '../../wrappers/formats/receipt';
import { signRequest } from '../../wrappers/formats/request';
import { NETWORK_ID } from '../../wrappers/networks';
import { Enclave, OrderTerms } from '../enclave/enclave';
import { parseGpuSetting } from '../inference/engineProtocol';
import { LlamaEngine } from '../inference/llamaEngine';
import { buildTinyModel } from '../inference/tinyModel';

function arg(name: string): string | undefined {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
}

function stats(xs: number[]) {
    const s = [...xs].sort((a, b) => a - b);
    const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const r = (v: number) => Math.round(v * 1000) / 1000;
    return { mean: r(mean), p50: r(q(0.5)), p95: r(q(0.95)), max: r(s[s.length - 1]) };
}

async function main(): Promise<void> {
    const requests = Number(arg('--requests') ?? 50);
    const maxTokens = Number(arg('--max-tokens') ?? 64);
    const threads = arg('--threads') ? Number(arg('--threads')) : undefined;
    const tmp = mkdtempSync(join(tmpdir(), 'cocoon-bench-'));
    let modelPath = arg('--model');
    if (!modelPath) {
        modelPath = join(tmp, 'tiny.gguf');
        writeFileSync(modelPath, buildTinyModel());
    }
    const gpu = arg('--gpu');
    const engine = await LlamaEngine.load({
        modelPath,
        threads,
        gpu: gpu === undefined ? undefined : parseGpuSetting(gpu),
    });
    const network = NETWORK_ID.localnet;
    const registry = new Address(0, Buffer.alloc(32, 1));
    const tee = await createSimulatedBackend({ dataDir: join(tmp, 'devroot') });
    const enclave = await Enclave.create({
        network,
        registry,
        provider: new Address(0, Buffer.alloc(32, 2)),
        models: new Map([[engine.modelHash.toString('hex'), engine]]),
        tee,
    });
    const tAttest = performance.now();
    await enclave.attest(Buffer.alloc(32, 7));
    const attestMs = performance.now() - tAttest;

    const client = newEd25519KeyPair();
    const order: OrderTerms = {
        address: new Address(0, Buffer.alloc(32, 3)),
        clientKey: client.publicKey,
        model: engine.modelHash,
        priceIn: 1n,
        priceOut: 2n,
        budget: 10n ** 15n,
    };
    const messages = [
        { role: 'system', content: 'You answer questions about the market.' },
        { role: 'user', content: 'What is the price of one token on the chain, and who signs the receipt?' },
    ] as const;
    let last: { cell: Cell; signature: Buffer; fields: Receipt } | undefined;

    const plainMs: number[] = [];
    const plainTokens: number[] = [];
    const serveMs: number[] = [];
    const serveTokens: number[] = [];
    const enclaveMs: number[] = [];
    const tokenCountMs: number[] = [];
    const warmup = 5;
    for (let i = 0; i < warmup + requests; i++) {
        // Plain inference, the same work without the enclave.
        const t0 = performance.now();
        const plain = await engine.generate({ messages: [...messages], maxTokens });
        const plainWall = performance.now() - t0;

        // Client side (not measured): seal the payload and sign the next request of the session.
        const seqno = (last?.fields.seqno ?? 0) + 1;
        const aad = { network, order: order.address, seqno };
        const sealed = await sealRequest(
            enclave.publicKeys().x25519Pub,
            aad,
            Buffer.from(JSON.stringify({ messages })),
        );
        const signed = signRequest(
            {
                network,
                order: order.address,
                seqno,
                maxTokens,
                model: order.model,
                priceIn: order.priceIn,
                priceOut: order.priceOut,
                maxSpend: order.budget,
                prevTranscript: last?.fields.transcript ?? ZERO_HASH,
                lastReceiptHash: last ? last.cell.hash() : ZERO_HASH,
                payloadHash: sealed.payloadHash,
            },
            client.secretKey,
        );
        const requestBoc = signed.cell.toBoc();
        const lastReceipt = last ? { cell: last.cell.toBoc(), signature: last.signature } : undefined;

        const t1 = performance.now();
        const r = await enclave.serve({
            requestCell: requestBoc,
            clientSignature: signed.signature,
            payload: { enc: sealed.enc, ciphertext: sealed.ciphertext },
            lastReceipt,
            order,
        });
        const serveWall = performance.now() - t1;
        const answer = JSON.parse(openResponse(sealed.responseKey, aad, r.responseCiphertext).toString());
        if (answer.text !== plain.text) throw new Error('enclave answer differs from plain inference at temperature 0');
        last = { cell: r.receipt.cell, signature: r.receipt.signature, fields: r.receipt.fields };
        if (i < warmup) continue;
        plainMs.push(plainWall);
        plainTokens.push(plain.tokensOut);
        serveMs.push(serveWall);
        serveTokens.push(r.tokensOut);
        enclaveMs.push(r.timings.enclaveMs);
        tokenCountMs.push(r.timings.tokenCountMs);
    }
    await engine.close();

    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const plainTps = sum(plainTokens) / (sum(plainMs) / 1000);
    const serveTps = sum(serveTokens) / (sum(serveMs) / 1000);
    const result = {
        benchmark: 'worker enclave overhead',
        date: new Date().toISOString(),
        machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
        model: { path: arg('--model') ?? 'generated tiny model', sha256: engine.modelHash.toString('hex') },
        gpuDevices: engine.info.gpuDevices,
        settings: { requests, warmup, maxTokens, threads: engine.info.threads, gpu: engine.info.gpu },
        tokensPerSecond: {
            plain: Math.round(plainTps),
            withEnclave: Math.round(serveTps),
            overheadPercent: Math.round((1 - serveTps / plainTps) * 1000) / 10,
        },
        requestMs: { plain: stats(plainMs), withEnclave: stats(serveMs) },
        enclaveWorkMsPerRequest: stats(enclaveMs),
        promptTokenCountMsPerRequest: stats(tokenCountMs),
        attestMs: Math.round(attestMs * 1000) / 1000,
        targetEnclaveWorkMs: 2,
        meetsTarget: stats(enclaveMs).p50 < 2,
    };
    // --out: a GPU run (worker/bench/gpu/run.sh) writes beside the committed CPU result instead of over it.
    const out = arg('--out') ?? 'bench/results/worker.json';
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 4) + '\n');
    console.log(JSON.stringify(result, null, 4));
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
