import { Address } from '@ton/core';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { CocoonClient } from './sdk/client';
import { ClientError } from './sdk/errors';
import { trustFor } from './sdk/trust';

/**
 * The CLI's configuration: a JSON file (--config, default <dataDir>/config.json), then COCOON_* environment
 * variables, then flags, later ones winning; validated with zod so a bad value fails with a clear message.
 */
const address = z.string().refine((s) => {
    try {
        Address.parse(s);
        return true;
    } catch {
        return false;
    }
}, 'not a TON address');

export const cliConfigSchema = z
    .object({
        network: z.enum(['localnet', 'testnet', 'mainnet']).default('localnet'),
        endpoint: z.string().url().optional(),
        registry: address,
        mnemonic: z
            .string()
            .transform((s) => s.trim().split(/\s+/))
            .refine((w) => w.length === 24, 'a mnemonic has 24 words')
            .optional(),
        mnemonicFile: z.string().optional(),
        walletIndex: z.coerce.number().int().nonnegative().optional(),
        dataDir: z.string().default(path.join(os.homedir(), '.cocoon', 'client')),
        keeperUrl: z.string().url().optional(),
        workerEndpoint: z.string().url().optional(),
        devRootDir: z.string().optional(),
        rootDer: z.string().optional(),
        collateral: z.string().optional(),
        pccsUrl: z.string().url().optional(),
    })
    .refine((c) => c.network === 'localnet' || c.endpoint, {
        message: 'testnet and mainnet need --endpoint (a toncenter v2 JSON-RPC URL)',
    });
export type CliConfig = z.infer<typeof cliConfigSchema>;

const ENV: Record<string, string> = {
    COCOON_NETWORK: 'network',
    COCOON_ENDPOINT: 'endpoint',
    COCOON_REGISTRY: 'registry',
    COCOON_MNEMONIC: 'mnemonic',
    COCOON_MNEMONIC_FILE: 'mnemonicFile',
    COCOON_WALLET_INDEX: 'walletIndex',
    COCOON_DATA_DIR: 'dataDir',
    COCOON_KEEPER_URL: 'keeperUrl',
};

export function loadCliConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): CliConfig {
    const fromEnv: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(ENV)) if (env[k] !== undefined) fromEnv[v] = env[k];
    const defined = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
    const dataDir = (defined.dataDir ?? fromEnv.dataDir) as string | undefined;
    const file =
        (defined.config as string | undefined) ??
        path.join(dataDir ?? path.join(os.homedir(), '.cocoon', 'client'), 'config.json');
    let fromFile: Record<string, unknown> = {};
    if (fs.existsSync(file)) {
        try {
            fromFile = JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch (e) {
            throw new ClientError('CONFIG_INVALID', `${file}: ${(e as Error).message}`);
        }
    } else if (defined.config) {
        throw new ClientError('CONFIG_INVALID', `config file ${file} does not exist`);
    }
    delete defined.config;
    const merged = { ...fromFile, ...fromEnv, ...defined };
    if ((merged.network ?? 'localnet') === 'localnet' && merged.endpoint === undefined) {
        merged.endpoint = 'http://127.0.0.1:8081/jsonRPC';
    }
    const parsed = cliConfigSchema.safeParse(merged);
    if (!parsed.success) {
        const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || 'config'}: ${i.message}`);
        throw new ClientError('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`);
    }
    return parsed.data;
}

/** The wallet's mnemonic: inline, from a file, or (localnet only) one of the localnet's prefunded wallets. */
async function mnemonicOf(c: CliConfig): Promise<string[]> {
    if (c.mnemonic) return c.mnemonic;
    if (c.mnemonicFile) {
        const words = fs.readFileSync(c.mnemonicFile, 'utf8').trim().split(/\s+/);
        if (words.length !== 24) throw new ClientError('CONFIG_INVALID', `${c.mnemonicFile}: expected 24 words`);
        return words;
    }
    if (c.network === 'localnet') {
        const base = c.endpoint!.replace(/\/(api\/v2\/)?jsonRPC\/?$/, '');
        const res = await fetch(`${base}/localnet/wallets`).catch((e: Error) => {
            throw new ClientError('CONFIG_INVALID', `localnet at ${base} unreachable: ${e.message}`);
        });
        // The localnet answers toncenter-style `{ok, result: [...]}`; a bare array is accepted too.
        const list = z.array(z.object({ index: z.number(), mnemonic: z.string() }));
        const wallets = z.union([list, z.object({ result: list }).transform((r) => r.result)]).parse(await res.json());
        const w = wallets.find((x) => x.index === (c.walletIndex ?? 0));
        if (!w) throw new ClientError('CONFIG_INVALID', `localnet has no wallet ${c.walletIndex ?? 0}`);
        return w.mnemonic.split(' ');
    }
    throw new ClientError('CONFIG_INVALID', 'give --mnemonic-file or COCOON_MNEMONIC');
}

export async function clientFromConfig(c: CliConfig): Promise<CocoonClient> {
    const trust = await trustFor(c.network, {
        devRootDir: c.devRootDir,
        rootDerFile: c.rootDer,
        collateralFile: c.collateral,
        pccsUrl: c.pccsUrl,
    });
    return CocoonClient.create({
        endpoint: c.endpoint,
        wallet: { mnemonic: await mnemonicOf(c) },
        registry: c.registry,
        network: c.network,
        trust,
        dataDir: c.dataDir,
        workerEndpoint: c.workerEndpoint,
    });
}
