import { createHash } from 'crypto';
import { Address, internal, SendMode, toNano } from '@ton/core';
import { TonClient } from '@ton/ton';
import { LocalnetWallet } from '../../localnet/wallets';

/** Polls `fn` until `done` holds or `timeoutMs` passes (then throws with the last value). */
export async function waitFor<T>(fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: T = await fn();
    while (!done(last)) {
        if (Date.now() > deadline) {
            throw new Error(`waitFor timed out; last value: ${String(last)}`);
        }
        await new Promise((r) => setTimeout(r, 50));
        last = await fn();
    }
    return last;
}

/** A W5R1 transfer sent through TonClient's provider, as an application would do it. */
export async function transfer(client: TonClient, wallet: LocalnetWallet, to: Address, value: bigint, seqno?: number) {
    const opened = client.open(wallet.contract);
    const s = seqno ?? (await opened.getSeqno());
    await opened.sendTransfer({
        seqno: s,
        secretKey: wallet.keyPair.secretKey,
        sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
        messages: [internal({ to, value, bounce: false })],
    });
    return s;
}

let addressCounter = 0;

/** A fresh, never-used basechain address; derived from a counter so runs are reproducible. */
export function freshAddress(): Address {
    return new Address(0, createHash('sha256').update(`localnet-test-address-${addressCounter++}`).digest());
}

export async function rpc(url: string, method: string, params: Record<string, unknown>) {
    const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ id: '1', jsonrpc: '2.0', method, params }),
    });
    return {
        status: res.status,
        body: (await res.json()) as { ok: boolean; result?: any; error?: string; code?: number },
    };
}

export const ONE_TON = toNano(1);
