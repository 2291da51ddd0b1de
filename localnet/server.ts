/**
 * startLocalnet: the embeddable local chain (toncenter v2 over @ton/sandbox).
 *
 * Tests, `npm start` and the `npm run localnet` CLI all start the chain through this function, so
 * they share one code path for state loading, wallet funding, block ticking and shutdown.
 */
import { Address, toNano } from '@ton/core';
import { Blockchain } from '@ton/sandbox';
import pino from 'pino';
import { z } from 'zod';
import { LocalChain } from './chain';
import { BlockRef } from './chainClock';
import { RpcError } from './errors';
import { createHttpServer, listen } from './httpServer';
import { RpcReply } from './jsonRpc';
import { loadState, saveState } from './persistence';
import { toncenterMethods } from './toncenterMethods';
import {
    fundWallets,
    generateMnemonics,
    LocalnetWallet,
    openWallets,
    readWalletsFile,
    walletJson,
    writeWalletsFile,
} from './wallets';
import { parseAddress } from './encoding';

export type LocalnetOptions = {
    /** Interface to bind; default 127.0.0.1 (the chain has a public faucet, keep it local). */
    host?: string;
    /** TCP port; 0 (default) picks a free one. */
    port?: number;
    /** Empty-block interval in ms; 0 disables the timer (blocks then come only with sends). Default 1000. */
    blockIntervalMs?: number;
    /** Number of prefunded W5R1 wallets. Default 4. */
    walletCount?: number;
    /** Balance given to each new wallet, nanoTON. Default 1,000,000 TON. */
    walletBalance?: bigint;
    /** State file: loaded at start when it exists, saved on a timer and at close. */
    statePath?: string;
    /** Wallet mnemonics file: reused when it exists, written otherwise. */
    walletsPath?: string;
    /** How often the state file is saved when transactions happened, ms. Default 5000. */
    saveIntervalMs?: number;
    /** Genesis seed for a fresh chain (block hashes derive from it). */
    genesisSeed?: string;
    logger?: pino.Logger;
};

export type Localnet = {
    /** JSON-RPC endpoint, the `endpoint` for TonClient: http://host:port/jsonRPC */
    url: string;
    /** Server root, for the REST forms and /localnet/* endpoints. */
    baseUrl: string;
    port: number;
    blockchain: Blockchain;
    chain: LocalChain;
    wallets: LocalnetWallet[];
    /** The current masterchain block; its rootHash is the attestation nonce workers use. */
    latestBlock(): BlockRef;
    faucet(address: Address | string, amount: bigint): Promise<void>;
    /** Writes the state file now (no-op without statePath). */
    save(): Promise<void>;
    close(): Promise<void>;
};

const faucetSchema = z.object({
    address: z.string().min(1),
    amount: z.union([z.string().regex(/^\d+$/), z.number().int().positive()]).transform((v) => BigInt(v)),
});

