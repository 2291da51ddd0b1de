/**
 * The keeper's W5R1 wallet. Sends are serialized (one seqno at a time) and each waits until the wallet's
 * seqno moves, so two actions never race for the same seqno and a send that the endpoint accepted but the
 * chain dropped is noticed instead of assumed. Several messages go in one wallet transaction (W5R1 carries
 * up to 255), which is how a keeper matches a whole batch for one external message.
 */
import { Address, Cell, internal, SendMode } from '@ton/core';
import { KeyPair, mnemonicToPrivateKey } from '@ton/crypto';
import { WalletContractV5R1 } from '@ton/ton';
import { Chain } from './chain';

export interface OutgoingMessage {
    to: Address;
    value: bigint;
    body: Cell;
    bounce?: boolean;
}

export class KeeperWallet {
    readonly contract: WalletContractV5R1;
    private queue: Promise<unknown> = Promise.resolve();

    private constructor(
        private readonly chain: Chain,
        private readonly keyPair: KeyPair,
        private readonly confirmTimeoutMs: number,
    ) {
        this.contract = WalletContractV5R1.create({ workchain: 0, publicKey: keyPair.publicKey });
    }

    static async fromMnemonic(chain: Chain, mnemonic: string[], confirmTimeoutMs = 60_000): Promise<KeeperWallet> {
        return new KeeperWallet(chain, await mnemonicToPrivateKey(mnemonic), confirmTimeoutMs);
    }

    get address(): Address {
        return this.contract.address;
    }

    balance(): Promise<bigint> {
        return this.chain.balance(this.address);
    }

    /** Sends `messages` in one wallet transaction; resolves once the chain has applied it (seqno moved). */
    send(messages: OutgoingMessage[]): Promise<void> {
        if (messages.length === 0) return Promise.resolve();
        if (messages.length > 255) throw new Error('a W5R1 transfer carries at most 255 messages');
        const run = this.queue.catch(() => undefined).then(() => this.sendNow(messages));
        this.queue = run;
        return run;
    }

    private async sendNow(messages: OutgoingMessage[]): Promise<void> {
        const opened = this.chain.client.open(this.contract);
        const seqno = await this.chain.call(() => opened.getSeqno());
        // Not retried: a retried external with the same seqno is harmless (the wallet refuses the replay),
        // but a retry after a timeout that did land would only add noise; the seqno wait below decides.
        await opened.sendTransfer({
            seqno,
            secretKey: this.keyPair.secretKey,
            sendMode: SendMode.PAY_GAS_SEPARATELY | SendMode.IGNORE_ERRORS,
            messages: messages.map((m) =>
                internal({ to: m.to, value: m.value, bounce: m.bounce ?? true, body: m.body }),
            ),
        });
        const deadline = Date.now() + this.confirmTimeoutMs;
        for (;;) {
            const now = await this.chain.call(() => opened.getSeqno());
            if (now > seqno) return;
            if (Date.now() > deadline) throw new Error(`wallet transfer with seqno ${seqno} not applied in time`);
            await new Promise((r) => setTimeout(r, 500));
        }
    }
}
