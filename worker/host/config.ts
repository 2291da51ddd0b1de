/**
 * The worker host's configuration file (JSON), validated with zod. Secrets never live in it: the provider
 * wallet's mnemonic comes from $COCOON_WORKER_MNEMONIC or from a separate file (mode 0600) the config names.
 */
import { readFileSync, statSync } from 'fs';
import { dirname, isAbsolute, resolve } from 'path';
import { Address, toNano } from '@ton/core';
import { z } from 'zod';
import { NETWORK_ID, NetworkName } from '../../wrappers/networks';
import { externalClaimMin } from '../../wrappers/Constants';

const HEX32 = /^[0-9a-fA-F]{64}$/;

const nano = z
    .union([z.string().regex(/^\d+$/, 'a whole number of nanoTON (string of digits)'), z.number().int().nonnegative()])
    .transform((v) => BigInt(v));

const ton = z
    .union([z.string().regex(/^\d+(\.\d{1,9})?$/, 'an amount in TON, e.g. "2" or "0.5"'), z.number().nonnegative()])
    .transform((v) => toNano(typeof v === 'number' ? v.toString() : v));

const address = z.string().refine(
    (s) => {
        try {
            Address.parse(s);
            return true;
        } catch {
            return false;
        }
    },
    { message: 'not a TON address' },
);

export const modelConfigSchema = z.object({
    /** Path of the GGUF file (relative paths are resolved against the config file's folder). */
    path: z.string().min(1),
    /** Expected sha256 of the file (hex): the model id on the Registry allowlist. Computed at `init` when absent. */
    sha256: z.string().regex(HEX32, 'sha256 must be 64 hex characters').optional(),
    /** Ask per input / output token, nanoTON. */
    priceIn: nano,
    priceOut: nano,
    /** Context window in tokens; default 2048. */
    contextSize: z.number().int().positive().optional(),
});

export const workerConfigSchema = z
    .object({
        network: z.enum(['localnet', 'testnet', 'mainnet']),
        /** TonClient JSON-RPC endpoint (toncenter v2), e.g. http://127.0.0.1:8081/jsonRPC for localnet. */
        endpoint: z.string().url(),
        /** toncenter API key, if the endpoint wants one. */
        apiKey: z.string().optional(),
        registry: address,
        /** File holding the provider wallet's 24 words; $COCOON_WORKER_MNEMONIC wins when set. */
        mnemonicFile: z.string().optional(),
        teeMode: z.enum(['tdx', 'simulated', 'auto']).default('auto'),
        /** Receipts, the dev root (simulated TEE) and other state live here. */
        dataDir: z.string().min(1),
        models: z.array(modelConfigSchema).min(1, 'configure at least one model'),
        /** Concurrent live orders this provider accepts (on-chain SetCapacity). */
        capacity: z.number().int().min(0).max(1024).default(4),
        /** The URL clients reach this worker at, advertised on-chain (SetEndpoint). Default: the listen URL. */
        publicUrl: z.string().url().optional(),
        listen: z
            .object({ host: z.string().default('0.0.0.0'), port: z.number().int().min(0).max(65535).default(8080) })
            .default({ host: '0.0.0.0', port: 8080 }),
        /** Verifiers' POST /verify URLs (keeper verifier role); k of them must sign (Registry param verifierK). */
        verifiers: z.array(z.string().url()).default([]),
        /** Stake sent with the first registration, TON. */
        stake: ton.default(toNano('1')),
        claim: z
            .object({
                /** How often the claimer looks at persisted receipts, ms. */
                intervalMs: z.number().int().positive().default(5000),
                /** Use external-message claims (no wallet transaction) when the delta covers their fee. */
                external: z.boolean().default(true),
                /**
                 * Smallest delta worth an external claim, nanoTON. Default: the Order's own minimum for a claim
                 * that records its charge, the compute fee of EXTERNAL_CLAIM_GAS_UNITS (10,200 gas) + 0.001 TON
                 * = 0.00508 TON at basechain's 400 nanoTON/gas (wrappers/Constants.ts externalClaimMin). The
                 * claimer never goes below the Order's minimum, which for a final claim also needs the payment it
                 * sends (held earnings + delta − 0.006 TON) to reach 0.01 TON; below it, an internal Claim.
                 */
                externalMin: nano.default(externalClaimMin(false)),
                /**
                 * Claims are held in the Order until settlement. Once an order that is still Matched holds at
                 * least this much of the provider's earnings (TON), the wallet asks it to forward them to the
                 * Provider (OrderPayout, ~0.012 TON of gas, the rest of PAYOUT_GAS joins the earnings), so they
                 * start their dispute window and become withdrawable before the session ends. "0" never asks.
                 */
                payoutMin: ton
                    .refine((v) => v === 0n || v >= toNano('0.05'), {
                        message: 'payoutMin must be 0 (never) or at least 0.05 TON (a payout costs ~0.012 TON)',
                    })
                    .default(toNano('1')),
                /** A final claim goes out this many seconds before the order's claim deadline at the latest. */
                safetySec: z.number().int().nonnegative().default(5),
            })
            .default({
                intervalMs: 5000,
                external: true,
                externalMin: externalClaimMin(false),
                payoutMin: toNano('1'),
                safetySec: 5,
            }),
        /** How often to withdraw matured earnings (WithdrawEarnings), ms; 0 disables. */
        withdrawIntervalMs: z.number().int().nonnegative().default(600_000),
        /** Withdraw only when at least this much is withdrawable, TON. */
        withdrawMin: ton.default(toNano('0.1')),
        /** Renew the attestation when fewer than this many seconds are left of attestedUntil. */
        renewBeforeSec: z.number().int().positive().optional(),
        /** CPU threads for inference (default: cores - 1). */
        threads: z.number().int().positive().optional(),
        /** 'auto' uses CUDA when an NVIDIA driver is present; 'cuda'/'vulkan' refuse to start without that GPU backend; false forces CPU. */
        gpu: z.union([z.literal('auto'), z.literal('cuda'), z.literal('vulkan'), z.literal(false)]).optional(),
        logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .strict();

export type WorkerConfigInput = z.input<typeof workerConfigSchema>;
export type WorkerConfig = z.output<typeof workerConfigSchema>;
export type ModelConfig = z.output<typeof modelConfigSchema>;

export class ConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'ConfigError';
    }
}

