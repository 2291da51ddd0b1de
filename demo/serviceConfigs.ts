/**
 * Files the local market's services start from: the keeper's verifier key, the keeper and worker config
 * files (keeper/config.ts and worker/host/config.ts schemas; no secrets in them: mnemonics go by environment),
 * a free TCP port, and each worker's copy of the machine's development root (so the keeper's verifier and
 * the client trust the simulated quotes the workers produce).
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Address } from '@ton/core';
import { newEd25519KeyPair } from '../wrappers/formats/ed25519';

export async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    return port;
}

/** A fresh verifier key: the 32-byte ed25519 seed, hex, in a 0600 file. Returns the public key. */
export function writeVerifierKey(file: string): Buffer {
    const seed = randomBytes(32);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, seed.toString('hex') + '\n', { mode: 0o600 });
    return newEd25519KeyPair(seed).publicKey;
}

/** Gives a worker's data dir the development root under `rootDataDir` (simulated workers sign with it). */
export function shareDevRoot(rootDataDir: string, workerDataDir: string): void {
    fs.mkdirSync(workerDataDir, { recursive: true, mode: 0o700 });
    fs.cpSync(path.join(rootDataDir, 'dev-root'), path.join(workerDataDir, 'dev-root'), { recursive: true });
}

function writeJson(file: string, value: unknown): string {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(value, null, 4) + '\n');
    return file;
}

export function writeKeeperConfig(
    file: string,
    o: { endpoint: string; registry: Address; dir: string; port: number; verifierKeyFile: string; devRootDir: string },
): string {
    return writeJson(file, {
        endpoint: o.endpoint,
        registry: o.registry.toString(),
        dbPath: path.join(o.dir, 'keeper.db'),
        pollIntervalMs: 500,
        httpHost: '127.0.0.1',
        httpPort: o.port,
        logLevel: 'info',
        verifier: { keyFile: o.verifierKeyFile, index: 0, collateral: 'dev', root: o.devRootDir },
    });
}

export function writeWorkerConfig(
    file: string,
    o: {
        endpoint: string;
        registry: Address;
        dir: string;
        modelPath: string;
        modelSha256: string;
        priceIn: bigint;
        priceOut: bigint;
        verifyUrl: string;
    },
): string {
    return writeJson(file, {
        network: 'localnet',
        endpoint: o.endpoint,
        registry: o.registry.toString(),
        teeMode: 'simulated',
        dataDir: o.dir,
        models: [
            {
                path: o.modelPath,
                sha256: o.modelSha256,
                priceIn: o.priceIn.toString(),
                priceOut: o.priceOut.toString(),
                contextSize: 512,
            },
        ],
        capacity: 4,
        listen: { host: '127.0.0.1', port: 0 },
        verifiers: [o.verifyUrl],
        stake: '1',
        claim: { intervalMs: 1000, external: true, externalMin: '10000000', safetySec: 5 },
        withdrawIntervalMs: 0,
        threads: 1,
        gpu: false,
        logLevel: 'info',
    });
}
