/**
 * `npm run worker -- <command>`: init (write a config), start (run the worker host), status (on-chain state).
 */
import { existsSync, mkdirSync, writeFileSync } from 'fs';
import { dirname, join, resolve } from 'path';
import { Address, fromNano } from '@ton/core';
import { Command } from 'commander';
import pino from 'pino';
import { PROVIDER_STATUS_NAMES } from '../wrappers/Constants';
import { ChainClient } from './host/chain';
import { ConfigError, loadConfig, loadMnemonic, WorkerConfigInput } from './host/config';
import { sha256File, startWorker } from './host/worker';
import { buildTinyModel } from './inference/tinyModel';

const program = new Command();
program.name('worker').description('Cocoon-TON GPU worker host');

program
    .command('init')
    .description('write a worker config file (and optionally the tiny test model); prints each model sha256')
    .requiredOption('--registry <address>', 'Registry address')
    .option('-c, --config <file>', 'config file to write', 'worker.json')
    .option('--network <name>', 'localnet | testnet | mainnet', 'localnet')
    .option('--endpoint <url>', 'TonClient JSON-RPC endpoint', 'http://127.0.0.1:8081/jsonRPC')
    .option('--model <path>', 'GGUF model file (repeatable)', (v: string, a: string[]) => [...a, v], [] as string[])
    .option('--tiny', 'generate the tiny test model into <dataDir>/tiny.gguf and use it')
    .option('--price-in <nanoton>', 'ask per input token', '1000')
    .option('--price-out <nanoton>', 'ask per output token', '2000')
    .option('--data-dir <dir>', 'data directory', '.data/worker')
    .option('--tee <mode>', 'tdx | simulated | auto', 'auto')
    .option('--port <n>', 'listen port', '8080')
    .option('--public-url <url>', 'URL advertised on-chain')
    .option(
        '--verifier <url>',
        "keeper verifier's POST /verify URL (repeatable)",
        (v: string, a: string[]) => [...a, v],
        [] as string[],
    )
    .option('--stake <ton>', 'stake for the first registration, TON', '1')
    .option('--mnemonic-file <file>', 'file with the provider wallet words (or set COCOON_WORKER_MNEMONIC)')
    .option('--force', 'overwrite an existing config')
    .action(async (o) => {
        const file = resolve(o.config);
        if (existsSync(file) && !o.force) throw new ConfigError(`${file} exists (use --force to overwrite)`);
        const dataDir = resolve(o.dataDir);
        mkdirSync(dataDir, { recursive: true });
        const paths: string[] = [...o.model];
        if (o.tiny) {
            const p = join(dataDir, 'tiny.gguf');
            writeFileSync(p, buildTinyModel());
            paths.push(p);
        }
        if (paths.length === 0) throw new ConfigError('give --model <file.gguf> or --tiny');
        const models = [];
        for (const p of paths) {
            process.stdout.write(`hashing ${p} ...\n`);
            const sha256 = await sha256File(p);
            process.stdout.write(`model ${p}\n  sha256 ${sha256}\n`);
            models.push({ path: resolve(p), sha256, priceIn: o.priceIn, priceOut: o.priceOut });
        }
        const config: WorkerConfigInput = {
            network: o.network,
            endpoint: o.endpoint,
            registry: Address.parse(o.registry).toString(),
            teeMode: o.tee,
            dataDir,
            models,
            listen: { host: '0.0.0.0', port: Number(o.port) },
            ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
            verifiers: o.verifier,
            stake: o.stake,
            ...(o.mnemonicFile ? { mnemonicFile: resolve(o.mnemonicFile) } : {}),
        };
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, JSON.stringify(config, null, 4) + '\n');
        process.stdout.write(`wrote ${file}\n`);
    });

program
    .command('start')
    .description('run the worker: load models, attest, register, serve, claim')
    .option('-c, --config <file>', 'config file', 'worker.json')
    .action(async (o) => {
        const config = loadConfig(o.config);
        const log = pino({ level: config.logLevel, base: { service: 'cocoon-worker' } });
        const w = await startWorker(config, { logger: log });
        const stop = async () => {
            log.info('stopping');
            await w.close();
            process.exit(0);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
    });

program
    .command('status')
    .description("print the Provider's on-chain state")
    .option('-c, --config <file>', 'config file', 'worker.json')
    .action(async (o) => {
        const config = loadConfig(o.config);
        const chain = await ChainClient.create({
            endpoint: config.endpoint,
            apiKey: config.apiKey,
            network: config.network,
            registry: Address.parse(config.registry),
            mnemonic: loadMnemonic(config),
            logger: pino({ level: 'warn' }),
        });
        const addr = await chain.providerAddress();
        const d = await chain.providerData();
        const out: Record<string, unknown> = {
            wallet: chain.walletAddress.toString(),
            walletBalance: fromNano(await chain.walletBalance()),
            provider: addr.toString(),
            registered: d !== null,
        };
        if (d) {
            Object.assign(out, {
                status: PROVIDER_STATUS_NAMES[Number(d.status)],
                paused: d.paused,
                stake: fromNano(d.stake),
                attestedUntil: new Date(Number(d.attestedUntil) * 1000).toISOString(),
                enclaveKey: d.enclaveKey.toString(16).padStart(64, '0'),
                capacity: Number(d.capacity),
                live: Number(d.live),
                endpoint: d.endpoint,
                pending: fromNano(d.pendingOld + d.pendingNew),
                withdrawable: fromNano(d.withdrawable),
            });
        }
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    });

program.parseAsync(process.argv).catch((e: Error) => {
    process.stderr.write(`${e instanceof ConfigError ? '' : 'error: '}${e.message}\n`);
    process.exit(1);
});
