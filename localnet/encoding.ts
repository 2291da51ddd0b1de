/**
 * Conversions between @ton/core values and the JSON shapes toncenter v2 answers with.
 *
 * Clients validate these shapes (TonClient uses zod and silently drops unknown keys, other toncenter
 * clients are stricter), so the field names, `@type` tags and string/number choices follow toncenter
 * exactly: balances and lts are strings, gas and exit codes are numbers, hashes are standard base64.
 */
import { Address, beginCell, Cell, Dictionary, ExternalAddress, Message, storeStateInit, TupleItem } from '@ton/core';
import { RpcError } from './errors';

/** toncenter's shard id of a full (unsplit) workchain, as the signed decimal string it uses. */
export const FULL_SHARD = '-9223372036854775808';

export type BlockIdExt = {
    '@type': 'ton.blockIdExt';
    workchain: number;
    shard: string;
    seqno: number;
    root_hash: string;
    file_hash: string;
};

export function blockIdExt(workchain: number, seqno: number, rootHash: Buffer, fileHash: Buffer): BlockIdExt {
    return {
        '@type': 'ton.blockIdExt',
        workchain,
        shard: FULL_SHARD,
        seqno,
        root_hash: rootHash.toString('base64'),
        file_hash: fileHash.toString('base64'),
    };
}

/** Addresses in responses use the bounceable url-safe form, as toncenter does. */
export function friendlyAddress(address: Address): string {
    return address.toString({ urlSafe: true, bounceable: true });
}

/** Account and transaction hashes are kept as bigint by @ton/core; toncenter prints 32 bytes of base64. */
export function bigintHashToBase64(hash: bigint): string {
    return Buffer.from(hash.toString(16).padStart(64, '0'), 'hex').toString('base64');
}

export function transactionId(lt: bigint, hash: Buffer) {
    return { '@type': 'internal.transactionId' as const, lt: lt.toString(), hash: hash.toString('base64') };
}