/** Validates a parsed config object; every problem is listed with its JSON path. */
export function parseConfig(raw: unknown, baseDir?: string): WorkerConfig {
    const r = workerConfigSchema.safeParse(raw);
    if (!r.success) {
        const lines = r.error.issues.map((i) => `  - ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
        throw new ConfigError(`invalid worker config:\n${lines.join('\n')}`);
    }
    const c = r.data;
    if (c.network === 'mainnet' && c.teeMode !== 'tdx') {
        throw new ConfigError('invalid worker config:\n  - teeMode: mainnet workers must run with teeMode "tdx"');
    }
    if (baseDir) {
        const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
        c.dataDir = abs(c.dataDir);
        c.models = c.models.map((m) => ({ ...m, path: abs(m.path) }));
        if (c.mnemonicFile) c.mnemonicFile = abs(c.mnemonicFile);
    }
    return c;
}

export function loadConfig(file: string): WorkerConfig {
    let text: string;
    try {
        text = readFileSync(file, 'utf8');
    } catch (e) {
        throw new ConfigError(`cannot read config ${file}: ${(e as Error).message}`);
    }
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (e) {
        throw new ConfigError(`config ${file} is not valid JSON: ${(e as Error).message}`);
    }
    return parseConfig(raw, dirname(resolve(file)));
}

export function networkId(name: NetworkName): number {
    return NETWORK_ID[name];
}

/** The provider wallet's mnemonic: $COCOON_WORKER_MNEMONIC, else the config's mnemonicFile. Never logged. */
export function loadMnemonic(config: Pick<WorkerConfig, 'mnemonicFile'>, env = process.env): string[] {
    let text = env.COCOON_WORKER_MNEMONIC;
    let source = 'COCOON_WORKER_MNEMONIC';
    if (!text) {
        if (!config.mnemonicFile) {
            throw new ConfigError('no wallet mnemonic: set COCOON_WORKER_MNEMONIC or "mnemonicFile" in the config');
        }
        source = config.mnemonicFile;
        try {
            const mode = statSync(config.mnemonicFile).mode & 0o077;
            if (mode !== 0 && process.platform !== 'win32') {
                process.emitWarning(`mnemonic file ${config.mnemonicFile} is readable by others; chmod 600 it`);
            }
            text = readFileSync(config.mnemonicFile, 'utf8');
        } catch (e) {
            throw new ConfigError(`cannot read mnemonic file ${config.mnemonicFile}: ${(e as Error).message}`);
        }
    }
    const words = text.trim().split(/\s+/);
    if (words.length !== 24) throw new ConfigError(`mnemonic from ${source} must have 24 words, got ${words.length}`);
    return words;
}
