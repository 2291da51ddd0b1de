import { Address, Cell, internal, SendMode, StateInit } from '@ton/core';
import { KeyPair, mnemonicToPrivateKey } from '@ton/crypto';
import { TonClient, WalletContractV5R1 } from '@ton/ton';

export interface OutMessage {
    to: Address;
    value: bigint;
    body: Cell;
    init?: StateInit;
    bounce?: boolean;
}

/**
 * A W5R1 wallet that sends through any TonClient endpoint (localnet, testnet, mainnet) and waits until the
 * chain has taken the transfer (its seqno moved), so callers can read the effects right after.
 */
export class WalletSender {
    readonly contract: WalletContractV5R1;

    constructor(
        readonly client: TonClient,
        private readonly keyPair: KeyPair,
    ) {
        this.contract = WalletContractV5R1.create({ workchain: 0, publicKey: keyPair.publicKey });
    }

    static async fromMnemonic(client: TonClient, mnemonic: string[]): Promise<WalletSender> {
        return new WalletSender(client, await mnemonicToPrivateKey(mnemonic));
    }

    get address(): Address {
        return this.contract.address;
    }

    async balance(): Promise<bigint> {
        return this.client.getBalance(this.address);
    }

    async send(messages: OutMessage[], timeoutMs = 60_000): Promise<void> {
        const wallet = this.client.open(this.contract);
        const seqno = await wallet.getSeqno();
        await wallet.sendTransfer({
            seqno,
            secretKey: this.keyPair.secretKey,
            sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
            messages: messages.map((m) =>
                internal({ to: m.to, value: m.value, body: m.body, init: m.init, bounce: m.bounce ?? true }),
            ),
        });
        await waitFor('wallet transfer', async () => (await wallet.getSeqno()) > seqno, timeoutMs);
    }
}

/** Polls `check` until it holds; errors while polling count as "not yet" (the endpoint may lag). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 200) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await check().catch(() => false)) return;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, everyMs));
    }
}