/** Clients send hashes in hex (TonClient) or base64 / base64url (other tools): accept all three. */
export function parseHash(input: string): Buffer {
    const hex = /^[0-9a-fA-F]{64}$/.test(input);
    const buf = hex ? Buffer.from(input, 'hex') : Buffer.from(input.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (buf.length !== 32) {
        throw new RpcError(422, `Invalid hash: ${input}`);
    }
    return buf;
}

export function parseAddress(input: string): Address {
    try {
        return Address.parse(input.trim());
    } catch {
        throw new RpcError(416, `Incorrect address: ${input}`);
    }
}

export function parseBoc(input: string, what = 'boc'): Cell {
    try {
        const cells = Cell.fromBoc(Buffer.from(input, 'base64'));
        if (cells.length !== 1) {
            throw new Error('expected one root');
        }
        return cells[0];
    } catch (e) {
        throw new RpcError(422, `Invalid ${what}: ${(e as Error).message}`);
    }
}

function externalAddressString(address: ExternalAddress | null | undefined): string {
    return address ? address.toString() : '';
}

/** A text comment (op 0 + UTF-8 snake string) as toncenter's `message` field shows it; '' otherwise. */
function commentOf(body: Cell): string {
    try {
        const s = body.beginParse();
        if (s.remainingBits < 32 || s.loadUint(32) !== 0) {
            return '';
        }
        return s.loadStringTail();
    } catch {
        return '';
    }
}

/**
 * Encodes a message as a `raw.message`. `cell` is the message cell exactly as stored in the
 * transaction, so its hash matches the chain's message hash (re-serializing could move body or init
 * between inline and ref and change it).
 */
export function encodeMessage(message: Message, cell: Cell) {
    const info = message.info;
    let source = '';
    let destination = '';
    let value = '0';
    let fwdFee = '0';
    let ihrFee = '0';
    let createdLt = '0';
    if (info.type === 'internal') {
        source = friendlyAddress(info.src);
        destination = friendlyAddress(info.dest);
        value = info.value.coins.toString();
        fwdFee = info.forwardFee.toString();
        ihrFee = info.ihrFee.toString();
        createdLt = info.createdLt.toString();
    } else if (info.type === 'external-in') {
        source = externalAddressString(info.src);
        destination = friendlyAddress(info.dest);
        fwdFee = info.importFee.toString();
    } else {
        source = friendlyAddress(info.src);
        destination = externalAddressString(info.dest);
        createdLt = info.createdLt.toString();
    }
    const initState = message.init ? beginCell().store(storeStateInit(message.init)).endCell() : null;
    return {
        '@type': 'raw.message' as const,
        hash: cell.hash().toString('base64'),
        source,
        destination,
        value,
        extra_currencies: [] as unknown[],
        fwd_fee: fwdFee,
        ihr_fee: ihrFee,
        created_lt: createdLt,
        body_hash: message.body.hash().toString('base64'),
        msg_data: {
            '@type': 'msg.dataRaw' as const,
            body: message.body.toBoc().toString('base64'),
            init_state: initState ? initState.toBoc().toString('base64') : '',
        },
        message: commentOf(message.body),
    };
}

/** The in_msg cell and out_msgs cells of a transaction cell (first ref: `^[in_msg out_msgs]`). */
export function transactionMessageCells(raw: Cell): { inMsg: Cell | null; outMsgs: Map<number, Cell> } {
    const s = raw.refs[0].beginParse();
    const inMsg = s.loadBit() ? s.loadRef() : null;
    const dict = s.loadDict(Dictionary.Keys.Uint(15), Dictionary.Values.Cell());
    const outMsgs = new Map<number, Cell>();
    for (const [k, v] of dict) {
        outMsgs.set(k, v);
    }
    return { inMsg, outMsgs };
}

// ---- get-method stacks ----

type TonlibEntry = Record<string, unknown>;

function hexNumber(n: bigint): string {
    return n < 0n ? '-0x' + (-n).toString(16) : '0x' + n.toString(16);
}

/**
 * Tonlib prints a null as an empty list (a null is the empty list in TVM's list convention), which
 * TonClient reads back as null. Tuples are always printed as tuples here; see docs/LOCALNET.md.
 */
function tonlibEntry(item: TupleItem): TonlibEntry {
    switch (item.type) {
        case 'int':
            return {
                '@type': 'tvm.stackEntryNumber',
                number: { '@type': 'tvm.numberDecimal', number: item.value.toString() },
            };
        case 'cell':
            return { '@type': 'tvm.stackEntryCell', cell: { '@type': 'tvm.cell', bytes: b64boc(item.cell) } };
        case 'slice':
            return { '@type': 'tvm.stackEntrySlice', slice: { '@type': 'tvm.slice', bytes: b64boc(item.cell) } };
        case 'builder':
            return { '@type': 'tvm.stackEntryCell', cell: { '@type': 'tvm.cell', bytes: b64boc(item.cell) } };
        case 'tuple':
            return {
                '@type': 'tvm.stackEntryTuple',
                tuple: { '@type': 'tvm.tuple', elements: item.items.map(tonlibEntry) },
            };
        case 'null':
            return { '@type': 'tvm.stackEntryList', list: { '@type': 'tvm.list', elements: [] } };
        default:
            return { '@type': 'tvm.stackEntryUnsupported' };
    }
}

function b64boc(cell: Cell): string {
    return cell.toBoc().toString('base64');
}

/** Encodes a get-method result stack the way toncenter's runGetMethod does. */
export function encodeStack(stack: TupleItem[]): unknown[] {
    return stack.map((item): unknown => {
        switch (item.type) {
            case 'int':
                return ['num', hexNumber(item.value)];
            case 'cell':
                return ['cell', { '@type': 'tvm.cell', bytes: b64boc(item.cell) }];
            case 'slice':
                return ['cell', { '@type': 'tvm.slice', bytes: b64boc(item.cell) }];
            case 'builder':
                return ['cell', { '@type': 'tvm.cell', bytes: b64boc(item.cell) }];
            case 'tuple':
                return ['tuple', { '@type': 'tvm.tuple', elements: item.items.map(tonlibEntry) }];
            case 'null':
                return ['list', { '@type': 'tvm.list', elements: [] }];
            default:
                return ['unsupported', null];
        }
    });
}

function parseInteger(value: unknown): bigint {
    if (typeof value === 'number' && Number.isSafeInteger(value)) {
        return BigInt(value);
    }
    if (typeof value === 'string') {
        const v = value.trim();
        const neg = v.startsWith('-');
        const body = neg ? v.slice(1) : v;
        if (/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(body)) {
            const n = BigInt(body);
            return neg ? -n : n;
        }
    }
    throw new RpcError(422, `Invalid stack number: ${JSON.stringify(value)}`);
}

function cellArg(value: unknown): Cell {
    if (typeof value === 'string') {
        return parseBoc(value, 'stack cell');
    }
    if (value && typeof value === 'object' && typeof (value as { bytes?: unknown }).bytes === 'string') {
        return parseBoc((value as { bytes: string }).bytes, 'stack cell');
    }
    throw new RpcError(422, `Invalid stack cell: ${JSON.stringify(value)}`);
}

/**
 * Decodes a runGetMethod input stack. TonClient sends `["num", "123"]`, `["tvm.Cell", b64]`,
 * `["tvm.Slice", b64]`; toncenter also accepts hex numbers and the short type names.
 */
export function decodeStack(input: unknown): TupleItem[] {
    if (input === undefined || input === null || input === '') {
        return [];
    }
    let list = input;
    if (typeof list === 'string') {
        // GET requests carry the stack as a JSON string.
        try {
            list = JSON.parse(list);
        } catch {
            throw new RpcError(422, 'Invalid stack: not JSON');
        }
    }
    if (!Array.isArray(list)) {
        throw new RpcError(422, 'Invalid stack: expected an array');
    }
    return list.map((entry): TupleItem => {
        if (!Array.isArray(entry) || entry.length < 1 || typeof entry[0] !== 'string') {
            throw new RpcError(422, `Invalid stack entry: ${JSON.stringify(entry)}`);
        }
        const [type, value] = entry as [string, unknown];
        switch (type) {
            case 'num':
            case 'number':
            case 'int':
                return { type: 'int', value: parseInteger(value) };
            case 'tvm.Cell':
            case 'cell':
                return { type: 'cell', cell: cellArg(value) };
            case 'tvm.Slice':
            case 'slice':
                return { type: 'slice', cell: cellArg(value) };
            case 'tvm.Builder':
            case 'builder':
                return { type: 'builder', cell: cellArg(value) };
            case 'null':
                return { type: 'null' };
            default:
                throw new RpcError(422, `Unsupported stack entry type: ${type}`);
        }
    });
}
