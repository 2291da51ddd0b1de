import { Address, Cell } from '@ton/core';
import type { Receipt } from '../../wrappers/formats/receipt';

/** A receipt this boot signed: its BOC, cell hash, signature and fields, all private copies. */
export interface OwnReceipt {
    boc: Buffer;
    hash: Buffer;
    signature: Buffer;
    fields: Receipt;
}

/**
 * The last receipt this boot signed, per order. The order's next request hands exactly that receipt back as
 * its last receipt, and parsing it from BOC and verifying our own signature again took ~0.4 ms, a sixth of
 * the enclave's per-request work. Recognising it is exact: the BOC bytes (or a given Cell's hash) equal what this
 * boot signed, and ed25519 signatures are deterministic (RFC 8032), so an equal signature over an equal hash is
 * the one this key made. Anything else (a receipt of an earlier boot, other bytes or signature) is parsed and
 * verified as before.
 * Entries are copies made here: the objects handed to the host can be changed by it, these cannot.
 * Bounded like ReplayGuard: the oldest orders are forgotten first (and then simply parsed and verified).
 */
export class OwnReceipts {
    private last = new Map<string, OwnReceipt>();

    constructor(private readonly maxOrders = 100_000) {}

    record(order: string, cell: Cell, signature: Buffer, fields: Receipt): void {
        this.last.delete(order); // re-insert so Map order is least recently signed first
        this.last.set(order, {
            boc: cell.toBoc(),
            hash: Buffer.from(cell.hash()),
            signature: Buffer.from(signature),
            fields: copyReceipt(fields),
        });
        while (this.last.size > this.maxOrders) this.last.delete(this.last.keys().next().value as string);
    }

    /** The order's last own receipt if `given` (BOC bytes or a Cell) is that receipt, else undefined. */
    find(order: string, given: Buffer | Cell): OwnReceipt | undefined {
        const own = this.last.get(order);
        if (!own) return undefined;
        return (Buffer.isBuffer(given) ? given.equals(own.boc) : given.hash().equals(own.hash)) ? own : undefined;
    }
}

function copyReceipt(r: Receipt): Receipt {
    const address = (a: Address) => new Address(a.workChain, Buffer.from(a.hash));
    return {
        ...r,
        registry: address(r.registry),
        order: address(r.order),
        clientKey: Buffer.from(r.clientKey),
        model: Buffer.from(r.model),
        requestHash: Buffer.from(r.requestHash),
        transcript: Buffer.from(r.transcript),
    };
}
