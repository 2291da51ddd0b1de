/**
 * Keeper configuration: a JSON file, then environment variables, then CLI flags (later wins), validated with
 * zod so a bad value fails at start with the field's name instead of deep inside a loop. The wallet mnemonic
 * comes only from COCOON_KEEPER_MNEMONIC or a file (never a flag: flags land in shell history and `ps`), and
 * is never logged: redactConfig() is what gets printed.
 */
import fs from 'fs';
import { Address, toNano } from '@ton/core';
import { z } from 'zod';
import { Gas } from '../wrappers/Constants';

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

/** nanoTON as an integer string/number, or TON with a unit: "0.05 TON". */
const coins = z.union([z.string(), z.number(), z.bigint()]).transform((v, ctx) => {
    try {
        if (typeof v === 'string' && /ton$/i.test(v.trim())) return toNano(v.trim().replace(/\s*ton$/i, ''));
        const b = BigInt(v);
        if (b < 0n) throw new Error('negative');
        return b;
    } catch {
        ctx.addIssue({ code: 'custom', message: 'expected nanoTON (integer) or "<x> TON"' });
        return z.NEVER;
    }
});

const boolish = z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
    .transform((v) => v === true || v === 'true' || v === '1');
const int = (min: number) => z.coerce.number().int().min(min);

export const configSchema = z
    .object({
        endpoint: z.string().url(),
        registry: address,
        mnemonic: z
            .string()
            .transform((s) => s.trim().split(/\s+/))
            .refine((w) => w.length === 24, { message: 'a wallet mnemonic has 24 words' })
            .optional(),
        mnemonicFile: z.string().optional(),
        dbPath: z.string().default('.data/keeper.db'),
        pollIntervalMs: int(100).default(2000),
        /** Attached to each MatchOrder: MATCH_GAS plus a margin; what the cascade does not burn comes back. */
        matchValue: coins.default(Gas.MATCH_GAS + toNano('0.01')),
        /**
         * What one match costs its keeper (network cost of the whole chain with a W5R1 wallet, measured by
         * `npm run bench:gas`: keeper.matchOrder, ~0.018 TON, plus headroom); compared with the order's fee.
         */
        matchCostEstimate: coins.default(toNano('0.022')),
        /** false: never match an order whose match fee is below the expected gas cost. */
        spendAboveFee: boolish.default(false),
        /** Refunds are a service paid from the keeper's gas (a Timeout's value joins the refund). */
        refundExpired: boolish.default(true),
        timeoutValue: coins.default(Gas.CLOSE_GAS),
        relayRevocations: boolish.default(true),
        relayValue: coins.default(Gas.RELAY_GAS + toNano('0.01')),
        /** Do not resend an action for the same order/provider sooner than this (its first try may be in flight). */
        resendAfterMs: int(0).default(30_000),
        httpHost: z.string().default('127.0.0.1'),
        httpPort: int(0).max(65535).default(8090),
        logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        verifier: z
            .object({
                /** File with the 32-byte ed25519 seed, hex or raw. */
                keyFile: z.string(),
                /** The key's slot in the Registry. */
                index: int(0).max(255),
                /** Collateral JSON file, or "dev" for the development root's own collateral (localnet). */
                collateral: z.string().optional(),
                pccsUrl: z.string().url().optional(),
                /** "intel", "dev" (the machine's dev root), a dev-root data dir, or a PEM/DER root certificate. */
                root: z.string().default('intel'),
                allowedTcbStatuses: z.array(z.string()).default(['UpToDate']),
                /** Cap on validUntil - now; default: the Registry's maxAttestAge. */
                maxAttestAge: int(1).optional(),
            })
            .refine((v) => v.collateral !== undefined || v.pccsUrl !== undefined, {
                message: 'the verifier needs collateral (file or "dev") or pccsUrl',
            })
            .optional(),
    })
    .strict();

export type KeeperConfig = z.infer<typeof configSchema> & { mnemonicWords?: string[] };

export class ConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'ConfigError';
    }
}

function formatIssues(e: z.ZodError): string {
    return e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

const ENV: Record<string, string> = {
    COCOON_KEEPER_ENDPOINT: 'endpoint',
    COCOON_KEEPER_REGISTRY: 'registry',
    COCOON_KEEPER_MNEMONIC: 'mnemonic',
    COCOON_KEEPER_MNEMONIC_FILE: 'mnemonicFile',
    COCOON_KEEPER_DB: 'dbPath',
    COCOON_KEEPER_POLL_MS: 'pollIntervalMs',
    COCOON_KEEPER_HTTP_PORT: 'httpPort',
    COCOON_KEEPER_LOG_LEVEL: 'logLevel',
};

/**
 * Merges file < env < overrides and validates. `overrides` are CLI flags already mapped to field names
 * (undefined values ignored). Throws ConfigError naming every bad field.
 */
export function loadConfig(opts: {
    file?: string;
    env?: NodeJS.ProcessEnv;
    overrides?: Record<string, unknown>;
}): KeeperConfig {
    let raw: Record<string, unknown> = {};
    if (opts.file) {
        try {
            raw = JSON.parse(fs.readFileSync(opts.file, 'utf8')) as Record<string, unknown>;
        } catch (e) {
            throw new ConfigError(`config file ${opts.file}: ${(e as Error).message}`);
        }
    }
    const env = opts.env ?? process.env;
    for (const [k, field] of Object.entries(ENV)) if (env[k] !== undefined && env[k] !== '') raw[field] = env[k];
    for (const [k, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) raw[k] = v;
    const r = configSchema.safeParse(raw);
    if (!r.success) throw new ConfigError(`invalid keeper config: ${formatIssues(r.error)}`);
    const cfg: KeeperConfig = { ...r.data };
    if (cfg.mnemonicFile && !cfg.mnemonic) {
        let words: string[];
        try {
            words = fs.readFileSync(cfg.mnemonicFile, 'utf8').trim().split(/\s+/);
        } catch (e) {
            throw new ConfigError(`invalid keeper config: mnemonicFile: ${(e as Error).message}`);
        }
        if (words.length !== 24)
            throw new ConfigError('invalid keeper config: mnemonicFile: a wallet mnemonic has 24 words');
        cfg.mnemonic = words;
    }
    return cfg;
}

/** The config as it may be logged or shown: no mnemonic. */
export function redactConfig(c: KeeperConfig): Record<string, unknown> {
    const { mnemonic, ...rest } = c;
    return JSON.parse(
        JSON.stringify({ ...rest, mnemonic: mnemonic ? '<redacted>' : undefined }, (_k, v) =>
            typeof v === 'bigint' ? v.toString() : v,
        ),
    );
}
