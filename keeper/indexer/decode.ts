/**
 * Decodes message bodies with the generated wrappers (one implementation of every on-chain format, shared
 * with the contracts' tests). Anything that does not parse is reported, never thrown: a keeper indexes a
 * public chain where anyone can send any bytes to the Registry or the OrderBook.
 */
import { Address, Cell, Transaction } from '@ton/core';
import {
    loadCreateOrder,
    loadMatchOrder,
    loadMatchFeePaid,
    loadMatchRefused,
    loadRegisterProvider,
    loadRelayRevocation,
    loadRemoveAsk,
    loadRevokeMeasurement,
    loadSetAsk,
    loadSetCapacity,
} from '../../wrappers/Registry';
import { Op } from '../../wrappers/Constants';

export interface Decoded {
    op: number;
    name: string;
    /** JSON-ready fields (bigints as decimal strings, addresses raw, uint256 as hex). */
    fields: Record<string, unknown>;
}

type Loader = (s: ReturnType<Cell['beginParse']>) => object;

const LOADERS: Record<number, [string, Loader]> = {
    [Op.CreateOrder]: ['CreateOrder', loadCreateOrder],
    [Op.MatchOrder]: ['MatchOrder', loadMatchOrder],
    [Op.RegisterProvider]: ['RegisterProvider', loadRegisterProvider],
    [Op.RevokeMeasurement]: ['RevokeMeasurement', loadRevokeMeasurement],
    [Op.RelayRevocation]: ['RelayRevocation', loadRelayRevocation],
    [Op.SetAsk]: ['SetAsk', loadSetAsk],
    [Op.RemoveAsk]: ['RemoveAsk', loadRemoveAsk],
    [Op.SetCapacity]: ['SetCapacity', loadSetCapacity],
    [Op.MatchRefused]: ['MatchRefused', loadMatchRefused],
    [Op.MatchFeePaid]: ['MatchFeePaid', loadMatchFeePaid],
};

const UINT256_FIELDS = new Set(['model', 'clientKey', 'measurement']);

function jsonify(key: string, v: unknown): unknown {
    if (typeof v === 'bigint') return UINT256_FIELDS.has(key) ? v.toString(16).padStart(64, '0') : v.toString();
    if (v instanceof Address) return v.toRawString();
    if (v instanceof Cell) return v.toBoc().toString('base64');
    return v;
}

export type DecodeResult = Decoded | { op: number; error: string } | null;

/** null = empty body or a plain transfer/comment (op 0); {error} = an op we know whose body is malformed. */
export function decodeBody(body: Cell | undefined): DecodeResult {
    if (!body) return null;
    const s = body.beginParse();
    if (s.remainingBits < 32) return null;
    const op = s.preloadUint(32);
    if (op === 0) return null;
    const entry = LOADERS[op];
    if (!entry) return { op, error: 'unknown op' };
    try {
        const v = entry[1](body.beginParse()) as Record<string, unknown>;
        const fields: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) if (k !== '$$type') fields[k] = jsonify(k, x);
        return { op, name: entry[0], fields };
    } catch (e) {
        return { op, error: (e as Error).message };
    }
}

/** Whether the transaction's compute phase ran and succeeded (a refused message changes no state). */
export function txSucceeded(tx: Transaction): boolean {
    const d = tx.description;
    return d.type === 'generic' && d.computePhase.type === 'vm' && d.computePhase.success && !d.aborted;
}

export function txExitCode(tx: Transaction): number | undefined {
    const d = tx.description;
    return d.type === 'generic' && d.computePhase.type === 'vm' ? d.computePhase.exitCode : undefined;
}

/** The internal sender of a transaction's inbound message, or null for externals / no message. */
export function txSender(tx: Transaction): Address | null {
    const info = tx.inMessage?.info;
    return info?.type === 'internal' ? info.src : null;
}