export async function startLocalnet(opts: LocalnetOptions = {}): Promise<Localnet> {
    const log = opts.logger ?? pino({ level: 'silent' });
    const host = opts.host ?? '127.0.0.1';
    const blockIntervalMs = opts.blockIntervalMs ?? 1000;
    const walletCount = opts.walletCount ?? 4;
    const walletBalance = opts.walletBalance ?? toNano(1_000_000);
    const saveIntervalMs = opts.saveIntervalMs ?? 5000;

    const saved = opts.statePath ? await loadState(opts.statePath) : undefined;
    const chain = await LocalChain.create({ saved: saved?.chain });
    if (saved) {
        log.info({ file: opts.statePath, seqno: chain.clock.latest.seqno, txs: chain.txLog.size }, 'state loaded');
    }

    // Wallet mnemonics: the state file wins, then the wallets file; missing ones are generated.
    let mnemonics = saved?.wallets ?? (opts.walletsPath ? await readWalletsFile(opts.walletsPath) : undefined) ?? [];
    const generated = mnemonics.length < walletCount;
    if (generated) {
        mnemonics = [...mnemonics, ...(await generateMnemonics(walletCount - mnemonics.length))];
    }
    const wallets = await openWallets(mnemonics.slice(0, Math.max(walletCount, 0)));
    await fundWallets(chain, wallets, walletBalance);
    if (opts.walletsPath && (generated || !(await readWalletsFile(opts.walletsPath)))) {
        await writeWalletsFile(opts.walletsPath, wallets);
    }

    const methods = toncenterMethods(chain, {
        onSend: (hash, txCount, seqno) => log.debug({ hash: hash.toString('hex'), txCount, seqno }, 'external applied'),
    });

    let lastSavedTxs = -1;
    const save = async () => {
        if (!opts.statePath) {
            return;
        }
        const state = await chain.save();
        await saveState(opts.statePath, state, mnemonics);
        lastSavedTxs = state.txs.length;
    };

    const extras: Record<string, (params: Record<string, unknown>, httpMethod: string) => Promise<RpcReply>> = {
        info: async () => {
            const latest = chain.clock.latest;
            return {
                status: 200,
                body: {
                    ok: true,
                    result: {
                        network: 'localnet',
                        seqno: latest.seqno,
                        blockHash: latest.rootHash.toString('hex'),
                        blockHashBase64: latest.rootHash.toString('base64'),
                        blockUtime: latest.utime,
                        genesisHash: chain.clock.genesis.rootHash.toString('hex'),
                        blockIntervalMs,
                        transactions: chain.txLog.size,
                        treasury: chain.treasuryAddress.toString({ bounceable: false, testOnly: true }),
                        wallets: wallets.length,
                        persistent: opts.statePath !== undefined,
                    },
                },
            };
        },
        wallets: async () => ({ status: 200, body: { ok: true, result: wallets.map(walletJson) } }),
        faucet: async (params, httpMethod) => {
            if (httpMethod !== 'POST') {
                return { status: 405, body: { ok: false, error: 'Use POST', code: 405 } };
            }
            const r = faucetSchema.safeParse(params);
            if (!r.success) {
                return {
                    status: 422,
                    body: { ok: false, error: 'Expected {address, amount (nanoTON integer)}', code: 422 },
                };
            }
            try {
                const address = parseAddress(r.data.address);
                const outcome = await chain.faucet(address, r.data.amount);
                const received = outcome.transactions.find((t) => t.account.equals(address));
                log.info({ address: address.toString(), amount: r.data.amount.toString() }, 'faucet');
                return {
                    status: 200,
                    body: {
                        ok: true,
                        result: {
                            address: address.toString(),
                            amount: r.data.amount.toString(),
                            seqno: outcome.block.seqno,
                            lt: received?.lt.toString(),
                            hash: received?.hash.toString('base64'),
                        },
                    },
                };
            } catch (e) {
                const code = e instanceof RpcError ? e.code : 500;
                return { status: code, body: { ok: false, error: (e as Error).message, code } };
            }
        },
    };

    const server = createHttpServer({ methods, extras, log });
    const port = await listen(server, opts.port ?? 0, host);
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const baseUrl = `http://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${port}`;

    const ticker =
        blockIntervalMs > 0
            ? setInterval(() => {
                  chain.tick().catch((e: unknown) => log.error({ err: e }, 'tick failed'));
              }, blockIntervalMs)
            : undefined;
    ticker?.unref();

    // Saves run one after another; a failed save does not block later ones.
    let saving: Promise<void> = Promise.resolve();
    const queueSave = (): Promise<void> => {
        const next = saving.catch(() => undefined).then(save);
        saving = next;
        return next;
    };
    const saver = opts.statePath
        ? setInterval(() => {
              if (chain.txLog.size === lastSavedTxs) {
                  return;
              }
              queueSave().catch((e: unknown) => log.error({ err: e }, 'state save failed'));
          }, saveIntervalMs)
        : undefined;
    saver?.unref();
    if (opts.statePath) {
        await save();
    }

    let closed: Promise<void> | undefined;
    const close = () => {
        closed ??= (async () => {
            if (ticker) clearInterval(ticker);
            if (saver) clearInterval(saver);
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                // Keep-alive connections from clients would otherwise hold close() open.
                server.closeAllConnections();
            });
            await queueSave();
            log.info('localnet stopped');
        })();
        return closed;
    };

    log.info({ url: `${baseUrl}/jsonRPC`, seqno: chain.clock.latest.seqno }, 'localnet listening');

    return {
        url: `${baseUrl}/jsonRPC`,
        baseUrl,
        port,
        blockchain: chain.blockchain,
        chain,
        wallets,
        latestBlock: () => chain.clock.latest,
        faucet: async (address, amount) => {
            await chain.faucet(typeof address === 'string' ? parseAddress(address) : address, amount);
        },
        save: queueSave,
        close,
    };
}
