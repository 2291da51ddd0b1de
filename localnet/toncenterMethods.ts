/**
 * The toncenter v2 methods, answered from the local chain.
 *
 * Each method takes toncenter's parameter names (as TonClient and other clients send them), validates
 * them with zod, and answers with toncenter's result shape (see encoding.ts).
 */
import { Address, beginCell, Cell, Dictionary, Message, storeMessage } from '@ton/core';
import { WalletContractV3R2, WalletContractV4, WalletContractV5R1 } from '@ton/ton';
import { z } from 'zod';
import { LocalChain } from './chain';
import { BlockRef, shardBlockOf } from './chainClock';
import {
    blockIdExt,
    decodeStack,
    encodeMessage,
    encodeStack,
    friendlyAddress,
    parseAddress,
    parseBoc,
    parseHash,
    transactionId,
} from './encoding';
import { RpcError } from './errors';
import { LoggedTx } from './txLog';

export type MethodHandler = (params: Record<string, unknown>) => Promise<unknown>;

/** Numbers arrive as JSON numbers (POST) or strings (GET query): accept both. */
const int = z.coerce.number().int();
const bigintLike = z.union([z.string(), z.number(), z.bigint()]).transform((v, ctx) => {
    try {
        return BigInt(v);
    } catch {
        ctx.addIssue({ code: 'custom', message: 'not an integer' });
        return z.NEVER;
    }
});
const bool = z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
    .transform((v) => v === true || v === 'true' || v === '1');
const addressParam = z.string().min(1);

function parse<T extends z.ZodType>(schema: T, params: Record<string, unknown>): z.infer<T> {
    const r = schema.safeParse(params);
    if (!r.success) {
        throw new RpcError(
            422,
            'Invalid params: ' + r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        );
    }
    return r.data;
}

const ZERO_HASH = Buffer.alloc(32);

/** Known wallet code hashes, for getWalletInformation's wallet_type. */
const WALLET_TYPES: Map<string, string> = (() => {
    const publicKey = Buffer.alloc(32);
    const m = new Map<string, string>();
    m.set(WalletContractV3R2.create({ workchain: 0, publicKey }).init.code.hash().toString('hex'), 'wallet v3 r2');
    m.set(WalletContractV4.create({ workchain: 0, publicKey }).init.code.hash().toString('hex'), 'wallet v4 r2');
    m.set(WalletContractV5R1.create({ workchain: 0, publicKey }).init.code.hash().toString('hex'), 'wallet v5 r1');
    return m;
})();

export function encodeTransaction(t: LoggedTx) {
    const tx = t.tx;
    const d = tx.description;
    const storageFee =
        d.type === 'generic' || d.type === 'tick-tock' ? (d.storagePhase?.storageFeesCollected ?? 0n) : 0n;
    const fee = tx.totalFees.coins;
    const outMsgs: ReturnType<typeof encodeMessage>[] = [];
    for (const [idx, msg] of tx.outMessages) {
        outMsgs.push(encodeMessage(msg, t.outMsgCells.get(idx) ?? cellOf(msg)));
    }
    return {
        '@type': 'raw.transaction' as const,
        address: { '@type': 'accountAddress' as const, account_address: friendlyAddress(t.account) },
        utime: tx.now,
        data: tx.raw.toBoc().toString('base64'),
        transaction_id: transactionId(t.lt, t.hash),
        fee: fee.toString(),
        storage_fee: storageFee.toString(),
        other_fee: (fee - storageFee).toString(),
        // toncenter omits in_msg when there is none (tick-tock); clients validate it as optional, not null.
        ...(tx.inMessage ? { in_msg: encodeMessage(tx.inMessage, t.inMsgCell ?? cellOf(tx.inMessage)) } : {}),
        out_msgs: outMsgs,
    };
}

function cellOf(msg: Message): Cell {
    return beginCell().store(storeMessage(msg)).endCell();
}

