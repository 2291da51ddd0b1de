/**
 * `npm run localnet`: runs the embedded local chain as a standalone toncenter v2 endpoint.
 */
import { Command } from 'commander';
import { toNano } from '@ton/core';
import pino from 'pino';
import { z } from 'zod';
import { startLocalnet } from './server';
import { walletJson } from './wallets';

const optionsSchema = z.object({
    host: z.string().min(1),
    port: z.coerce.number().int().min(0).max(65535),
    blockInterval: z.coerce.number().int().min(0),
    walletCount: z.coerce.number().int().min(0).max(256),
    walletBalance: z.string().regex(/^\d+(\.\d+)?$/, 'a TON amount such as 1000000 or 0.5'),
    state: z.string().min(1).optional(),
    wallets: z.string().min(1).optional(),
    saveInterval: z.coerce.number().int().min(100),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

async function main(): Promise<void> {
    const program = new Command()
        .name('localnet')
        .description('Local TON chain (toncenter v2 API over @ton/sandbox) with prefunded development wallets')
        .option('--host <host>', 'interface to bind', '127.0.0.1')
        .option('--port <port>', 'TCP port (0 = any free port)', '8081')
        .option('--block-interval <ms>', 'empty-block interval in ms (0 = blocks only on sends)', '1000')
        .option('--wallet-count <n>', 'number of prefunded W5R1 wallets', '4')
        .option('--wallet-balance <ton>', 'initial balance of each new wallet, in TON', '1000000')
        .option('--state <file>', 'state file: loaded at start, saved periodically and at shutdown')
        .option('--wallets <file>', 'wallet mnemonics file: reused when present, written otherwise')
        .option('--save-interval <ms>', 'state save interval in ms (saves only after new transactions)', '5000')
        .option('--log-level <level>', 'pino log level', 'info')
        .parse();

    const parsed = optionsSchema.safeParse(program.opts());
    if (!parsed.success) {
        const flag = (key: string) => '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
        program.error(parsed.error.issues.map((i) => `${flag(String(i.path[0]))}: ${i.message}`).join('\n'));
    }
    const o = parsed.data!;
    const log = pino({ level: o.logLevel });

    const ln = await startLocalnet({
        host: o.host,
        port: o.port,
        blockIntervalMs: o.blockInterval,
        walletCount: o.walletCount,
        walletBalance: toNano(o.walletBalance),
        statePath: o.state,
        walletsPath: o.wallets,
        saveIntervalMs: o.saveInterval,
        logger: log,
    });

    const lines = [
        '',
        `Localnet toncenter v2 endpoint: ${ln.url}`,
        `  info: ${ln.baseUrl}/localnet/info   wallets: ${ln.baseUrl}/localnet/wallets   faucet: POST ${ln.baseUrl}/localnet/faucet`,
        '',
        'Prefunded W5R1 wallets. LOCAL DEVELOPMENT CHAIN ONLY: these mnemonics are public, never use them on a real network.',
    ];
    for (const w of ln.wallets.map(walletJson)) {
        lines.push(`  #${w.index} ${w.address}`, `     ${w.mnemonic}`);
    }
    process.stdout.write(lines.join('\n') + '\n\n');

    let stopping = false;
    const stop = (signal: string) => {
        if (stopping) {
            return;
        }
        stopping = true;
        log.info({ signal }, 'stopping');
        ln.close().then(
            () => process.exit(0),
            (e: unknown) => {
                log.error({ err: e }, 'shutdown failed');
                process.exit(1);
            },
        );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
    process.stderr.write(`localnet: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
});
