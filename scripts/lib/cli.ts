/**
 * Shared argument parsing, validation and waiting for the Blueprint scripts in scripts/.
 * Every value comes from `--name value` (or `--name=value`) after the script name, or else from a prompt.
 */
import { NetworkProvider } from '@ton/blueprint';
import { Address, fromNano, OpenedContract, toNano } from '@ton/core';
import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { NetworkName } from '../../wrappers/networks';
import { Registry } from '../../wrappers/Registry';
import { Provider } from '../../wrappers/Provider';
import { OrderBook } from '../../wrappers/OrderBook';

export class ArgError extends Error {}

export class Args {
    private readonly named = new Map<string, string>();

    constructor(
        private readonly provider: NetworkProvider,
        argv: string[],
    ) {
        for (let i = 0; i < argv.length; i++) {
            const a = argv[i];
            if (!a.startsWith('--')) continue;
            const eq = a.indexOf('=');
            if (eq > 0) this.named.set(a.slice(2, eq), a.slice(eq + 1));
            else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) this.named.set(a.slice(2), argv[++i]);
            else this.named.set(a.slice(2), 'true');
        }
    }

    has(name: string): boolean {
        return this.named.has(name);
    }

    async string(name: string, prompt: string, fallback?: string): Promise<string> {
        const v = this.named.get(name) ?? fallback ?? (await this.provider.ui().input(`${prompt} (--${name})`));
        if (v.trim() === '') throw new ArgError(`--${name}: a value is required`);
        return v.trim();
    }

    async address(name: string, prompt: string, fallback?: Address): Promise<Address> {
        const v = this.named.get(name);
        if (v === undefined) {
            if (fallback) return fallback;
            return this.provider.ui().inputAddress(`${prompt} (--${name})`);
        }
        try {
            return Address.parse(v);
        } catch {
            throw new ArgError(`--${name}: "${v}" is not a TON address`);
        }
    }

    async int(name: string, prompt: string, min: bigint, max: bigint, fallback?: bigint): Promise<bigint> {
        const v = await this.string(name, prompt, fallback?.toString());
        if (!/^-?\d+$/.test(v)) throw new ArgError(`--${name}: "${v}" is not an integer`);
        const n = BigInt(v);
        if (n < min || n > max) throw new ArgError(`--${name}: ${n} is out of range [${min}, ${max}]`);
        return n;
    }

    /** An amount in TON (decimal, up to 9 places); returns nanoTON. */
    async ton(name: string, prompt: string, fallback?: bigint): Promise<bigint> {
        const v = await this.string(name, `${prompt}, TON`, fallback === undefined ? undefined : fromNano(fallback));
        if (!/^\d+(\.\d{1,9})?$/.test(v)) throw new ArgError(`--${name}: "${v}" is not an amount of TON (e.g. 1.5)`);
        return toNano(v);
    }

    async bool(name: string, prompt: string, fallback?: boolean): Promise<boolean> {
        const v = this.named.get(name);
        if (v === undefined) return fallback ?? this.provider.ui().prompt(`${prompt} (--${name})`);
        if (['true', 'yes', '1'].includes(v)) return true;
        if (['false', 'no', '0'].includes(v)) return false;
        throw new ArgError(`--${name}: "${v}" is not true/false`);
    }

    /** A 256-bit hash: 64 hex digits (optional 0x), or `file:<path>` for the sha256 of a file. */
    async hash(name: string, prompt: string): Promise<bigint> {
        const v = await this.string(name, `${prompt} (64 hex digits or file:<path>)`);
        if (v.startsWith('file:')) {
            return BigInt(
                '0x' +
                    createHash('sha256')
                        .update(readFileSync(v.slice(5)))
                        .digest('hex'),
            );
        }
        const hex = v.replace(/^0x/, '');
        if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new ArgError(`--${name}: "${v}" is not 64 hex digits`);
        return BigInt('0x' + hex);
    }
}

/** mainnet and testnet as Blueprint names them; a --custom endpoint is taken as a localnet. */
export function networkName(provider: NetworkProvider): NetworkName {
    const n = provider.network();
    return n === 'mainnet' || n === 'testnet' ? n : 'localnet';
}

export function senderAddress(provider: NetworkProvider): Address {
    const a = provider.sender().address;
    if (!a) throw new ArgError('the sender has no address: run with --mnemonic (or a wallet that reports its address)');
    return a;
}

export async function openRegistry(provider: NetworkProvider, args: Args): Promise<OpenedContract<Registry>> {
    const env = process.env.COCOON_REGISTRY;
    const addr = await args.address('registry', 'Registry address', env ? Address.parse(env) : undefined);
    if (!(await provider.isContractDeployed(addr))) throw new ArgError(`no contract is deployed at ${addr}`);
    return provider.open(Registry.fromAddress(addr));
}

export async function openOrderBook(provider: NetworkProvider, args: Args): Promise<OpenedContract<OrderBook>> {
    const registry = await openRegistry(provider, args);
    return provider.open(OrderBook.fromAddress((await registry.getRegistryData()).orderBook));
}

/** The sender's own Provider contract (or --owner's). */
export async function openProvider(provider: NetworkProvider, args: Args): Promise<OpenedContract<Provider>> {
    const registry = await openRegistry(provider, args);
    const owner = await args.address('owner', 'Provider owner wallet', senderAddress(provider));
    const addr = await registry.getProviderAddress(owner);
    if (!(await provider.isContractDeployed(addr)))
        throw new ArgError(`no Provider is deployed for ${owner} (${addr})`);
    return provider.open(Provider.fromAddress(addr));
}

export async function lastLt(provider: NetworkProvider, addr: Address): Promise<bigint> {
    return (await provider.getContractState(addr)).last?.lt ?? 0n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Poll interval; COCOON_POLL_MS overrides it (the sandbox test sets it low). */
const POLL_MS = Number(process.env.COCOON_POLL_MS ?? 2000);

/**
 * Sends, then waits until `target` has processed a new transaction and `check` holds. A processed
 * transaction without the expected effect means the contract refused it: look it up in the explorer.
 */
export async function sendAndWait(
    provider: NetworkProvider,
    what: string,
    target: Address,
    send: () => Promise<unknown>,
    check: () => Promise<boolean>,
    opts: { attempts?: number; everyMs?: number } = {},
): Promise<void> {
    const ui = provider.ui();
    const before = await lastLt(provider, target);
    await send();
    ui.setActionPrompt(`${what}: waiting for ${target}...`);
    const attempts = opts.attempts ?? 45;
    try {
        for (let i = 0; i < attempts; i++) {
            if ((await lastLt(provider, target)) !== before) {
                // the chain may go on after the first transaction: give the effect a few more rounds
                for (let j = 0; j < 10; j++) {
                    if (await check()) {
                        ui.write(`${what}: done`);
                        return;
                    }
                    await sleep(opts.everyMs ?? POLL_MS);
                }
                throw new Error(`${what}: ${target} processed the message but the change is not there (refused?)`);
            }
            await sleep(opts.everyMs ?? POLL_MS);
        }
        throw new Error(`${what}: no transaction on ${target} after ${attempts} attempts`);
    } finally {
        ui.clearActionPrompt();
    }
}

/** Runs a script body, turning argument errors into one clear line. */
export async function runScript(provider: NetworkProvider, body: () => Promise<void>): Promise<void> {
    try {
        await body();
    } catch (e) {
        if (e instanceof ArgError) {
            provider.ui().write(`error: ${e.message}`);
        }
        throw e;
    }
}