export type LocalnetHooks = {
    /** Called after each committed send so the server can log it. */
    onSend?: (hash: Buffer, txCount: number, seqno: number) => void;
};

export function toncenterMethods(chain: LocalChain, hooks: LocalnetHooks = {}): Record<string, MethodHandler> {
    const mcId = (b: BlockRef) => blockIdExt(-1, b.seqno, b.rootHash, b.fileHash);
    const shardId = (b: BlockRef) => {
        const s = shardBlockOf(b);
        return blockIdExt(0, s.seqno, s.rootHash, s.fileHash);
    };
    const requireBlock = (seqno: number): BlockRef => {
        const b = chain.clock.block(seqno);
        if (!b) {
            throw new RpcError(500, `LITE_SERVER_NOTREADY: block ${seqno} not found`);
        }
        return b;
    };

    async function addressInformation(address: Address) {
        const a = await chain.account(address);
        const latest = chain.clock.latest;
        return {
            '@type': 'raw.fullAccountState' as const,
            balance: a.balance.toString(),
            extra_currencies: [] as unknown[],
            code: a.code ? a.code.toBoc().toString('base64') : '',
            data: a.data ? a.data.toBoc().toString('base64') : '',
            last_transaction_id: transactionId(a.lastLt, a.lastLt === 0n ? ZERO_HASH : a.lastHash),
            block_id: mcId(latest),
            frozen_hash: a.frozenHash ? a.frozenHash.toString('base64') : '',
            sync_utime: latest.utime,
            state: a.state,
        };
    }

    async function send(params: Record<string, unknown>) {
        const { boc } = parse(z.object({ boc: z.string().min(1) }), params);
        const { message, cell, outcome } = await chain.sendBoc(Buffer.from(boc, 'base64'));
        hooks.onSend?.(cell.hash(), outcome.transactions.length, outcome.block.seqno);
        return { message, cell };
    }

    /** TEP-467 normalized hash: src none, import_fee 0, no init, body as a ref. */
    function normalizedHash(message: Message): Buffer {
        if (message.info.type !== 'external-in') {
            return cellOf(message).hash();
        }
        return beginCell()
            .storeUint(2, 2)
            .storeUint(0, 2)
            .storeAddress(message.info.dest)
            .storeCoins(0)
            .storeBit(false)
            .storeBit(true)
            .storeRef(message.body)
            .endCell()
            .hash();
    }

    async function locate(params: Record<string, unknown>, which: 'result' | 'source') {
        const p = parse(z.object({ source: addressParam, destination: addressParam, created_lt: bigintLike }), params);
        const src = parseAddress(p.source);
        const dst = parseAddress(p.destination);
        const found = await chain.exclusive(() =>
            which === 'result'
                ? chain.txLog.locateResult(src, dst, p.created_lt)
                : chain.txLog.locateSource(src, dst, p.created_lt),
        );
        if (!found) {
            throw new RpcError(404, 'LITE_SERVER_UNKNOWN: transaction not found');
        }
        return encodeTransaction(found);
    }

    const methods: Record<string, MethodHandler> = {
        async getAddressInformation(params) {
            const p = parse(z.object({ address: addressParam }), params);
            return addressInformation(parseAddress(p.address));
        },

        async getExtendedAddressInformation(params) {
            const p = parse(z.object({ address: addressParam }), params);
            const info = await addressInformation(parseAddress(p.address));
            return {
                '@type': 'fullAccountState',
                address: { '@type': 'accountAddress', account_address: friendlyAddress(parseAddress(p.address)) },
                balance: info.balance,
                last_transaction_id: info.last_transaction_id,
                block_id: info.block_id,
                sync_utime: info.sync_utime,
                account_state: {
                    '@type': 'raw.accountState',
                    code: info.code,
                    data: info.data,
                    frozen_hash: info.frozen_hash,
                },
                revision: 0,
            };
        },

        async getAddressState(params) {
            const p = parse(z.object({ address: addressParam }), params);
            return (await chain.account(parseAddress(p.address))).state;
        },

        async getAddressBalance(params) {
            const p = parse(z.object({ address: addressParam }), params);
            return (await chain.account(parseAddress(p.address))).balance.toString();
        },

        async getWalletInformation(params) {
            const p = parse(z.object({ address: addressParam }), params);
            const address = parseAddress(p.address);
            const a = await chain.account(address);
            const base = {
                balance: a.balance.toString(),
                account_state: a.state,
                last_transaction_id: transactionId(a.lastLt, a.lastLt === 0n ? ZERO_HASH : a.lastHash),
            };
            const walletType = a.code ? WALLET_TYPES.get(a.code.hash().toString('hex')) : undefined;
            if (!walletType) {
                return { wallet: false, ...base };
            }
            const seqno = await chain.runGetMethod(address, 'seqno', []);
            const sub = await chain.runGetMethod(address, 'get_subwallet_id', []);
            const num = (r: typeof seqno) =>
                r.exitCode === 0 && r.stack[0]?.type === 'int' ? Number(r.stack[0].value) : 0;
            return { wallet: true, ...base, wallet_type: walletType, seqno: num(seqno), wallet_id: num(sub) };
        },

        async runGetMethod(params) {
            const p = parse(
                z.object({
                    address: addressParam,
                    method: z.union([z.string().min(1), z.number().int()]),
                    stack: z.unknown(),
                }),
                params,
            );
            // A numeric method id may arrive as a string from a GET query.
            const method = typeof p.method === 'string' && /^-?\d+$/.test(p.method) ? Number(p.method) : p.method;
            const res = await chain.runGetMethod(parseAddress(p.address), method, decodeStack(p.stack));
            return {
                '@type': 'smc.runResult',
                gas_used: res.gasUsed,
                stack: encodeStack(res.stack),
                exit_code: res.exitCode,
            };
        },

        async sendBoc(params) {
            await send(params);
            return { '@type': 'ok' };
        },

        async sendBocReturnHash(params) {
            const { message, cell } = await send(params);
            return {
                '@type': 'raw.extMessageInfo',
                hash: cell.hash().toString('base64'),
                hash_norm: normalizedHash(message).toString('base64'),
            };
        },

        async getTransactions(params) {
            const p = parse(
                z.object({
                    address: addressParam,
                    limit: int.min(1).max(1000).default(10),
                    lt: bigintLike.optional(),
                    hash: z.string().optional(),
                    to_lt: bigintLike.default(0n),
                    archival: bool.optional(),
                }),
                params,
            );
            const address = parseAddress(p.address);
            const hash = p.hash ? parseHash(p.hash) : undefined;
            const page = await chain.exclusive(() =>
                chain.txLog.page(address, { limit: p.limit, lt: p.lt, hash, toLt: p.to_lt }),
            );
            return page.map(encodeTransaction);
        },

        async estimateFee(params) {
            const p = parse(
                z.object({
                    address: addressParam,
                    body: z.string().min(1),
                    init_code: z.string().default(''),
                    init_data: z.string().default(''),
                    ignore_chksig: bool.default(true),
                }),
                params,
            );
            const address = parseAddress(p.address);
            const body = parseBoc(p.body, 'body');
            const init =
                p.init_code !== '' && p.init_data !== ''
                    ? { code: parseBoc(p.init_code, 'init_code'), data: parseBoc(p.init_data, 'init_data') }
                    : null;
            const f = await chain.estimateFee(address, body, init, p.ignore_chksig);
            return {
                '@type': 'query.fees',
                source_fees: {
                    '@type': 'fees',
                    in_fwd_fee: Number(f.inFwdFee),
                    storage_fee: Number(f.storageFee),
                    gas_fee: Number(f.gasFee),
                    fwd_fee: Number(f.fwdFee),
                },
                destination_fees: [],
            };
        },

        async getMasterchainInfo() {
            const latest = chain.clock.latest;
            return {
                '@type': 'blocks.masterchainInfo',
                last: mcId(latest),
                state_root_hash: shardBlockOf(latest).fileHash.toString('base64'),
                init: mcId(chain.clock.genesis),
            };
        },

        async getConsensusBlock() {
            const latest = chain.clock.latest;
            return { consensus_block: latest.seqno, timestamp: latest.utime };
        },

        async lookupBlock(params) {
            const p = parse(
                z.object({ workchain: int, shard: z.union([z.string(), z.number()]).optional(), seqno: int }),
                params,
            );
            const b = requireBlock(p.seqno);
            return p.workchain === -1 ? mcId(b) : shardId(b);
        },

        async shards(params) {
            const p = parse(z.object({ seqno: int }), params);
            return { '@type': 'blocks.shards', shards: [shardId(requireBlock(p.seqno))] };
        },

        async getBlockHeader(params) {
            const p = parse(
                z.object({ workchain: int, shard: z.union([z.string(), z.number()]).optional(), seqno: int }),
                params,
            );
            const b = requireBlock(p.seqno);
            return {
                '@type': 'blocks.header',
                id: p.workchain === -1 ? mcId(b) : shardId(b),
                global_id: -217,
                version: 0,
                after_merge: false,
                after_split: false,
                before_split: false,
                want_merge: false,
                want_split: false,
                validator_list_hash_short: 0,
                catchain_seqno: 0,
                min_ref_mc_seqno: Math.max(0, b.seqno - 1),
                is_key_block: b.seqno === 0,
                prev_key_block_seqno: 0,
                start_lt: '0',
                end_lt: '0',
                gen_utime: b.utime,
                prev_blocks:
                    b.seqno > 0
                        ? [p.workchain === -1 ? mcId(requireBlock(b.seqno - 1)) : shardId(requireBlock(b.seqno - 1))]
                        : [],
            };
        },

        async getBlockTransactions(params) {
            const p = parse(
                z.object({
                    workchain: int,
                    shard: z.union([z.string(), z.number()]).optional(),
                    seqno: int,
                    root_hash: z.string().optional(),
                    file_hash: z.string().optional(),
                    after_lt: bigintLike.optional(),
                    after_hash: z.string().optional(),
                    count: int.min(1).max(1000).default(40),
                }),
                params,
            );
            const b = requireBlock(p.seqno);
            const all = await chain.exclusive(() => chain.txLog.inBlock(p.seqno));
            let txs = all.filter((t) => t.account.workChain === p.workchain);
            if (p.after_lt !== undefined) {
                const afterLt = p.after_lt;
                txs = txs.filter((t) => t.lt > afterLt);
            }
            const page = txs.slice(0, p.count);
            return {
                '@type': 'blocks.transactions',
                id: p.workchain === -1 ? mcId(b) : shardId(b),
                req_count: p.count,
                incomplete: txs.length > page.length,
                transactions: page.map((t) => ({
                    '@type': 'blocks.shortTxId',
                    mode: 135,
                    account: t.account.toRawString(),
                    lt: t.lt.toString(),
                    hash: t.hash.toString('base64'),
                })),
            };
        },

        async tryLocateTx(params) {
            return locate(params, 'result');
        },

        async tryLocateResultTx(params) {
            return locate(params, 'result');
        },

        async tryLocateSourceTx(params) {
            return locate(params, 'source');
        },

        async getConfigParam(params) {
            const p = parse(z.object({ config_id: int, seqno: int.optional() }), params);
            const cell = await chain.exclusive(() => {
                const dict = Dictionary.loadDirect(
                    Dictionary.Keys.Int(32),
                    Dictionary.Values.Cell(),
                    chain.blockchain.config,
                );
                return dict.get(p.config_id);
            });
            if (!cell) {
                throw new RpcError(404, `config param ${p.config_id} not found`);
            }
            return {
                '@type': 'configInfo',
                config: { '@type': 'tvm.cell', bytes: cell.toBoc().toString('base64') },
            };
        },
    };
    return methods;
}
